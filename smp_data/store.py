"""The store's lifecycle: publishing a new build, updating months in place, cleaning up after
dead builds, and checking a store file for damage (the writer side of the store protocol).

The store stays ONE DuckDB file (``smp.duckdb``) that analysts can open directly. Around it,
in the same folder, live only short-lived files named after it:

``.NAME.building-<pid>`` (+ ``.wal``)
    a full build in progress (:func:`temp_path`); :func:`publish` renames it over the store.
``.NAME.staging-<pid>`` (+ ``.wal``)
    the new months of an update, validated and placed outside the store's lock.
``.NAME.writer``
    the *writer marker*: present while a writer works on the store. The writer holds an
    exclusive ``flock`` on it for as long as it lives, so a marker left by a killed writer is
    recognisably stale (nobody holds its lock) on this host and in other containers that
    share the folder, whatever their pid namespaces. It holds one line of JSON (pid, host,
    start time, mode) for people and error messages.

Two writers (a full build publishing, a monthly update) never overlap: both take the marker.
Readers (``dashboard.data``) watch the store's ``stat`` and the marker: a renamed-in store is
opened beside the old one and the old one is closed when its queries finish; during an
*update* they close their connections (DuckDB's exclusive file lock needs every reader gone),
wait, and reopen. Every new store carries a fresh ``store_version`` in ``build_metadata``,
read by readers from the new connection to key their caches.

Every failure here is a :class:`StoreError` whose message is one line naming the file.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import socket
import struct
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb

__all__ = [
    "StoreError",
    "StoreBusy",
    "DiskFull",
    "WriterInfo",
    "IntegrityReport",
    "REQUIRED_TABLES",
    "VERSION_KEY",
    "temp_path",
    "staging_path",
    "marker_path",
    "new_version_id",
    "active_writer",
    "publish",
    "stamp_version",
    "open_for_update",
    "cleanup_stale",
    "check_integrity",
    "describe_write_error",
    "read_only_connection",
    "is_lock_conflict",
    "is_damage",
]

VERSION_KEY = "store_version"  # build_metadata key: a new id for every published build or update
REQUIRED_TABLES = ("records", "source_files", "build_metadata")
DEFAULT_UPDATE_WAIT_SECONDS = 120.0  # readers look every few seconds and let go when their queries finish
_MIN_DUCKDB_FILE = 3 * 4096  # main header + two database headers
_TEMP_KINDS = ("building", "staging")


class StoreError(RuntimeError):
    """A store operation failed; the message is one line naming the file."""


class StoreBusy(StoreError):
    """Another writer, or a reader that did not let go, kept the store for longer than the wait allowed."""


class DiskFull(StoreError):
    """The disk holding the store (or its temporary files) ran out of space."""


# ------------------------------------------------------------------ names


def temp_path(db_path: Path | str, kind: str = "building", pid: int | None = None) -> Path:
    """``.NAME.<kind>-<pid>`` beside the store: a full build (``building``) or an update's staging file."""
    if kind not in _TEMP_KINDS:
        raise ValueError(f"kind must be one of {_TEMP_KINDS}")
    db_path = Path(db_path)
    return db_path.with_name(f".{db_path.name}.{kind}-{os.getpid() if pid is None else pid}")


def staging_path(db_path: Path | str, pid: int | None = None) -> Path:
    """Where an update validates and places its new months before they go into the store."""
    return temp_path(db_path, "staging", pid)


def marker_path(db_path: Path | str) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(f".{db_path.name}.writer")


def new_version_id() -> str:
    """A new build/version id: UTC time (readable) plus random bits (unique)."""
    return f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


# ------------------------------------------------------------------ errors


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_lock_conflict(exc: BaseException) -> bool:
    """DuckDB refused the file because another process (or connection in this one) holds it."""
    text = str(exc)
    return isinstance(exc, duckdb.Error) and (
        "Could not set lock" in text or "Conflicting lock" in text or "file handle conflict" in text
        or "different configuration" in text
    )


_DAMAGE_WORDS = ("corrupt", "checksum", "could not read", "not a valid duckdb", "truncated", "invalid block",
                 "failed to read", "read past", "unexpected end", "magic bytes")


def is_damage(exc: BaseException) -> bool:
    """True for a DuckDB error that means the store file cannot be read as a database (not a bad query)."""
    if isinstance(exc, (duckdb.IOException, duckdb.InternalException, duckdb.FatalException,
                        duckdb.SerializationException)):
        return not is_lock_conflict(exc)
    if isinstance(exc, duckdb.Error):
        text = str(exc).lower()
        return any(w in text for w in _DAMAGE_WORDS) and not is_lock_conflict(exc)
    return False


def _free_bytes(path: Path) -> int | None:
    for p in (path, *path.parents):
        try:
            return shutil.disk_usage(p).free
        except OSError:
            continue
    return None


def _mb(n: int | None) -> str:
    return "unknown" if n is None else f"{n / 1e6:,.1f} MB"


def describe_write_error(exc: BaseException, path: Path | str, what: str = "writing the store") -> StoreError:
    """One-line :class:`StoreError` for a failed write of ``path``; a full disk is named as such.

    DuckDB often reports a full disk only indirectly ("database has been invalidated" after a
    background write failed), so the free space left on the file's disk decides too: under
    1 MB free (or 0.5 % of the disk) at the moment of the error is a full disk.
    Call it BEFORE removing temporary files, while the disk is still full.
    """
    path = Path(path)
    text = str(exc)
    free = _free_bytes(path.parent)
    full = (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) or any(
        w in text for w in ("No space left on device", "Disk quota exceeded", "disk is full", "ENOSPC"))
    if not full and free is not None:
        try:
            total = shutil.disk_usage(path.parent).total
        except OSError:
            total = 0
        full = free < max(1_000_000, total * 0.005)
    if full:
        return DiskFull(f"disk full while {what} ({path}, {_mb(free)} free on its disk); "
                        "the previous store is unchanged: free some space and run it again")
    return StoreError(f"{what} failed ({path}): {_first_line(exc)}")


# ------------------------------------------------------------------ connections


def read_only_connection(db_path: Path | str, *, alias: str = "store", threads: int | None = None
                         ) -> duckdb.DuckDBPyConnection:
    """A read-only connection to ``db_path`` in a NEW DuckDB instance (``USE``-d as ``alias``).

    ``duckdb.connect(path, read_only=True)`` returns the instance already open for that path in
    this process (even when the path now names another file); attaching to a fresh in-memory
    instance never does, so an old and a new store can be open side by side. Cursors of the
    returned connection need ``USE alias`` themselves (see ``dashboard.data``).
    """
    con = duckdb.connect(":memory:", config={"threads": threads} if threads else {})
    try:
        con.execute(f"attach {_sql_string(str(db_path))} as {alias} (read_only)")
        con.execute(f"use {alias}")
    except BaseException:
        con.close()
        raise
    return con


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ------------------------------------------------------------------ writer marker


@dataclass(frozen=True)
class WriterInfo:
    pid: int
    host: str
    started_utc: str
    mode: str  # 'update' | 'publish'

    def describe(self) -> str:
        return f"{self.mode} by pid {self.pid} on {self.host}, started {self.started_utc}"


def _read_marker(fd: int) -> WriterInfo | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
        return WriterInfo(int(data["pid"]), str(data["host"]), str(data["started_utc"]), str(data["mode"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def active_writer(db_path: Path | str) -> WriterInfo | None:
    """The live writer of the store, or None (no marker, or a stale one nobody holds).

    Works on a read-only mount: opens the marker read-only and tries a shared ``flock``.
    """
    path = marker_path(db_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # a writer holds it: alive
            return _read_marker(fd) or WriterInfo(0, "?", "?", "update")
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None  # stale: its writer died
    finally:
        os.close(fd)


def _take_marker(db_path: Path, mode: str, deadline: float, poll: float = 0.05) -> int:
    """Create (or take over a stale) writer marker and hold its lock; returns the locked fd."""
    path = marker_path(db_path)
    holder = None
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise describe_write_error(exc, path, "creating the writer marker") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_marker(fd) or holder
            os.close(fd)
            if time.monotonic() > deadline:
                who = holder.describe() if holder else "another writer"
                raise StoreBusy(f"{db_path} is being written ({who}); try again when it has finished") from None
            time.sleep(poll)
            continue
        try:  # the file we locked must still be the marker (a finishing writer unlinks it)
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            continue
        info = WriterInfo(os.getpid(), socket.gethostname(),
                          dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(), mode)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(info.__dict__).encode("utf-8"))
            os.fsync(fd)
        except OSError as exc:
            _drop_marker(db_path, fd)
            raise describe_write_error(exc, path, "writing the writer marker") from None
        return fd


def _drop_marker(db_path: Path, fd: int) -> None:
    try:
        os.unlink(marker_path(db_path))
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def _writer(db_path: Path, mode: str, timeout: float) -> Iterator[None]:
    fd = _take_marker(db_path, mode, time.monotonic() + timeout)
    try:
        yield
    finally:
        _drop_marker(db_path, fd)


# ------------------------------------------------------------------ publish (full builds)


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stamp_version(con: duckdb.DuckDBPyConnection, version: str) -> None:
    con.execute("insert or replace into build_metadata (key, value) values (?, ?)", [VERSION_KEY, version])


def stamp_version(con: duckdb.DuckDBPyConnection) -> str:
    """Record a new ``store_version`` in the store being written by ``con`` (its ``build_metadata``) and
    return it: a build does this before its final CHECKPOINT and passes the id to :func:`publish`, which
    then does not reopen the finished file (reopening, stamping and checkpointing it again cost ~0.1 s of a
    Kent build)."""
    version = new_version_id()
    _stamp_version(con, version)
    return version


def publish(temp: Path | str, db_path: Path | str, *, timeout: float = DEFAULT_UPDATE_WAIT_SECONDS,
            version: str | None = None) -> str:
    """Atomically replace ``db_path`` by the finished build ``temp`` and return its new version id.

    The caller has CHECKPOINTed and closed ``temp``. Stamps a new ``store_version`` into it (unless
    the caller stamped ``version`` itself with :func:`stamp_version` before that checkpoint), fsyncs
    it, takes the writer marker (so it never lands in the middle of an update), renames it over
    the store and fsyncs the folder. Running readers notice the new file by its ``stat`` and the
    new version id; they open it beside the old one and close the old one (freeing its space)
    when its last query has finished. On failure ``temp`` is left for the caller to remove and
    the store is unchanged.
    """
    temp, db_path = Path(temp), Path(db_path)
    con = None
    try:
        if version is None:
            version = new_version_id()
            con = duckdb.connect(":memory:")
            con.execute(f"attach {_sql_string(str(temp))} as new_store")
            con.execute("use new_store")
            _stamp_version(con, version)
            con.execute("checkpoint new_store")
            con.close()
            con = None
        _fsync_path(temp)
    except (duckdb.Error, OSError) as exc:
        if con is not None:
            _close_quietly(con)
        raise describe_write_error(exc, temp, "finishing the new store") from None
    with _writer(db_path, "publish", timeout):
        try:
            os.replace(temp, db_path)
            _fsync_path(db_path.parent, directory=True)
        except OSError as exc:
            raise describe_write_error(exc, db_path, "replacing the store") from None
    return version


def _close_quietly(con) -> None:
    try:
        con.close()
    except Exception:  # noqa: BLE001 - closing a connection DuckDB already invalidated
        pass


# ------------------------------------------------------------------ in-place update


@contextmanager
def open_for_update(db_path: Path | str, *, timeout: float = DEFAULT_UPDATE_WAIT_SECONDS,
                    poll: float = 0.2) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the store, inside ONE open transaction, for an in-place update.

    Announces the writer (marker), waits (at most ``timeout`` s in all) for other writers and
    for every reader to let go of the store, then yields a connection on which a transaction
    is already begun. The caller runs its statements (delete the changed months, insert them
    from an ATTACHed staging file, refresh derived tables) and returns; this then stamps a new
    ``store_version``, COMMITs, CHECKPOINTs and closes. Any exception rolls back: the store is
    exactly as before, and the error is re-raised (a DuckDB or OS error as a one-line
    :class:`StoreError`, anything else unchanged). The marker is removed in every case.
    """
    db_path = Path(db_path)
    if not db_path.is_file():
        raise StoreError(f"store not found: {db_path}")
    deadline = time.monotonic() + timeout
    with _writer(db_path, "update", timeout):
        con = _connect_writable(db_path, deadline, poll)
        committed = False
        try:
            # no vacuum in the checkpoint: it would merge the partly filled row groups every batch of the
            # build leaves (one a month on an all-forces store), rewriting the whole table: an update of one
            # Kent month wrote 148 MB of a 157 MB store instead of 22 MB (bench/national.py, 2026-12-04).
            # The replaced rows' blocks are freed and reused as before: repeated updates keep the size flat.
            con.execute("set max_vacuum_tasks = 0")
            con.execute("begin transaction")
            yield con
            _stamp_version(con, new_version_id())
            con.execute("commit")
            committed = True
            con.execute("checkpoint")
            con.close()
        except BaseException as exc:
            if not committed:
                try:
                    con.execute("rollback")
                except Exception:  # noqa: BLE001 - nothing to roll back, or DuckDB invalidated
                    pass
            _close_quietly(con)
            if isinstance(exc, (duckdb.Error, OSError)):
                what = "checkpointing the committed update" if committed else "updating the store"
                err = describe_write_error(exc, db_path, what)
                if committed:  # the data is safe in the write-ahead log; the next open replays it
                    err = type(err)(f"{err} (the update itself was committed to {db_path.name}.wal "
                                    "and is applied when the store is next opened)")
                raise err from None
            raise


def _connect_writable(db_path: Path, deadline: float, poll: float) -> duckdb.DuckDBPyConnection:
    last = None
    while True:
        try:
            return duckdb.connect(str(db_path))
        except duckdb.Error as exc:
            if not is_lock_conflict(exc):
                raise describe_write_error(exc, db_path, "opening the store for update") from None
            last = exc
        if time.monotonic() > deadline:
            holder = re.search(r"\(PID (\d+)\)", str(last))
            who = f"process {holder.group(1)}" if holder else "another connection in this process"
            raise StoreBusy(f"{db_path} is still open in {who}: readers did not let go in time "
                            "(running dashboards release it within seconds; is another tool holding it?)")
        time.sleep(poll)


# ------------------------------------------------------------------ stale files


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _locked_by_other_process(path: Path) -> bool:
    """True when another process holds a lock on ``path`` (DuckDB locks its open database files).

    Uses F_GETLK: a query that neither takes a lock nor disturbs DuckDB's own locks in this process.
    """
    try:
        fd, probe = os.open(path, os.O_RDWR), fcntl.F_WRLCK  # conflicts with any lock
    except OSError:
        try:
            fd, probe = os.open(path, os.O_RDONLY), fcntl.F_RDLCK  # conflicts with a writer's lock
        except OSError:
            return False
    try:
        # struct flock {short l_type; short l_whence; off_t l_start; off_t l_len; pid_t l_pid;} (+ padding)
        layout = "hhqqi"
        query = struct.pack(layout, probe, os.SEEK_SET, 0, 0, 0) + b"\0" * 8
        try:
            answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
        except OSError:
            return False
        return struct.unpack(layout, answer[: struct.calcsize(layout)])[0] != fcntl.F_UNLCK
    finally:
        os.close(fd)


def _size(path: Path) -> int:
    try:
        if path.is_dir() and not path.is_symlink():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def cleanup_stale(db_path: Path | str) -> list[tuple[Path, int]]:
    """Remove the temporary files of dead builds and updates beside the store; return (path, bytes).

    A ``.NAME.building-<pid>`` / ``.NAME.staging-<pid>`` file (and its ``.wal`` / ``.tmp``) is
    stale when its pid is not running here AND no process holds DuckDB's lock on it (so a build
    running in another container sharing the folder is left alone). A writer marker nobody
    holds is stale too. The store itself and its own ``.wal`` are never touched: a ``.wal``
    beside the store holds committed data that the next open applies.
    """
    db_path = Path(db_path)
    folder = db_path.parent
    if not folder.is_dir():
        return []
    # .NAME.building-<pid>[.wal|.tmp], .NAME.staging-<pid>[...] and what the staging build leaves:
    # ..NAME.staging-<pid>.building-<pid>[.wal|.tmp], ..NAME.staging-<pid>.writer
    pattern = re.compile(r"^\.\.?" + re.escape(db_path.name) + r"\.(building|staging)-(\d+)(\..*)?$")
    removed: list[tuple[Path, int]] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    for path in entries:
        m = pattern.match(path.name)
        if not m:
            continue
        pid = int(m.group(2))
        if pid == os.getpid() or _pid_alive(pid):
            continue
        main_file = path.with_name(f".{db_path.name}.{m.group(1)}-{pid}")
        if any(p.exists() and p.is_file() and _locked_by_other_process(p) for p in (main_file, path)):
            continue
        size = _size(path)
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StoreError(f"cannot remove the stale file {path}: {exc.strerror}") from None
        removed.append((path, size))
    marker = marker_path(db_path)
    if marker.exists() and active_writer(db_path) is None:
        try:
            fd = os.open(marker, os.O_RDWR)
        except OSError:
            return removed
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.path.samestat(os.fstat(fd), os.stat(marker)):
                size = os.fstat(fd).st_size
                os.unlink(marker)
                removed.append((marker, size))
        except (BlockingIOError, FileNotFoundError):
            pass
        finally:
            os.close(fd)
    return removed


# ------------------------------------------------------------------ integrity


@dataclass
class IntegrityReport:
    path: Path
    ok: bool
    reason: str | None = None  # one line when not ok
    tables: dict[str, int] = field(default_factory=dict)  # rows per table (every column read)
    digests: dict[str, str] = field(default_factory=dict)  # per table: a digest of every value (order-free)
    views: list[str] = field(default_factory=list)
    version: str | None = None
    store_schema: str | None = None
    seconds: float = 0.0


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def check_integrity(db_path: Path | str, *, threads: int | None = None) -> IntegrityReport:
    """Open ``db_path`` read-only and read every column of every table; never raises for damage.

    A missing, empty, truncated, overwritten or non-DuckDB file, a table whose blocks cannot be
    read (DuckDB verifies each block's checksum) or a store without the dashboard's core tables
    gives ``ok=False`` and a one-line ``reason``.
    """
    started = time.perf_counter()
    db_path = Path(db_path)
    report = IntegrityReport(db_path, ok=False)

    def done(reason: str | None) -> IntegrityReport:
        report.reason = reason
        report.ok = reason is None
        report.seconds = time.perf_counter() - started
        return report

    try:
        size = db_path.stat().st_size
        if not db_path.is_file():
            return done(f"{db_path} is not a file")
        with db_path.open("rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return done(f"{db_path} does not exist")
    except OSError as exc:
        return done(f"{db_path} cannot be read: {exc.strerror}")
    if size == 0:
        return done(f"{db_path} is empty (0 bytes)")
    if head[8:12] != b"DUCK":
        return done(f"{db_path} is not a DuckDB database (its header has no DuckDB signature)")
    if size < _MIN_DUCKDB_FILE:
        return done(f"{db_path} is truncated ({size:,} bytes; a DuckDB file has at least {_MIN_DUCKDB_FILE:,})")
    try:
        con = read_only_connection(db_path, alias="checked", threads=threads)
    except duckdb.Error as exc:
        if is_lock_conflict(exc):
            return done(f"{db_path} is being written by another process; check it again when that has finished")
        return done(f"{db_path} cannot be opened: {_first_line(exc)}")
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'checked' and schema_name = 'main' "
            "order by table_name").fetchall()]
        views = [r[0] for r in con.execute(
            "select view_name from duckdb_views() where database_name = 'checked' and schema_name = 'main' "
            "and not internal order by view_name").fetchall()]
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            return done(f"{db_path} is not a store of this dashboard (no table {', '.join(missing)})")
        for table in tables:
            q = _quote_ident(table)
            try:
                # hash() of every column forces DuckDB to read (and checksum) every block of the table
                row = con.execute(f"select count(*), sum(hash(columns(*))) from checked.main.{q}").fetchone()
            except duckdb.Error as exc:
                return done(f"{db_path}: table {table} cannot be read: {_first_line(exc)}")
            report.tables[table] = int(row[0])
            report.digests[table] = ":".join(str(v) for v in row)
        for view in views:
            try:
                con.execute(f"select * from checked.main.{_quote_ident(view)} limit 0").fetchall()
            except duckdb.Error as exc:
                return done(f"{db_path}: view {view} cannot be read: {_first_line(exc)}")
            report.views.append(view)
        try:
            meta = dict(con.execute("select key, value from checked.main.build_metadata").fetchall())
        except duckdb.Error as exc:
            return done(f"{db_path}: build_metadata cannot be read: {_first_line(exc)}")
        report.version = meta.get(VERSION_KEY)
        report.store_schema = meta.get("store_schema", "1")
        return done(None)
    except duckdb.Error as exc:
        return done(f"{db_path} cannot be read: {_first_line(exc)}")
    finally:
        _close_quietly(con)

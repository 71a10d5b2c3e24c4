"""The dashboard's only door to the store: one read-only DuckDB connection per process that
follows the store across rebuilds and updates, and cached, bounded calls to the named queries
in ``queries/``.

Store swaps (the reader side of ``smp_data/store.py``): every process keeps one open
*generation* of the store (a read-only connection in its own DuckDB instance, its version id
read from that connection's ``build_metadata``, and the file's identity when it was opened).
A watcher thread (and every query, at most every :data:`CHECK_INTERVAL_SECONDS`) looks at the
file and the writer marker:

* a new file renamed in by a full build: new queries open it beside the old generation; the old
  one is closed when its last query finishes, which releases the replaced file's disk space;
* an update in place (marker with mode ``update``): stop handing out the connection, close it
  when in-flight queries finish (DuckDB's exclusive lock needs every reader gone), make new
  queries wait (a spinner, at most :data:`UPDATE_WAIT_SECONDS`), then open the updated file.

Cached results are keyed by the generation's key (path, version id from the connection, file
identity), never by a file time alone: DuckDB hands out the instance already open for a path,
so only a fresh instance proves which build a connection reads. A store that cannot be read is
reported as damaged (:class:`StoreDamaged`), one built by older code as outdated
(:class:`StoreMissing`); the watcher also reads every table of each new generation once
(``smp_data.store.check_integrity``) so a truncated file is caught before a page meets it.

Pages never build SQL: they call :func:`query` with a query name and widget values; the
values are bound as DuckDB parameters by ``queries.run_df``.

Partner data and access control (enforced here, not only by hiding pages):

* ``partner.*`` queries (``queries/partner/``) read only the store's ``partner_indicators_public``
  view and the public uploads export; this module binds ``$public_uploads`` to that export's path
  from settings (callers cannot pass it).
* ``restricted.*`` queries (``queries/restricted/``, the only SQL that may read restricted rows)
  are refused with :class:`PartnerAccessRefused` unless this session is signed in as a partner
  (:func:`dashboard.auth.current_partner`); ``$all_uploads`` is bound here too.
* ``build.*`` blocks are build-time DDL and are never run by the dashboard.
Query names are constants in the code; nothing from the URL chooses a query, a parameter path or a mode.
"""

from __future__ import annotations

import atexit
import contextvars
import datetime as dt
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

import queries
from smp_data import settings
from smp_data import store as store_files

__all__ = ["StoreUnavailable", "StoreMissing", "StoreDamaged", "StoreBusy", "PartnerAccessRefused", "store_path",
           "connection", "cursor", "query", "store_version", "uploads_version", "CACHE_TTL_SECONDS",
           "CHECK_INTERVAL_SECONDS", "UPDATE_WAIT_SECONDS", "PUBLIC_PARTNER_PREFIX", "RESTRICTED_PREFIX"]

PUBLIC_PARTNER_PREFIX = "partner."
RESTRICTED_PREFIX = "restricted."
_BUILD_PREFIX = "build."
_BOUND_HERE = frozenset({"public_uploads", "all_uploads"})

CACHE_TTL_SECONDS = 3600  # a rebuilt or updated store has a new version key, which busts the cache
CACHE_MAX_ENTRIES = 1024
CHECK_INTERVAL_SECONDS = 2.0  # how often a process looks for a new store file or a writer
UPDATE_WAIT_SECONDS = 90.0  # longest a query waits for an update in place to finish
MAX_OPEN_STORES = 8  # idle stores beyond this (tests switch stores) are closed, least recently used first
REBUILD_HINT = "python -m smp_data build"


class StoreUnavailable(RuntimeError):
    """The store cannot serve queries right now; the message is one line for the reader."""


class StoreMissing(StoreUnavailable):
    """The DuckDB store has not been built yet, or was built by an older version of the code."""


class StoreDamaged(StoreUnavailable):
    """The store file is damaged (truncated, overwritten, not a DuckDB file)."""


class StoreBusy(StoreUnavailable):
    """An update kept the store for longer than a page may wait."""


class PartnerAccessRefused(PermissionError):
    """A restricted partner query (or its data) was asked for without a signed-in partner session."""


def store_path() -> Path:
    return settings.db_path()


def _damaged(reason: str) -> StoreDamaged:
    return StoreDamaged(f"The data store is damaged: rebuild it with: {REBUILD_HINT} ({reason})")


# ------------------------------------------------------------------ generations of the store


def _file_id(path: str) -> tuple | None:
    try:
        st_ = os.stat(path)
    except FileNotFoundError:
        return None
    return (st_.st_dev, st_.st_ino, st_.st_size, st_.st_mtime_ns)


@dataclass(eq=False)
class _Generation:
    """One opened version of the store file."""

    path: str
    con: duckdb.DuckDBPyConnection
    file_id: tuple
    version: str  # from the connection's build_metadata
    key: str  # cache key: path, version, file identity
    unusable: StoreUnavailable | None = None  # damaged or outdated: raised to every caller
    inflight: int = 0
    retired: bool = False
    closed: bool = False
    integrity_checked: bool = False
    opened_at: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.con.close()
            except duckdb.Error:
                pass


class _MustWait(Exception):
    """An update in place holds the store: the caller may show a spinner and wait."""


class _StoreHandle:
    """Every generation of one store path in this process, and the rules for moving between them."""

    def __init__(self, path: str):
        self.path = path
        self.cond = threading.Condition()
        self.current: _Generation | None = None
        self.retired: list[_Generation] = []
        self.checked_at = 0.0
        self.writer_active = False
        self.last_used = time.monotonic()

    # -- checks (called with self.cond held)
    def _check(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.checked_at < CHECK_INTERVAL_SECONDS:
            return
        self.checked_at = now
        writer = store_files.active_writer(self.path)
        self.writer_active = writer is not None and writer.mode == "update"
        cur = self.current
        if cur is not None and (self.writer_active or _file_id(self.path) != cur.file_id):
            self._retire(cur)
        self._close_idle()

    def _retire(self, gen: _Generation) -> None:
        if self.current is gen:
            self.current = None
        gen.retired = True
        if gen not in self.retired:
            self.retired.append(gen)
        self._close_idle()

    def _close_idle(self) -> None:
        for gen in [g for g in self.retired if g.inflight == 0]:
            gen.close()
            self.retired.remove(gen)

    def _open(self) -> _Generation:
        from smp_data.build import STORE_SCHEMA_VERSION  # noqa: PLC0415

        file_id = _file_id(self.path)
        if file_id is None:
            raise StoreMissing(f"The data store {self.path} has not been built yet. Build it with: {REBUILD_HINT}")
        try:
            con = store_files.read_only_connection(self.path)
        except duckdb.Error as exc:
            if store_files.is_lock_conflict(exc):
                raise _MustWait() from None
            report = store_files.check_integrity(self.path)
            raise _damaged(report.reason or str(exc).splitlines()[0]) from None
        try:
            meta = dict(con.execute("select key, value from build_metadata").fetchall())
        except duckdb.Error as exc:
            con.close()
            report = store_files.check_integrity(self.path)
            raise _damaged(report.reason or str(exc).splitlines()[0]) from None
        version = meta.get(store_files.VERSION_KEY) or f"unversioned:{meta.get('built_at_utc')}"
        gen = _Generation(self.path, con, file_id, version, f"{self.path}|{version}|{':'.join(map(str, file_id[1:]))}")
        found = meta.get("store_schema", "1")
        if found != STORE_SCHEMA_VERSION:
            gen.unusable = StoreMissing(
                f"The data store {self.path} was built by an older version of this dashboard (store schema "
                f"{found}, this version needs {STORE_SCHEMA_VERSION}). Rebuild it with: {REBUILD_HINT}")
        return gen

    # -- leases
    def lease(self, block: bool) -> "_Lease":
        deadline = time.monotonic() + UPDATE_WAIT_SECONDS
        force = False
        with self.cond:
            self.last_used = time.monotonic()
            while True:
                self._check(force=force)
                force = False
                if not self.writer_active and self.current is None:
                    try:
                        self.current = self._open()
                        _WATCHER.wake()
                    except _MustWait:
                        self.writer_active = True
                if self.writer_active:
                    if not block:
                        raise _MustWait()
                    if time.monotonic() > deadline:
                        raise StoreBusy("The data is being updated and it is taking longer than expected; "
                                        "please reload the page in a minute.")
                    self.cond.wait(0.25)
                    force = True
                    continue
                gen = self.current
                if gen.unusable is not None:
                    raise gen.unusable
                gen.inflight += 1
                return _Lease(self, gen)

    def release(self, gen: _Generation) -> None:
        with self.cond:
            gen.inflight -= 1
            if gen.retired and gen.inflight == 0:
                self._close_idle()
            self.cond.notify_all()

    def mark_unusable(self, gen: _Generation, exc: StoreUnavailable) -> None:
        with self.cond:
            if gen.unusable is None:
                gen.unusable = exc

    # -- the watcher
    def watch(self) -> None:
        """Periodic work: notice new files and writers, close idle old generations, check integrity once."""
        with self.cond:
            self._check(force=True)
            gen = self.current
            needs_check = gen is not None and not gen.integrity_checked and gen.unusable is None
            if gen is not None:
                gen.integrity_checked = True
        if needs_check:
            report = store_files.check_integrity(self.path, threads=1)
            if not report.ok and _file_id(self.path) == gen.file_id and not self.writer_active:
                self.mark_unusable(gen, _damaged(report.reason))

    def close_if_idle(self) -> bool:
        with self.cond:
            if self.current is not None and self.current.inflight == 0:
                self._retire(self.current)
            return self.current is None and not self.retired


class _Lease:
    """One query's hold on a generation: the generation is not closed until every lease is released."""

    def __init__(self, handle: _StoreHandle, gen: _Generation):
        self.handle, self.gen = handle, gen
        self._cursors: list = []
        self._released = False

    @property
    def key(self) -> str:
        return self.gen.key

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self.gen.con.cursor()
        cur.execute("use store")
        self._cursors.append(cur)
        return cur

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        for cur in self._cursors:
            try:
                cur.close()
            except duckdb.Error:
                pass
        self.handle.release(self.gen)

    def check_error(self, exc: BaseException) -> None:
        """Turn a DuckDB error that means a damaged file into :class:`StoreDamaged` (and remember it)."""
        if isinstance(exc, duckdb.Error) and store_files.is_damage(exc):
            damaged = _damaged(str(exc).splitlines()[0])
            self.handle.mark_unusable(self.gen, damaged)
            raise damaged from None


class _Watcher:
    """One daemon thread per process: lets idle processes notice swaps and let go of old files."""

    def __init__(self):
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._event = threading.Event()

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="smp-store-watcher", daemon=True)
                self._thread.start()
        self._event.set()

    def _run(self) -> None:
        while True:
            self._event.wait(CHECK_INTERVAL_SECONDS)
            self._event.clear()
            for handle in list(_HANDLES.values()):
                try:
                    handle.watch()
                except Exception:  # noqa: BLE001 - the watcher must survive anything one store does
                    pass
            _trim_handles()


_HANDLES: dict[str, _StoreHandle] = {}
_HANDLES_LOCK = threading.Lock()
_WATCHER = _Watcher()
_CURRENT_LEASE: contextvars.ContextVar[_Lease | None] = contextvars.ContextVar("smp_store_lease", default=None)


def _handle(path: Path | None = None) -> _StoreHandle:
    key = os.path.abspath(path or store_path())
    with _HANDLES_LOCK:
        handle = _HANDLES.get(key)
        if handle is None:
            handle = _HANDLES[key] = _StoreHandle(key)
    return handle


def _trim_handles() -> None:
    with _HANDLES_LOCK:
        handles = sorted(_HANDLES.values(), key=lambda h: h.last_used)
    for handle in handles[:-MAX_OPEN_STORES] if len(handles) > MAX_OPEN_STORES else []:
        if handle.close_if_idle():
            with _HANDLES_LOCK:
                _HANDLES.pop(handle.path, None)


@atexit.register
def _close_all() -> None:
    """Close every open store at exit (DuckDB instances torn down by the interpreter complain)."""
    with _HANDLES_LOCK:
        handles = list(_HANDLES.values())
    for handle in handles:
        with handle.cond:
            for gen in [handle.current, *handle.retired]:
                if gen is not None:
                    gen.close()
            handle.current, handle.retired = None, []


def _lease() -> _Lease:
    handle = _handle()
    try:
        return handle.lease(block=False)
    except _MustWait:
        with st.spinner("The data is being updated: this page continues as soon as the new data is ready…"):
            return handle.lease(block=True)


@contextmanager
def cursor():
    """A read-only cursor on the current store, held open (not swapped away) until the block ends."""
    lease = _lease()
    try:
        cur = lease.cursor()
        try:
            yield cur
        except duckdb.Error as exc:
            lease.check_error(exc)
            raise
    finally:
        lease.release()


class _LeasedCursor:
    """A cursor that releases its lease when closed (for code written against ``connection().cursor()``)."""

    def __init__(self, lease: _Lease):
        self._lease = lease
        self._cur = lease.cursor()

    def __getattr__(self, name):
        return getattr(self._cur, name)

    def close(self) -> None:
        self._lease.release()

    def __del__(self):
        self._lease.release()


class _Connection:
    def cursor(self) -> _LeasedCursor:
        return _LeasedCursor(_lease())


def connection() -> _Connection:
    """The current store: ``connection().cursor()`` gives a read-only cursor (close it when done).

    Prefer :func:`cursor` (a context manager). Raises :class:`StoreMissing` / :class:`StoreDamaged`.
    """
    lease = _lease()  # raises now when the store cannot be used
    lease.release()
    return _Connection()


def store_version() -> str:
    """The current generation's cache key: changes with every rebuild or update of the store."""
    if not store_path().is_file():
        return "missing"
    lease = _lease()
    try:
        return lease.key
    finally:
        lease.release()


def _freeze(value):
    if isinstance(value, (list, tuple)):
        return ("__list__", tuple(_freeze(v) for v in value))
    return value


def _thaw(value):
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "__list__":
        return [_thaw(v) for v in value[1]]
    return value


def _run(name: str, frozen: tuple) -> pd.DataFrame:
    """Run on the lease :func:`query` took (so the cache key and the data are the same generation)."""
    lease = _CURRENT_LEASE.get()
    own = lease is None
    if own:
        lease = _lease()
    try:
        cur = lease.cursor()
        try:
            return queries.run_df(cur, name, **{k: _thaw(v) for k, v in frozen})
        except duckdb.Error as exc:
            lease.check_error(exc)
            raise
        finally:
            cur.close()
    finally:
        if own:
            lease.release()


# Query results are cached as shared objects (st.cache_resource), not pickled copies (st.cache_data):
# query() hands every caller its own .copy(), so the cached frame is never changed, and a warm run no
# longer unpickles every frame it reads (bench/load.py: part of the server's CPU per run).
@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=CACHE_MAX_ENTRIES, show_spinner=False)
def _cached_query(name: str, frozen: tuple, version: str) -> pd.DataFrame:
    if name.startswith((RESTRICTED_PREFIX, _BUILD_PREFIX)):  # defence in depth: only query() may ask
        raise PartnerAccessRefused(f"query {name!r} is not a public query")
    return _run(name, frozen)


@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=256, show_spinner=False)
def _cached_restricted_query(name: str, frozen: tuple, version: str) -> pd.DataFrame:
    if not name.startswith(RESTRICTED_PREFIX):
        raise PartnerAccessRefused(f"query {name!r} is not a restricted query")
    return _run(name, frozen)


def _exports() -> tuple[Path, Path]:
    from smp_data import uploads  # noqa: PLC0415

    return uploads.ensure_exports(settings.uploads_dir())


def uploads_version(paths: tuple[Path, ...] | None = None) -> str:
    """Changes whenever an upload rewrites the exports (busts cached partner queries)."""
    return "|".join(f"{p}:{p.stat().st_mtime_ns if p.is_file() else 'missing'}" for p in (paths or _exports()))


def query(name: str, **params) -> pd.DataFrame:
    """Run a named query with bound parameters (cached per store version).

    ``partner.*`` and ``restricted.*`` queries get their uploads export path bound here;
    ``restricted.*`` ones raise :class:`PartnerAccessRefused` outside a partner session.
    """
    bound_here = _BOUND_HERE & set(params)
    if bound_here:
        raise PartnerAccessRefused(f"parameter(s) {', '.join(sorted(bound_here))} are bound by dashboard.data only")
    if name.startswith(_BUILD_PREFIX):
        raise PartnerAccessRefused(f"{name!r} is a build step, not a dashboard query")
    restricted = name.startswith(RESTRICTED_PREFIX)
    if restricted:
        from dashboard.auth import current_partner  # noqa: PLC0415

        if current_partner() is None:
            raise PartnerAccessRefused("restricted partner data needs a signed-in partner session")
    lease = _lease()
    try:
        version = lease.key
        if restricted or name.startswith(PUBLIC_PARTNER_PREFIX):
            public_export, all_export = _exports()
            params = {**params, ("all_uploads" if restricted else "public_uploads"):
                      str(all_export if restricted else public_export)}
            version = f"{version}|{uploads_version((public_export, all_export))}"
        frozen = tuple(sorted((k, _freeze(v)) for k, v in params.items()))
        runner = _cached_restricted_query if restricted else _cached_query
        token = _CURRENT_LEASE.set(lease)
        try:
            df = runner(name, frozen, version).copy()
        finally:
            _CURRENT_LEASE.reset(token)
    finally:
        lease.release()
    if "month" in df.columns and pd.api.types.is_datetime64_any_dtype(df["month"]):
        df["month"] = df["month"].dt.date  # months are plain dates everywhere in the app
    return df


def months_param(months) -> list[dt.date]:
    """Months as a list of dates, the form every query's ``$months`` parameter takes."""
    return [m if isinstance(m, dt.date) else dt.date.fromisoformat(str(m)) for m in months]

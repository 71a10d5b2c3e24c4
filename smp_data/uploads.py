"""Partner uploads: a small DuckDB file of record outside the store, plus two Parquet exports.

The store (``smp.duckdb``) is rebuilt atomically and opened read-only by the dashboard, so
uploads made through the dashboard are never written into it. They go to an uploads folder
(setting ``uploads``, env ``SMP_UPLOADS``, default ``partner_uploads/`` at the repository root,
gitignored) holding:

* ``uploads.duckdb``: the system of record, table ``partner_uploads`` (the long columns +
  ``loaded_from, source_line, is_restricted, uploaded_by, uploaded_at, upload_id``), written by
  :func:`smp_data.partner.append_upload` through a short-lived read-write connection;
* ``public_uploads.parquet``: only the rows with ``is_restricted = false``, without who uploaded
  them (the public dashboard reads this file);
* ``all_uploads.parquet``: every row, with who and when (only ``queries/restricted/*.sql`` read it).

The folder is created owner-only (0700) and every file in it 0600 (:mod:`smp_data.private_files`).

Both exports are rewritten (atomically) after every upload. ``python -m smp_data build`` copies the
uploads DB rows into the store's ``partner_uploads`` table (:func:`copy_into_store`), so the
analyst contract view ``partner_indicators`` includes them and a full rebuild does not lose them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pyarrow.parquet as pq

import queries
from smp_data import partner, settings
from smp_data.private_files import FILE_MODE, private_dir, tighten

__all__ = [
    "UPLOADS_DB",
    "PUBLIC_EXPORT",
    "ALL_EXPORT",
    "PUBLIC_COLUMNS",
    "UploadResult",
    "uploads_db_path",
    "export_paths",
    "open_uploads_db",
    "upload_keys",
    "record_upload",
    "write_exports",
    "ensure_exports",
    "copy_into_store",
    "new_upload_id",
]

UPLOADS_DB = "uploads.duckdb"
PUBLIC_EXPORT = "public_uploads.parquet"
ALL_EXPORT = "all_uploads.parquet"

# the columns of the store's partner_indicators_public view, in its order, + when and which upload
VIEW_COLUMNS: tuple[str, ...] = (*partner.LONG_COLUMNS, "is_restricted", "loaded_from")
PUBLIC_COLUMNS: tuple[str, ...] = (*VIEW_COLUMNS, "upload_id", "uploaded_at")
ALL_COLUMNS: tuple[str, ...] = (*VIEW_COLUMNS, "source_line", "upload_id", "uploaded_by", "uploaded_at")

_WRITE_LOCK = threading.Lock()  # one writer per process; DuckDB's file lock covers other processes
_LOCK_RETRY_SECONDS = 10.0


@dataclass(frozen=True)
class UploadResult:
    upload_id: str
    rows: int
    uploaded_by: str
    uploaded_at: dt.datetime
    is_restricted: bool
    source_name: str


def _root(root: Path | None) -> Path:
    return Path(root) if root is not None else settings.uploads_dir()


def uploads_db_path(root: Path | None = None) -> Path:
    return _root(root) / UPLOADS_DB


def export_paths(root: Path | None = None) -> tuple[Path, Path]:
    """(public export, all-rows export) in the uploads folder."""
    r = _root(root)
    return r / PUBLIC_EXPORT, r / ALL_EXPORT


def _connect_retrying(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the uploads DB, waiting a little while another process holds its write lock."""
    deadline = time.monotonic() + _LOCK_RETRY_SECONDS
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextlib.contextmanager
def open_uploads_db(root: Path | None = None, *, create: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection to ``uploads.duckdb``, holding this process's write lock.

    The file is created (with the partner tables) when missing; with ``create=False`` a missing
    file gives an empty in-memory database with the same tables instead. Always read-write, so
    connections in one process never differ in configuration (DuckDB refuses that); another
    process holding the file's lock is waited for briefly.
    """
    path = uploads_db_path(root)
    with _WRITE_LOCK:
        if not create and not path.is_file():
            con = duckdb.connect()
        else:
            private_dir(path.parent)  # restricted rows and uploader names: owner-only folder and files
            old_umask = os.umask(0o077)  # DuckDB creates the file (and its .wal) with the process umask
            try:
                con = _connect_retrying(path, read_only=False)
            finally:
                os.umask(old_umask)
            tighten(path, FILE_MODE)
        try:
            queries.run_script(con, "build.create_partner_tables")
            yield con
        finally:
            con.close()


def upload_keys(root: Path | None = None) -> dict:
    """Every row key already uploaded -> where it came from (for ``validate_partner_csv``)."""
    with open_uploads_db(root, create=False) as con:
        return partner.existing_keys(con)


def new_upload_id(validation: partner.PartnerValidation, when: dt.datetime) -> str:
    """A readable, unique upload id: UTC time, the file's hash prefix and a random suffix."""
    return f"{when:%Y%m%dT%H%M%SZ}-{validation.sha256[:8]}-{secrets.token_hex(3)}"


def _atomic_parquet(table, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # created 0600
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _select(columns: tuple[str, ...], where: str) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    return f"select {cols} from partner_uploads {where} order by uploaded_at, upload_id, source_line"


def write_exports(con, root: Path | None = None) -> tuple[Path, Path]:
    """Rewrite both Parquet exports from the uploads DB connection ``con``."""
    public, everything = export_paths(root)
    private_dir(public.parent)
    _atomic_parquet(con.sql(_select(PUBLIC_COLUMNS, "where not is_restricted")).to_arrow_table(), public)
    _atomic_parquet(con.sql(_select(ALL_COLUMNS, "")).to_arrow_table(), everything)
    return public, everything


def ensure_exports(root: Path | None = None) -> tuple[Path, Path]:
    """The export paths, written first (from the uploads DB, or empty) when either is missing.

    Falls back to empty exports in a temporary folder if the uploads folder cannot be written,
    so the dashboard always has files with the right columns to read.
    """
    public, everything = export_paths(root)
    if public.is_file() and everything.is_file():
        return public, everything
    try:
        with open_uploads_db(root, create=False) as con:
            return write_exports(con, root)
    except OSError:
        fallback = private_dir(Path(tempfile.gettempdir()) / f"smp-empty-uploads-{os.getuid()}")
        con = duckdb.connect()
        try:
            queries.run_script(con, "build.create_partner_tables")
            return write_exports(con, fallback)
        finally:
            con.close()


def record_upload(
    validation: partner.PartnerValidation,
    uploaded_by: str,
    is_public: bool,
    root: Path | None = None,
    *,
    upload_id: str | None = None,
    uploaded_at: dt.datetime | None = None,
) -> UploadResult:
    """Append the accepted rows of ``validation`` to the uploads DB and rewrite both exports.

    ``is_public`` False (the default choice in the dashboard) stores the rows as restricted.
    Raises :class:`smp_data.partner.PartnerUploadError` (nothing written) for a key already
    uploaded, a reused upload id or an empty upload.
    """
    if validation.rows_loaded == 0:
        raise partner.PartnerUploadError(f"{validation.source_name}: no valid rows to load")
    when = uploaded_at or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    upload_id = upload_id or new_upload_id(validation, when)
    with open_uploads_db(root) as con:
        con.execute("begin transaction")
        try:
            n = partner.append_upload(con, validation, uploaded_by, is_public, upload_id, uploaded_at=when)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        write_exports(con, root)
    return UploadResult(upload_id, n, uploaded_by, when, not is_public, validation.source_name)


def copy_into_store(store_con, root: Path | None = None, progress: Callable[[str], None] = print) -> dict:
    """Replace the store's ``partner_uploads`` rows with those of the uploads DB (build step).

    The uploads DB is the system of record, so every build (full or ``--update``) carries the
    uploads into the new store. No uploads DB: the store's ``partner_uploads`` is left as it is.
    """
    path = uploads_db_path(root)
    queries.run_script(store_con, "build.create_partner_tables")
    if not path.is_file():
        progress(f"Partner uploads: none ({path} not found)")
        return {"uploads_db": str(path), "rows": None}
    src = _connect_retrying(path, read_only=True)
    try:
        present = src.execute(
            "select count(*) from information_schema.tables where table_name = 'partner_uploads'"
        ).fetchall()[0][0]
        rows = src.sql("select * from partner_uploads order by uploaded_at, upload_id, source_line") \
            .to_arrow_table() if present else None
    finally:
        src.close()
    store_con.execute("delete from partner_uploads")
    n = 0
    if rows is not None and rows.num_rows:
        store_con.register("_uploads_incoming", rows)
        try:
            cols = ", ".join(f'"{c}"' for c in rows.column_names)
            store_con.execute(f"insert into partner_uploads ({cols}) select {cols} from _uploads_incoming")
        finally:
            store_con.unregister("_uploads_incoming")
        n = rows.num_rows
    restricted = store_con.execute("select count(*) filter (where is_restricted) from partner_uploads").fetchall()[0][0]
    progress(f"Partner uploads: {n:,} row(s) copied from {path} ({restricted:,} restricted)")
    return {"uploads_db": str(path), "rows": n, "restricted": restricted}

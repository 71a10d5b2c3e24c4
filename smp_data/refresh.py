"""``python -m smp_data refresh``: bring the store up to date from the data.police.uk monthly archive.

Each archive (``https://data.police.uk/data/archive/YYYY-MM.zip``) holds the last 36 months of every
force's files. The refresh:

1. **finds** the newest published archive (this month's first, then earlier ones: 404 = not published
   yet), or takes ``--month``;
2. **downloads only the configured force's street files**: with HTTP Range requests, ``zipfile`` reads
   the archive's central directory and just those members through :class:`RemoteFile`; a server without
   Range support gets a whole-file download to ``<cache>/<YYYY-MM>.zip.part`` that a re-run resumes.
   Every request is retried with exponential back-off (``Retry-After`` honoured); a body cut short is
   resumed from the byte it stopped at. Members are checked: the expected
   ``YYYY-MM/YYYY-MM-<force>-street.csv`` names (one per month and force), their sizes and zip CRCs;
3. **stages** the archive's months into ``.NAME.staging-<pid>`` beside the store with the ordinary
   build (validated, classified and placed exactly as a build would), outside the store's lock;
4. **compares** every staged month with the store (rows added and removed by content, outcomes revised
   by Crime ID, rejects): unchanged months are left alone;
5. **replaces** the new and revised months in place, in one transaction (``store.open_for_update``):
   every table with ``month`` and ``force`` columns (``records``, ``records_maidstone``,
   ``source_files``) and every per-file table (``rejects``, ...) for those files, plus a change report
   per month in ``month_changes``. Months the archive no longer holds stay (the store is the long-term
   archive); a month that arrives with no rows never replaces data (a gap is never written over data).

Failures are :class:`RefreshError` with a one-line message; the store is unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import time
import zipfile
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import requests

import queries
from smp_data import store
from smp_data.police_api import _retry_after_seconds, backoff_delay
from smp_data.sources import STREET_FILE

__all__ = ["ARCHIVE_URL", "RefreshError", "NotPublished", "Http", "RemoteFile", "Archive", "MonthChange",
           "RefreshReport", "archive_url", "discover_latest", "open_archive", "extract_force_files",
           "compare_months", "apply_months", "refresh", "CONTENT_COLUMNS"]

ARCHIVE_URL = "https://data.police.uk/data/archive/"
DISCOVER_MONTHS_BACK = 18  # police.uk publishes about two months behind; allow for long outages
USER_AGENT = "smp-dashboard-refresh (+https://data.police.uk/data/archive/)"
BLOCK = 1 << 20  # bytes per Range request when reading the remote zip
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}

# police.uk's published fields: a row is the same row if these agree (line numbers shift, outcomes change)
CONTENT_COLUMNS = ("crime_id", "reported_by", "falls_within", "longitude", "latitude", "location",
                   "lsoa_code_published", "lsoa_name_published", "crime_type", "context")


class RefreshError(RuntimeError):
    """The refresh could not complete; one line naming the URL, member or file. The store is unchanged."""


class NotPublished(RefreshError):
    """The archive for a month is not published (HTTP 404)."""


class _NoRanges(Exception):
    """The server answered a Range request with the whole file (200)."""


# ------------------------------------------------------------------ HTTP


@dataclass
class Http:
    """requests with retries: exponential back-off (``retry_wait`` * 2**attempt, at most 60 s) on
    connection errors, timeouts, 408/425/429/5xx (``Retry-After`` honoured), and bodies cut short."""

    retries: int = 5
    retry_wait: float = 2.0
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)
    log: Callable[[str], None] = lambda _line: None
    requests_made: int = 0
    bytes_received: int = 0
    retried: int = 0

    def __post_init__(self):
        self.session.headers.setdefault("User-Agent", USER_AGENT)

    def _pause(self, attempt: int, url: str, why: str, retry_after: float | None = None) -> None:
        if attempt >= self.retries:
            raise RefreshError(f"{url}: {why} (gave up after {attempt + 1} attempts)")
        delay = retry_after if retry_after is not None else backoff_delay(attempt, self.retry_wait, 60.0)
        self.retried += 1
        self.log(f"  retrying in {delay:.1f} s: {url}: {why}")
        self.sleep(delay)

    def request(self, url: str, headers: dict | None = None) -> requests.Response:
        """A streamed GET answered with a final (non-retryable) status; the caller reads and closes it."""
        attempt = 0
        while True:
            try:
                self.requests_made += 1
                resp = self.session.get(url, headers=headers or {}, stream=True, timeout=self.timeout)
            except requests.RequestException as exc:
                self._pause(attempt, url, _why(exc))
                attempt += 1
                continue
            if resp.status_code in RETRYABLE:
                wait = _retry_after_seconds(resp.headers.get("Retry-After"))
                resp.close()
                self._pause(attempt, url, f"HTTP {resp.status_code}", None if wait is None else min(wait, 300.0))
                attempt += 1
                continue
            return resp

    def get_range(self, url: str, start: int, end: int) -> bytes:
        """Bytes ``start``..``end`` (inclusive) of ``url``; a body cut short is resumed where it stopped."""
        buf = bytearray()
        attempt = 0
        while start + len(buf) <= end:
            pos = start + len(buf)
            resp = self.request(url, {"Range": f"bytes={pos}-{end}"})
            try:
                if resp.status_code == 200:
                    raise _NoRanges()
                if resp.status_code != 206:
                    raise RefreshError(f"{url}: HTTP {resp.status_code} for bytes {pos}-{end}")
                got = _content_range(resp.headers.get("Content-Range"))
                if got is None or got[0] != pos:
                    raise RefreshError(f"{url}: the server answered bytes {resp.headers.get('Content-Range')} "
                                       f"for bytes {pos}-{end}")
                try:
                    for chunk in resp.iter_content(1 << 16):
                        buf += chunk
                        self.bytes_received += len(chunk)
                except (requests.RequestException, OSError) as exc:
                    self._pause(attempt, url, f"download cut short at byte {start + len(buf):,} ({_why(exc)})")
                    attempt += 1
            finally:
                resp.close()
        if len(buf) != end - start + 1:
            raise RefreshError(f"{url}: got {len(buf):,} bytes for a range of {end - start + 1:,}")
        return bytes(buf)

    def download(self, url: str, dest: Path, size: int | None) -> Path:
        """The whole file to ``dest`` through ``dest.part``; resumes a ``.part`` left by a cut-short run."""
        part = dest.with_name(dest.name + ".part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        attempt = 0
        while True:
            have = part.stat().st_size if part.exists() else 0
            if size is not None and have == size:
                break
            if size is not None and have > size:
                part.unlink()
                have = 0
            resp = self.request(url, {"Range": f"bytes={have}-"} if have else None)
            try:
                if resp.status_code == 404:
                    raise NotPublished(f"{url}: not published (HTTP 404)")
                if resp.status_code == 206 and (_content_range(resp.headers.get("Content-Range")) or (None,))[0] == have:
                    mode = "ab"
                elif resp.status_code == 200:
                    mode, have = "wb", 0  # no Range support: start again
                    size = _int(resp.headers.get("Content-Length")) or size
                else:
                    raise RefreshError(f"{url}: HTTP {resp.status_code}")
                try:
                    with open(part, mode) as out:
                        for chunk in resp.iter_content(1 << 16):
                            out.write(chunk)
                            self.bytes_received += len(chunk)
                except (requests.RequestException,) as exc:
                    self._pause(attempt, url, f"download cut short at byte {part.stat().st_size:,} ({_why(exc)})")
                    attempt += 1
                    continue
                except OSError as exc:
                    raise _disk_error(exc, part, "downloading the archive") from None
            finally:
                resp.close()
            if size is None:
                break
            if part.stat().st_size < size:
                self._pause(attempt, url, f"download cut short at byte {part.stat().st_size:,} of {size:,}")
                attempt += 1
        if size is not None and part.stat().st_size != size:
            raise RefreshError(f"{url}: downloaded {part.stat().st_size:,} bytes, expected {size:,}")
        os.replace(part, dest)
        return dest


def _disk_error(exc: BaseException, path: Path, what: str) -> RefreshError:
    """A failed write as a one-line RefreshError ('disk full while ...' when it is one)."""
    return RefreshError(str(store.describe_write_error(exc, path, what)))


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """``bytes 0-99/1234`` -> (0, 99, 1234).

    >>> _content_range("bytes 0-99/1234"), _content_range("bytes 5-9/*"), _content_range(None)
    ((0, 99, 1234), (5, 9, None), None)
    """
    if not value or not value.startswith("bytes "):
        return None
    try:
        span, total = value[6:].split("/")
        a, b = span.split("-")
        return int(a), int(b), None if total == "*" else int(total)
    except ValueError:
        return None


class RemoteFile(io.RawIOBase):
    """A read-only, seekable file over HTTP Range requests (blocks of :data:`BLOCK` bytes, a few cached),
    so ``zipfile`` reads only the central directory and the members asked for."""

    def __init__(self, http: Http, url: str, size: int, block: int = BLOCK, cache_blocks: int = 8):
        super().__init__()
        self.http, self.url, self.size, self.block = http, url, size, block
        self._pos = 0
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._cache_blocks = cache_blocks

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(base + offset, 0)
        return self._pos

    def _get_block(self, index: int) -> bytes:
        data = self._blocks.get(index)
        if data is None:
            start = index * self.block
            data = self.http.get_range(self.url, start, min(start + self.block, self.size) - 1)
            self._blocks[index] = data
            while len(self._blocks) > self._cache_blocks:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(index)
        return data

    def readinto(self, b) -> int:
        if self._pos >= self.size:
            return 0
        n = min(len(b), self.size - self._pos)
        view = memoryview(b)
        done = 0
        while done < n:
            index, offset = divmod(self._pos + done, self.block)
            data = self._get_block(index)[offset: offset + n - done]
            view[done: done + len(data)] = data
            done += len(data)
        self._pos += done
        return done


# ------------------------------------------------------------------ the archive


def archive_url(base: str, month: str) -> str:
    """The archive zip of ``month`` under ``base``.

    >>> archive_url("https://data.police.uk/data/archive", "2025-12")
    'https://data.police.uk/data/archive/2025-12.zip'
    """
    return f"{base.rstrip('/')}/{month}.zip"


def _month_back(month: str, n: int) -> str:
    """The month ``n`` months before ``month``.

    >>> _month_back("2025-02", 3)
    '2024-11'
    """
    y, m = map(int, month.split("-"))
    k = y * 12 + (m - 1) - n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


@dataclass
class Archive:
    month: str  # 'YYYY-MM' of the archive (its newest month)
    url: str
    size: int | None
    ranges: bool  # the server answers Range requests


def probe(http: Http, url: str, month: str) -> Archive:
    """Is ``url`` published, how big is it, does the server answer Range requests? (one 1-byte GET)"""
    resp = http.request(url, {"Range": "bytes=0-0"})
    try:
        if resp.status_code == 404:
            raise NotPublished(f"{url}: not published yet (HTTP 404)")
        if resp.status_code == 206:
            cr = _content_range(resp.headers.get("Content-Range"))
            return Archive(month, url, cr[2] if cr else None, ranges=bool(cr and cr[2]))
        if resp.status_code == 200:
            return Archive(month, url, _int(resp.headers.get("Content-Length")), ranges=False)
        raise RefreshError(f"{url}: HTTP {resp.status_code}")
    finally:
        resp.close()


def discover_latest(http: Http, base: str, today: dt.date | None = None,
                    months_back: int = DISCOVER_MONTHS_BACK) -> Archive:
    """The newest published archive: this month's, else the month before, ... (404 = not yet)."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    first = f"{today:%Y-%m}"
    for n in range(months_back + 1):
        month = _month_back(first, n)
        try:
            return probe(http, archive_url(base, month), month)
        except NotPublished:
            continue
    raise RefreshError(f"no archive published at {base} for {_month_back(first, months_back)} .. {first}")


def open_archive(http: Http, archive: Archive, cache: Path, log: Callable[[str], None],
                 whole: bool = False) -> zipfile.ZipFile:
    """The archive as a ZipFile: remote (Range requests) when possible and not ``whole``, else
    downloaded to ``<cache>/<YYYY-MM>.zip`` (through a ``.part`` file a re-run resumes)."""
    try:
        if archive.ranges and archive.size and not whole:
            try:
                return zipfile.ZipFile(RemoteFile(http, archive.url, archive.size))
            except _NoRanges:
                log("  the server ignored a Range request: downloading the whole archive")
        local = http.download(archive.url, cache / f"{archive.month}.zip", archive.size)
        return zipfile.ZipFile(local)
    except _NoRanges:
        raise RefreshError(f"{archive.url}: the server stopped answering Range requests") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        raise RefreshError(f"{archive.url}: not a readable zip archive ({_why(exc)})") from None


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            crc = zlib.crc32(chunk, crc)
    return crc


@dataclass
class Extracted:
    folder: Path  # archive layout: YYYY-MM/YYYY-MM-<force>-street.csv
    files: list[tuple[str, str, Path]]  # (month, force, path)
    reused: int = 0  # members already extracted by an earlier (interrupted) run
    missing_latest: list[str] = field(default_factory=list)  # forces with no file for the archive's month


def extract_force_files(zf: zipfile.ZipFile, archive: Archive, forces: tuple[str, ...], folder: Path,
                        log: Callable[[str], None]) -> Extracted:
    """Extract the street files of ``forces`` (every month) into ``folder``; check names, sizes, CRCs."""
    name = archive.url.rsplit("/", 1)[-1]
    wanted: dict[tuple[str, str], zipfile.ZipInfo] = {}
    seen_forces: set[str] = set()
    for info in zf.infolist():
        m = STREET_FILE.search(info.filename.replace("\\", "/"))
        if not m or info.is_dir():
            continue
        folder_month, month, force = m.groups()
        seen_forces.add(force)
        if "all" not in forces and force not in forces:
            continue
        if folder_month != month:
            raise RefreshError(f"{name}: member {info.filename} is in the folder of another month")
        if (month, force) in wanted:
            raise RefreshError(f"{name}: two members for {month} {force}: {wanted[(month, force)].filename} "
                               f"and {info.filename}")
        wanted[(month, force)] = info
    for force in forces:
        if force != "all" and not any(f == force for _, f in wanted):
            known = ", ".join(sorted(seen_forces)[:12]) or "none"
            raise RefreshError(f"{name}: no street files for force {force!r} (forces in it: {known}...)")
    out = Extracted(folder, [])
    out.missing_latest = sorted({f for _, f in wanted} - {f for (m, f) in wanted if m == archive.month})
    for (month, force), info in sorted(wanted.items()):
        dest = folder / month / f"{month}-{force}-street.csv"
        if dest.exists() and dest.stat().st_size == info.file_size and _crc32(dest) == info.CRC:
            out.files.append((month, force, dest))
            out.reused += 1
            continue
        part = dest.with_name(dest.name + ".part")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(part, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)  # zipfile checks the CRC and size at the end
            if part.stat().st_size != info.file_size:
                raise zipfile.BadZipFile(f"{part.stat().st_size:,} bytes instead of {info.file_size:,}")
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            part.unlink(missing_ok=True)
            raise RefreshError(f"{name}: member {info.filename} is corrupt ({_why(exc)})") from None
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise _disk_error(exc, dest, "extracting the archive") from None
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        os.replace(part, dest)
        out.files.append((month, force, dest))
        log(f"  {info.filename}: {info.file_size:,} bytes (CRC {info.CRC:08x} checked)")
    return out


# ------------------------------------------------------------------ compare and apply


@dataclass
class MonthChange:
    month: str  # 'YYYY-MM'
    force: str
    change: str  # 'new' | 'revised' | 'unchanged' | 'empty'
    rows_before: int | None
    rows_after: int
    rows_added: int
    rows_removed: int
    outcomes_revised: int
    rejected_before: int | None
    rejected_after: int

    def line(self) -> str:
        if self.change == "new":
            return f"  {self.month} {self.force}: new month, {self.rows_after:,} rows"
        if self.change == "revised":
            return (f"  {self.month} {self.force}: revised: {self.rows_before:,} -> {self.rows_after:,} rows "
                    f"(+{self.rows_added:,} added, -{self.rows_removed:,} removed, "
                    f"{self.outcomes_revised:,} outcomes revised; rejected {self.rejected_before} -> "
                    f"{self.rejected_after})")
        if self.change == "empty":
            kept = f"the store's {self.rows_before:,} rows" if self.rows_before else "a gap"
            return f"  {self.month} {self.force}: arrived with no rows: it stays {kept}"
        return f"  {self.month} {self.force}: unchanged"


def _cols(con, catalog: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = ? and schema_name = 'main' "
        "and table_name = ? order by column_index", [catalog, table]).fetchall()]


def compare_months(db_path: Path, staging: Path) -> tuple[list[MonthChange], str | None]:
    """Every staged (month, force) against the store; returns the changes and the store's version id."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach {_lit(db_path)} as cur (read_only)")
        con.execute(f"attach {_lit(staging)} as stg (read_only)")
        version = con.execute("select value from cur.main.build_metadata where key = ?",
                              [store.VERSION_KEY]).fetchone()
        common = [c for c in CONTENT_COLUMNS if c in _cols(con, "cur", "records") and c in _cols(con, "stg", "records")]
        content = ", ".join(common)
        full = content + ", last_outcome"
        staged = "(select month, force from stg.main.source_files)"
        sql = f"""
        with s as (select month, force, sum(rows_loaded)::bigint as rows, sum(rows_rejected)::bigint as rejected
                   from stg.main.source_files group by all),
        o as (select month, force, sum(rows_loaded)::bigint as rows, sum(rows_rejected)::bigint as rejected
              from cur.main.source_files group by all),
        old_rows as (select month, force, {full} from cur.main.records where (month, force) in {staged}),
        new_rows as (select month, force, {full} from stg.main.records),
        added as (select month, force, count(*) as n from
                  (select month, force, {content} from new_rows except all select month, force, {content} from old_rows)
                  group by all),
        removed as (select month, force, count(*) as n from
                    (select month, force, {content} from old_rows except all select month, force, {content} from new_rows)
                    group by all),
        changed_any as (select month, force, count(*) as n from
                        ((select * from new_rows except all select * from old_rows)
                         union all (select * from old_rows except all select * from new_rows)) group by all),
        old_ids as (select month, force, crime_id, any_value(last_outcome) as outcome from old_rows
                    where coalesce(crime_id, '') <> '' group by all having count(*) = 1),
        new_ids as (select month, force, crime_id, any_value(last_outcome) as outcome from new_rows
                    where coalesce(crime_id, '') <> '' group by all having count(*) = 1),
        outcomes as (select month, force, count(*) as n from old_ids join new_ids using (month, force, crime_id)
                     where old_ids.outcome is distinct from new_ids.outcome group by all)
        select strftime(s.month, '%Y-%m'), s.force, o.rows, s.rows, coalesce(added.n, 0), coalesce(removed.n, 0),
               coalesce(outcomes.n, 0), coalesce(changed_any.n, 0), o.rejected, s.rejected
        from s
        left join o using (month, force)
        left join added using (month, force)
        left join removed using (month, force)
        left join outcomes using (month, force)
        left join changed_any using (month, force)
        order by s.force, s.month
        """
        changes = []
        for month, force, before, after, add, rem, outc, any_diff, rej_b, rej_a in con.execute(sql).fetchall():
            if after == 0:
                kind = "empty"
            elif before is None:
                kind = "new"
            elif any_diff or before != after or rej_b != rej_a:
                kind = "revised"
            else:
                kind = "unchanged"
            changes.append(MonthChange(month, force, kind, before, after, add if before is not None else after,
                                       rem, outc, rej_b, rej_a))
        return changes, version[0] if version else None
    finally:
        con.close()


def _lit(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _tables_with(con, catalog: str, *columns: str, without: tuple[str, ...] = ()) -> list[str]:
    rows = con.execute(
        "select table_name, list(column_name) from duckdb_columns() where database_name = ? and "
        "schema_name = 'main' and table_name in (select table_name from duckdb_tables() where database_name = ?)"
        " group by table_name order by table_name", [catalog, catalog]).fetchall()
    return [t for t, cols in rows if all(c in cols for c in columns) and not any(c in cols for c in without)]


def apply_months(db_path: Path, staging: Path, changes: list[MonthChange], archive_label: str,
                 expected_version: str | None, *, wait: float = store.DEFAULT_UPDATE_WAIT_SECONDS) -> int:
    """Replace the new and revised months in place (one transaction); returns the rows now in the store."""
    apply = [c for c in changes if c.change in ("new", "revised")]
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    with store.open_for_update(db_path, timeout=wait) as con:
        found = con.execute("select value from build_metadata where key = ?", [store.VERSION_KEY]).fetchone()
        if (found[0] if found else None) != expected_version:
            raise RefreshError(f"{db_path} was rebuilt or updated while the refresh ran; run the refresh again")
        con.execute(f"attach {_lit(staging)} as stg (read_only)")
        con.execute("create temp table _months (month date, force varchar)")
        con.executemany("insert into _months values (?::date, ?)", [(f"{c.month}-01", c.force) for c in apply])
        db = con.execute("select current_database()").fetchone()[0]
        here = f'"{db}".main'
        month_tables = [t for t in _tables_with(con, "stg", "month", "force")
                        if t in _tables_with(con, db, "month", "force")]
        file_tables = [t for t in _tables_with(con, "stg", "source_file", without=("month",))
                       if t in _tables_with(con, db, "source_file", without=("month",))]
        from smp_data.build import replace_staged_rows  # noqa: PLC0415  (the build's imports are heavy)

        # rejects (and other per-file tables) first, while source_files is the old one; then records,
        # records_maidstone, source_files
        replace_staged_rows(
            con, db, file_tables=file_tables, month_tables=month_tables,
            files_sql=f"select source_file from {here}.source_files where (month, force) in (select * from _months) "
                      "union select source_file from stg.main.source_files where (month, force) in (select * from _months)")
        queries.run_script(con, "build.create_month_changes")
        con.executemany(
            "insert into month_changes values (?, ?, ?::date, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(now, archive_label, f"{c.month}-01", c.force, c.change, c.rows_before, c.rows_after, c.rows_added,
              c.rows_removed, c.outcomes_revised, c.rejected_before, c.rejected_after) for c in apply])
        rows, maidstone, first, last = con.execute(
            "select count(*), count(*) filter (where district = 'Maidstone'), min(month), max(month) "
            "from records").fetchone()
        rejected = con.execute("select count(*) from rejects").fetchone()[0]
        summary = (f"{sum(c.change == 'new' for c in apply)} new, {sum(c.change == 'revised' for c in apply)} "
                   f"revised, {sum(c.change == 'unchanged' for c in changes)} unchanged month(s)")
        meta = {"rows_records": rows, "rows_maidstone": maidstone, "rows_rejected": rejected,
                "first_month": first, "last_month": last, "refreshed_at_utc": now.isoformat() + "+00:00",
                "refresh_archive": archive_label, "refresh_summary": summary}
        con.executemany("insert or replace into build_metadata (key, value) values (?, ?)",
                        [(k, str(v)) for k, v in meta.items()])
    return rows


# ------------------------------------------------------------------ the whole refresh


@dataclass
class RefreshReport:
    archive: Archive | None = None
    changes: list[MonthChange] = field(default_factory=list)
    kept_months: int = 0  # months in the store the archive does not hold (kept)
    applied: bool = False
    rows: int | None = None
    seconds: float = 0.0
    bytes_downloaded: int = 0
    requests: int = 0
    unchanged_since: str | None = None  # the archive and the store are as the last run left them

    def count(self, kind: str) -> int:
        return sum(c.change == kind for c in self.changes)

    def summary(self, db_path: Path, dry_run: bool) -> str:
        name = self.archive.url.rsplit("/", 1)[-1] if self.archive else "?"
        what = (f"{self.count('new')} new, {self.count('revised')} revised, {self.count('unchanged')} unchanged"
                f"{', ' + str(self.count('empty')) + ' empty (kept)' if self.count('empty') else ''}; "
                f"{self.kept_months} month(s) not in this archive kept")
        if self.unchanged_since:
            return (f"{db_path} is up to date: {name} is unchanged since the refresh of {self.unchanged_since} "
                    f"({self.requests} request(s), {self.seconds:.1f} s)")
        if dry_run:
            verb = "Dry run (store not changed)"
        elif self.applied:
            verb = f"Refreshed {db_path}"
        else:
            verb = f"{db_path} is up to date"
        return (f"{verb} from {name}: {what} ({self.bytes_downloaded / 1e6:,.1f} MB downloaded in "
                f"{self.requests} request(s), {self.seconds:.1f} s)")


def _parse_forces(force: str) -> tuple[str, ...]:
    """The force slugs of a comma list.

    >>> _parse_forces("kent"), _parse_forces(" Kent, btp ")
    (('kent',), ('kent', 'btp'))
    """
    forces = tuple(f.strip().lower() for f in force.split(",") if f.strip())
    if not forces:
        raise RefreshError("no force given (e.g. --force kent)")
    return forces


def refresh(db_path: Path, boundaries_root: Path, *, force: str = "kent", month: str | None = None,
            base_url: str = ARCHIVE_URL, cache: Path | None = None, dry_run: bool = False,
            http: Http | None = None, wait: float = store.DEFAULT_UPDATE_WAIT_SECONDS,
            progress: Callable[[str], None] = print, today: dt.date | None = None,
            download: str = "members") -> RefreshReport:
    """Bring ``db_path`` up to date from the police.uk archive (see the module docstring)."""
    from smp_data.build import STORE_SCHEMA_VERSION, BuildError, build_store  # noqa: PLC0415

    started = time.perf_counter()
    db_path = Path(db_path)
    forces = _parse_forces(force)
    report = RefreshReport()
    if not db_path.is_file():
        raise RefreshError(f"store not found: {db_path} (build it first: python -m smp_data build)")
    health = store.check_integrity(db_path)
    if not health.ok:
        raise RefreshError(f"the data store is damaged: {health.reason}; rebuild it with: python -m smp_data build")
    if health.store_schema != STORE_SCHEMA_VERSION:
        raise RefreshError(f"{db_path} was built by an older version of this project (store schema "
                           f"{health.store_schema}, this code needs {STORE_SCHEMA_VERSION}): rebuild it first")
    cache = Path(cache) if cache else db_path.parent / "police_uk_cache"
    http = http or Http(log=progress)
    try:
        archive = probe(http, archive_url(base_url, month), month) if month else discover_latest(http, base_url, today)
    except NotPublished as exc:
        raise NotPublished(f"{exc} (police.uk publishes a month's archive in the middle of the month after next)") from None
    report.archive = archive
    progress(f"Archive {archive.url} ({'unknown size' if archive.size is None else f'{archive.size / 1e6:,.1f} MB'}"
             f", {'Range requests' if archive.ranges else 'whole-file download'})")
    checked = _Checked(cache, forces)
    if not dry_run and checked.same(archive, health.version):
        report.unchanged_since = checked.when
        report.bytes_downloaded, report.requests = http.bytes_received, http.requests_made
        report.seconds = time.perf_counter() - started
        return report
    if download not in ("members", "whole"):
        raise RefreshError(f"download must be 'members' or 'whole', not {download!r}")
    zf = open_archive(http, archive, cache, progress, whole=download == "whole")
    try:
        folder = cache / archive.month
        extracted = extract_force_files(zf, archive, forces, folder, progress)
    finally:
        zf.close()
    for f in extracted.missing_latest:
        progress(f"  note: the archive has no {archive.month} file for {f} (that month stays a gap for now)")
    progress(f"  {len(extracted.files)} street file(s) for {', '.join(forces)}"
             f"{f' ({extracted.reused} already extracted by an earlier run)' if extracted.reused else ''}")
    staging = store.staging_path(db_path)
    try:
        try:
            build_store(str(folder), staging, Path(boundaries_root), force=",".join(forces) if len(forces) > 1 else forces[0],
                        partner_root=None, uploads_root=None, postcodes_root=None,
                        progress=lambda line: None)
        except BuildError as exc:
            raise RefreshError(f"staging the archive's months failed: {exc}") from None
        changes, version = compare_months(db_path, staging)
        report.changes = changes
        archive_months = {(c.month, c.force) for c in changes}
        con = store.read_only_connection(db_path)
        try:
            stored = con.execute("select strftime(month, '%Y-%m'), force from source_files group by all").fetchall()
        finally:
            con.close()
        report.kept_months = sum(1 for m, f in stored if (m, f) not in archive_months and f in forces)
        for c in changes:
            if c.change != "unchanged":
                progress(c.line())
        if not dry_run and any(c.change in ("new", "revised") for c in changes):
            report.rows = apply_months(db_path, staging, changes, archive.url, version, wait=wait)
            report.applied = True
    except store.StoreError as exc:
        raise RefreshError(str(exc)) from None
    except duckdb.Error as exc:
        raise RefreshError(str(store.describe_write_error(exc, staging, "comparing the archive with the store"))) from None
    finally:
        _remove_staging(staging)
    if report.applied or not any(c.change in ("new", "revised") for c in changes):
        _prune_cache(cache, keep=archive.month)
    if not dry_run:
        checked.save(archive, store.check_integrity(db_path).version if report.applied else health.version)
    report.bytes_downloaded, report.requests = http.bytes_received, http.requests_made
    report.seconds = time.perf_counter() - started
    return report


class _Checked:
    """``<cache>/last_refresh.json``: the archive (month, size) and store version the last run ended with,
    so a daily run does not fetch and stage 36 months again when neither has changed."""

    def __init__(self, cache: Path, forces: tuple[str, ...]):
        self.path, self.forces, self.when = cache / "last_refresh.json", list(forces), None

    def same(self, archive: Archive, version: str | None) -> bool:
        import json  # noqa: PLC0415

        try:
            last = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        self.when = last.get("at")
        return (archive.size is not None and version is not None and last.get("archive") == archive.month
                and last.get("size") == archive.size and last.get("store_version") == version
                and last.get("forces") == self.forces)

    def save(self, archive: Archive, version: str | None) -> None:
        import json  # noqa: PLC0415

        at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"archive": archive.month, "url": archive.url, "size": archive.size,
                                             "store_version": version,
                                             "forces": self.forces, "at": at}), encoding="utf-8")
        except OSError:
            pass  # only an optimisation: the next run compares everything again


def _remove_staging(staging: Path) -> None:
    """The staging file and whatever its build left (``.wal``, a spill folder, a build temp file)."""
    for p in staging.parent.glob(f"*{staging.name}*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _prune_cache(cache: Path, keep: str) -> None:
    """Keep only the latest archive's extracted files (and no whole-archive download) in the cache."""
    if not cache.is_dir():
        return
    for p in cache.iterdir():
        if p.name == keep:
            continue
        if p.is_dir() and len(p.name) == 7 and p.name[4] == "-":
            shutil.rmtree(p, ignore_errors=True)
        elif p.suffix == ".zip" and p.name.endswith(".zip"):
            p.unlink(missing_ok=True)
    (cache / f"{keep}.zip").unlink(missing_ok=True)

"""Set-based reading, validation and placement of police.uk street files in DuckDB.

A batch of street files (whole months, any forces) is read by DuckDB's ``read_csv`` and written to
``records`` by one INSERT ... SELECT; Python handles only the few rows SQL does not decide.

* **Files for DuckDB's CSV reader** (checked while streaming the file once, :func:`scan_file`: every
  byte printable ASCII, CR or LF, or part of valid UTF-8 text; quotes only around whole fields, ``""``
  inside, never across a line, so DuckDB splits every line as the ``csv`` module would) are read with 12
  explicit VARCHAR columns, strictly (a wrong field count is an error). Their rows are the file's lines
  one for one (checked: rows = lines - 1, so no blank or multi-line record slipped in), which gives every
  row its line number. A row holding non-ASCII text goes to Python (``str.strip()`` trims Unicode
  spaces that SQL would keep).
* **Other files** (control characters, text that is not UTF-8, other quoting, blank lines, odd line
  breaks) are read one row per *physical* line, as a single VARCHAR column (no quoting; ``latin-1``, so
  any byte sequence reads and maps one to one back to the file's bytes). The common line (ASCII, no
  quote or control character, not long) is split on commas in SQL; every other line is decoded in Python as
  UTF-8, or as Windows-1252 when it is not valid UTF-8 (reported per line; a line that is neither
  refuses the file, naming the line) and parsed by the ``csv`` module on its own: a quoted field cannot
  run into the next line, so an unclosed quote rejects that line only and the next lines are read as
  lines of their own. A file DuckDB cannot split into lines (mixed or lone-CR line breaks, a line
  longer than its buffer) is streamed by :func:`python_lines`, memory bounded per line: a line longer
  than ``MAX_LINE_BYTES`` is rejected without being held in memory.

Validation and classification run in SQL (``queries/build/ingest.sql``) with the rules of
:func:`smp_data.ingest.validate_row`; a row SQL does not accept (a reject, or an unusual but valid value
such as ``+0.5``) goes to ``validate_row`` itself, which decides it and words the reject reason, so
rejects keep the reasons of the row-at-a-time build (``tests/test_build_compare.py`` compares the two
builds row for row). Placement is in bulk: the rows that may be in Maidstone (or have no LSOA name) are
placed by :meth:`smp_data.enrich.GeoContext.place` (vectorised point in polygon) before the insert.

Nothing is dropped: every non-blank line after the header is loaded or rejected, each reject with its
file, line, reason and raw text, so rows read = loaded + rejected per file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import duckdb
import pyarrow as pa

import queries
from smp_data.districts import MAIDSTONE, district_from_lsoa_name
from smp_data.ingest import validate_row
from smp_data.sources import POLICE_UK_COLUMNS, SourceError, check_header

__all__ = ["MAX_LINE_BYTES", "FAST_LINE_CHARS", "FileRead", "BatchReader", "python_lines"]

MAX_LINE_BYTES = 1 << 20  # a police.uk row is < 1 kB; a longer line is rejected unread
FAST_LINE_CHARS = 4096  # longer lines go to the Python path (the csv module's field limit applies there)
_DUCKDB_MAX_LINE = 2 * MAX_LINE_BYTES  # DuckDB's buffer for one line; longer -> Python streaming reader
_BOM_LATIN1 = codecs.BOM_UTF8.decode("latin-1")
_BREAK = re.compile(rb"\r\n|\r|\n")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_SENTINEL = "\x00end-of-line\x00\n"
RAW_HEAD_CHARS = 200  # raw text kept for a line too long to read



@dataclass
class FileRead:
    """What reading one file gave: counts for the reconciliation, its rejects and notes."""

    file_id: int
    source_file: str
    month: str
    force: str
    reader: str = "csv"  # 'csv' (DuckDB's CSV reader, 12 columns) | 'lines' (line by line) | 'python' (streamed) | 'rows' (API)
    rows_read: int = 0
    rows_loaded: int = 0
    rejects: list[tuple[str, int, str, str]] = field(default_factory=list)  # file, line, reason, raw
    notes: list[tuple[str, int | None, str]] = field(default_factory=list)  # file, line, note
    too_long: list[tuple[int, int, str]] = field(default_factory=list)  # line, bytes, head

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)


# --------------------------------------------------------------------------- line splitting


def python_lines(fh, max_line: int = MAX_LINE_BYTES, chunk_size: int = 1 << 20
                 ) -> Iterator[tuple[int, bytes | None, int, bytes]]:
    r"""Stream a binary file as (line number, bytes without the line break, length in bytes, head).

    Line breaks are ``\r\n``, ``\r`` or ``\n`` (as Python's universal newlines). A line longer than
    ``max_line`` bytes is given as ``None`` plus its length and its first ``RAW_HEAD_CHARS * 4`` bytes
    (``head``), and is never held in memory whole.

    >>> [t[:3] for t in python_lines(io.BytesIO(b"h\r\na\rb\n\nc"), max_line=10, chunk_size=3)]
    [(1, b'h', 1), (2, b'a', 1), (3, b'b', 1), (4, b'', 0), (5, b'c', 1)]
    >>> [(n, b, k, h[:3]) for n, b, k, h in python_lines(io.BytesIO(b"h\n" + b"x" * 50 + b"\ny\n"), max_line=10, chunk_size=8)]
    [(1, b'h', 1, b''), (2, None, 50, b'xxx'), (3, b'y', 1, b'')]
    """
    keep = RAW_HEAD_CHARS * 4
    line_no, parts, length, head, carry_cr = 0, [], 0, b"", False

    def add(piece: bytes):
        nonlocal parts, length, head
        length += len(piece)
        if parts is None:
            return
        parts.append(piece)
        if length > max_line:  # too long: keep its head only, stop holding it
            head = b"".join(parts)[:keep]
            parts = None

    while True:
        chunk = fh.read(chunk_size)
        if not chunk:
            break
        if carry_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        carry_cr = False
        pos = 0
        for m in _BREAK.finditer(chunk):
            add(chunk[pos:m.start()])
            line_no += 1
            yield (line_no, None, length, head) if parts is None else (line_no, b"".join(parts), length, b"")
            parts, length, head = [], 0, b""
            pos = m.end()
            if m.group() == b"\r" and pos == len(chunk):
                carry_cr = True  # a \r\n may be split across two chunks
        add(chunk[pos:])
    if length:
        line_no += 1
        yield (line_no, None, length, head) if parts is None else (line_no, b"".join(parts), length, b"")


def _decode(raw: bytes) -> tuple[str, str | None]:
    """Decode one line: UTF-8, else Windows-1252 (with a note); raise UnicodeDecodeError if neither."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "not valid UTF-8: read as Windows-1252 (cp1252)"


def _split_line(text: str) -> tuple[list[str], bool]:
    """Fields of one line as the csv module reads them, and whether a quote is left open.

    >>> _split_line('a,"b, c",d')
    (['a', 'b, c', 'd'], False)
    >>> _split_line('a,"b,c')[1]
    True
    """
    reader = csv.reader(iter([text + "\n", _SENTINEL]), strict=False)
    try:
        fields = next(reader)
    except csv.Error as exc:
        return [f"<unparseable line: {exc}>"], False
    return fields, reader.line_num > 1


def _as_csv_line(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    return buf.getvalue()


# --------------------------------------------------------------------------- the batch reader

_PLAIN_BYTES = bytes(range(0x20, 0x7F)).replace(b'"', b"") + b"\r\n"
_COLUMNS = {f"c{i}": "VARCHAR" for i in range(len(POLICE_UK_COLUMNS))}
_RECORD_COLUMNS = (
    "month", "crime_id", "reported_by", "falls_within", "longitude", "latitude", "location",
    "lsoa_code_published", "lsoa_name_published", "crime_type", "crime_class", "last_outcome", "context",
    "source_file", "source_line", "force", "district", "lsoa21_code", "ward_2022_code", "ward_2024_code",
    "location_method",
)
_RECORD_TYPES = {"month": pa.date32(), "longitude": pa.float64(), "latitude": pa.float64(), "source_line": pa.int32()}


@dataclass
class _Scan:
    """What one streaming pass over a file found."""

    csv: bool  # DuckDB's CSV reader splits every line as the csv module would (see scan_file)
    lines: int  # physical lines (LF count, plus a last line without LF)
    header: bytes
    long_line: bool = False  # a line longer than DuckDB's buffer: the file is streamed by Python
    ascii: bool = True  # no byte above 0x7F (else valid UTF-8 text: its rows are checked for ASCII in SQL)


# a field as both DuckDB (quote and escape '"', strict) and the csv module read it the same way: unquoted
# without any quote, or quoted whole with "" for a quote inside and no line break; a line of such fields
_FIELD = rb'(?:"(?:[^"\r\n]|"")*"|[^",\r\n]*)'
_SIMPLE_QUOTES = re.compile(_FIELD + rb"(?:," + _FIELD + rb")*\r?")
_ODD_OK = b'"' + bytes(range(0x80, 0x100))  # bytes outside _PLAIN_BYTES a CSV-read file may hold


def _complete_lines_ok(text: bytes) -> tuple[bool, bool]:
    r"""Whether ``text`` (whole lines) can go to DuckDB's CSV reader, and whether it is ASCII: printable
    ASCII, CR and LF, plus quotes only in simply quoted fields (``_SIMPLE_QUOTES``) and non-ASCII bytes
    only as valid UTF-8 (what Python's decoder accepts; other text is read line by line).

    >>> _complete_lines_ok(b'a,"b, c",d\n"x ""y"" z",2\r\n'), _complete_lines_ok('Sŵn,1\n'.encode())
    ((True, True), (True, False))
    >>> [_complete_lines_ok(t)[0] for t in (b'a"b,c\n', b'"a"b,c\n', b'"a" ,c\n', b' "a",c\n', b'a\tb\n', b'\xff\n')]
    [False, False, False, False, False, False]
    """
    odd = text.translate(None, _PLAIN_BYTES)
    if not odd:
        return True, True
    if odd.translate(None, _ODD_OK):  # control characters
        return False, True
    ascii_ = odd.count(b'"') == len(odd)
    if not ascii_:
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            return False, False
    pos = text.find(b'"')
    while pos >= 0:
        start = text.rfind(b"\n", 0, pos) + 1
        end = text.find(b"\n", pos)
        end = len(text) if end < 0 else end
        if not _SIMPLE_QUOTES.fullmatch(text, start, end):
            return False, ascii_
        pos = text.find(b'"', end)
    return True, ascii_


def scan_file(path: Path, chunk_size: int = 1 << 20) -> _Scan:
    r"""One streaming pass (bounded memory): can DuckDB's CSV reader read the file (see
    :func:`_complete_lines_ok`), how many lines, its first line.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = Path(d) / "f.csv"
    >>> _ = p.write_bytes(b"a,b\r\n1,2\r\n3,4"); scan_file(p)
    _Scan(csv=True, lines=3, header=b'a,b', long_line=False, ascii=True)
    >>> _ = p.write_bytes(b'a,b\n"1",2\n'); scan_file(p).csv
    True
    >>> _ = p.write_bytes(b'a,b\n"1"x,2\n'); scan_file(p).csv
    False
    >>> _ = p.write_bytes(b'a,b\n"1, 2' + b"x" * 5 + b'",2\n'); [scan_file(p, chunk_size=k).csv for k in (3, 4, 64)]
    [True, True, True]
    """
    ok, ascii_, lines, header, tail, last, long_line = True, True, 0, None, b"", b"", False
    with Path(path).open("rb") as fh:
        first = first_chunk = True
        while True:
            chunk = fh.read(chunk_size)
            if not chunk:
                break
            if first:
                if chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[len(codecs.BOM_UTF8):]
                end = chunk.find(b"\n", 0, 1 << 16)
                header = (chunk[:end] if end >= 0 else chunk[: 1 << 16]).rstrip(b"\r")
                first = False
            n = chunk.count(b"\n")
            lines += n
            if not n and not first_chunk:  # a whole chunk inside one line: longer than chunk_size
                long_line = long_line or len(chunk) == chunk_size
            first_chunk = False
            if ok:  # check whole lines: a line's quotes or UTF-8 text may cross two chunks
                text = tail + chunk if tail else chunk
                cut = text.rfind(b"\n") + 1
                if cut:
                    ok, a = _complete_lines_ok(text[:cut] if cut < len(text) else text)
                    ascii_ = ascii_ and a
                tail = text[cut:]
                if len(tail) > _DUCKDB_MAX_LINE:
                    ok = False  # a line DuckDB would not hold: streamed by Python
            last = chunk[-1:]
    if ok and tail:
        ok, a = _complete_lines_ok(tail)
        ascii_ = ascii_ and a
    if last and last != b"\n":
        lines += 1
    return _Scan(ok, lines, header or b"", long_line, ascii_)


class BatchReader:
    """Reads, validates, places and writes a batch of street files (whole months, any forces) into
    ``records``, and keeps for each file its counts, rejects and notes (:class:`FileRead`).

    Usage: ``r = BatchReader(con, geo)``; ``r.read_files([(path, name, month, force), ...])`` or
    ``r.add_rows(...)`` (API rows); ``r.load()``; ``r.close()``. The connection needs the store tables
    ``records`` and ``crime_categories``.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, geo):
        self.con = con
        self.geo = geo
        self.files: dict[int, FileRead] = {}
        self._csv: set[int] = set()  # files read by DuckDB's CSV reader into _fields
        self._rows: dict[int, list] = {}
        self.stats: dict[int, dict] = {}  # per file: maidstone, kent (rows placed there), force_name
        self._latin1: set[int] = set()  # files whose lines hold latin-1 text (bytes 1:1)
        for ddl in (
            "create or replace temp table _files (file_id integer, source_file varchar, month varchar, force varchar, "
            "month_date date)",
            "create or replace temp table _fields (file_index bigint, "
            + ", ".join(f"{c} varchar" for c in _COLUMNS) + ")",
            "create or replace temp table _raw (file_index bigint, line varchar)",
            "create or replace temp table _starts (file_id integer, first_row bigint, csv_read boolean, ascii boolean)",
            "create or replace temp table _lines_py (file_id integer, line_no integer, line varchar)",
        ):
            con.execute(ddl)
        queries.run_script(con, "build.batch_views")
        con.execute("set enable_progress_bar = false")  # a long batch must not print a bar on the build's output

    # ---- input

    def _register(self, source_file: str, month: str, force: str, reader: str) -> FileRead:
        fid = len(self.files) + 1
        fr = FileRead(fid, source_file, month, force, reader)
        self.files[fid] = fr
        return fr

    def _insert_files(self, frs: list[FileRead]) -> None:
        """Record the files in ``_files`` with one statement (one per file cost a commit each)."""
        if frs:
            self.con.execute(
                "insert into _files values " + ", ".join(["(?, ?, ?, ?, ?)"] * len(frs)),
                [v for fr in frs for v in (fr.file_id, fr.source_file, fr.month, fr.force,
                                           _date(f"{fr.month}-01") if _MONTH.match(fr.month) else None)])

    def read_files(self, items: list[tuple[Path, str, str, str]], scans: list[_Scan] | None = None) -> list[FileRead]:
        """Read street CSVs (path, display name, month, force): the files DuckDB's CSV reader splits as
        the csv module would with one 12-column ``read_csv``, the others line by line (DuckDB, or Python
        where DuckDB cannot split them). ``scans``: :func:`scan_file` of each path, if already made (the
        build scans files in its extraction thread)."""
        if self.files:
            raise RuntimeError("read_files is called once per batch")
        frs, by_id, paths = [], {}, {}
        for k, (path, name, month, force) in enumerate(items):
            path = Path(path)
            try:
                size = path.stat().st_size
            except OSError as exc:
                raise SourceError(f"{name}: cannot open: {exc}") from None
            if size == 0:
                raise SourceError(f"{name}: the file is empty (no header row)")
            fr = self._register(name, month, force, "csv")
            frs.append(fr)
            by_id[fr.file_id] = scans[k] if scans is not None and scans[k] is not None else scan_file(path)
            paths[fr.file_id] = path
            self._check_header(fr, by_id[fr.file_id].header)
        self._insert_files(frs)
        streamed = [fid for fid in paths if by_id[fid].long_line]  # DuckDB would buffer the long line
        by_csv = [fid for fid in paths if by_id[fid].csv and by_id[fid].lines > 1 and fid not in streamed]
        self._csv = set(self._read_csv(by_csv, paths, by_id))
        for fid in paths:
            if fid not in self._csv:
                self.files[fid].reader = "lines"
        self._read_lines([fid for fid in paths if fid not in self._csv and fid not in streamed], paths)
        for fid in streamed:
            self.files[fid].reader = "python"
            self._latin1.add(fid)
            self._python_read(paths[fid], self.files[fid])
        return frs

    def _read_csv(self, fids: list[int], paths: dict, scans: dict) -> list[int]:
        """Read files with 12 columns; return those read (the others go line by line)."""
        if not fids:
            return []
        try:
            self._read_fields(fids, paths)
        except duckdb.Error:  # one file breaks the strict read: read them one by one
            self.con.execute("delete from _fields")
            good = []
            for fid in fids:
                try:
                    self._read_fields([fid], paths)
                    good.append(fid)
                except duckdb.Error:
                    pass
            fids = good
        counts = dict(self.con.execute("select file_index, count(*) from _fields group by 1").fetchall())
        ok = []
        for fid in fids:
            if counts.get(fid - 1, 0) == scans[fid].lines - 1:
                ok.append(fid)
            else:  # a blank line or a multi-line record: rows are not lines one for one
                self.con.execute("delete from _fields where file_index = $i", {"i": fid - 1})
        self.con.execute("insert into _starts select file_index + 1, min(rowid), true, "
                         "list_contains($ascii, file_index + 1) from _fields group by 1",
                         {"ascii": [fid for fid in ok if scans[fid].ascii]})
        self._check_contiguous("_fields")
        return ok

    def _read_fields(self, fids: list[int], paths: dict) -> None:
        self.con.execute(
            "insert into _fields select $ids[(file_index + 1)::bigint] - 1, * from read_csv($paths, "
            "columns=$columns, header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
            "strict_mode=true, null_padding=false, nullstr=$nullstr, max_line_size=$max_line)",
            {"ids": fids, "paths": [str(paths[f]) for f in fids], "columns": _COLUMNS, "nullstr": "\x02\x03",
             "max_line": _DUCKDB_MAX_LINE},
        )

    def _read_lines(self, fids: list[int], paths: dict) -> None:
        """Read files one row per physical line: DuckDB as UTF-8 (all files at once), else per file as
        UTF-8 or latin-1 (any bytes: lines are decoded one by one later), else the Python reader."""
        if not fids:
            return
        bad: list[int] = []
        try:
            self._read_raw(fids, paths, "utf-8")
        except duckdb.Error:
            self.con.execute("delete from _raw")
            for fid in fids:
                for encoding in ("utf-8", "latin-1"):
                    try:
                        self._read_raw([fid], paths, encoding)
                        break
                    except duckdb.Error:
                        self.con.execute("delete from _raw where file_index + 1 = $id", {"id": fid})
                else:
                    bad.append(fid)
        bad += [i + 1 for (i,) in self.con.execute(
            "select distinct file_index from _raw where contains(line, chr(13))").fetchall()]
        for fid in bad:  # a \r inside a line: line breaks DuckDB did not split as Python would
            self.con.execute("delete from _raw where file_index + 1 = $id", {"id": fid})
            self.files[fid].reader = "python"
            self._latin1.add(fid)
            self._python_read(paths[fid], self.files[fid])
        self.con.execute("insert into _starts select file_index + 1, min(rowid), false, true from _raw group by 1")
        self._check_contiguous("_raw")

    def _read_raw(self, fids: list[int], paths: dict, encoding: str) -> None:
        self.con.execute(
            "insert into _raw select $ids[(file_index + 1)::bigint] - 1, line from read_csv($paths, "
            "columns={'line': 'VARCHAR'}, header=false, auto_detect=false, delim=$delim, quote='', escape='', "
            "encoding=$encoding, strict_mode=true, max_line_size=$max_line)",
            {"ids": fids, "paths": [str(paths[f]) for f in fids], "delim": "\x01", "max_line": _DUCKDB_MAX_LINE,
             "encoding": encoding},
        )
        if encoding == "latin-1":
            self._latin1.update(fids)

    def _check_contiguous(self, table: str) -> None:
        gaps = self.con.execute(f"select file_index from {table} group by file_index "
                                "having max(rowid) - min(rowid) + 1 <> count(*)").fetchall()
        if gaps:  # DuckDB keeps a file's rows together and in order; refuse rather than misnumber
            raise SourceError(f"{self.files[gaps[0][0] + 1].source_file}: rows were not read in file order")

    def _python_read(self, path: Path, fr: FileRead) -> None:
        batch: list[tuple[int, str | None]] = []

        def flush():
            if batch:
                nos, lines = zip(*batch)
                tbl = pa.table({"file_id": pa.array([fr.file_id] * len(batch), pa.int32()),
                                "line_no": pa.array(nos, pa.int32()), "line": pa.array(lines, pa.string())})
                self.con.register("_incoming_lines", tbl)
                try:
                    self.con.execute("insert into _lines_py select * from _incoming_lines")
                finally:
                    self.con.unregister("_incoming_lines")
                batch.clear()

        with path.open("rb") as fh:
            for line_no, data, length, head in python_lines(fh):
                if line_no == 1:
                    continue  # the header, checked already
                if data is None:
                    fr.too_long.append((line_no, length, head.decode("utf-8", errors="replace")[:RAW_HEAD_CHARS]))
                    continue
                batch.append((line_no, data.decode("latin-1") if data else None))
                if len(batch) >= 100_000:
                    flush()
        flush()

    @staticmethod
    def _check_header(fr: FileRead, raw: bytes) -> None:
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            decoded = raw.decode("cp1252", errors="replace")
        if not decoded.strip("\r"):
            if not raw:
                raise SourceError(f"{fr.source_file}: the file is empty (no header row)")
        header = next(csv.reader([decoded]), []) if decoded else []
        check_header(header, fr.source_file)

    def add_rows(self, source_file: str, month: str, force: str, rows: Iterable[tuple[int, list[str]]]) -> FileRead:
        """Rows already split into fields (the police.uk API source): validated in Python."""
        fr = self._register(source_file, month, force, "rows")
        self._insert_files([fr])
        self._rows[fr.file_id] = [(line, list(fields), None) for line, fields in rows]
        return fr

    def rows_found(self) -> dict[int, int]:
        """Rows each file of the batch holds, before :meth:`load` (0 for a file with a header and no rows):
        an update uses it to never write an empty month over the store's rows."""
        found = dict(self.con.execute(queries.get("build.rows_read").sql).fetchall())
        return {fid: found.get(fid, 0) + len(fr.too_long) + len(self._rows.get(fid, ()))
                for fid, fr in self.files.items()}

    # ---- validation, placement, writing

    def load(self) -> None:
        """Validate every row read, place it and append it to ``records``; fill each file's counts."""
        con = self.con
        # 1. districts of the batch's LSOA names; place the rows that may be Maidstone's before the insert
        names = [n for (n,) in con.execute(queries.get("build.lsoa_names").sql).fetchall()]
        con.register("_names_in", pa.table({"lsoa_name": pa.array(names, pa.string()),
                                            "district": pa.array([district_from_lsoa_name(n) for n in names],
                                                                 pa.string())}))
        try:
            con.execute("create or replace temp table _name_district as select * from _names_in")
        finally:
            con.unregister("_names_in")
        cand = con.sql(queries.get("build.placement_candidates").sql, params={"district": MAIDSTONE}).to_arrow_table()
        self._write_placed(cand)
        # 2. every row SQL accepts, straight into records
        inserted = con.execute(queries.get("build.insert_fast_rows").sql).fetchone()[0]
        read = dict(con.execute(queries.get("build.rows_read").sql).fetchall())
        months = sorted({fr.month for fr in self.files.values()})
        span = {"first_month": _date(f"{months[0]}-01"), "last_month": _date(f"{months[-1]}-01")} if months else {}
        if inserted == sum(read.values()):  # the common case: SQL took every row
            fast = read
        else:
            fast = {row[0]: row[1] for row in con.execute(queries.get("build.loaded_per_file").sql, span).fetchall()}
        # 3. the rest, row by row in Python: rejects, odd lines, API rows
        slow_files = [fid for fid, fr in self.files.items() if fr.reader == "rows" or read.get(fid, 0) > fast.get(fid, 0)]
        python_rows: dict[int, list] = {fid: list(self._rows.get(fid, [])) for fid in slow_files}
        csv_slow = [f for f in slow_files if f in self._csv]
        if csv_slow:
            for fid, line_no, *fields in con.execute(queries.get("build.slow_field_rows").sql,
                                                     {"ids": csv_slow}).fetchall():
                python_rows[fid].append((line_no, self._csv_fields(fields), None))
        raw_slow = [f for f in slow_files if f not in self._csv and self.files[f].reader != "rows"]
        if raw_slow:
            lines: dict[int, list] = {}
            for fid, line_no, line in con.execute(queries.get("build.slow_lines").sql, {"ids": raw_slow}).fetchall():
                lines.setdefault(fid, []).append((line_no, line))
            for fid in raw_slow:
                python_rows[fid].extend(self._decoded(self.files[fid], lines.get(fid, [])))
        self._load_python(python_rows)
        for fid, fr in self.files.items():
            for line_no, length, head in fr.too_long:
                fr.rejects.append((fr.source_file, line_no,
                                   f"line is {length:,} bytes long, more than the {MAX_LINE_BYTES:,} a police.uk "
                                   "row can be: not read", head + "…"))
            fr.rejects.sort(key=lambda r: r[1])
            fr.rows_loaded += fast.get(fid, 0)
            fr.rows_read = fr.rows_loaded + fr.rows_rejected if fr.reader == "rows" else \
                read.get(fid, 0) + len(fr.too_long)
            if fr.rows_read != fr.rows_loaded + fr.rows_rejected:
                raise SourceError(f"{fr.source_file}: rows read {fr.rows_read:,} <> loaded {fr.rows_loaded:,} + "
                                  f"rejected {fr.rows_rejected:,} (a reader error; nothing was written)")
        self.stats = {fid: {"maidstone": m, "kent": k, "force_name": name} for fid, _n, m, k, name in
                      con.execute(queries.get("build.loaded_per_file").sql, span).fetchall()} if months else {}

    def _write_placed(self, cand: pa.Table) -> None:
        """Districts by point (rows with no LSOA name) and Maidstone placements of the candidate rows,
        into the temporary table ``_placed``."""
        x = cand["longitude"].to_numpy(zero_copy_only=False).astype("float64")
        y = cand["latitude"].to_numpy(zero_copy_only=False).astype("float64")
        district = cand["district"].to_numpy(zero_copy_only=False).astype(object)
        placed = self._place_arrays(x, y, cand["lsoa_code"].to_numpy(zero_copy_only=False).astype(object), district)
        tbl = pa.table({"file_id": cand["file_id"], "line_no": cand["line_no"],
                        **{k: pa.array(v, pa.string()) for k, v in placed.items()}})
        self.con.register("_placed_in", tbl)
        try:
            self.con.execute("create or replace temp table _placed as select * from _placed_in")
        finally:
            self.con.unregister("_placed_in")

    def _place_arrays(self, x, y, lsoa_code, district) -> dict:
        """Vectorised: fill the district of rows with no LSOA name from their point, then place the
        Maidstone rows (LSOA 2021, wards on both sets, method). Object arrays, None for none."""
        import numpy as np  # noqa: PLC0415
        import pandas as pd  # noqa: PLC0415

        n = len(x)
        district = np.array(district, dtype=object)
        by_point = np.flatnonzero(pd.isna(district) & np.isfinite(x))
        if len(by_point):
            district[by_point] = self.geo.districts_by_point(x[by_point], y[by_point])
        out = {"district": district}
        for k in ("lsoa21_code", "ward_2022_code", "ward_2024_code", "location_method"):
            out[k] = np.full(n, None, dtype=object)
        idx = np.flatnonzero(district == MAIDSTONE)
        if len(idx):
            placed = self.geo.place(x[idx], y[idx], list(lsoa_code[idx]))
            for k, values in placed.items():
                out[k][idx] = values
        return {k: [None if v is None or v != v else v for v in col] for k, col in out.items()}

    def _place(self, lon, lat, lsoa_code, lsoa_name) -> dict[str, list]:
        import numpy as np  # noqa: PLC0415

        x = np.array([np.nan if v is None else v for v in lon], dtype="float64")
        y = np.array([np.nan if v is None else v for v in lat], dtype="float64")
        district = np.array([district_from_lsoa_name(name) for name in lsoa_name], dtype=object)
        return self._place_arrays(x, y, np.array(lsoa_code, dtype=object), district)

    @staticmethod
    def _csv_fields(fields: list[str | None]) -> list[str]:
        """Fields as the csv module gave them to the row-at-a-time build: a field longer than its limit
        made the whole line unparseable."""
        fields = ["" if f is None else f for f in fields]
        limit = csv.field_size_limit()
        if any(len(f) > limit for f in fields):
            return [f"<unparseable line: field larger than field limit ({limit})>"]
        return fields

    def _decoded(self, fr: FileRead, lines: list[tuple[int, str]]) -> Iterator[tuple[int, list[str] | None, str | None]]:
        latin1 = fr.file_id in self._latin1
        for line_no, text in sorted(lines):
            try:
                decoded, note = _decode(text.encode("latin-1")) if latin1 else (text, None)
            except UnicodeDecodeError:
                raise SourceError(
                    f"{fr.source_file}: line {line_no} is neither UTF-8 nor Windows-1252 text; refusing the file "
                    "rather than loading mangled text"
                ) from None
            if note:
                fr.notes.append((fr.source_file, line_no, note))
            if '"' in decoded or len(decoded) > FAST_LINE_CHARS:
                fields, unclosed = _split_line(decoded)
                if unclosed:
                    yield line_no, None, decoded
                    continue
            else:
                fields = decoded.split(",")
            yield line_no, fields, None

    def _load_python(self, rows_by_file: dict[int, list]) -> None:
        """Validate rows one by one (the reference rules), place the valid ones, append to records."""
        cols: dict[str, list] = {c: [] for c in _RECORD_COLUMNS}
        for fid, rows in rows_by_file.items():
            fr = self.files[fid]
            for line_no, fields, unclosed_text in rows:
                if fields is None:
                    fr.rejects.append((fr.source_file, line_no,
                                       "unclosed quote: a quoted field does not end on its line (the line is "
                                       "rejected on its own; the next lines are read as lines of their own)",
                                       unclosed_text))
                    continue
                values, reason = validate_row(fields, fr.month)
                if reason is not None:
                    fr.rejects.append((fr.source_file, line_no, reason, _as_csv_line(fields)))
                    continue
                fr.rows_loaded += 1
                month, *rest = values
                cols["month"].append(_date(month))
                for name, value in zip(_RECORD_COLUMNS[1:13], rest):
                    cols[name].append(value)
                cols["source_file"].append(fr.source_file)
                cols["source_line"].append(line_no)
                cols["force"].append(fr.force)
        n = len(cols["month"])
        if not n:
            return
        placed = self._place(cols["longitude"], cols["latitude"], cols["lsoa_code_published"],
                             cols["lsoa_name_published"])
        cols.update(placed)
        tbl = pa.table({c: pa.array(cols[c], _RECORD_TYPES.get(c, pa.string())) for c in _RECORD_COLUMNS})
        self.con.register("_incoming_records", tbl)
        try:
            self.con.execute("insert into records select * from _incoming_records")
        finally:
            self.con.unregister("_incoming_records")

    def close(self) -> None:
        for view in ("_cand", "_checked"):
            self.con.execute(f"drop view if exists {view}")
        for t in ("_files", "_fields", "_raw", "_starts", "_lines_py", "_placed", "_name_district"):
            self.con.execute(f"drop table if exists {t}")


def _date(month_01: str):
    import datetime as dt

    return dt.date.fromisoformat(month_01)

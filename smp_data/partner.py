"""Partner indicator CSVs (figures that do not come from police.uk): one validator, one loader.

The format is defined in ``shared/data/partner/README.md``: one long table per file with the
columns in :data:`LONG_COLUMNS`. :func:`validate_partner_csv` is the single validator used both
by the store build (:func:`load_into_store`) and by partner uploads through the dashboard
(:func:`append_upload`). It never drops a row silently: every data row read becomes either an
accepted row or a reject with a reason (``rows_read = rows_loaded + rows_rejected``). A file
that cannot be read as this format at all (wrong header, not UTF-8, empty) is a
:class:`PartnerFileError` naming the file, not a pile of row rejects.

Store tables (DDL in ``queries/build/partner.sql``): ``partner_published`` (the shared files,
reloaded by every build), ``partner_uploads`` (signed-in partner uploads; kept by ``--update``
builds), ``partner_rejects``, ``partner_files``; views ``partner_indicators`` (published and
uploads, with ``is_restricted``) and ``partner_indicators_public`` (never restricted rows).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

import pandas as pd

import queries
from smp_data.sources import SourceError

__all__ = [
    "LONG_COLUMNS",
    "THEMES",
    "AREA_TYPES",
    "PERIOD_TYPES",
    "UNITS",
    "MAIDSTONE_CODE",
    "REST_OF_BOROUGH",
    "KENT_DIVISIONS",
    "PartnerFileError",
    "PartnerUploadError",
    "PartnerValidation",
    "partner_key",
    "check_period",
    "validate_partner_csv",
    "UPLOAD_MAX_ROWS",
    "UPLOAD_MAX_BYTES",
    "size_text",
    "reference_codes",
    "existing_keys",
    "load_into_store",
    "append_upload",
]

LONG_COLUMNS: tuple[str, ...] = (
    "indicator_id",
    "indicator",
    "theme",
    "area_type",
    "area_code",
    "area_name",
    "period_type",
    "period_start",
    "period_end",
    "value",
    "unit",
    "source_table",
    "note",
)
KEY_COLUMNS: tuple[str, ...] = (
    "indicator_id", "area_type", "area_code", "area_name", "period_type", "period_start", "period_end",
)
THEMES: tuple[str, ...] = (
    "serious_violence_organised_crime",
    "domestic_abuse",
    "safe_town_centre",
    "children_young_people",
    "asb",
    "substance_misuse",
    "mental_health",
    "reoffending",
    "public_perception",
)
# cluster_2022 is deliberately absent: the partner README lists these five only.
AREA_TYPES: tuple[str, ...] = ("borough", "ward_2022", "location", "kent_district", "kent_division")
PERIOD_TYPES: tuple[str, ...] = ("month", "calendar_year", "financial_year", "custom")
UNITS: tuple[str, ...] = ("count", "percent", "per_1000_population", "rank", "hours", "gbp")
MAIDSTONE_CODE = "E07000110"
REST_OF_BOROUGH = "Rest of Borough"
KENT_DIVISIONS: tuple[str, ...] = ("North Kent", "East Kent", "West Kent")
# columns that may be empty; every other column is required
_OPTIONAL = frozenset({"area_code", "period_end", "note"})
REJECT_COLUMNS: tuple[str, ...] = ("source_file", "line", "reason", "raw")
# Uploads through the dashboard: the partner long format runs to a few hundred rows a file (872 rows
# in all 14 published files, the largest 149 kB), so these leave ample room and bound the server's
# memory per upload (Streamlit's server.maxUploadSize is set to match in deploy/streamlit/config.toml).
UPLOAD_MAX_ROWS = 10_000
UPLOAD_MAX_BYTES = 2 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024  # one physical line longer than this cannot be a partner row

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")

Key = tuple[str, str, str, str, str, str, str]


class PartnerFileError(SourceError):
    """A partner file that cannot be validated at all (wrong header, unreadable): names the file.

    It is a :class:`~smp_data.sources.SourceError`, so the store build stops with a one-line
    ``BuildError`` naming the file (and leaves the previous store intact).
    """


class PartnerUploadError(ValueError):
    """An upload that cannot be appended (e.g. a key already in the store, or a reused upload id)."""


@dataclass
class PartnerValidation:
    """The result of validating one partner CSV.

    ``rows`` holds the accepted rows, typed: ``period_start``/``period_end`` are
    :class:`datetime.date` (``period_end`` None = open-ended), ``value`` is float, empty
    ``area_code``/``note`` are None, ``note`` is otherwise verbatim, plus ``source_line``.
    ``rejects`` has the columns ``source_file, line, reason, raw``.
    """

    source_name: str
    rows: pd.DataFrame
    rejects: pd.DataFrame
    rows_read: int
    sha256: str = ""
    keys: dict[Key, int] = field(default_factory=dict)  # accepted key -> line

    @property
    def rows_loaded(self) -> int:
        return len(self.rows)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)

    @property
    def ok(self) -> bool:
        return self.rows_rejected == 0

    def summary(self) -> str:
        return (f"{self.source_name}: rows read {self.rows_read} = loaded {self.rows_loaded}"
                f" + rejected {self.rows_rejected}")


def partner_key(indicator_id, area_type, area_code, area_name, period_type, period_start, period_end) -> Key:
    """The row key, normalised to strings ('' for empty/NULL, dates as YYYY-MM-DD).

    >>> partner_key("x", "borough", None, "Maidstone", "custom", dt.date(2023, 2, 1), None)
    ('x', 'borough', '', 'Maidstone', 'custom', '2023-02-01', '')
    """
    def norm(v) -> str:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
            return ""
        if isinstance(v, (dt.date, pd.Timestamp)):
            return v.strftime("%Y-%m-%d")
        return str(v).strip()

    return tuple(norm(v) for v in (indicator_id, area_type, area_code, area_name, period_type,
                                   period_start, period_end))  # type: ignore[return-value]


def _parse_date(text: str, column: str) -> tuple[dt.date | None, str | None]:
    if not _DATE.match(text):
        return None, f"{column} {text!r} is not a YYYY-MM-DD date"
    try:
        return dt.date.fromisoformat(text), None
    except ValueError:
        return None, f"{column} {text!r} is not a valid date"


def check_period(period_type: str, start: dt.date, end: dt.date | None) -> str | None:
    """Return why the period does not fit its ``period_type`` (or None if it does).

    >>> check_period("month", dt.date(2024, 2, 1), dt.date(2024, 2, 29)) is None
    True
    >>> check_period("financial_year", dt.date(2022, 4, 1), dt.date(2023, 3, 31)) is None
    True
    >>> check_period("calendar_year", dt.date(2023, 2, 1), dt.date(2024, 1, 31))
    'calendar_year period must run 1 January to 31 December of one year, not 2023-02-01..2024-01-31'
    >>> check_period("custom", dt.date(2023, 2, 1), None) is None
    True
    """
    if end is None:
        if period_type == "custom":
            return None  # open-ended, e.g. "since February 2023"
        return f"period_end is empty; only period_type 'custom' may be open-ended (this row is {period_type!r})"
    if end < start:
        return f"period_end {end} is before period_start {start}"
    span = f"{start}..{end}"
    if period_type == "month":
        last = calendar.monthrange(start.year, start.month)[1]
        if start.day != 1 or end != start.replace(day=last):
            return f"month period must run from the first to the last day of one month, not {span}"
    elif period_type == "calendar_year":
        if (start.month, start.day) != (1, 1) or end != dt.date(start.year, 12, 31):
            return f"calendar_year period must run 1 January to 31 December of one year, not {span}"
    elif period_type == "financial_year":
        if (start.month, start.day) != (4, 1) or end != dt.date(start.year + 1, 3, 31):
            return f"financial_year period must run 1 April to 31 March of the next year, not {span}"
    return None


def _open_source(data, source_name: str | None):
    """(binary stream, display name, whether to close it) for bytes, a path, or a binary file object."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return io.BytesIO(data), source_name or "<upload>", True  # shares the bytes: no copy
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        name = source_name or path.name
        try:
            return open(path, "rb"), name, True  # noqa: SIM115  (closed by the caller)
        except OSError as exc:
            raise PartnerFileError(f"{name}: cannot open: {exc.strerror or exc}") from None
    if hasattr(data, "readline"):
        return data, source_name or getattr(data, "name", None) or "<upload>", False
    raise TypeError(f"data must be bytes, a path or a binary file object, not {type(data).__name__}")


def size_text(n: int) -> str:
    """
    >>> size_text(2 * 1024 * 1024), size_text(1536)
    ('2 MB', '1.5 kB')
    """
    return f"{n / 1048576:.3g} MB" if n >= 1048576 else f"{n / 1024:.3g} kB"


_BARE_CR = re.compile(r"(?<=\r)(?!\n)")  # split after a lone CR, as universal newlines would


class _Lines:
    """The physical lines of a binary stream, read and decoded one at a time (never the whole file).

    Counts bytes against ``max_bytes``, hashes what it reads, refuses a line longer than
    :data:`MAX_LINE_BYTES` and a line that is not UTF-8 (naming the line), and keeps the lines of
    the record being read in ``pending`` so the validator can report a record as written.
    """

    def __init__(self, stream, name: str, max_bytes: int | None):
        self.stream, self.name, self.max_bytes = stream, name, max_bytes
        self.sha = hashlib.sha256()
        self.bytes_read = 0
        self.line_no = 0
        self.pending: list[str] = []
        self._queue: list[str] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        while not self._queue:
            self._fill()
        line = self._queue.pop(0)
        self.line_no += 1
        self.pending.append(line)
        return line

    def _fill(self) -> None:
        raw = self.stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            raise StopIteration
        at = self.line_no + 1
        if len(raw) > MAX_LINE_BYTES:
            raise PartnerFileError(f"{self.name}: line {at} is longer than {size_text(MAX_LINE_BYTES)}; this is "
                                   "not a partner CSV")
        offset = self.bytes_read
        self.bytes_read += len(raw)
        if self.max_bytes is not None and self.bytes_read > self.max_bytes:
            raise PartnerFileError(f"{self.name}: the file is larger than {size_text(self.max_bytes)}, the most one "
                                   "upload may hold; split it into smaller files")
        self.sha.update(raw)
        if offset == 0 and raw.startswith(b"\xef\xbb\xbf"):
            raw, offset = raw[3:], 3  # the UTF-8 byte order mark Excel writes
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PartnerFileError(f"{self.name}: not UTF-8 text (byte {offset + exc.start}, line {at}); save it as "
                                   "CSV UTF-8") from None
        self._queue.extend(part for part in _BARE_CR.split(text) if part)


def _check_header(header: list[str], name: str) -> None:
    got = [h.strip() for h in header]
    if tuple(got) == LONG_COLUMNS:
        return
    detail = []
    missing = [c for c in LONG_COLUMNS if c not in got]
    unexpected = [c for c in got if c not in LONG_COLUMNS]
    if missing:
        detail.append("missing column(s) " + ", ".join(repr(c) for c in missing))
    if unexpected:
        detail.append("unexpected column(s) " + ", ".join(repr(c) for c in unexpected))
    dupes = sorted({c for c in got if got.count(c) > 1})
    if dupes:
        detail.append("repeated column(s) " + ", ".join(repr(c) for c in dupes))
    if not detail:
        pos = next(i for i, (a, b) in enumerate(zip(got, LONG_COLUMNS)) if a != b)
        detail.append(f"column {pos + 1} is {got[pos]!r} but should be {LONG_COLUMNS[pos]!r} (columns out of order)")
    raise PartnerFileError(
        f"{name}: wrong header: {'; '.join(detail)}. Expected exactly: {','.join(LONG_COLUMNS)}"
    )


def _validate_fields(fields: list[str], ward_codes: frozenset[str], district_codes: frozenset[str]):
    """Check one row's fields; return (typed dict, []) or (None, [reasons])."""
    if len(fields) != len(LONG_COLUMNS):
        return None, [f"expected {len(LONG_COLUMNS)} fields, found {len(fields)}"]
    raw = dict(zip(LONG_COLUMNS, fields))
    # every field but the note is compared trimmed; the note is kept verbatim
    f = {c: (v if c == "note" else v.strip()) for c, v in raw.items()}
    problems: list[str] = []
    empty = [c for c in LONG_COLUMNS if c not in _OPTIONAL and not f[c]]
    if empty:
        problems.append("required field(s) empty: " + ", ".join(empty))
    if f["indicator_id"] and not _SNAKE.match(f["indicator_id"]):
        problems.append(f"indicator_id {f['indicator_id']!r} is not snake_case (a-z, 0-9, single underscores)")
    for column, allowed in (("theme", THEMES), ("area_type", AREA_TYPES), ("period_type", PERIOD_TYPES),
                            ("unit", UNITS)):
        if f[column] and f[column] not in allowed:
            problems.append(f"unknown {column} {f[column]!r} (allowed: {', '.join(allowed)})")

    # area
    area_type, code, name = f["area_type"], f["area_code"], f["area_name"]
    if area_type == "ward_2022":
        if not code:
            problems.append("area_code is required for area_type 'ward_2022'")
        elif code not in ward_codes:
            problems.append(f"ward_2022 area_code {code!r} is not one of the 26 pre-May-2024 Maidstone ward codes")
    elif area_type == "kent_district":
        if not code:
            problems.append("area_code is required for area_type 'kent_district'")
        elif code not in district_codes:
            problems.append(f"kent_district area_code {code!r} is not a Kent or Medway district code")
    elif area_type == "borough":
        if not (code == MAIDSTONE_CODE or (not code and name == REST_OF_BOROUGH)):
            problems.append(
                f"borough area_code {code!r} must be {MAIDSTONE_CODE} (Maidstone), or empty with "
                f"area_name {REST_OF_BOROUGH!r}"
            )
    elif area_type in ("location", "kent_division"):
        if code:
            problems.append(f"area_type {area_type!r} has no ONS code, so area_code must be empty (got {code!r})")
        if area_type == "kent_division" and name and name not in KENT_DIVISIONS:
            problems.append(f"kent_division area_name {name!r} is not one of {', '.join(KENT_DIVISIONS)}")

    # period
    start = end = None
    if f["period_start"]:
        start, why = _parse_date(f["period_start"], "period_start")
        if why:
            problems.append(why)
    if f["period_end"]:
        end, why = _parse_date(f["period_end"], "period_end")
        if why:
            problems.append(why)
    if start is not None and (end is not None or not f["period_end"]) and f["period_type"] in PERIOD_TYPES:
        why = check_period(f["period_type"], start, end)
        if why:
            problems.append(why)
    elif start is not None and end is not None and end < start:
        problems.append(f"period_end {end} is before period_start {start}")

    # value
    value = None
    if f["value"]:
        if _NUMBER.match(f["value"]):
            value = float(f["value"])
        else:
            problems.append(f"value {f['value']!r} is not a plain number (digits, optional '-' and '.'; no "
                            "thousands separators, '%', '+' or currency)")
    if problems:
        return None, problems
    return {
        "indicator_id": f["indicator_id"],
        "indicator": f["indicator"],
        "theme": f["theme"],
        "area_type": area_type,
        "area_code": code or None,
        "area_name": name,
        "period_type": f["period_type"],
        "period_start": start,
        "period_end": end,
        "value": value,
        "unit": f["unit"],
        "source_table": f["source_table"],
        "note": raw["note"] if raw["note"] != "" else None,
    }, []


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in (*LONG_COLUMNS, "source_line")}).astype(
        {"value": "float64", "source_line": "int64"}
    )


def validate_partner_csv(
    data,
    source_name: str | None = None,
    ward_codes: Iterable[str] = (),
    district_codes: Iterable[str] = (),
    existing_keys: Mapping[Key, str] | Iterable[Key] | None = None,
    *,
    max_rows: int | None = None,
    max_bytes: int | None = None,
) -> PartnerValidation:
    """Validate one partner CSV (bytes, a path, or a binary file object) in the long format.

    ``ward_codes``: the 26 pre-May-2024 Maidstone ward codes; ``district_codes``: the Kent and
    Medway district codes (see :func:`reference_codes`). ``existing_keys``: keys already loaded
    (from :func:`existing_keys` or earlier files), as a mapping key -> where it was loaded from,
    or a plain set of keys. Raises :class:`PartnerFileError` if the file as a whole is unusable.

    The file is read as a stream, one line at a time: memory grows with the rows kept, never with
    a whole decoded copy of the file. ``max_rows`` / ``max_bytes`` (uploads pass
    :data:`UPLOAD_MAX_ROWS` / :data:`UPLOAD_MAX_BYTES`; the build passes none) refuse a larger
    file with a :class:`PartnerFileError` as soon as the limit is passed.

    >>> head = ",".join(LONG_COLUMNS)
    >>> row = "x_total,X,asb,borough,E07000110,Maidstone,calendar_year,2023-01-01,2023-12-31,5,count,para 1,"
    >>> v = validate_partner_csv(f"{head}\\n{row}\\n{row}\\n".encode(), "x.csv")
    >>> (v.rows_read, v.rows_loaded, v.rows_rejected, v.rejects.loc[0, "reason"])
    (2, 1, 1, 'duplicate of line 2')
    >>> validate_partner_csv(f"{head}\\n{row}\\n{row}\\n".encode(), "x.csv", max_rows=1)
    Traceback (most recent call last):
    ...
    smp_data.partner.PartnerFileError: x.csv: more than 1 data row(s); one upload may hold at most 1 rows: split it into smaller files
    """
    stream, name, close = _open_source(data, source_name)
    try:
        return _validate_stream(_Lines(stream, name, max_bytes), name, ward_codes, district_codes, existing_keys,
                                max_rows)
    finally:
        if close:
            stream.close()


def _validate_stream(lines: _Lines, name: str, ward_codes, district_codes, existing_keys,
                     max_rows: int | None) -> PartnerValidation:
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise PartnerFileError(f"{name}: the file is empty (no header row)") from None
    except csv.Error as exc:
        raise PartnerFileError(f"{name}: header row cannot be parsed: {exc}") from None
    if not "".join(header).strip() and not any(line.strip() for line in lines):
        raise PartnerFileError(f"{name}: the file is empty (no header row)")
    _check_header(header, name)
    lines.pending.clear()

    wards, districts = frozenset(ward_codes), frozenset(district_codes)
    if existing_keys is None:
        known: Mapping[Key, str] = {}
    elif isinstance(existing_keys, Mapping):
        known = existing_keys
    else:
        known = {k: "" for k in existing_keys}
    accepted: list[dict] = []
    rejects: list[tuple[str, int, str, str]] = []
    keys: dict[Key, int] = {}
    series: dict[str, tuple[int, str, str, str]] = {}  # indicator_id -> (line, indicator, theme, unit)
    rows_read = 0

    def count_row() -> None:
        nonlocal rows_read
        rows_read += 1
        if max_rows is not None and rows_read > max_rows:
            raise PartnerFileError(f"{name}: more than {max_rows:,} data row(s); one upload may hold at most "
                                   f"{max_rows:,} rows: split it into smaller files")

    end_line = lines.line_no
    while True:
        start_line = end_line + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # the csv module cannot continue reliably after a parse error: reject the rest, don't drop it
            why = f"CSV cannot be parsed from here: {exc}"
            n = start_line
            for text in lines.pending:
                count_row()
                rejects.append((name, n, why, text.rstrip("\r\n")))
                n += 1
            lines.pending.clear()
            for text in lines:
                count_row()
                rejects.append((name, n, why, text.rstrip("\r\n")))
                lines.pending.clear()
                n += 1
            break
        end_line = lines.line_no
        raw = "".join(lines.pending).rstrip("\r\n")
        lines.pending.clear()
        count_row()
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            rejects.append((name, start_line, "blank line", raw))
            continue
        row, problems = _validate_fields(fields, wards, districts)
        if row is None:
            if end_line > start_line and len(fields) != len(LONG_COLUMNS):
                problems = [f"{problems[0]} (the record spans lines {start_line}-{end_line}: unbalanced quote?)"]
            rejects.append((name, start_line, "; ".join(problems), raw))
            continue
        key = partner_key(*(row[c] for c in KEY_COLUMNS))
        if key in keys:
            rejects.append((name, start_line, f"duplicate of line {keys[key]}", raw))
            continue
        if key in known:
            where = known[key]
            rejects.append((name, start_line, f"already loaded from {where}" if where else "already loaded", raw))
            continue
        first = series.get(row["indicator_id"])
        if first is not None:
            clash = [f"{col} {row[col]!r} (line {first[0]} has {was!r})"
                     for col, was in zip(("indicator", "theme", "unit"), first[1:]) if row[col] != was]
            if clash:
                rejects.append((name, start_line, f"indicator_id {row['indicator_id']!r} is one series, but this row "
                                f"has a different " + "; ".join(clash), raw))
                continue
        else:
            series[row["indicator_id"]] = (start_line, row["indicator"], row["theme"], row["unit"])
        keys[key] = start_line
        row["source_line"] = start_line
        accepted.append(row)

    rows = pd.DataFrame(accepted, columns=[*LONG_COLUMNS, "source_line"]) if accepted else _empty_rows()
    rows = rows.astype({"value": "float64", "source_line": "int64"})
    for c in ("period_start", "period_end"):
        rows[c] = rows[c].astype("object")
    rej = pd.DataFrame(rejects, columns=list(REJECT_COLUMNS)).astype({"line": "int64"})
    assert rows_read == len(rows) + len(rej)
    return PartnerValidation(name, rows, rej, rows_read, lines.sha.hexdigest(), keys)


# ---------------------------------------------------------------------------------- store


def reference_codes(con) -> tuple[frozenset[str], frozenset[str]]:
    """(ward_2022 codes, district codes) from the store's ``wards_2022`` and ``districts`` tables."""
    wards = frozenset(r[0] for r in con.execute("select ward_2022_code from wards_2022").fetchall())
    districts = frozenset(r[0] for r in con.execute("select district_code from districts").fetchall())
    return wards, districts


def existing_keys(con, *, include_uploads: bool = True) -> dict[Key, str]:
    """Every partner row key in the store -> where it came from (for ``validate_partner_csv``).

    Read-only: a store without partner tables has no keys.
    """
    present = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_name in ('partner_published', 'partner_uploads')"
    ).fetchall()}
    if present != {"partner_published", "partner_uploads"}:
        return {}
    out: dict[Key, str] = {}
    for *key, loaded_from, is_upload, upload_id in queries.run(con, "build.partner_keys").fetchall():
        if is_upload and not include_uploads:
            continue
        where = f"{loaded_from} (upload {upload_id})" if is_upload else loaded_from
        out.setdefault(partner_key(*key), where)
    return out


def _insert_df(con, table: str, df: pd.DataFrame, extra: dict | None = None) -> None:
    """Insert ``df`` (the long columns + loaded_from + source_line) with typed casts."""
    df = df.copy()
    for c in ("period_start", "period_end"):
        df[c] = df[c].map(lambda d: None if d is None or d is pd.NaT else d.isoformat()).astype("object")
    extra = extra or {}
    cols = [*LONG_COLUMNS, "loaded_from", "source_line"]
    select = ", ".join(
        f'"{c}"::date' if c in ("period_start", "period_end") else
        '"value"::double' if c == "value" else
        '"source_line"::integer' if c == "source_line" else f'"{c}"::varchar'
        for c in cols
    )
    names = cols + list(extra)
    params = list(extra.values())
    placeholders = ", ".join("?" for _ in extra)
    con.register("_partner_incoming", df[cols])
    try:
        con.execute(
            f"insert into {table} ({', '.join(names)}) select {select}"
            f"{', ' + placeholders if extra else ''} from _partner_incoming order by source_line",
            params,
        )
    finally:
        con.unregister("_partner_incoming")


def validate_folder(root: Path, ward_codes: Iterable[str], district_codes: Iterable[str]) -> list[PartnerValidation]:
    """Validate every ``*.csv`` in ``root`` (sorted by name); a key already in an earlier file is a reject
    ("already loaded from FILE"). Reads files only: the build runs it in its background thread."""
    root = Path(root)
    if not root.is_dir():
        raise PartnerFileError(f"partner folder not found: {root}")
    wards, districts = frozenset(ward_codes), frozenset(district_codes)
    if not wards or not districts:
        raise PartnerFileError("partner load needs the wards_2022 and districts tables to be loaded first")
    seen: dict[Key, str] = {}
    out = []
    for path in sorted(p for p in root.glob("*.csv") if p.is_file()):
        v = validate_partner_csv(path, path.name, wards, districts, existing_keys=seen)
        for key in v.keys:
            seen[key] = v.source_name
        out.append(v)
    return out


def load_into_store(con, root: Path, progress: Callable[[str], None] = print,
                    validated: list[PartnerValidation] | None = None) -> dict:
    """Validate every ``*.csv`` in ``root`` (:func:`validate_folder`, unless ``validated`` gives its
    result) and (re)load them as ``partner_published``.

    Idempotent: creates the partner tables if missing, then replaces the published rows,
    rejects and file reconciliation; ``partner_uploads`` rows are kept. A key already loaded
    from an earlier file is rejected ("already loaded from FILE"). Returns
    ``{files: [{source_file, read, loaded, rejected}], rows_read, rows_loaded, rows_rejected,
    uploads_kept, upload_key_conflicts, series_conflicts}``.
    """
    root = Path(root)
    if validated is None:
        validated = validate_folder(root, *reference_codes(con))
    queries.run_script(con, "build.create_partner_tables")
    queries.run_script(con, "build.clear_partner_published")
    summary: dict = {"files": [], "rows_read": 0, "rows_loaded": 0, "rows_rejected": 0}
    if not validated:
        progress(f"Partner indicators: no *.csv files in {root}")
    else:
        progress(f"Partner indicators from {root}")
    for v in validated:
        if v.rows_loaded:
            rows = v.rows.assign(loaded_from=v.source_name)
            _insert_df(con, "partner_published", rows)
        if v.rows_rejected:
            con.executemany("insert into partner_rejects values (?, ?, ?, ?)",
                            [tuple(r) for r in v.rejects.itertuples(index=False)])
        con.execute("insert into partner_files values (?, ?, ?, ?, ?)",
                    [v.source_name, v.rows_read, v.rows_loaded, v.rows_rejected, v.sha256])
        summary["files"].append({"source_file": v.source_name, "read": v.rows_read, "loaded": v.rows_loaded,
                                 "rejected": v.rows_rejected})
        summary["rows_read"] += v.rows_read
        summary["rows_loaded"] += v.rows_loaded
        summary["rows_rejected"] += v.rows_rejected
        progress(f"  {v.source_name:<45} rows read {v.rows_read:>5,} = loaded {v.rows_loaded:>5,}"
                 f" + rejected {v.rows_rejected:>3,}")
    summary["uploads_kept"] = con.execute("select count(*) from partner_uploads").fetchone()[0]
    summary["upload_key_conflicts"] = queries.run(con, "build.partner_upload_key_conflicts").fetchone()[0]
    summary["series_conflicts"] = [r[0] for r in queries.run(con, "build.partner_series_conflicts").fetchall()]
    if validated:
        progress(f"  partner total: rows read {summary['rows_read']:,} = loaded {summary['rows_loaded']:,}"
                 f" + rejected {summary['rows_rejected']:,} from {len(validated)} file(s);"
                 f" uploads kept {summary['uploads_kept']:,}")
    if summary["upload_key_conflicts"]:
        progress(f"  warning: {summary['upload_key_conflicts']} uploaded partner row(s) have the same key as a "
                 "published row (both are kept)")
    if summary["series_conflicts"]:
        progress("  warning: indicator_id(s) with more than one label/theme/unit or file: "
                 + ", ".join(summary["series_conflicts"]))
    return summary


def append_upload(
    con,
    validation: PartnerValidation,
    uploaded_by: str,
    is_public: bool,
    upload_id: str,
    *,
    uploaded_at: dt.datetime | None = None,
) -> int:
    """Append the accepted rows of a validated upload to ``partner_uploads``; return the row count.

    ``is_restricted`` is stored as ``not is_public``: restricted rows appear in
    ``partner_indicators`` but never in ``partner_indicators_public``. Rejected rows are not
    stored (show ``validation.rejects`` to the uploader). Refuses (PartnerUploadError) a reused
    ``upload_id`` or a row whose key is already in the store (validate with
    ``existing_keys=existing_keys(con)`` to get those as row rejects instead).
    """
    if not str(uploaded_by or "").strip():
        raise PartnerUploadError("uploaded_by is required")
    if not str(upload_id or "").strip():
        raise PartnerUploadError("upload_id is required")
    queries.run_script(con, "build.create_partner_tables")
    if con.execute("select count(*) from partner_uploads where upload_id = ?", [upload_id]).fetchone()[0]:
        raise PartnerUploadError(f"upload {upload_id!r} is already in the store")
    if validation.rows_loaded == 0:
        return 0
    stored = existing_keys(con)
    clashes = [(line, stored[k]) for k, line in sorted(validation.keys.items(), key=lambda kv: kv[1])
               if k in stored]
    if clashes:
        shown = "; ".join(f"line {line} already loaded from {where}" for line, where in clashes[:5])
        raise PartnerUploadError(f"{validation.source_name}: {len(clashes)} row(s) already in the store: {shown}")
    when = uploaded_at or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    rows = validation.rows.assign(loaded_from=validation.source_name)
    _insert_df(con, "partner_uploads", rows, {
        "is_restricted": not bool(is_public), "uploaded_by": uploaded_by, "uploaded_at": when,
        "upload_id": upload_id,
    })
    return validation.rows_loaded

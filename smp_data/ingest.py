"""Row validation: police.uk fields in, typed records or rejects (with a reason) out.

Nothing is dropped silently: every row read becomes either a record or a reject, and
:class:`FileResult` carries the reconciliation (read = loaded + rejected) for the file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from smp_data.classify import CRIME_TYPES, crime_class
from smp_data.sources import POLICE_UK_COLUMNS, Batch

__all__ = ["RECORD_FIELDS", "FileResult", "validate_batch", "validate_row", "UK_BOUNDS"]

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
LSOA_CODE = re.compile(r"^[EW]0[12]\d{6}$")
# generous box around Great Britain and Northern Ireland (lon_min, lat_min, lon_max, lat_max)
UK_BOUNDS = (-8.7, 49.8, 1.8, 60.9)
_KNOWN_TYPES = {c.name for c in CRIME_TYPES}

# the typed record, in store column order (see queries/build/schema.sql)
RECORD_FIELDS = (
    "month",
    "crime_id",
    "reported_by",
    "falls_within",
    "longitude",
    "latitude",
    "location",
    "lsoa_code_published",
    "lsoa_name_published",
    "crime_type",
    "crime_class",
    "last_outcome",
    "context",
    "source_file",
    "source_line",
)


@dataclass
class FileResult:
    source_file: str
    month: str
    force: str
    records: dict[str, list] = field(default_factory=lambda: {f: [] for f in RECORD_FIELDS})
    rejects: list[tuple[str, int, str, str]] = field(default_factory=list)  # file, line, reason, raw
    rows_read: int = 0

    @property
    def rows_loaded(self) -> int:
        return len(self.records["month"])

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)


def _none_if_blank(s: str) -> str | None:
    s = s.strip()
    return s or None


def validate_row(fields: list[str], file_month: str) -> tuple[tuple | None, str | None]:
    """Check one row; return (typed values without file/line, None) or (None, reason).

    >>> validate_row(["", "2022-01", "Kent Police", "Kent Police", "0.52", "51.27", "On or near X",
    ...               "E01024379", "Maidstone 008A", "Anti-social behaviour", "", ""], "2022-01")[0][9:11]
    ('Anti-social behaviour', 'ASB')
    >>> validate_row(["", "2022-13"] + [""] * 10, "2022-01")[1]
    "Month '2022-13' is not YYYY-MM"
    """
    if len(fields) != len(POLICE_UK_COLUMNS):
        if len(fields) == 1 and fields[0].startswith("<unparseable line"):
            return None, fields[0].strip("<>")
        return None, f"expected {len(POLICE_UK_COLUMNS)} fields, found {len(fields)}"
    crime_id, month, reported_by, falls_within, lon_s, lat_s, location, lsoa_code, lsoa_name, ctype, outcome, context = (
        f.strip() for f in fields
    )
    if not MONTH.match(month):
        return None, f"Month {month!r} is not YYYY-MM"
    if month != file_month:
        return None, f"Month {month} does not match the file's month {file_month}"
    if not ctype:
        return None, "Crime type is empty"
    if ctype not in _KNOWN_TYPES:
        return None, f"unknown Crime type {ctype!r}"
    if bool(lon_s) != bool(lat_s):
        return None, "only one of Longitude/Latitude is given"
    lon = lat = None
    if lon_s:
        try:
            lon, lat = float(lon_s), float(lat_s)
        except ValueError:
            return None, f"coordinates ({lon_s!r}, {lat_s!r}) are not numbers"
        if not (UK_BOUNDS[0] <= lon <= UK_BOUNDS[2] and UK_BOUNDS[1] <= lat <= UK_BOUNDS[3]):
            return None, f"coordinates ({lon_s}, {lat_s}) are outside the UK"
    if lsoa_code and not LSOA_CODE.match(lsoa_code):
        return None, f"LSOA code {lsoa_code!r} is not an ONS LSOA code"
    return (
        f"{month}-01",
        crime_id or None,
        reported_by or None,
        falls_within or None,
        lon,
        lat,
        location or None,
        lsoa_code or None,
        lsoa_name or None,
        ctype,
        crime_class(ctype),
        outcome or None,
        context or None,
    ), None


def _as_csv_line(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    return buf.getvalue()


def validate_batch(batch: Batch) -> FileResult:
    """Validate every row of a batch into a :class:`FileResult`."""
    result = FileResult(batch.source_file, batch.month, batch.force)
    cols = [result.records[f] for f in RECORD_FIELDS]
    n_typed = len(RECORD_FIELDS) - 2
    for line, fields in batch.rows:
        result.rows_read += 1
        values, reason = validate_row(fields, batch.month)
        if reason is not None:
            result.rejects.append((batch.source_file, line, reason, _as_csv_line(fields)))
            continue
        for i in range(n_typed):
            cols[i].append(values[i])
        cols[n_typed].append(batch.source_file)
        cols[n_typed + 1].append(line)
    return result

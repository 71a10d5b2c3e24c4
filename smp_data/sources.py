"""police.uk sources behind one interface.

A *source* yields :class:`Batch` objects, one per (month, force) file: the archive folder
(``YYYY-MM/YYYY-MM-<force>-street.csv``), a data.police.uk archive ``.zip`` with the same
layout inside, or the police.uk API (``smp_data.police_api``). Each batch gives raw rows
in the police.uk archive column order with their line numbers, so one validator
(``smp_data.ingest``) treats every source alike and can name the file and line of any
rejected row.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol

__all__ = [
    "POLICE_UK_COLUMNS",
    "SourceError",
    "Batch",
    "Source",
    "DirectorySource",
    "ZipSource",
    "open_source",
    "read_police_csv",
]

POLICE_UK_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)

# 2022-01/2022-01-kent-street.csv (optionally below a top folder inside a zip)
STREET_FILE = re.compile(r"(?:^|/)(\d{4}-\d{2})/(\d{4}-\d{2})-([a-z0-9-]+?)-street\.csv$")


class SourceError(ValueError):
    """A source or file that cannot be read at all (the build stops, naming it)."""


@dataclass
class Batch:
    """One month of one force from one file (or one API month)."""

    source_file: str  # shown to users and stored with every row and reject
    month: str  # 'YYYY-MM' the file says it holds
    force: str  # police.uk force slug, e.g. 'kent'
    rows: Iterator[tuple[int, list[str]]]  # (line number in the file, fields)
    stats: dict = field(default_factory=dict)  # filled by the reader: 'bad_lines'


class Source(Protocol):
    description: str

    def batches(self) -> Iterator[Batch]: ...


def _decode_lines(raw: io.BufferedIOBase, name: str) -> Iterator[str]:
    """Decode bytes as UTF-8 (BOM stripped), falling back to cp1252 for odd bytes."""
    data = raw.read()
    if not data:
        raise SourceError(f"{name}: the file is empty (no header row)")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    # keepends so csv sees every line break (CRLF and LF may be mixed in one file)
    return iter(io.StringIO(text, newline=""))


def read_police_csv(open_bytes: Callable[[], io.BufferedIOBase], name: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Open a police.uk street CSV, check its header, and return (header, rows).

    Rows are (line number, fields); line 1 is the header. The header must hold the 12
    police.uk columns in order; a wrong header is a SourceError naming the file and the
    first column that differs. Row-level problems are left to the validator.
    """
    try:
        fh = open_bytes()
    except OSError as exc:
        raise SourceError(f"{name}: cannot open: {exc}") from None
    with fh:
        lines = _decode_lines(fh, name)
    reader = csv.reader(lines, strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raise SourceError(f"{name}: the file is empty (no header row)") from None
    except csv.Error as exc:
        raise SourceError(f"{name}: header row cannot be parsed: {exc}") from None
    header = [h.strip() for h in header]
    if tuple(header) != POLICE_UK_COLUMNS:
        missing = [c for c in POLICE_UK_COLUMNS if c not in header]
        extra = [c for c in header if c not in POLICE_UK_COLUMNS]
        detail = []
        if missing:
            detail.append("missing column(s) " + ", ".join(repr(c) for c in missing))
        if extra:
            detail.append("unexpected column(s) " + ", ".join(repr(c) for c in extra))
        if not detail:
            detail.append("columns out of order")
        raise SourceError(f"{name}: wrong header: {'; '.join(detail)}")

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. NUL byte: keep the line as a reject
                yield reader.line_num, [f"<unparseable line: {exc}>"]
                continue
            if not fields:  # blank line
                continue
            yield reader.line_num, fields

    return header, rows()


def _batch_for(path_in_source: str, display: str, opener, force_filter: str) -> Batch | None:
    m = STREET_FILE.search(path_in_source.replace("\\", "/"))
    if not m:
        return None
    folder_month, file_month, force = m.groups()
    if force_filter != "all" and force != force_filter:
        return None
    if folder_month != file_month:
        raise SourceError(f"{display}: folder month {folder_month} does not match file month {file_month}")
    _, rows = read_police_csv(opener, display)
    return Batch(display, file_month, force, rows)


class DirectorySource:
    """A folder in the data.police.uk archive layout: ``YYYY-MM/YYYY-MM-<force>-street.csv``."""

    def __init__(self, path: Path, force: str = "kent"):
        self.path = Path(path)
        self.force = force
        self.description = f"police.uk archive folder {self.path}"
        if not self.path.is_dir():
            raise SourceError(f"source folder not found: {self.path}")

    def files(self) -> list[Path]:
        found = sorted(p for p in self.path.glob("*/*-street.csv") if STREET_FILE.search(p.as_posix()))
        return [p for p in found if self.force == "all" or STREET_FILE.search(p.as_posix()).group(3) == self.force]

    def batches(self) -> Iterator[Batch]:
        files = self.files()
        if not files:
            raise SourceError(
                f"{self.path}: no YYYY-MM/YYYY-MM-{self.force}-street.csv files found"
            )
        for p in files:
            rel = p.relative_to(self.path).as_posix()
            batch = _batch_for(rel, rel, lambda p=p: p.open("rb"), self.force)
            if batch is not None:
                yield batch


class ZipSource:
    """A data.police.uk archive zip (``YYYY-MM/YYYY-MM-<force>-street.csv`` inside)."""

    def __init__(self, path: Path, force: str = "kent"):
        self.path = Path(path)
        self.force = force
        self.description = f"police.uk archive zip {self.path}"
        if not self.path.is_file():
            raise SourceError(f"source zip not found: {self.path}")
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceError(f"{self.path}: not a readable zip archive: {exc}") from None

    def batches(self) -> Iterator[Batch]:
        names = sorted(n for n in self._zip.namelist() if STREET_FILE.search(n))
        if not names:
            raise SourceError(f"{self.path}: no YYYY-MM/YYYY-MM-<force>-street.csv members")
        yielded = False
        for n in names:
            display = f"{self.path.name}:{n}"
            batch = _batch_for(n, display, lambda n=n: self._zip.open(n), self.force)
            if batch is not None:
                yielded = True
                yield batch
        if not yielded:
            raise SourceError(f"{self.path}: no street files for force {self.force!r}")


def open_source(spec: str, force: str = "kent", **api_options) -> Source:
    """Choose the source from its spec: an http(s) URL (API), a .zip, or a folder."""
    if spec.startswith(("http://", "https://")):
        from smp_data.police_api import ApiSource  # imported lazily: only the API needs it

        return ApiSource(spec, force=force, **api_options)
    path = Path(spec)
    if path.suffix.lower() == ".zip":
        return ZipSource(path, force)
    return DirectorySource(path, force)

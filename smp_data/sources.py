"""police.uk sources behind one interface.

Archive sources (a folder in the data.police.uk layout ``YYYY-MM/YYYY-MM-<force>-street.csv``, or
an archive ``.zip`` with that layout inside) list their street files as :class:`StreetFile` objects
(:meth:`listing`), for the set-based reader (``smp_data.read``): a folder's files are read in
place, a zip member is extracted to a temporary file first (:meth:`ZipSource.materialise`). The
listing refuses a (month, force) present twice and reports near-miss file names (``-Kent-``,
``.CSV``) instead of skipping them silently.

Every source also yields :class:`Batch` objects, one per (month, force) file, with raw rows and
their line numbers (the police.uk API source, ``smp_data.police_api``, only does this); the
row-at-a-time path (``smp_data.legacy_build``) reads archives this way.

Forces are data: ``parse_forces("kent,btp")`` -> ``('btp', 'kent')``; ``"all"`` -> None (every
force in the source).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol

__all__ = [
    "POLICE_UK_COLUMNS",
    "StreetFile",
    "Listing",
    "parse_forces",
    "forces_label",
    "check_header",
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
# a name that looks like a street file but is not one exactly (case, folder, month form): reported
NEAR_STREET_FILE = re.compile(r"street\.csv$", re.IGNORECASE)
FORCE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ALL_FORCES = "all"


class SourceError(ValueError):
    """A source or file that cannot be read at all (the build stops, naming it)."""


def parse_forces(spec: str | tuple | list | None) -> tuple[str, ...] | None:
    """The forces to load: a comma list of police.uk force slugs, or ``all`` (returns None).

    >>> parse_forces("kent"), parse_forces(" kent, btp ,kent"), parse_forces("all")
    (('kent',), ('btp', 'kent'), None)
    >>> parse_forces("Kent Police")
    Traceback (most recent call last):
    ...
    smp_data.sources.SourceError: --force: 'Kent Police' is not a police.uk force slug (lower case, e.g. kent, btp, devon-and-cornwall) or 'all'
    """
    if spec is None:
        return None
    parts = [p.strip() for p in (spec.split(",") if isinstance(spec, str) else spec)]
    parts = [p for p in parts if p]
    if not parts:
        raise SourceError("--force: give a police.uk force slug (e.g. kent), a comma list (kent,btp) or 'all'")
    if ALL_FORCES in parts:
        if len(parts) > 1:
            raise SourceError("--force: 'all' cannot be combined with other forces")
        return None
    bad = [p for p in parts if not FORCE_SLUG.match(p)]
    if bad:
        raise SourceError(f"--force: {bad[0]!r} is not a police.uk force slug (lower case, e.g. kent, btp, "
                          "devon-and-cornwall) or 'all'")
    return tuple(sorted(set(parts)))


def forces_label(forces: tuple[str, ...] | None) -> str:
    """``('btp', 'kent')`` -> ``'btp,kent'``; None -> ``'all'`` (the form stored in build metadata)."""
    return ALL_FORCES if forces is None else ",".join(forces)


@dataclass(frozen=True)
class StreetFile:
    """One police.uk street file of an archive source (one month of one force)."""

    source_file: str  # shown to users and stored with every row and reject
    month: str  # 'YYYY-MM'
    force: str  # police.uk force slug, e.g. 'kent'
    path: Path | None = None  # a folder source's file, read in place
    member: str | None = None  # a zip source's member, extracted before reading
    size: int = 0  # bytes (uncompressed)


@dataclass
class Listing:
    """The street files a source holds for the chosen forces, and what it left out and why."""

    files: list[StreetFile]
    notes: list[tuple[str, str]] = field(default_factory=list)  # (file name, why it was not read)


def _near_miss_note(name: str) -> str | None:
    """Why ``name`` looks like a street file but is not read (None when it does not look like one).

    >>> _near_miss_note("2024-01/2024-01-Kent-street.csv")
    "not read: its name differs from police.uk's lower-case YYYY-MM/YYYY-MM-<force>-street.csv only in case; rename it to load it"
    >>> _near_miss_note("2024-01/2024-01-kent-outcomes.csv") is None
    True
    """
    base = name.rsplit("/", 1)[-1]
    if STREET_FILE.search(name) or not NEAR_STREET_FILE.search(base):
        return None
    if STREET_FILE.search(name.lower()):
        return ("not read: its name differs from police.uk's lower-case YYYY-MM/YYYY-MM-<force>-street.csv only "
                "in case; rename it to load it")
    return ("not read: its name or folder does not follow police.uk's YYYY-MM/YYYY-MM-<force>-street.csv "
            "layout; rename or move it to load it")


def _select(found: list[tuple[str, str, str, str, dict]], forces: tuple[str, ...] | None, where: str,
            near: list[tuple[str, str]]) -> Listing:
    """Check and filter (display, folder month, file month, force, extra) candidates into a Listing."""
    files, seen = [], {}
    for display, folder_month, file_month, force, extra in found:
        if folder_month != file_month:
            raise SourceError(f"{display}: folder month {folder_month} does not match file month {file_month}")
        if forces is not None and force not in forces:
            continue
        key = (file_month, force)
        if key in seen:
            raise SourceError(
                f"{where}: {file_month} {force} is present twice ({seen[key]} and {display}); refusing to guess "
                "which copy is right: remove one"
            )
        seen[key] = display
        files.append(StreetFile(display, file_month, force, **extra))
    if forces is not None:
        missing = [f for f in forces if not any(sf.force == f for sf in files)]
        if missing:
            raise SourceError(
                f"{where}: no YYYY-MM/YYYY-MM-<force>-street.csv files found for force(s) {', '.join(missing)}"
            )
    if not files:
        raise SourceError(f"{where}: no YYYY-MM/YYYY-MM-<force>-street.csv files found")
    return Listing(sorted(files, key=lambda f: f.source_file), near)


def check_header(header: list[str], name: str) -> None:
    """The header must hold the 12 police.uk columns in order; otherwise a SourceError naming the
    file and the first column that differs."""
    header = [h.strip() for h in header]
    if tuple(header) == POLICE_UK_COLUMNS:
        return
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
    check_header(header, name)
    header = [h.strip() for h in header]

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


def _legacy_batch(sf: StreetFile, opener) -> Batch:
    _, rows = read_police_csv(opener, sf.source_file)
    return Batch(sf.source_file, sf.month, sf.force, rows)


class DirectorySource:
    """A folder in the data.police.uk archive layout: ``YYYY-MM/YYYY-MM-<force>-street.csv``."""

    def __init__(self, path: Path, force: str | tuple[str, ...] | None = "kent"):
        self.path = Path(path)
        self.forces = parse_forces(force)
        self.force = forces_label(self.forces)
        self.description = f"police.uk archive folder {self.path}"
        if not self.path.is_dir():
            raise SourceError(f"source folder not found: {self.path}")

    def listing(self) -> Listing:
        """The street files of the chosen forces (sorted), and the near-miss names left out."""
        found, near = [], []
        for p in sorted([*self.path.glob("*"), *self.path.glob("*/*")]):
            if not p.is_file():
                continue
            rel = p.relative_to(self.path).as_posix()
            m = STREET_FILE.search(rel)
            if m and rel.count("/") == 1:
                found.append((rel, *m.groups(), {"path": p, "size": p.stat().st_size}))
            else:
                note = _near_miss_note(rel)
                if note:
                    near.append((rel, note))
        return _select(found, self.forces, str(self.path), near)

    def materialise(self, sf: StreetFile, _tmp_dir: Path) -> Path:
        """The file to read (a folder's files are read in place)."""
        return sf.path

    def batches(self) -> Iterator[Batch]:
        for sf in self.listing().files:
            yield _legacy_batch(sf, lambda p=sf.path: p.open("rb"))


class ZipSource:
    """A data.police.uk archive zip (``YYYY-MM/YYYY-MM-<force>-street.csv`` inside)."""

    def __init__(self, path: Path, force: str | tuple[str, ...] | None = "kent"):
        self.path = Path(path)
        self.forces = parse_forces(force)
        self.force = forces_label(self.forces)
        self.description = f"police.uk archive zip {self.path}"
        if not self.path.is_file():
            raise SourceError(f"source zip not found: {self.path}")
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceError(f"{self.path}: not a readable zip archive: {exc}") from None

    def listing(self) -> Listing:
        """The street members of the chosen forces (sorted by name), the near-miss names left out.

        A (month, force) present twice (the same member name twice, or under two top folders) is
        refused: one copy would silently hide the other.
        """
        found, near = [], []
        for info in self._zip.infolist():
            if info.is_dir():
                continue
            display = f"{self.path.name}:{info.filename}"
            m = STREET_FILE.search(info.filename)
            if m:
                found.append((display, *m.groups(), {"member": info, "size": info.file_size}))
            else:
                note = _near_miss_note(info.filename)
                if note:
                    near.append((display, note))
        if not found:
            raise SourceError(f"{self.path}: no YYYY-MM/YYYY-MM-<force>-street.csv members")
        return _select(sorted(found, key=lambda f: f[0]), self.forces, str(self.path), sorted(near))

    def _open_member(self, sf: StreetFile):
        return self._zip.open(sf.member)

    def materialise(self, sf: StreetFile, tmp_dir: Path) -> Path:
        """Extract one member to ``tmp_dir`` (streamed: memory stays small whatever its size).

        A damaged member (bad CRC, broken deflate stream, truncated archive) is a one-line
        SourceError naming the member.
        """
        dest = Path(tmp_dir) / f"member-{sf.month}-{sf.force}.csv"
        try:
            with self._zip.open(sf.member) as src, dest.open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
            dest.unlink(missing_ok=True)
            raise SourceError(f"{sf.source_file}: the zip member is damaged and cannot be read "
                              f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
        return dest

    def batches(self) -> Iterator[Batch]:
        for sf in self.listing().files:
            yield _legacy_batch(sf, lambda sf=sf: self._open_member(sf))


def open_source(spec: str, force: str | tuple[str, ...] | None = "kent", **api_options) -> Source:
    """Choose the source from its spec: an http(s) URL (API), a .zip, or a folder."""
    if spec.startswith(("http://", "https://")):
        from smp_data.police_api import ApiSource  # imported lazily: only the API needs it

        forces = parse_forces(force)
        if forces is None or len(forces) != 1:
            raise SourceError("the police.uk API source loads one force: give one force slug such as 'kent'")
        return ApiSource(spec, force=forces[0], **api_options)
    path = Path(spec)
    if path.suffix.lower() == ".zip":
        return ZipSource(path, force)
    return DirectorySource(path, force)

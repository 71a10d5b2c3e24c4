"""OS Code-Point Open postcodes: read, validate, place on both ward sets, and load into the store.

Input: the ``*.csv`` files of a folder (default ``../shared/data/postcodes/``; setting ``SMP_POSTCODES``,
build option ``--postcodes PATH|none``) or one file, in OS's Code-Point Open layout: **no header row**,
ten columns ``Postcode, Positional_quality_indicator, Eastings, Northings, Country_code,
NHS_regional_HA_code, NHS_HA_code, Admin_county_code, Admin_district_code, Admin_ward_code``.

Every line read is either loaded or rejected with its file, line and reason (rows read = loaded +
rejected); a file that cannot be read at all is a :class:`PostcodeError` naming it. Loaded postcodes get:

* a WGS84 point (pyproj, EPSG:27700 -> EPSG:4326, always x/y order);
* for postcodes whose OS admin district is Maidstone (``E07000110``): LSOA 2021 and the ward on both
  boundary sets by point in polygon on the ONS layers (``boundaries.PointAssigner``, the same assignment
  the police.uk records get). A point that falls just outside the generalised polygons (the borough's
  edge) takes the nearest polygon (``placement = 'nearest'``);
* OS's own May-2024 ward code kept beside ours; the number of borough postcodes where they differ is
  reported (a handful near ward boundaries, where the generalised ONS boundaries and OS's full-resolution
  ones part).

Clusters follow from the wards in the ``postcodes`` view (``queries/build/postcodes.sql``), the public
contract. Postcodes of other districts (a fuller Code-Point Open file) are kept with their district code
and no wards, so a search can say which district they are in.

The small pure helpers (:func:`normalise_postcode`, :func:`parse_postcode_query`) are shared with search.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

import queries

__all__ = [
    "MAIDSTONE_DISTRICT_CODE",
    "CODEPOINT_COLUMNS",
    "ATTRIBUTION",
    "PostcodeError",
    "PostcodeValidation",
    "normalise_postcode",
    "parse_postcode_query",
    "validate_codepoint_csv",
    "to_wgs84",
    "place_points",
    "load_into_store",
]

MAIDSTONE_DISTRICT_CODE = "E07000110"
CODEPOINT_COLUMNS = (
    "postcode", "positional_quality", "eastings", "northings", "country_code", "nhs_regional_ha_code",
    "nhs_ha_code", "admin_county_code", "admin_district_code", "admin_ward_code",
)
ATTRIBUTION = (
    "Postcodes: OS Code-Point Open (Open Government Licence v3.0). Contains OS data © Crown copyright and "
    "database right 2025. Contains Royal Mail data © Royal Mail copyright and database right 2025. Contains "
    "National Statistics data © Crown copyright and database right 2025."
)
POSITIONAL_QUALITY = frozenset({10, 20, 30, 40, 50, 60})  # 90 = no coordinates: rejected
_OUTWARD = r"[A-Z]{1,2}[0-9][0-9A-Z]?"
_FULL = re.compile(rf"^({_OUTWARD})([0-9][A-Z]{{2}})$")
_SECTOR = re.compile(rf"^({_OUTWARD})\s*([0-9])$")
_DISTRICT = re.compile(rf"^({_OUTWARD})$")
_GSS = re.compile(r"^E0[5-9][0-9]{6}$")
MAX_QUERY_LENGTH = 20


class PostcodeError(ValueError):
    """A postcode file that cannot be used at all, and why (one line naming the file)."""


def normalise_postcode(text: str) -> str | None:
    """A full UK postcode in its standard form (upper case, one space before the inward code), or None.

    >>> normalise_postcode("me159ql"), normalise_postcode("  ME15   9QL "), normalise_postcode("me5 8ab")
    ('ME15 9QL', 'ME15 9QL', 'ME5 8AB')
    >>> normalise_postcode("ME15 6"), normalise_postcode("Loose Road"), normalise_postcode("")
    (None, None, None)
    """
    if not isinstance(text, str) or len(text) > MAX_QUERY_LENGTH:
        return None
    compact = re.sub(r"\s+", "", text).upper()
    m = _FULL.match(compact)
    return f"{m.group(1)} {m.group(2)}" if m else None


def parse_postcode_query(text: str) -> list[tuple[str, str]]:
    """The readings of a typed postcode, most likely first: ``('full', 'ME15 9QL')``, ``('sector', 'ME15 6')``
    or ``('district', 'ME15')``, in any case or spacing; ``[]`` when the text is not a postcode. Without a
    space a district-length text is ambiguous ('ME15' is district ME15 or sector ME1 5): both are given.

    >>> parse_postcode_query("me159ql"), parse_postcode_query("ME15 6"), parse_postcode_query(" me15 ")
    ([('full', 'ME15 9QL')], [('sector', 'ME15 6')], [('district', 'ME15'), ('sector', 'ME1 5')])
    >>> parse_postcode_query("me156"), parse_postcode_query("tn12"), parse_postcode_query("ME5")
    ([('sector', 'ME15 6')], [('district', 'TN12'), ('sector', 'TN1 2')], [('district', 'ME5')])
    >>> [parse_postcode_query(t) for t in ("Loose Road", "ME", "12345", "E01024372", "ME15 6J", "ME15 6 6")]
    [[], [], [], [], [], []]
    """
    if not isinstance(text, str) or len(text) > MAX_QUERY_LENGTH:
        return []
    full = normalise_postcode(text)
    if full:
        return [("full", full)]
    raw = re.sub(r"\s+", " ", text.strip().upper())
    if raw.startswith("E0"):  # 'E01…' is an ONS code, not a postcode
        return []
    m = _SECTOR.match(raw)
    if m and " " in raw:
        return [("sector", f"{m.group(1)} {m.group(2)}")]
    readings = []
    if _DISTRICT.match(raw):
        readings.append(("district", raw))
    m = re.match(rf"^({_OUTWARD})([0-9])$", raw)
    if m:
        readings.append(("sector", f"{m.group(1)} {m.group(2)}"))
    return readings


@dataclass
class PostcodeValidation:
    """One file's validation: accepted rows, rejects (line, reason, raw) and the reconciliation."""

    source_file: str
    rows: pd.DataFrame
    rejects: list[tuple[str, int, str, str]] = field(default_factory=list)
    rows_read: int = 0

    @property
    def rows_loaded(self) -> int:
        return len(self.rows)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)


def _int(value: str, lo: int, hi: int) -> int | None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if lo <= n <= hi else None


def validate_codepoint_csv(path: Path, seen: dict[str, str] | None = None) -> PostcodeValidation:
    """Validate one Code-Point Open CSV (no header). ``seen`` maps postcodes already loaded (from earlier
    files) to ``file:line``; a repeat is rejected. Raises :class:`PostcodeError` for an unreadable file.

    Rejected: a wrong number of columns, a postcode that is not a full UK postcode, a positional quality
    other than 10-60 (90 = no coordinates), eastings/northings outside Great Britain, an admin district or
    ward code that is not an ONS code, a repeated postcode.
    """
    path = Path(path)
    seen = {} if seen is None else seen
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PostcodeError(f"postcode file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PostcodeError(f"postcode file {path} cannot be read as UTF-8 text: {exc}") from None
    rows, rejects, n_read = [], [], 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        n_read += 1
        raw = line[:500]
        try:
            fields = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            fields = []
        fields = [f.strip() for f in fields]

        def reject(reason: str, _line=line_no, _raw=raw) -> None:
            rejects.append((name, _line, reason, _raw))

        if not fields or not any(fields):
            reject("empty line")
            continue
        if len(fields) != len(CODEPOINT_COLUMNS):
            reject(f"expected {len(CODEPOINT_COLUMNS)} columns (OS Code-Point Open, no header), found {len(fields)}")
            continue
        rec = dict(zip(CODEPOINT_COLUMNS, fields))
        postcode = normalise_postcode(rec["postcode"])
        if postcode is None:
            reject(f"postcode {rec['postcode'][:20]!r} is not a full UK postcode")
            continue
        quality = _int(rec["positional_quality"], 0, 100)
        if quality not in POSITIONAL_QUALITY:
            reject(f"positional quality {rec['positional_quality'][:10]!r} has no usable coordinates (10-60 expected)")
            continue
        east, north = _int(rec["eastings"], 1, 700_000), _int(rec["northings"], 1, 1_300_000)
        if east is None or north is None:
            reject(f"eastings/northings {rec['eastings'][:12]!r}, {rec['northings'][:12]!r} are not "
                   "British National Grid metres")
            continue
        if not _GSS.match(rec["admin_district_code"]):
            reject(f"admin district code {rec['admin_district_code'][:12]!r} is not an ONS code")
            continue
        ward = rec["admin_ward_code"] or None
        if ward is not None and not _GSS.match(ward):
            reject(f"admin ward code {ward[:12]!r} is not an ONS code")
            continue
        if postcode in seen:
            reject(f"postcode {postcode} already loaded from {seen[postcode]}")
            continue
        seen[postcode] = f"{name}:{line_no}"
        rows.append((postcode, quality, east, north, rec["admin_district_code"], ward, name, line_no))
    df = pd.DataFrame(rows, columns=["postcode", "positional_quality", "eastings", "northings",
                                     "os_district_code", "os_ward_code", "source_file", "source_line"])
    return PostcodeValidation(name, df, rejects, n_read)


def to_wgs84(eastings, northings) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid metres -> WGS84 (longitude, latitude) with pyproj.

    >>> lon, lat = to_wgs84([575896], [155611])  # ME14 1PS, Maidstone town centre
    >>> round(float(lon[0]), 3), round(float(lat[0]), 3)
    (0.52, 51.272)
    """
    from pyproj import Transformer  # noqa: PLC0415  (import cost only when converting)

    transformer = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(np.asarray(eastings, dtype="float64"), np.asarray(northings, dtype="float64"))
    return np.asarray(lon), np.asarray(lat)


def _nearest(layer, code_col: str, lon: float, lat: float) -> str:
    import shapely  # noqa: PLC0415

    pt = shapely.Point(lon, lat)
    distances = layer.geometry.distance(pt)
    return layer[code_col].iloc[int(np.argmin(distances.to_numpy()))]


def place_points(data, lon, lat) -> pd.DataFrame:
    """LSOA 2021 and ward (both sets) for each point, by point in polygon on the ONS layers; a point outside
    every polygon of a layer takes that layer's nearest polygon. ``data`` is a ``boundaries.BoundaryData``.
    Columns: lsoa21_code, ward_2022_code, ward_2024_code, placement ('point' | 'nearest')."""
    import warnings  # noqa: PLC0415

    from boundaries import PointAssigner  # noqa: PLC0415

    layers = {"lsoa21_code": (data.lsoa21, "LSOA21CD"), "ward_2022_code": (data.wards["2022"], "code"),
              "ward_2024_code": (data.wards["2024"], "code")}
    out = pd.DataFrame(index=range(len(lon)))
    nearest = np.zeros(len(lon), dtype=bool)
    for col, (layer, code_col) in layers.items():
        codes = PointAssigner(layer, code_col).assign(lon, lat)
        missing = np.flatnonzero(pd.isna(codes))
        with warnings.catch_warnings():  # distances in degrees are fine for choosing the nearest polygon
            warnings.simplefilter("ignore")
            for i in missing:
                codes[i] = _nearest(layer, code_col, float(lon[i]), float(lat[i]))
        nearest[missing] = True
        out[col] = codes
    out["placement"] = np.where(nearest, "nearest", "point")
    return out


def _paths(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise PostcodeError(f"postcodes folder not found: {root} (use --postcodes none to skip)")
    paths = sorted(p for p in root.glob("*.csv") if p.is_file())
    if not paths:
        raise PostcodeError(f"postcodes folder {root} has no *.csv file (OS Code-Point Open, no header)")
    return paths


def load_into_store(con, root: Path | None, data, progress: Callable[[str], None] = print) -> dict:
    """(Re)create the postcode tables and view in the store being built and fill them from ``root``
    (None = leave them empty: the dashboard then says postcode search is unavailable).

    Needs the dimension tables (wards, LSOAs, districts) loaded first. Returns ``{files: [...], rows_read,
    rows_loaded, rows_rejected, rows_in_borough, ward_disagreements}``.
    """
    queries.run_script(con, "build.create_postcode_tables")
    queries.run_script(con, "build.create_postcode_views")
    summary = {"files": [], "rows_read": 0, "rows_loaded": 0, "rows_rejected": 0, "rows_in_borough": 0,
               "ward_disagreements": 0}
    if root is None:
        progress("Postcodes: skipped (--postcodes none)")
        return summary
    paths = _paths(Path(root))
    progress(f"Postcodes (OS Code-Point Open) from {root}")
    seen: dict[str, str] = {}
    for path in paths:
        v = validate_codepoint_csv(path, seen)
        rows = v.rows
        in_borough = rows["os_district_code"] == MAIDSTONE_DISTRICT_CODE
        disagree = 0
        if len(rows):
            lon, lat = to_wgs84(rows["eastings"], rows["northings"])
            rows = rows.assign(longitude=lon, latitude=lat, in_borough=in_borough,
                               outward_code=rows["postcode"].str.split(" ").str[0],
                               sector=rows["postcode"].str[:-2])
            for col in ("lsoa21_code", "ward_2022_code", "ward_2024_code", "placement"):
                rows[col] = None
            if in_borough.any():
                idx = np.flatnonzero(in_borough.to_numpy())
                placed = place_points(data, lon[idx], lat[idx])
                for col in placed.columns:
                    rows.loc[rows.index[idx], col] = placed[col].to_numpy()
                b = rows.loc[in_borough]
                disagree = int((b["os_ward_code"].fillna("") != b["ward_2024_code"].fillna("")).sum())
            con.register("_incoming_postcodes", rows)
            try:
                cols = ", ".join(rows.columns)
                con.execute(f"insert into postcode_points ({cols}) select {cols} from _incoming_postcodes")
            finally:
                con.unregister("_incoming_postcodes")
        if v.rejects:
            con.executemany("insert into postcode_rejects values (?, ?, ?, ?)", v.rejects)
        n_borough = int(in_borough.sum())
        con.execute("insert into postcode_files values (?, ?, ?, ?, ?, ?)",
                    [v.source_file, v.rows_read, v.rows_loaded, v.rows_rejected, n_borough, disagree])
        assert v.rows_read == v.rows_loaded + v.rows_rejected
        summary["files"].append({"source_file": v.source_file, "read": v.rows_read, "loaded": v.rows_loaded,
                                 "rejected": v.rows_rejected})
        for key, n in (("rows_read", v.rows_read), ("rows_loaded", v.rows_loaded),
                       ("rows_rejected", v.rows_rejected), ("rows_in_borough", n_borough),
                       ("ward_disagreements", disagree)):
            summary[key] += n
        progress(f"  {v.source_file:<45} rows read {v.rows_read:>6,} = loaded {v.rows_loaded:>6,}"
                 f" + rejected {v.rows_rejected:>4,}   (Maidstone {n_borough:,}; OS ward differs from ours: {disagree})")
        for _file, line, reason, _raw in v.rejects[:5]:
            progress(f"    rejected {v.source_file} line {line}: {reason}")
    if summary["rows_loaded"] == 0:
        raise PostcodeError(f"no valid postcode rows in {root} ({summary['rows_rejected']:,} rejected)")
    return summary

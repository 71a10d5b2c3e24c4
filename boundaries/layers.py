"""Reading the ONS boundary layers, lookups and population tables, with clear errors.

Every reader names the file (and the field) it could not use, so a broken boundary file
stops the build with a one-line reason instead of a traceback from deep inside GeoPandas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

__all__ = [
    "BoundaryError",
    "WardSet",
    "WARD_SETS",
    "BoundaryData",
    "read_layer",
    "read_table",
    "load_boundaries",
]


class BoundaryError(ValueError):
    """A boundary, lookup or population file that cannot be used, and why."""


@dataclass(frozen=True)
class WardSet:
    """One of the two Maidstone ward boundary sets."""

    key: str  # '2022' | '2024'
    label: str
    geojson: str
    code_field: str
    name_field: str
    population_csv: str
    population_field: str
    population_basis: str
    expected_count: int  # wards in the set; the codes are those of boundaries/data/clusters_<key>.csv


WARD_SETS: dict[str, WardSet] = {
    "2022": WardSet(
        "2022",
        "Pre-May-2024 wards (26)",
        "maidstone_wards_2022.geojson",
        "WD22CD",
        "WD22NM",
        "population/maidstone_wards_2022_population.csv",
        "pop_mid2022_ons",
        "ONS mid-2022 ward estimates (2023 wards)",
        26,
    ),
    "2024": WardSet(
        "2024",
        "May-2024 wards (22)",
        "maidstone_wards_2024.geojson",
        "WD24CD",
        "WD24NM",
        "population/maidstone_wards_2024_population.csv",
        "pop_mid2024_ons",
        "ONS mid-2024 ward estimates (2025 wards)",
        22,
    ),
}


MAIDSTONE_LSOA21_COUNT = 99  # Maidstone's LSOAs (2021)
KENT_DISTRICT_COUNT = 13  # the 12 Kent districts and Medway


def check_codes(path: Path, what: str, found, expected: dict[str, str], source: str) -> None:
    """The layer's codes must be exactly the expected ones, each once; otherwise a BoundaryError naming
    what is missing, extra or repeated (a missing ward would otherwise pass its records to a neighbour).

    >>> check_codes(Path("w.geojson"), "wards", ["A", "B"], {"A": "Ayton", "B": "Bee", "C": "Cee"}, "c.csv")
    Traceback (most recent call last):
    ...
    boundaries.layers.BoundaryError: boundary file w.geojson has 2 wards, expected 3 (c.csv): missing C (Cee)
    """
    found = list(found)
    dup = sorted({c for c in found if found.count(c) > 1})
    missing = [c for c in expected if c not in set(found)]
    extra = sorted(set(found) - set(expected))
    if not (dup or missing or extra):
        return
    detail = []
    if missing:
        detail.append("missing " + ", ".join(f"{c} ({expected[c]})" if expected[c] else c for c in missing[:5]))
    if extra:
        detail.append("unexpected " + ", ".join(extra[:5]))
    if dup:
        detail.append("repeated " + ", ".join(dup[:5]))
    kind = "lookup file" if path.suffix == ".csv" else "boundary file"
    raise BoundaryError(f"{kind} {path} has {len(found)} {what}, expected "
                        f"{len(expected)} ({source}): {'; '.join(detail)}")


def read_layer(path: Path, required: tuple[str, ...], expect_count: int | None = None) -> gpd.GeoDataFrame:
    """Read a GeoJSON layer in EPSG:4326 and check it is usable.

    Raises BoundaryError naming the file for: a missing or unreadable file, invalid JSON,
    a missing property, an empty or invalid geometry, or an unexpected feature count.
    """
    path = Path(path)
    if not path.is_file():
        raise BoundaryError(f"boundary file not found: {path}")
    try:
        with path.open("rb") as fh:
            doc = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BoundaryError(f"boundary file {path} is not readable GeoJSON: {exc}") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features:
        raise BoundaryError(f"boundary file {path} has no features")
    try:
        gdf = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    except Exception as exc:  # shapely/geopandas raise many types for bad geometry
        raise BoundaryError(f"boundary file {path} has a geometry that cannot be read: {exc}") from None
    for field in required:
        if field not in gdf.columns:
            raise BoundaryError(f"boundary file {path} lacks the property {field!r}")
        if gdf[field].isna().any():
            n = int(gdf[field].isna().sum())
            raise BoundaryError(f"boundary file {path}: property {field!r} is empty in {n} feature(s)")
    if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
        raise BoundaryError(f"boundary file {path} has features with no geometry")
    not_area = ~gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if not_area.any():
        first = gdf.loc[not_area, required[0]].iloc[0] if required else int(not_area.idxmax())
        raise BoundaryError(f"boundary file {path}: feature {first} is a {gdf.geometry[not_area].iloc[0].geom_type}, "
                            "not a polygon")
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        first = gdf.loc[invalid, required[0]].iloc[0] if required else int(invalid.idxmax())
        raise BoundaryError(
            f"boundary file {path} has {int(invalid.sum())} invalid geometr(y/ies), first {first}: "
            f"{shapely.is_valid_reason(gdf.geometry[invalid].iloc[0])}"
        )
    if expect_count is not None and len(gdf) != expect_count:
        raise BoundaryError(f"boundary file {path} has {len(gdf)} features, expected {expect_count}")
    return gdf


def read_table(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Read a lookup or population CSV, checking the columns it must have."""
    path = Path(path)
    if not path.is_file():
        raise BoundaryError(f"lookup file not found: {path}")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise BoundaryError(f"lookup file {path} cannot be read: {exc}") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise BoundaryError(f"lookup file {path} lacks column(s) {', '.join(missing)}")
    return df


def _int_column(df: pd.DataFrame, col: str, path: Path) -> pd.Series:
    values = pd.to_numeric(df[col], errors="coerce")
    if values.isna().any():
        bad = df.loc[values.isna(), col].iloc[0]
        raise BoundaryError(f"lookup file {path}: column {col!r} has a non-number {bad!r}")
    return values.astype("int64")


@dataclass
class BoundaryData:
    """Everything the build needs from ``shared/data/boundaries``."""

    root: Path
    wards: dict[str, gpd.GeoDataFrame]  # key '2022' / '2024': columns code, name, population, geometry
    lsoa21: gpd.GeoDataFrame  # LSOA21CD, LSOA21NM, WD24CD, WD22CD_derived, pop_census2021, geometry
    districts: gpd.GeoDataFrame  # LADCD, LADNM, populations, geometry
    lsoa11_to_21: pd.DataFrame  # lsoa11_code, lsoa21_code, CHGIND
    ward_overlap: pd.DataFrame  # WD22CD, WD24CD, shares, pop_census2021_areal_est

    @property
    def borough(self):
        """The Maidstone borough outline (union of the pre-2024 wards)."""
        return shapely.union_all(self.wards["2022"].geometry.values)


def load_boundaries(root: Path) -> BoundaryData:
    """Load and check all boundary inputs from ``root`` (shared/data/boundaries)."""
    root = Path(root)
    if not root.is_dir():
        raise BoundaryError(f"boundaries folder not found: {root}")
    from boundaries.clusters import load_clusters  # noqa: PLC0415 (clusters imports this module)

    wards = {}
    for key, ws in WARD_SETS.items():
        gdf = read_layer(root / ws.geojson, (ws.code_field, ws.name_field))
        try:
            reference = load_clusters(key)
        except ValueError as exc:
            raise BoundaryError(str(exc)) from None
        expected = dict(zip(reference["ward_code"], reference["ward_name"]))
        if len(expected) != ws.expected_count:
            raise BoundaryError(f"boundaries/data/clusters_{key}.csv lists {len(expected)} wards, expected "
                                f"{ws.expected_count} ({ws.label})")
        check_codes(root / ws.geojson, "wards", gdf[ws.code_field], expected, f"boundaries/data/clusters_{key}.csv")
        pop = read_table(root / ws.population_csv, (ws.code_field, ws.name_field, ws.population_field))
        pop = pop.assign(population=_int_column(pop, ws.population_field, root / ws.population_csv))
        check_codes(root / ws.population_csv, "wards", pop[ws.code_field], expected,
                    f"boundaries/data/clusters_{key}.csv")
        merged = gdf[[ws.code_field, ws.name_field, "geometry"]].merge(
            pop[[ws.code_field, "population"]], on=ws.code_field, how="left", validate="one_to_one"
        )
        if merged["population"].isna().any():
            code = merged.loc[merged["population"].isna(), ws.code_field].iloc[0]
            raise BoundaryError(f"{root / ws.population_csv} has no population for ward {code}")
        merged = merged.rename(columns={ws.code_field: "code", ws.name_field: "name"})
        wards[key] = gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")
    lsoa21 = read_layer(
        root / "maidstone_lsoa_2021.geojson",
        ("LSOA21CD", "LSOA21NM", "WD24CD", "WD22CD_derived", "pop_census2021"),
        expect_count=MAIDSTONE_LSOA21_COUNT,
    )
    if lsoa21["LSOA21CD"].duplicated().any():
        raise BoundaryError(f"boundary file {root / 'maidstone_lsoa_2021.geojson'} lists LSOA "
                            f"{lsoa21.loc[lsoa21['LSOA21CD'].duplicated(), 'LSOA21CD'].iloc[0]} twice")
    for col, key in (("WD24CD", "2024"), ("WD22CD_derived", "2022")):  # the LSOA -> ward fallback
        unknown = sorted(set(lsoa21[col]) - set(wards[key]["code"]))
        if unknown:
            raise BoundaryError(f"boundary file {root / 'maidstone_lsoa_2021.geojson'}: {col} names ward(s) "
                                f"{', '.join(unknown[:5])} that the {WARD_SETS[key].label} do not have")
    districts = read_layer(root / "kent_districts.geojson", ("LADCD", "LADNM"), expect_count=KENT_DISTRICT_COUNT)
    dpop = read_table(
        root / "population" / "kent_districts_population.csv",
        ("LADCD", "LADNM", "pop_census2021_lsoa_sum", "pop_mid2022_ons_ward_sum", "pop_mid2024_ons_ward_sum"),
    )
    for col in ("pop_census2021_lsoa_sum", "pop_mid2022_ons_ward_sum", "pop_mid2024_ons_ward_sum"):
        dpop[col] = _int_column(dpop, col, root / "population" / "kent_districts_population.csv")
    districts = districts[["LADCD", "LADNM", "geometry"]].merge(
        dpop.drop(columns=["LADNM"]), on="LADCD", how="left", validate="one_to_one"
    )
    lk = read_table(
        root / "lookups" / "lookup_lsoa11_lsoa21_maidstone.csv",
        ("lsoa11_code", "lsoa21_code", "CHGIND", "lsoa11_name", "lsoa21_name"),
    )
    overlap = read_table(
        root / "lookups" / "lookup_ward2022_to_ward2024_overlap.csv",
        ("WD22CD", "WD22NM", "WD24CD", "WD24NM", "share_of_WD22_area", "share_of_WD24_area",
         "pop_census2021_areal_est"),
    )
    for col in ("share_of_WD22_area", "share_of_WD24_area", "pop_census2021_areal_est"):
        overlap[col] = pd.to_numeric(overlap[col], errors="raise")
    unknown = sorted(set(lk["lsoa21_code"]) - set(lsoa21["LSOA21CD"]))
    if unknown:
        raise BoundaryError(f"lookup file {root / 'lookups' / 'lookup_lsoa11_lsoa21_maidstone.csv'} maps to LSOA(s) "
                            f"{', '.join(unknown[:5])} that {root / 'maidstone_lsoa_2021.geojson'} does not have")
    return BoundaryData(root, wards, lsoa21, gpd.GeoDataFrame(districts, crs="EPSG:4326"), lk, overlap)

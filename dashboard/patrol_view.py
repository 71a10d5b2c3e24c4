"""The patrol sheet: the top locations of an area over a window, for several crime types or priorities
in one table, each location told apart from same-named ones, with a small numbered map, a one-page
A4 print view and a CSV named by its window, area and columns.

Pure functions (tested without Streamlit): page parameters, the column choice, the table, its title
and file name, the map figure. The named snap points (for "nearest named place") are cached at the end.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import altair as alt
import streamlit as st

from analytics.hotspots import repeat_threshold
from analytics.places import grid_reference, is_named, nearest_named, place_name, to_bng
from dashboard import vega
from dashboard.maps import fit_extent
from dashboard.theme import BLACK, OTHER_PLACE_COLOUR, OTHER_WARD_LINE, OUTLINE, REPEAT_COLOUR, TEXT, WHITE
from dashboard.vega import VegaFigure

__all__ = [
    "Column", "DEFAULT_COLUMNS", "TOP_CHOICES", "DEFAULT_TOP", "MAX_COLUMNS", "TOWN_CENTRE_WARD", "VIEWS",
    "column_options", "columns_note", "default_columns", "parse_columns", "columns_param", "parse_top", "parse_window",
    "parse_view", "parse_radius", "near_points", "column_args", "named_points", "patrol_table", "display_table", "csv_table", "sheet_title",
    "csv_view_name", "phone_table", "spread_labels", "patrol_map_figure", "PRINT_CSS", "PRINT_SCREEN_CSS", "cached_named_points", "cached_map_figure",
]

DEFAULT_COLUMNS = ("type:Violence and sexual offences", "type:Shoplifting", "type:Anti-social behaviour")
TOP_CHOICES = (5, 10, 15, 20)
DEFAULT_TOP = 15
MAX_COLUMNS = 4  # a fifth column no longer fits the A4 print view
TOWN_CENTRE_WARD = "High Street"  # the town centre (TCTF area) is High Street ward on both boundary sets
VIEWS = ("full", "print")
NBSP = "\u00a0"
OTHER_COLOUR = OTHER_PLACE_COLOUR  # orange: REPEAT location; blue: other (colour-blind safe, dashboard.theme)
SHORT_LABELS = {"Violence and sexual offences": "Violence & sexual", "Anti-social behaviour": "ASB",
                "Criminal damage and arson": "Criminal damage", "Theft from the person": "Theft from person",
                "Possession of weapons": "Weapons"}
PRIORITY_LABELS = {"serious_violence_organised_crime": "Serious violence", "substance_misuse": "Substance misuse"}


@dataclass(frozen=True)
class Column:
    """One column of the sheet: a crime type, or a priority's measure crime types."""

    key: str  # 'type:<police.uk crime type>' or 'priority:<priority_id>'
    label: str  # column heading
    crime_types: tuple[str, ...]


# ---------------------------------------------------------------- choices and page parameters
def column_options(crime_types: Iterable[str], priorities: pd.DataFrame,
                   short_names: Mapping[str, str] | None = None) -> dict[str, Column]:
    """Every crime type, then every priority police.uk can measure by crime type alone (a priority
    defined by an area, like the safe town centre, is the town-centre area instead).

    >>> p = pd.DataFrame({"priority_id": ["asb", "safe_town_centre", "dv"], "name": ["Tackling ASB", "Town", "DA"],
    ...                   "measure_types": [["Anti-social behaviour"], ["Shoplifting"], []],
    ...                   "area_rule": ["", "ward:High Street", ""]})
    >>> [c.key for c in column_options(["Shoplifting"], p).values()]
    ['type:Shoplifting', 'priority:asb']
    """
    out = {f"type:{t}": Column(f"type:{t}", SHORT_LABELS.get(t, t), (t,)) for t in sorted(crime_types)}
    for row in priorities.itertuples():
        types = tuple(sorted(row.measure_types))
        if types and not (row.area_rule or ""):
            label = PRIORITY_LABELS.get(row.priority_id) or (short_names or {}).get(row.priority_id, row.name)
            out[f"priority:{row.priority_id}"] = Column(f"priority:{row.priority_id}", f"{label} (priority)", types)
    return out


def columns_note(columns: Sequence[Column]) -> str:
    """What each priority column counts (its crime types), for the caption.

    >>> columns_note([Column("priority:x", "SV (priority)", ("Drugs", "Robbery")), Column("type:y", "Y", ("Y",))])
    'SV (priority) counts Drugs, Robbery.'
    """
    return " ".join(f"{c.label} counts {', '.join(c.crime_types)}." for c in columns
                    if c.key.startswith("priority:"))


def default_columns(options: Mapping[str, Column], crime_types: Sequence[str] = (), priority: str = "") -> tuple:
    """The sidebar's crime types (or its priority) when set, else violence, shoplifting and ASB.

    >>> opts = {k: None for k in ("type:Shoplifting", "type:Drugs", "priority:asb", *DEFAULT_COLUMNS)}
    >>> default_columns(opts, ["Drugs"]), default_columns(opts, [], "asb")
    (('type:Drugs',), ('priority:asb',))
    """
    chosen = tuple(k for k in (f"type:{t}" for t in crime_types) if k in options)[:MAX_COLUMNS]
    if not chosen and f"priority:{priority}" in options:
        chosen = (f"priority:{priority}",)
    return chosen or tuple(k for k in DEFAULT_COLUMNS if k in options)


def parse_columns(raw, options: Mapping[str, Column], default: tuple) -> tuple[tuple[str, ...], str | None]:
    """The ``cols`` URL parameter (comma list of keys) checked against the options; a refused value is
    counted, never echoed (it is text from a URL).

    >>> opts = {"type:Shoplifting": None, "type:Drugs": None}
    >>> parse_columns("type:Drugs,type:Nope", opts, ("type:Shoplifting",))
    (('type:Drugs',), 'Ignored 1 unknown column in the link (cols).')
    >>> parse_columns(None, opts, ("type:Shoplifting",))
    (('type:Shoplifting',), None)
    """
    if raw is None or str(raw).strip() == "":
        return default, None
    parts = [p.strip() for p in str(raw)[:2000].split(",") if p.strip()]
    good = tuple(dict.fromkeys(p for p in parts if p in options))
    bad = len(parts) - sum(1 for p in parts if p in options)
    note = f"Ignored {bad} unknown column{'s' if bad != 1 else ''} in the link (cols)." if bad else None
    if len(good) > MAX_COLUMNS:
        good = good[:MAX_COLUMNS]
        note = ((note + " ") if note else "") + f"Only the first {MAX_COLUMNS} columns are used (one printed page)."
    return (good or default), note


def columns_param(keys: Sequence[str], default: tuple) -> str | None:
    """The ``cols`` URL value, or None for the default (short links)."""
    return None if tuple(keys) == tuple(default) else ",".join(keys)


def parse_top(raw) -> tuple[int, str | None]:
    """The ``top`` URL parameter: one of :data:`TOP_CHOICES`.

    >>> parse_top("10"), parse_top(None), parse_top("999")
    ((10, None), (15, None), (15, 'Ignored the link’s top value: use 5, 10, 15 or 20.'))
    """
    if raw is None or str(raw).strip() == "":
        return DEFAULT_TOP, None
    text = str(raw).strip()
    if text.isascii() and text.isdigit() and int(text) in TOP_CHOICES:
        return int(text), None
    return DEFAULT_TOP, "Ignored the link’s top value: use 5, 10, 15 or 20."


def parse_window(raw) -> tuple[int | str, str | None]:
    """The ``recent`` URL parameter here: 1-12 (last N months with data) or ``period`` (every month with
    data in the filter bar's period).

    >>> parse_window("period"), parse_window("6"), parse_window(None)
    (('period', None), (6, None), (3, None))
    >>> parse_window("x")[1]
    'Ignored the link’s recent value: use 1 to 12, or period.'
    """
    if raw is None or str(raw).strip() == "":
        return 3, None
    text = str(raw).strip().lower()
    if text == "period":
        return "period", None
    if text.isascii() and text.isdigit() and 1 <= int(text) <= 12:
        return int(text), None
    return 3, "Ignored the link’s recent value: use 1 to 12, or period."


def parse_view(raw) -> tuple[str, str | None]:
    """``full`` or ``print``.

    >>> parse_view("print"), parse_view(None), parse_view("<b>")[1]
    (('print', None), ('full', None), 'Ignored the link’s view value: use view=print for the print view.')
    """
    text = "" if raw is None else str(raw).strip().lower()
    if text in ("", "full"):
        return "full", None
    if text == "print":
        return "print", None
    return "full", "Ignored the link’s view value: use view=print for the print view."


def parse_radius(raw, radii: Sequence[int], default: int = 500) -> int:
    """The ``radius`` URL parameter (metres) when it is one of ``radii``, else the default.

    >>> parse_radius("250", (250, 500, 1000)), parse_radius("7", (250, 500, 1000)), parse_radius(None, (500,))
    (250, 500, 500)
    """
    text = "" if raw is None else str(raw).strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) in radii else default


def near_points(rows: pd.DataFrame, points: Sequence[tuple[float, float]], radius_m: float) -> pd.Series:
    """Which rows (``longitude``, ``latitude``) lie within ``radius_m`` metres of any of ``points``
    (lon, lat): a postcode, or a street's snap points, from Find my area. Distances in British National Grid
    metres.

    >>> rows = pd.DataFrame({"longitude": [0.5225, 0.5225, 0.60], "latitude": [51.2725, 51.2760, 51.2725]})
    >>> near_points(rows, [(0.5225, 51.2725)], 250).tolist()  # the second is ~390 m north
    [True, False, False]
    """
    if rows.empty or not points:
        return pd.Series(False, index=rows.index)
    e, n = to_bng(rows["longitude"], rows["latitude"])
    pe, pn = to_bng([p[0] for p in points], [p[1] for p in points])
    d = np.hypot(e[:, None] - pe[None, :], n[:, None] - pn[None, :]).min(axis=1)
    return pd.Series(d <= radius_m, index=rows.index)


def column_args(columns: Sequence[Column]) -> dict:
    """The parallel (column, crime type) lists the patrol queries take.

    >>> column_args([Column("a", "A", ("x", "y")), Column("b", "B", ("y",))])
    {'column_names': ['A', 'A', 'B'], 'column_types': ['x', 'y', 'y']}
    """
    pairs = [(c.label, t) for c in columns for t in c.crime_types]
    return {"column_names": [p[0] for p in pairs], "column_types": [p[1] for p in pairs]}


# ---------------------------------------------------------------- the table
def named_points(snap_points: pd.DataFrame) -> pd.DataFrame:
    """The snap points with a proper name (street or named place), with British National Grid metres."""
    place = snap_points["location"].map(place_name)
    keep = place.map(is_named).to_numpy(bool)
    pts = snap_points.loc[keep, ["longitude", "latitude"]].assign(place=place[keep].to_numpy())
    e, n = to_bng(pts["longitude"], pts["latitude"])
    return pts.assign(easting=e, northing=n).reset_index(drop=True)


def patrol_table(totals: pd.DataFrame, by_column: pd.DataFrame, columns: Sequence[Column], n_months: int,
                 named: pd.DataFrame, top_n: int | None) -> pd.DataFrame:
    """The sheet's rows: the ``top_n`` snap points by records of the chosen types in the window (ties by
    name, then grid reference), each with its counts per column, total (every record once, even when its
    type is in two columns), comparison total, change, months with records and REPEAT flag, and what tells
    it apart: ward, nearest named place and an 8-figure grid reference (to 10 m; 10 figures, to 1 m, for
    two same-named points within 10 m of each other).

    ``totals`` and ``by_column`` are the ``patrol_locations`` and ``patrol_location_columns`` rows.
    """
    labels = [c.label for c in columns]
    data = totals[totals["records"] > 0].copy()
    data["place"] = data["location"].map(place_name).replace("", "(unnamed location)")
    e, n = to_bng(data["longitude"], data["latitude"])
    data["easting"], data["northing"] = np.round(e), np.round(n)
    data["grid_ref"] = [grid_reference(a, b, 8) for a, b in zip(data["easting"], data["northing"])]
    close = data.duplicated(["place", "grid_ref"], keep=False)  # same name within 10 m: 10 figures (to 1 m)
    data.loc[close, "grid_ref"] = [grid_reference(a, b, 10) for a, b in
                                   zip(data.loc[close, "easting"], data.loc[close, "northing"])]
    data = data.sort_values(["records", "place", "grid_ref"], ascending=[False, True, True], kind="stable")
    if top_n is not None:
        data = data.head(top_n)
    key = ["location", "longitude", "latitude"]
    wide = (by_column.pivot_table(index=key, columns="column_name", values="records", aggfunc="sum", fill_value=0)
            .reindex(columns=labels, fill_value=0).reset_index())
    data = data.merge(wide, on=key, how="left")
    data[labels] = data[labels].fillna(0).astype("int64")
    near = nearest_named(data[["place", "easting", "northing"]], named)
    threshold = repeat_threshold(n_months)
    out = pd.DataFrame({
        "rank": range(1, len(data) + 1),
        "place": data["place"].to_numpy(),
        "ward": data["ward_name"].fillna("").to_numpy(),
        "nearest_named": near["nearest_named"].to_numpy(),
        "nearest_named_m": near["nearest_named_m"].to_numpy(),
        "grid_ref": data["grid_ref"].to_numpy(),
        **{label: data[label].to_numpy() for label in labels},
        "records": data["records"].astype("int64").to_numpy(),
        "records_comparison": data["records_comparison"].astype("int64").to_numpy(),
        "months_with_records": data["months_with_records"].astype("int64").to_numpy(),
        "is_repeat": (data["months_with_records"] >= threshold).to_numpy(),
        "easting": data["easting"].astype("int64").to_numpy(),
        "northing": data["northing"].astype("int64").to_numpy(),
        "longitude": data["longitude"].to_numpy(), "latitude": data["latitude"].to_numpy(),
        "lsoa21_code": data["lsoa21_code"].to_numpy(),
    })
    out["change"] = out["records"] - out["records_comparison"]
    return out


def _near_text(name: str, metres: float) -> str:
    return f"{name}, {int(metres):,} m" if name and np.isfinite(metres) else ""


def display_table(table: pd.DataFrame, columns: Sequence[Column], n_months: int, can_compare: bool,
                  one_ward: bool = False) -> pd.DataFrame:
    """The sheet as shown and printed: No., place, total, a column per type, change, months with records,
    repeat, then what tells the place apart: nearest named place, grid reference (its spaces non-breaking)
    and ward. The numbers come first so that a phone shows them without sideways swiping. ``one_ward``:
    leave the ward out when every row is in the same ward (the title names it)."""
    labels = [c.label for c in columns]
    out = pd.DataFrame({
        "No.": table["rank"].to_numpy(),
        "Place (on or near)": table["place"].to_numpy(),
        "Total": table["records"].to_numpy(),
        **{label: table[label].to_numpy() for label in labels},
    })
    if can_compare:
        out["Change"] = table["change"].to_numpy()
    out["Months"] = [f"{int(m)} of {n_months}" for m in table["months_with_records"]]
    out["Repeat"] = np.where(table["is_repeat"], "REPEAT", "")
    out["Nearest named place"] = [_near_text(a, b) for a, b in zip(table["nearest_named"], table["nearest_named_m"])]
    out["Grid ref"] = table["grid_ref"].str.replace(" ", NBSP).to_numpy()
    if not (one_ward and table["ward"].nunique() <= 1):
        out["Ward"] = table["ward"].to_numpy()
    return out


PHONE_DROPPED = ("Months", "Nearest named place", "Grid ref", "Ward")


def phone_table(shown: pd.DataFrame) -> pd.DataFrame:
    """The sheet on a phone: every count (number, place, total, each column, change) and the repeat flag as
    "R", so no number is off-screen; what tells same-named places apart (nearest named place, grid reference,
    ward) and the months are on the print view and in the CSV.

    >>> t = pd.DataFrame({"No.": [1], "Place (on or near)": ["Bank Street"], "Total": [5], "ASB": [2], "Change": [1],
    ...                   "Months": ["3 of 3"], "Repeat": ["REPEAT"], "Nearest named place": ["x"], "Grid ref": ["TQ"]})
    >>> phone_table(t).values.tolist(), list(phone_table(t).columns)
    ([[1, 'Bank Street', 5, 2, 1, 'R']], ['No.', 'Place (on or near)', 'Total', 'ASB', 'Change', 'Rpt'])
    """
    out = shown.drop(columns=[c for c in PHONE_DROPPED if c in shown.columns])
    return out.assign(Repeat=out["Repeat"].map(lambda r: "R" if r else "")).rename(columns={"Repeat": "Rpt"})


def csv_table(table: pd.DataFrame, columns: Sequence[Column], can_compare: bool) -> pd.DataFrame:
    """The CSV download: the displayed columns plus distance, coordinates and LSOA, plain names."""
    labels = [c.label for c in columns]
    cols = ["rank", "place", "ward", "nearest_named", "nearest_named_m", "grid_ref", *labels, "records"]
    cols += ["records_comparison", "change"] if can_compare else []
    cols += ["months_with_records", "is_repeat", "easting", "northing", "longitude", "latitude", "lsoa21_code"]
    return table[cols].rename(columns={"records": "total", "records_comparison": "total_comparison",
                                       "nearest_named_m": "nearest_named_metres"})


def sheet_title(area: str, window: str, columns: Sequence[Column], top_n: int) -> str:
    """The sheet's title: area, window, columns.

    >>> sheet_title("High Street ward", "Oct – Dec 2025", [Column("a", "ASB", ())], 15)
    'Patrol sheet: High Street ward · Oct – Dec 2025 · top 15 locations for ASB'
    """
    names = [c.label for c in columns]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Patrol sheet: {area} · {window} · top {top_n} locations for {listed}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def csv_view_name(columns: Sequence[Column]) -> str:
    """The view part of the sheet's CSV name: its columns (the download helper adds the page, the area and
    the months: ``patrol_<columns>_<area>_<first month>-to-<last month>.csv``).

    >>> csv_view_name([Column("a", "Violence & sexual", ()), Column("b", "Serious violence (priority)", ())])
    'violence-sexual_serious-violence.csv'
    """
    return "_".join(_slug(c.label.replace("(priority)", "")) for c in columns)[:60] + ".csv"


# ---------------------------------------------------------------- the map
def _outline_features(geojson: dict, highlight: set[str]) -> list[dict]:
    """Ward outlines as line features (every ring of a ward's polygons; no fill, so no winding order to get
    right), each with ``mine`` set for the area's own wards (drawn darker)."""
    out = []
    for feat in geojson.get("features", []):
        geom = feat["geometry"]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        out.append({"type": "Feature", "properties": {"code": feat["properties"]["code"],
                                                      "mine": feat["properties"]["code"] in highlight},
                    "geometry": {"type": "MultiLineString", "coordinates": [ring for poly in polys for ring in poly]}})
    return out


M_PER_DEG_LAT = 111_320.0  # metres per degree of latitude (and of longitude at the equator)


def spread_labels(x: np.ndarray, y: np.ndarray, min_dist: float, iterations: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Positions for round labels of diameter ``min_dist`` at the points (x, y) (planar units, e.g.
    metres) such that no two labels overlap, each moved as little as it can: overlapping pairs are
    pushed apart along the line between them until none overlaps (coincident points fan out at fixed
    angles, so the result is deterministic). Points whose labels do not touch stay where they are.

    >>> lx, ly = spread_labels(np.array([0.0, 0.0, 100.0]), np.array([0.0, 0.0, 0.0]), 10.0)
    >>> round(float(np.hypot(lx[0] - lx[1], ly[0] - ly[1])), 1) >= 9.9, (lx[2], ly[2])
    (True, (np.float64(100.0), np.float64(0.0)))
    """
    pts = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    n = len(pts)
    ok = np.isfinite(pts).all(axis=1)
    if n < 2 or not min_dist > 0 or ok.sum() < 2:
        return pts[:, 0].copy(), pts[:, 1].copy()
    p = pts[ok].copy()
    m = len(p)
    golden = np.pi * (3 - np.sqrt(5))  # fan coincident points out at golden-angle steps
    angles = golden * np.arange(m)
    tiny = min_dist * 1e-3
    target = min_dist * 1.0005
    for _ in range(iterations):
        d = p[:, None, :] - p[None, :, :]
        dist = np.hypot(d[..., 0], d[..., 1])
        np.fill_diagonal(dist, np.inf)
        overlap = dist < min_dist
        if not overlap.any():
            break
        # coincident (or nearly): push along a fixed angle per pair instead of an undefined direction
        close = overlap & (dist < tiny)
        if close.any():
            i, j = np.nonzero(close)
            a = angles[np.minimum(i, j)] + np.where(i < j, 0.0, np.pi)
            d[i, j, 0], d[i, j, 1] = np.cos(a), np.sin(a)
            dist[i, j] = 1.0
            push_len = np.where(overlap, (target - np.where(close, 0.0, dist)) / 2, 0.0)
        else:
            push_len = np.where(overlap, (target - dist) / 2, 0.0)
        unit = d / np.where(np.isfinite(dist), dist, 1.0)[..., None]
        p += 0.5 * (unit * push_len[..., None]).sum(axis=1)  # damped: several pushes on one label add up
    out = pts.copy()
    out[ok] = p
    return out[:, 0], out[:, 1]


def patrol_map_figure(table: pd.DataFrame, wards_geojson: dict, highlight: Iterable[str] = (),
                      height: int = 420, marker: int = 20, centre: Sequence[tuple[float, float]] = (),
                      width_hint: int = 330) -> VegaFigure:
    """The sheet's points numbered as in the table (orange: REPEAT), over ward outlines, in true
    proportions (a Vega-Lite chart on a Mercator projection fitted to the points: no web map, so it works
    offline and prints as vector graphics). Numbers that would overlap at ``width_hint`` pixels wide (the
    narrowest the map is drawn: a phone, the print column) are moved apart, each joined to its point (a
    small dot) by a thin line. ``meta`` keeps the drawn extent (x0, x1, y0, y1 in degrees) and the
    metres per degree of longitude used for the spacing."""
    lon, lat = table["longitude"].to_numpy(float), table["latitude"].to_numpy(float)
    lat0 = float(np.nanmean(lat)) if len(lat) else 51.27
    kx = M_PER_DEG_LAT * math.cos(math.radians(lat0))  # metres per degree of longitude here
    label_lon, label_lat = lon.copy(), lat.copy()
    for _ in range(3):  # the labels widen the extent, which changes the scale: settle it
        x0, x1 = (np.nanmin(np.r_[lon, label_lon]), np.nanmax(np.r_[lon, label_lon])) if len(lon) else (0.45, 0.65)
        y0, y1 = (np.nanmin(np.r_[lat, label_lat]), np.nanmax(np.r_[lat, label_lat])) if len(lat) else (51.2, 51.33)
        pad_x = max((x1 - x0) * 0.08, 0.0015)
        pad_y = max((y1 - y0) * 0.08, 0.0010)
        span_x_m, span_y_m = (x1 - x0 + 2 * pad_x) * kx, (y1 - y0 + 2 * pad_y) * M_PER_DEG_LAT
        px_per_m = min(width_hint / span_x_m, height / span_y_m)
        min_dist_m = (marker + 2) / px_per_m
        sx, sy = spread_labels(lon * kx, lat * M_PER_DEG_LAT, min_dist_m)
        label_lon, label_lat = sx / kx, sy / M_PER_DEG_LAT
    moved = np.hypot((label_lon - lon) * kx, (label_lat - lat) * M_PER_DEG_LAT) > 0.3 * min_dist_m \
        if len(lon) else np.zeros(0, bool)
    extent = (float(x0 - pad_x), float(x1 + pad_x), float(y0 - pad_y), float(y1 + pad_y))
    repeat = table["is_repeat"].to_numpy(bool)
    points = pd.DataFrame({
        "rank": table["rank"].astype(int).to_numpy(), "Place": table["place"].astype(str).to_numpy(),
        "Records": table["records"].to_numpy(), "Grid reference": table["grid_ref"].astype(str).to_numpy(),
        "Location": np.where(repeat, "REPEAT location", "Other location"),
        "colour": np.where(repeat, REPEAT_COLOUR, OTHER_COLOUR),
        "lon": lon, "lat": lat, "label_lon": label_lon, "label_lat": label_lat, "moved": moved})
    fit = fit_extent(*extent)
    base = alt.Chart(points)
    at_label = {"longitude": alt.Longitude("label_lon:Q"), "latitude": alt.Latitude("label_lat:Q")}
    layers = []
    outlines = _outline_features(wards_geojson, set(highlight))
    for mine, colour, width in ((False, OTHER_WARD_LINE, 0.8), (True, OUTLINE, 1.6)):
        group = [f for f in outlines if f["properties"]["mine"] == mine]
        if group:
            layers.append(alt.Chart(alt.Data(values=group), name="wards_mine" if mine else "wards_other")
                          .mark_geoshape(filled=False, stroke=colour, strokeWidth=width, clip=True, aria=False))
    moved_only = base.transform_filter(alt.datum.moved)
    layers += [
        moved_only.mark_rule(color=TEXT, strokeWidth=1, clip=True).encode(
            longitude="lon:Q", latitude="lat:Q", longitude2="label_lon:Q", latitude2="label_lat:Q"),
        moved_only.mark_point(filled=True, size=36, opacity=1, stroke=WHITE, strokeWidth=1, clip=True).encode(
            longitude="lon:Q", latitude="lat:Q", color=alt.Color("colour:N", scale=None)),
        alt.Chart(points, name="numbers").mark_point(filled=True, size=marker ** 2, opacity=1, stroke=WHITE,
                                                     strokeWidth=1, clip=True).encode(
            **at_label, color=alt.Color("colour:N", scale=None),
            tooltip=[alt.Tooltip("rank:Q", title="No."), "Place:N", "Records:Q", "Grid reference:N", "Location:N"]),
        base.mark_text(color=WHITE, fontSize=max(8, marker // 2), fontWeight="bold", align="center",
                       baseline="middle", clip=True).encode(**at_label, text="rank:Q"),
    ]
    if centre:  # the searched postcode or street, as black crosses
        layers.append(alt.Chart(pd.DataFrame({"lon": [c[0] for c in centre], "lat": [c[1] for c in centre]}),
                                name="searched")
                      .mark_point(shape="M-1,-1L1,1M-1,1L1,-1", size=100, filled=False, stroke=BLACK, strokeWidth=2.5,
                                  opacity=1, clip=True)
                      .encode(longitude="lon:Q", latitude="lat:Q"))
    chart = alt.layer(*layers).project(type="mercator", fit=fit).properties(height=height, width="container")
    n_repeat = int(repeat.sum())
    description = (f"Map of the sheet's {len(points)} locations, numbered as in the table: {n_repeat} REPEAT "
                   f"location{'s' if n_repeat != 1 else ''} in orange, the others in blue, over ward outlines. "
                   "The table lists every location with its grid reference.")
    return VegaFigure(vega.configure(chart), description=description,
                      meta={"extent": extent, "m_per_deg_lon": kx, "moved": moved.tolist()})


# ---------------------------------------------------------------- print styles
PRINT_CSS = """<style>
@media print {
  /* (div.: more specific than the [data-testid="stHorizontalBlock"] flex rule below, which would show them) */
  section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stExpander"], [data-testid="stDownloadButton"], [data-testid="stButton"],
  [data-testid="stElementToolbar"], div.st-key-patrol_controls, div.st-key-patrol_help, div.st-key-patrol_screen_only,
  [data-testid="stMain"] h1, [data-testid="stAlert"], .st-key-app_chrome { display: none !important; }
  [data-testid="stMainBlockContainer"], .block-container { padding: 0 !important; max-width: 100% !important; }
  [data-testid="stHorizontalBlock"] { display: flex !important; flex-wrap: nowrap !important; gap: 0.5rem !important; }
  html { font-size: 10px !important; }
  [data-testid="stVerticalBlock"] { gap: 0.2rem !important; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 0.9rem !important;
    margin-bottom: 0 !important; }
  h2, h3 { font-size: 1.35rem !important; padding: 0 0 0.2rem 0 !important; }
  table { font-size: 0.9rem !important; }
  table td, table th { padding: 0.1rem 0.3rem !important; }
  @page { size: A4 landscape; margin: 8mm; }
}
</style>"""

PRINT_SCREEN_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { padding-top: 1.2rem !important; }
[data-testid="stVerticalBlock"] { gap: 0.4rem; }
</style>"""


# ---------------------------------------------------------------- cached (by their inputs)
@st.cache_data(max_entries=4, show_spinner=False)
def cached_named_points(version: str) -> pd.DataFrame:
    """:func:`named_points` of every snap point in the store (``version``: the store version)."""
    from dashboard.data import query

    return named_points(query("snap_point_names"))


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_map_figure(table: pd.DataFrame, ward_set: str, highlight: tuple[str, ...], height: int,
                      marker: int = 20, centre: tuple = (), width_hint: int = 330) -> VegaFigure:
    """:func:`patrol_map_figure` for the sheet's rows (cached by the rows themselves; shared read-only, its
    Vega-Lite payload worked out once)."""
    from dashboard.maps import display_geojson

    fig = patrol_map_figure(table, display_geojson(f"wards_{ward_set}"), highlight, height, marker, centre,
                            width_hint)
    fig.payload()
    return fig

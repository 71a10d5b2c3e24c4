"""Data shaping for the Hotspots page: the recent window and its comparison, page
parameters, the maps (LSOA shading and hexagon density, Gi* and emerging hot spot classes:
Vega-Lite, drawn once per filter state), legends, the top-LSOA and top-location tables and the
Getis-Ord Gi* table.

Pure functions (tested without Streamlit), plus two cached wrappers at the end: the
LSOA contiguity weights (``st.cache_resource``) and Gi* results (``st.cache_data``).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from analytics.hotspots import (
    GI_CLASSES,
    GI_PERMUTATIONS,
    GI_SEED,
    NOT_SIGNIFICANT,
    getis_ord_classes,
    hex_bin,
    hexagon_vertices,
    natural_breaks,
    hex_index,
    queen_weights,
    repeat_threshold,
)
from analytics.emerging import CATEGORIES as EMERGING_CATEGORIES
from analytics.emerging import DESCRIPTIONS as EMERGING_DESCRIPTIONS
from analytics.emerging import DIMINISHING as EMERGING_DIMINISHING
from analytics.emerging import INTENSIFYING as EMERGING_INTENSIFYING
from analytics.emerging import NEW as EMERGING_NEW
from analytics.emerging import NO_PATTERN as EMERGING_NONE
from analytics.emerging import PERSISTENT as EMERGING_PERSISTENT
from analytics.emerging import SPORADIC as EMERGING_SPORADIC
from analytics.emerging import emerging_hot_spots
from analytics.emerging import explain as explain_emerging
from analytics.emerging import method_statement as emerging_statement
from analytics.periods import Period, month_label, shift_months
from dashboard.filters import CLASS_LABELS, CLASSES, FilterContext, Filters
from dashboard.maps import NO_DATA_COLOUR, SEQUENTIAL_COLOURS
from dashboard.theme import AREA_LINE, EMERGING_PALETTE, GI_COLOURS, HEX_COLOURS, HEX_LINE, OUTLINE_STRONG, TEXT_MUTED, TRANSPARENT  # ColorBrewer Oranges; Gi*: PuOr (orange hot, purple cold)

__all__ = [
    "DEFAULT_RECENT", "MAX_RECENT", "MEASURES", "MEASURE_COLUMN", "HEX_RADIUS_M", "HEX_RADIUS_BY_AREA", "HEX_COLOURS",
    "GI_COLOURS", "LSOA_AREA_NOTE", "Window", "parse_recent", "parse_measure", "recent_window",
    "months_text", "active_filters_text", "repeat_rule_text", "gi_statement", "measure_note", "snap_points",
    "hexagons", "colour_scale", "LSOA_TIPS", "lsoa_layer", "legend_html", "MIN_SPAN_DEG", "fit_bounds",
    "geojson_bounds", "area_bounds", "hexagon_shape", "area_map", "top_lsoa_table", "top_locations_table",
    "gi_table", "gi_class_counts", "GI_TIPS", "gi_features", "lsoa_weights", "gi_results",
    "EMERGING_MONTHS", "EMERGING_COLOURS", "lsoa_month_counts", "emerging_table", "emerging_key",
    "emerging_counts", "EMERGING_TIPS", "emerging_features", "map_lsoa_geojson", "DensityMap", "density_map",
    "gi_map", "emerging_results", "emerging_map", "MAP_VIEWS", "parse_map", "emerging_statement", "frozen",
    "location_tables", "lsoa_tables", "emerging_plain",
]

DEFAULT_RECENT, MAX_RECENT = 3, 12
MEASURES = {"records": "Records", "rate": "Rate per 1,000 residents"}
MEASURE_COLUMN = {"records": "records", "rate": "rate_per_1000_residents"}
HEX_RADIUS_M = 200  # centre to corner: hexagons about 350 m across (borough view)
HEX_RADIUS_BY_AREA = {"borough": HEX_RADIUS_M, "cluster": 150, "ward": 100, "lsoa": 50}  # finer for small areas
LSOA_FILE = "maidstone_lsoa_2021.geojson"


LSOA_AREA_NOTE = (
    "You chose a single LSOA. A hotspot map of one LSOA says little, and Gi* compares each LSOA with its "
    "neighbours, so the hot/cold spot test below needs the whole borough: it is computed borough-wide with your "
    "LSOA outlined.")


def gi_statement(measure: str, window_label: str, n_areas: int) -> str:
    """What Gi* does, at what confidence, and what it does not correct for (shown above the map).

    >>> "not corrected for multiple testing" in gi_statement("records", "Dec 2025", 99)
    True
    """
    return (
        f"Gi* compares each LSOA and its neighbours (LSOAs sharing a boundary or corner, 'queen' contiguity) with "
        f"the borough as a whole, using **{MEASURES[measure].lower()}** in {window_label} across all {n_areas} "
        f"LSOAs. **Confidence levels** (99%, 95%, 90%) come from {GI_PERMUTATIONS} random rearrangements of the "
        f"other LSOAs' values (fixed seed {GI_SEED}, so results repeat); p-values are folded (as extreme in either "
        f"direction). They are **not corrected for multiple testing**: with {n_areas} LSOAs, about "
        f"{round(n_areas / 10)} could reach 90% confidence by chance alone, so read single 90% LSOAs with care.")


def measure_note(measure: str, population) -> str:
    """Why counts are the default for Gi* and the map, and what the rate adds.

    >>> measure_note("records", [1080, 2763])[:42]
    'Why records by default: LSOAs are built to'
    """
    pop = pd.Series(population, dtype="float64")
    span = f"{int(pop.min()):,}–{int(pop.max()):,}"
    why = (f"LSOAs are built to hold similar numbers of residents (here {span}), so counts already compare like "
           "with like, and a residents' rate overstates places many people visit but few live in (the town "
           "centre).")
    if measure == "records":
        return f"Why records by default: {why} Choose the rate above to test resident-based risk instead."
    return ("Rates use Census 2021 usual residents over the window. Records are the default because "
            f"{why[0].lower()}{why[1:]}")


# ---------------------------------------------------------------- page parameters
def parse_recent(raw) -> tuple[int, str | None]:
    """The window length from the ``recent`` URL parameter, and a message if it was refused.

    >>> parse_recent(None), parse_recent("6")
    ((3, None), (6, None))
    >>> parse_recent("99")[0], parse_recent("abc")[1]
    (3, "Ignored URL parameter recent='abc': use a whole number of months from 1 to 12. Showing the last 3 months.")
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return DEFAULT_RECENT, None
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    text = str(raw).strip()
    if re.fullmatch(r"[0-9]{1,2}", text) and 1 <= int(text) <= MAX_RECENT:  # ASCII digits only
        return int(text), None
    shown = text[:20] + ("…" if len(text) > 20 else "")
    return DEFAULT_RECENT, (f"Ignored URL parameter recent={shown!r}: use a whole number of months from 1 to "
                            f"{MAX_RECENT}. Showing the last {DEFAULT_RECENT} months.")


def parse_measure(raw) -> tuple[str, str | None]:
    """``records`` (default) or ``rate`` from the ``measure`` URL parameter.

    >>> parse_measure("rate"), parse_measure("x")[0]
    (('rate', None), 'records')
    """
    if raw is None or str(raw).strip() == "":
        return "records", None
    text = str(raw).strip().lower()
    if text in MEASURES:
        return text, None
    return "records", f"Ignored URL parameter measure={str(raw)[:20]!r}: use records or rate. Showing records."


MAP_VIEWS = ("density", "gi", "emerging")


def parse_map(raw) -> tuple[str, str | None]:
    """Which map tab opens: the ``map`` URL parameter (density by default).

    >>> parse_map(None), parse_map("gi"), parse_map("<x>")[1]
    (('density', None), ('gi', None), 'Ignored the link’s map value: use gi or emerging. Showing the density map.')
    """
    text = "" if raw is None else str(raw).strip().lower()
    if text in ("", "density"):
        return "density", None
    if text in MAP_VIEWS:
        return text, None
    return "density", "Ignored the link’s map value: use gi or emerging. Showing the density map."


# ---------------------------------------------------------------- the window
@dataclass(frozen=True)
class Window:
    """The recent months the page counts, and the months it compares them with."""

    requested: int
    months: tuple[dt.date, ...]  # months with data, oldest first
    comparison_months: tuple[dt.date, ...]
    comparison_kind: str  # 'previous' | 'last_year' | 'none'
    window_note: str
    comparison_note: str

    @property
    def n(self) -> int:
        return len(self.months)

    @property
    def has_data(self) -> bool:
        return bool(self.months)

    @property
    def can_compare(self) -> bool:
        return bool(self.comparison_months)

    @property
    def label(self) -> str:
        return months_text(self.months)


def months_text(months) -> str:
    """Months written as runs of consecutive months.

    >>> ms = [dt.date(2022, 10, 1), dt.date(2022, 11, 1), dt.date(2024, 1, 1)]
    >>> months_text(ms)
    'Oct 2022 – Nov 2022, Jan 2024'
    >>> months_text([])
    'no months'
    """
    months = sorted(months)
    if not months:
        return "no months"
    runs, start, prev = [], months[0], months[0]
    for m in months[1:]:
        if m != shift_months(prev, 1):
            runs.append(Period(start, prev).label)
            start = m
        prev = m
    runs.append(Period(start, prev).label)
    return ", ".join(runs)


def _previous_with_data(before: dt.date, present, n: int) -> tuple[dt.date, ...]:
    return tuple(sorted(m for m in present if m < before)[-n:]) if n else ()


def recent_window(period: Period, present_months, n: int, comparison: str) -> Window:
    """The last ``n`` months with data in ``period``, and the comparison months.

    ``comparison`` is the filter bar's choice: ``previous`` compares with the previous
    ``n`` months with data; ``last_year`` with the same months a year earlier when all of
    them have data, otherwise (not like for like) with the previous ``n`` months with data,
    saying so; ``none`` does not compare.

    >>> present = {dt.date(2024, m, 1) for m in range(1, 5)} | {dt.date(2025, m, 1) for m in range(1, 13)}
    >>> w = recent_window(Period(dt.date(2025, 1, 1), dt.date(2025, 12, 1)), present, 3, "last_year")
    >>> w.label, months_text(w.comparison_months), w.comparison_kind
    ('Oct 2025 – Dec 2025', 'Jul 2025 – Sep 2025', 'previous')
    >>> w = recent_window(Period(dt.date(2025, 1, 1), dt.date(2025, 4, 1)), present, 2, "last_year")
    >>> w.label, months_text(w.comparison_months), w.comparison_kind
    ('Mar 2025 – Apr 2025', 'Mar 2024 – Apr 2024', 'last_year')
    """
    present = set(present_months)
    in_period = sorted(m for m in present if period.start <= m <= period.end)
    months = tuple(in_period[-n:])
    if not months:
        note = f"No month of {period.label} has police.uk data, so there is no window to show."
        return Window(n, (), (), "none", note, "")
    note = (f"Window: the last {len(months)} month{'s' if len(months) != 1 else ''} with data in the selected period "
            f"({period.label}): **{months_text(months)}**.")
    if len(months) < n:
        note += (f" You asked for {n} months but only {len(months)} month{'s' if len(months) != 1 else ''} of the "
                 "selected period have data; widen the period in the filter bar to use more.")
    k = len(months)
    previous = _previous_with_data(months[0], present, k)
    prev_text = f"the previous {k} month{'s' if k != 1 else ''} with data ({months_text(previous)})"
    if comparison == "none":
        return Window(n, months, (), "none", note, "No comparison (the filter bar says 'No comparison').")
    if comparison == "last_year":
        year_before = tuple(shift_months(m, -12) for m in months)
        have = [m for m in year_before if m in present]
        if len(have) == len(year_before):
            return Window(n, months, year_before, "last_year", note,
                          f"Compared with the same months a year earlier ({months_text(year_before)}), "
                          "as chosen in the filter bar.")
        why = (f"{months_text(year_before)} "
               + ("have no police.uk data" if not have else f"have data for only {len(have)} of {k} months")
               + ", so that would not be like for like")
        if len(previous) == k:
            return Window(n, months, previous, "previous", note,
                          f"Compared with {prev_text}. The filter bar asks for the same months a year earlier, "
                          f"but {why}.")
        return Window(n, months, (), "none", note, f"No comparison: the filter bar asks for the same months a year "
                      f"earlier, but {why}; and fewer than {k} months with data come before the window.")
    if len(previous) == k:
        return Window(n, months, previous, "previous", note, f"Compared with {prev_text}.")
    return Window(n, months, (), "none", note,
                  f"No comparison: only {len(previous)} month{'s' if len(previous) != 1 else ''} with data come "
                  f"before the window ({k} needed for a like-for-like comparison).")


def active_filters_text(f: Filters, ctx: FilterContext) -> str:
    """Which shared filters are active (and which are not).

    >>> ctx = FilterContext((), frozenset(), {"2024": {}}, {}, {}, {}, {"asb": "Tackling ASB"})
    >>> text = active_filters_text(Filters(dt.date(2025, 1, 1), dt.date(2025, 12, 1), priority="asb"), ctx)
    >>> for part in text.split(" · "):
    ...     print(part)
    Area: Maidstone borough
    Crime classes: all (VBC, CAS, ASB)
    Crime types: all
    SMP priority: **Tackling ASB**
    """
    classes = ("all (VBC, CAS, ASB)" if tuple(f.classes) == CLASSES
               else "**" + ", ".join(CLASS_LABELS[c] for c in f.classes) + "**")
    types = "**" + ", ".join(f.crime_types) + "**" if f.crime_types else "all"
    prio = f"**{ctx.priorities.get(f.priority, f.priority)}**" if f.priority else "none"
    area = f.area_label(ctx)
    area = area if f.area_type == "borough" else f"**{area}**"
    return f"Area: {area} · Crime classes: {classes} · Crime types: {types} · SMP priority: {prio}"


def repeat_rule_text(n: int) -> str:
    """The repeat-location rule, stated for this window.

    >>> repeat_rule_text(3).startswith("A REPEAT location has records in at least ⌈N/2⌉+1 of the N months")
    True
    >>> repeat_rule_text(3).endswith("or in every month when N ≤ 2: here, at least 3 of 3 months.")
    True
    """
    return ("A REPEAT location has records in at least ⌈N/2⌉+1 of the N months of the window, or in every month "
            f"when N ≤ 2: here, at least {repeat_threshold(n)} of {n} month{'s' if n != 1 else ''}.")


# ---------------------------------------------------------------- density map
def snap_points(points: pd.DataFrame) -> pd.DataFrame:
    """Records per police.uk snap point (the ``hotspot_points`` rows summed).

    >>> p = pd.DataFrame({"longitude": [0.5, 0.5, 0.6], "latitude": [51.2, 51.2, 51.3],
    ...                   "location": ["On or near A", "On or near A", "On or near B"]})
    >>> snap_points(p).values.tolist()
    [[0.5, 51.2, 'A', 2], [0.6, 51.3, 'B', 1]]
    """
    if points.empty:
        return pd.DataFrame(columns=["longitude", "latitude", "place", "records"])
    out = points.groupby(["longitude", "latitude"], as_index=False).agg(
        location=("location", "first"), records=("location", "size"))
    out["place"] = (out["location"].fillna("").str.replace("On or near", "", regex=False).str.strip()
                    .replace("", "(unnamed location)"))
    out = out.sort_values(["records", "place"], ascending=[False, True], kind="stable")
    return out[["longitude", "latitude", "place", "records"]].reset_index(drop=True)


def colour_scale(values, colours: list[str], k: int = 5, decimals: int = 0) -> tuple[list[str], list[tuple[str, str]]]:
    """Natural-breaks (Fisher-Jenks) classes of ``values``: a colour per value and the
    legend entries (labelled as the dashboard's other maps label their classes).

    >>> cols, legend = colour_scale([1, 2, 50], HEX_COLOURS, k=2)
    >>> cols, legend
    (['#feedde', '#feedde', '#a63603'], [('#feedde', '1 – 2'), ('#a63603', 'over 2 – 50')])
    """
    arr = np.asarray(pd.to_numeric(pd.Series(list(values), dtype="object"), errors="coerce"), dtype="float64")
    bins = natural_breaks(arr, k)
    if not bins:
        return [NO_DATA_COLOUR] * len(arr), []
    n = len(bins)
    idx = np.round(np.linspace(0, len(colours) - 1, n)).astype(int) if n > 1 else [len(colours) - 1]
    palette = [colours[i] for i in idx]
    cls = np.searchsorted(np.asarray(bins), arr, side="left")
    out = [palette[min(c, n - 1)] if np.isfinite(a) else NO_DATA_COLOUR for a, c in zip(arr, cls)]
    lows = [float(np.nanmin(arr)), *bins[:-1]]
    labels = []
    for i, (lo, hi) in enumerate(zip(lows, bins)):
        lo_txt = f"{lo:,.{decimals}f}" if i == 0 else f"over {lo:,.{decimals}f}"
        labels.append(f"{lo_txt} – {hi:,.{decimals}f}" if lo != hi or i else f"{hi:,.{decimals}f}")
    return out, list(zip(palette, labels))


def hexagons(snaps: pd.DataFrame, radius_m: float = HEX_RADIUS_M) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Hexagon totals of the snap points, with each hexagon's busiest place (and its text for the
    tooltip), fill colour and the colour legend. (The map draws each hexagon from its centre and the
    grid's radius, so no corners are computed or sent: :func:`hexagon_shape`.)

    >>> s = pd.DataFrame({"longitude": [0.55, 0.5501], "latitude": [51.27, 51.2701],
    ...                   "place": ["A", "B"], "records": [2, 5]})
    >>> h, legend = hexagons(s)
    >>> h[["records", "busiest_place", "busiest_records"]].values.tolist()
    [[7, 'B', 5]]
    """
    cols = ["lon", "lat", "records", "busiest_place", "busiest_records", "fill", "busiest"]
    if snaps.empty:
        return pd.DataFrame(columns=["q", "r", *cols]), []
    out = hex_bin(snaps["longitude"], snaps["latitude"], snaps["records"], radius_m)
    q, r = hex_index(snaps["longitude"], snaps["latitude"], radius_m)
    top = (snaps.assign(q=q, r=r).sort_values(["records", "place"], ascending=[False, True], kind="stable")
           .drop_duplicates(["q", "r"])[["q", "r", "place", "records"]]
           .rename(columns={"place": "busiest_place", "records": "busiest_records"}))
    out = out.merge(top, on=["q", "r"], how="left")
    colours, legend = colour_scale(out["records"], HEX_COLOURS)
    out["fill"] = colours
    out["busiest"] = [f"{p} ({b:,} record{'s' if b != 1 else ''})"
                      for p, b in zip(out["busiest_place"], out["busiest_records"])]
    return out[["q", "r", *cols]], legend


LSOA_TIPS = ("LSOA", "Records", "Change vs comparison")  # the LSOA shading's tooltip, top to bottom


def lsoa_layer(geojson: dict, lsoa: pd.DataFrame, measure: str, can_compare: bool,
               highlight: set[str] | None = None) -> tuple[dict, list[tuple[str, str]]]:
    """The LSOA GeoJSON with a fill colour, tooltip fields (``h0``, ``h1``... for :data:`LSOA_TIPS`; no
    change without a comparison) and a ``strong`` outline flag per feature, and the legend.

    LSOAs not in ``lsoa`` (outside the selected area) get no fill. ``highlight`` codes are outlined.
    """
    col = MEASURE_COLUMN[measure]
    data = lsoa.set_index("lsoa21_code")
    colours, legend = colour_scale(data[col], SEQUENTIAL_COLOURS[5], decimals=0 if measure == "records" else 1)
    fill = dict(zip(data.index, colours))
    features = []
    for feat in geojson["features"]:
        code = feat["properties"]["code"]
        name = feat["properties"]["name"]
        props = {"code": code, "name": name, "strong": bool(highlight) and code in highlight}
        if code in data.index:
            row = data.loc[code]
            tips = [f"{name} ({code}), {row['ward_name']} ward",
                    f"{int(row['records']):,} · {row['rate_per_1000_residents']:.1f} per 1,000 residents"]
            if can_compare:
                tips.append(f"{int(row['change']):+,}".replace("-", "\u2212"))
            props["fill"] = fill[code]
        else:
            tips = [f"{name} ({code})", "outside the selected area"] + (["–"] if can_compare else [])
            props["fill"] = TRANSPARENT
        props.update({f"h{i}": t for i, t in enumerate(tips)})
        features.append({"type": "Feature", "geometry": feat["geometry"], "properties": props})
    return {"type": "FeatureCollection", "features": features}, legend


def legend_html(title: str, entries: list[tuple[str, str]], note: str = "") -> str:
    """Colour keys as HTML for ``st.markdown(..., unsafe_allow_html=True)``.

    >>> "background:#a63603" in legend_html("Records", [("#a63603", "over 10 – 20")])
    True
    """
    rows = "".join(
        f'<div style="display:flex;align-items:center;gap:0.5em;margin:2px 0">'
        f'<span style="display:inline-block;width:1.4em;height:1em;background:{c};border:1px solid {TEXT_MUTED}">'
        "</span>"
        f"<span>{html.escape(label)}</span></div>" for c, label in entries)
    extra = f'<div style="font-size:0.85em;color:{TEXT_MUTED}">{html.escape(note)}</div>' if note else ""
    label = html.escape(title)
    return f'<div role="group" aria-label="{label}"><strong>{label}</strong>{rows}{extra}</div>'


MIN_SPAN_DEG = 0.004  # a fitted map shows at least ~300 m each way (one busy street is not a whole map)


def fit_bounds(lons, lats, pad: float = 0.12) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) around the points, padded by ``pad`` of the span each side and at
    least :data:`MIN_SPAN_DEG` across; None without a finite point.

    >>> [round(v, 6) for v in fit_bounds([0.52, 0.53], [51.27, 51.28], pad=0)]
    [0.52, 51.27, 0.53, 51.28]
    >>> [round(v, 3) for v in fit_bounds([0.52], [51.27], pad=0)]
    [0.518, 51.268, 0.522, 51.272]
    >>> fit_bounds([np.nan], [np.nan]) is None
    True
    """
    lons = np.asarray(lons, dtype="float64")
    lats = np.asarray(lats, dtype="float64")
    ok = np.isfinite(lons) & np.isfinite(lats)
    if not ok.any():
        return None
    out = []
    for lo, hi in ((lons[ok].min(), lons[ok].max()), (lats[ok].min(), lats[ok].max())):
        half = max((hi - lo) * (1 + 2 * pad), MIN_SPAN_DEG) / 2
        mid = (lo + hi) / 2
        out.append((float(mid - half), float(mid + half)))
    (x0, x1), (y0, y1) = out
    return (x0, y0, x1, y1)


def geojson_bounds(geojson: dict, codes: set[str] | None = None, pad: float = 0.02):
    """The bounds of every feature of ``geojson`` (or of those in ``codes``)."""
    lons, lats = [], []
    for feat in geojson["features"]:
        if codes is None or feat["properties"]["code"] in codes:
            for ring in _outer_rings(feat["geometry"]):
                lons += [pt[0] for pt in ring]
                lats += [pt[1] for pt in ring]
    return fit_bounds(lons, lats, pad)


def area_bounds(snaps: pd.DataFrame, geojson: dict | None = None, codes: set[str] | None = None):
    """The bounds for an area filter: fitted to its records and, when given, to the outlines of the LSOAs in
    ``codes`` (so a single LSOA is shown whole, not just its busiest streets).

    >>> s = pd.DataFrame({"longitude": [0.52, 0.53], "latitude": [51.27, 51.28]})
    >>> area_bounds(s) == fit_bounds([0.52, 0.53], [51.27, 51.28])
    True
    """
    lons, lats = list(snaps["longitude"]), list(snaps["latitude"])
    for feat in (geojson or {}).get("features", []):
        if codes and feat["properties"]["code"] in codes:
            for ring in _outer_rings(feat["geometry"]):
                lons += [pt[0] for pt in ring]
                lats += [pt[1] for pt in ring]
    return fit_bounds(lons, lats)


def hexagon_shape(radius_m: float) -> str:
    """A Vega expression that draws the grid hexagon centred at ``datum.lon``, ``datum.lat`` as a GeoJSON
    polygon, so each hexagon is sent as its centre only (a compact Arrow row) and its six corners, those
    :func:`analytics.hotspots.hexagon_vertices` gives, are worked out in the browser (clockwise, as d3-geo
    reads a polygon's inside).

    >>> hexagon_shape(200)[:90]  # the south corner (200 m south), then the south-west one
    "{type:'Polygon',coordinates:[[[datum.lon+0.000000,datum.lat-0.001797],[datum.lon-0.002487,"
    """
    corners = hexagon_vertices(0.0, 0.0, radius_m)[::-1]  # anticlockwise from the south-east corner -> clockwise
    points = [f"[datum.lon{round(dx, 6) + 0.0:+.6f},datum.lat{round(dy, 6) + 0.0:+.6f}]" for dx, dy in (*corners, corners[0])]
    return "{type:'Polygon',coordinates:[[" + ",".join(points) + "]]}"


TOPOLOGY_GRID = 10_000  # TopoJSON quantisation: ~3 m steps across the borough
TOPOLOGY_SIMPLIFY_DEG = 0.0003  # ~20-30 m: under a pixel at the borough view (~40 m)


def topology(features: list[dict]) -> dict:
    """The areas as one TopoJSON object named ``areas`` (each shared boundary stored once, simplified without
    opening gaps between neighbours, coordinates quantised): about a third of the GeoJSON's bytes, which the
    browser receives on every visit. Vega's TopoJSON reader gives d3-geo the rings as it expects them.

    >>> sq = lambda x: {"type": "Polygon", "coordinates": [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]]}
    >>> t = topology([{"type": "Feature", "properties": {"code": c}, "geometry": sq(i)} for i, c in enumerate("AB")])
    >>> [g["properties"]["code"] for g in t["objects"]["areas"]["geometries"]], len(t["arcs"]) < 8
    (['A', 'B'], True)
    """
    import topojson  # noqa: PLC0415

    collection = {"type": "FeatureCollection", "features": features}
    return topojson.Topology(collection, prequantize=TOPOLOGY_GRID, toposimplify=TOPOLOGY_SIMPLIFY_DEG,
                             object_name="areas").to_dict()


def area_map(features: list[dict], tips: tuple[str, ...], bounds, *, description: str, height: int = 560,
             hexes: pd.DataFrame | None = None, radius_m: float | None = None):
    """A Vega-Lite map of LSOAs filled with their ``fill`` colour (each feature's ``h0``, ``h1``... shown
    under the ``tips`` titles on hover; ``strong`` ones outlined in black), on a Mercator projection fitted
    to ``bounds``, optionally with the density hexagons on top. No web map (works offline); Streamlit's light
    chart library, not deck.gl (a 3 MB bundle drawn with WebGL). The legends are the page's own."""
    import altair as alt  # noqa: PLC0415

    from dashboard.maps import fit_extent, mercator_aspect  # noqa: PLC0415
    from dashboard.vega import VegaFigure, configure  # noqa: PLC0415

    areas = alt.Data(values=topology(features), format=alt.DataFormat(type="topojson", feature="areas"))
    tooltip = [alt.Tooltip(f"properties.h{i}:N", title=t) for i, t in enumerate(tips)]
    # the areas are the layer's data, sent once: the outline layer on top filters the same shapes
    layers = [alt.Chart(name="areas").mark_geoshape(stroke=AREA_LINE, strokeWidth=0.7)
              .encode(fill=alt.Fill("properties.fill:N", scale=None), tooltip=tooltip)]
    if hexes is not None and len(hexes):
        rows = pd.DataFrame({"lon": hexes["lon"].astype(float).round(5), "lat": hexes["lat"].astype(float).round(5),
                             "records": hexes["records"].astype("int64"), "fill": hexes["fill"],
                             "busiest": hexes["busiest"]})
        layers.append(alt.Chart(rows, name="hexagons").mark_geoshape(stroke=HEX_LINE, strokeWidth=0.6)
                      .transform_calculate(hexagon=hexagon_shape(radius_m or HEX_RADIUS_M))
                      .encode(shape="hexagon:G", fill=alt.Fill("fill:N", scale=None),
                              tooltip=[alt.Tooltip("records:Q", title="Records", format=","),
                                       alt.Tooltip("busiest:N", title="Busiest point")]))
    if any(f["properties"].get("strong") for f in features):  # the same shapes again, outlined, on top
        layers.append(alt.Chart(name="selected").transform_filter("datum.properties.strong")
                      .mark_geoshape(filled=False, stroke=OUTLINE_STRONG, strokeWidth=3, aria=False))
    x0, y0, x1, y1 = bounds
    chart = (alt.layer(*layers, data=areas).project(type="mercator", fit=fit_extent(x0, x1, y0, y1))
             .properties(height=height, width="container"))
    return VegaFigure(configure(chart), description=description,
                      meta={"bounds": tuple(bounds), "aspect": mercator_aspect(bounds)})


# ---------------------------------------------------------------- tables
def top_lsoa_table(lsoa: pd.DataFrame, measure: str, can_compare: bool, n: int | None = 10) -> pd.DataFrame:
    """LSOAs ranked by the measure (records, or rate per 1,000 residents), for display.

    ``n`` rows (a compact table: name and code in one column); ``n=None`` gives every LSOA
    with all columns (the map's table alternative).

    >>> d = pd.DataFrame({"lsoa21_code": ["a", "b"], "lsoa21_name": ["A 1", "B 2"], "ward_name": ["W", "V"],
    ...     "population": [1000, 2000], "records": [5, 8], "records_comparison": [4, 10],
    ...     "change": [1, -2], "pct_change": [25.0, -20.0], "rate_per_1000_residents": [5.0, 4.0]})
    >>> top_lsoa_table(d, "rate", True)[["LSOA", "Records", "Change"]].values.tolist()
    [['A 1 (a)', 5, 1], ['B 2 (b)', 8, -2]]
    >>> list(top_lsoa_table(d, "records", False, n=None).columns)
    ['Rank', 'LSOA', 'LSOA code', 'Ward (best fit)', 'Records', 'Rate per 1,000 residents', 'Residents (Census 2021)']
    """
    col = MEASURE_COLUMN[measure]
    data = lsoa.sort_values([col, "records", "lsoa21_code"], ascending=[False, False, True], kind="stable")
    if n is not None:
        data = data.head(n)
    compact = n is not None
    out = pd.DataFrame({"Rank": range(1, len(data) + 1)})
    if compact:
        out["LSOA"] = (data["lsoa21_name"] + " (" + data["lsoa21_code"] + ")").to_numpy()
    else:
        out["LSOA"] = data["lsoa21_name"].to_numpy()
        out["LSOA code"] = data["lsoa21_code"].to_numpy()
    out["Ward (best fit)"] = data["ward_name"].to_numpy()
    out["Records"] = data["records"].astype("int64").to_numpy()
    out["Rate per 1,000 residents"] = data["rate_per_1000_residents"].astype(float).round(1).to_numpy()
    if not compact:
        out["Residents (Census 2021)"] = data["population"].astype("int64").to_numpy()
    if can_compare:
        out["Comparison"] = data["records_comparison"].astype("int64").to_numpy()
        out["Change"] = data["change"].astype("int64").to_numpy()
        out["% change"] = data["pct_change"].astype(float).round(1).to_numpy()
    return out


def top_locations_table(loc: pd.DataFrame, n_months: int, can_compare: bool, n: int | None = 15) -> pd.DataFrame:
    """The ``top_locations`` rows for display, REPEAT locations flagged.

    >>> d = pd.DataFrame({"place": ["High St"], "ward_name": ["High Street"], "records": [9],
    ...     "records_comparison": [4], "change": [5], "months_with_records": [3],
    ...     "is_repeat_location": [True], "most_common_type": ["Shoplifting"]})
    >>> list(top_locations_table(d, 3, True).to_dict("records")[0].values())
    [1, 'High St', 'High Street', 9, 4, 5, '3 of 3', 'REPEAT', 'Shoplifting']
    """
    data = loc if n is None else loc.head(n)
    out = pd.DataFrame({
        "Rank": range(1, len(data) + 1),
        "Place (on or near)": data["place"].to_numpy(),
        "Ward": data["ward_name"].to_numpy(),
        "Records": data["records"].astype("int64").to_numpy(),
    })
    if can_compare:
        out["Comparison"] = data["records_comparison"].astype("int64").to_numpy()
        out["Change"] = data["change"].astype("int64").to_numpy()
    out["Months"] = [f"{int(m)} of {n_months}" for m in data["months_with_records"]]
    out["Repeat"] = np.where(data["is_repeat_location"].astype(bool), "REPEAT", "")
    out["Most common type"] = data["most_common_type"].to_numpy()
    return out


def gi_table(gi: pd.DataFrame, lsoa: pd.DataFrame, measure: str, highlight: set[str] | None = None) -> pd.DataFrame:
    """The Gi* result for every LSOA, hottest first, with names and wards (for display:
    the z-score to 2 decimals, the p-value to 3).

    >>> gi = pd.DataFrame({"area_id": ["a", "b"], "value": [1.0, 9.0], "gi_z": [-0.2, 3.0],
    ...                    "p_sim": [0.6, 0.001], "gi_class": ["Not significant", "Hot spot 99% confidence"]})
    >>> ls = pd.DataFrame({"lsoa21_code": ["a", "b"], "lsoa21_name": ["A", "B"], "ward_name": ["W", "W"]})
    >>> gi_table(gi, ls, "records")[["LSOA code", "Hot/cold spot"]].values.tolist()
    [['b', 'Hot spot 99% confidence'], ['a', 'Not significant']]
    """
    names = lsoa.set_index("lsoa21_code")
    order = {c: i for i, c in enumerate(GI_CLASSES)}
    data = gi.assign(_o=gi["gi_class"].map(order)).sort_values(["_o", "gi_z"], ascending=[True, False], kind="stable")
    value = data["value"].round(1) if measure == "rate" else data["value"].astype("int64")
    out = pd.DataFrame({
        "LSOA": names.loc[data["area_id"], "lsoa21_name"].to_numpy(),
        "LSOA code": data["area_id"].to_numpy(),
        "Ward (best fit)": names.loc[data["area_id"], "ward_name"].to_numpy(),
        MEASURES[measure]: value.to_numpy(),
        "Gi* z-score": data["gi_z"].round(2).to_numpy(),
        "p-value (folded)": data["p_sim"].round(3).to_numpy(),
        "Hot/cold spot": data["gi_class"].to_numpy(),
    })
    if highlight:
        out["In selected area"] = np.where(out["LSOA code"].isin(highlight), "yes", "")
    return out


def gi_class_counts(gi: pd.DataFrame) -> list[tuple[str, str]]:
    """Legend entries (colour, 'class: n LSOAs') for every class, hottest first.

    >>> gi_class_counts(pd.DataFrame({"gi_class": ["Not significant"] * 3}))[3]
    ('#d9d9d9', 'Not significant: 3 LSOAs')
    """
    counts = gi["gi_class"].value_counts()
    return [(GI_COLOURS[c], f"{c}: {int(counts.get(c, 0))} LSOA{'s' if counts.get(c, 0) != 1 else ''}")
            for c in GI_CLASSES]


def _outer_rings(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


GI_TIPS = ("LSOA", "Hot/cold spot", "Value", "Getis-Ord Gi*")


def gi_features(geojson: dict, table: pd.DataFrame, measure: str, highlight: set[str] | None = None) -> list[dict]:
    """The LSOAs of the Gi* table as map features: filled with their class's colour (orange hot, purple cold,
    grey not significant), with their tooltip fields (:data:`GI_TIPS`)."""
    rows = table.set_index("LSOA code")
    label = MEASURES[measure]
    features = []
    for feat in geojson["features"]:
        code = feat["properties"]["code"]
        if code not in rows.index:
            continue
        row = rows.loc[code]
        value = f"{row[label]:,.1f}" if measure == "rate" else f"{int(row[label]):,}"
        tips = (f"{row['LSOA']} ({code}), {row['Ward (best fit)']} ward", row["Hot/cold spot"], f"{label}: {value}",
                f"z = {row['Gi* z-score']:.2f}, p = {row['p-value (folded)']:.3f}")
        features.append({"type": "Feature", "geometry": feat["geometry"], "properties": {
            "code": code, "fill": GI_COLOURS[row["Hot/cold spot"]], "strong": bool(highlight) and code in highlight,
            **{f"h{i}": t for i, t in enumerate(tips)}}})
    return features


# ---------------------------------------------------------------- cached spatial statistics
@st.cache_resource(show_spinner=False)
def lsoa_weights():
    """Queen contiguity of the 99 LSOAs, from the full-resolution boundary file (cached)."""
    import geopandas as gpd

    from smp_data import settings

    gdf = gpd.read_file(settings.boundaries_dir() / LSOA_FILE)
    return queen_weights(gdf.geometry, gdf["LSOA21CD"])


@st.cache_data(max_entries=64, show_spinner=False)
def gi_results(codes: tuple[str, ...], values: tuple[float, ...], permutations: int = GI_PERMUTATIONS,
               seed: int = GI_SEED) -> pd.DataFrame:
    """Gi* classes for the LSOA values (cached on the values themselves)."""
    return getis_ord_classes(pd.Series(values, index=list(codes)), lsoa_weights(), permutations, seed)


# ---------------------------------------------------------------- emerging hot spots
EMERGING_MONTHS = 12  # time slices: the last 12 months with data up to the end of the selected period
EMERGING_COLOURS = dict(zip(  # Okabe & Ito (dashboard.theme), told apart with the common colour-vision deficiencies
    (EMERGING_NEW, EMERGING_INTENSIFYING, EMERGING_PERSISTENT, EMERGING_DIMINISHING, EMERGING_SPORADIC, EMERGING_NONE),
    EMERGING_PALETTE, strict=True))


def lsoa_month_counts(rows: pd.DataFrame, codes, months) -> pd.DataFrame:
    """The ``lsoa_monthly_counts`` rows as an LSOA x month table: every LSOA in ``codes``, every month in
    ``months`` (months with data: an LSOA without records there is a real zero).

    >>> rows = pd.DataFrame({"lsoa21_code": ["A"], "month": [dt.date(2025, 1, 1)], "records": [3]})
    >>> lsoa_month_counts(rows, ["A", "B"], [dt.date(2025, 1, 1), dt.date(2025, 2, 1)]).values.tolist()
    [[3.0, 0.0], [0.0, 0.0]]
    """
    table = rows.pivot_table(index="lsoa21_code", columns="month", values="records", aggfunc="sum")
    return table.reindex(index=list(codes), columns=list(months)).fillna(0.0)


def emerging_table(result: pd.DataFrame, lsoa: pd.DataFrame, highlight: set[str] | None = None) -> pd.DataFrame:
    """Every LSOA with an emerging-hot-spot class, the strongest first, with its plain sentence.

    >>> r = pd.DataFrame({"area_id": ["a", "b"], "category": [EMERGING_NONE, EMERGING_NEW], "months": [12, 12],
    ...     "hot_months": [0, 1], "trend_p": [1.0, 0.5], "trend": ["none", "none"],
    ...     "last_month": [dt.date(2025, 12, 1)] * 2})
    >>> ls = pd.DataFrame({"lsoa21_code": ["a", "b"], "lsoa21_name": ["A", "B"], "ward_name": ["W", "V"]})
    >>> emerging_table(r, ls)[["LSOA code", "Pattern", "Hot spot in"]].values.tolist()
    [['b', 'New hot spot', '1 of 12 months'], ['a', 'No emerging pattern', '0 of 12 months']]
    """
    names = lsoa.set_index("lsoa21_code")
    order = {c: i for i, c in enumerate(EMERGING_CATEGORIES)}
    data = (result.assign(_o=result["category"].map(order))
            .sort_values(["_o", "hot_months", "area_id"], ascending=[True, False, True], kind="stable"))
    out = pd.DataFrame({
        "LSOA": names.loc[data["area_id"], "lsoa21_name"].to_numpy(),
        "LSOA code": data["area_id"].to_numpy(),
        "Ward (best fit)": names.loc[data["area_id"], "ward_name"].to_numpy(),
        "Pattern": data["category"].to_numpy(),
        "What it means": [explain_emerging(row, month_label) for row in data.to_dict("records")],
        "Hot spot in": [f"{int(k)} of {int(n)} months" for k, n in zip(data["hot_months"], data["months"])],
        "Trend p-value": data["trend_p"].round(3).to_numpy(),
    })
    if highlight:
        out["In selected area"] = np.where(out["LSOA code"].isin(highlight), "yes", "")
    return out


def emerging_plain(n_months: int, months_label: str, n_areas: int) -> str:
    """The emerging hot spot analysis in plain words (the method, :func:`emerging_statement`, is one click away).

    >>> t = emerging_plain(12, "Jan 2025 – Dec 2025", 99)
    >>> "gaps, not zeros" in t and "Gi*" not in t and "95% confidence" in t
    True
    """
    return (f"Each of the {n_months} months with data ({months_label}) is checked on its own: an area is a hot spot "
            "that month when it and its neighbours together have clearly more records than the borough as a whole "
            "(95% confidence). Whether a hot spot is getting hotter or cooling is a test of the trend over those "
            "months (95% confidence). Months without police.uk data are skipped (gaps, not zeros). Across "
            f"{n_areas} areas and {n_months} months some one-month hot spots turn up by chance, so read a New or "
            "Sporadic hot spot as a prompt to look, not as proof.")


def emerging_key() -> str:
    """Every class in one plain sentence (markdown bullets), in legend order.

    >>> emerging_key().splitlines()[0].startswith("- **New hot spot**: a hot spot in the latest month")
    True
    """
    return "\n".join(f"- **{c}**: {EMERGING_DESCRIPTIONS[c]}" for c in EMERGING_CATEGORIES)


def emerging_counts(result: pd.DataFrame) -> list[tuple[str, str]]:
    """Legend entries (colour, 'class: n LSOAs') for every class.

    >>> emerging_counts(pd.DataFrame({"category": [EMERGING_NEW]}))[0]
    ('#E69F00', 'New hot spot: 1 LSOA')
    """
    counts = result["category"].value_counts()
    return [(EMERGING_COLOURS[c], f"{c}: {int(counts.get(c, 0))} LSOA{'s' if counts.get(c, 0) != 1 else ''}")
            for c in EMERGING_CATEGORIES]


EMERGING_TIPS = ("LSOA", "Pattern", "What it means")


def emerging_features(geojson: dict, table: pd.DataFrame, highlight: set[str] | None = None) -> list[dict]:
    """The LSOAs of the emerging-hot-spot table as map features, filled with their pattern's colour."""
    rows = table.set_index("LSOA code")
    features = []
    for feat in geojson["features"]:
        code = feat["properties"]["code"]
        if code not in rows.index:
            continue
        row = rows.loc[code]
        tips = (f"{row['LSOA']} ({code}), {row['Ward (best fit)']} ward", row["Pattern"], row["What it means"])
        features.append({"type": "Feature", "geometry": feat["geometry"], "properties": {
            "code": code, "fill": EMERGING_COLOURS[row["Pattern"]], "strong": bool(highlight) and code in highlight,
            **{f"h{i}": t for i, t in enumerate(tips)}}})
    return features


# ---------------------------------------------------------------- cached maps (one computation per filter state)
@st.cache_data(max_entries=4, show_spinner=False)
def map_lsoa_geojson() -> dict:
    """The LSOA boundaries for the hotspot maps: the display layer, simplified once, when it becomes a
    topology (:func:`topology`: neighbours keep their shared edges, so no slivers open between them)."""
    from dashboard.maps import display_geojson

    return display_geojson("lsoa21")


@dataclass(frozen=True)
class DensityMap:
    """The density map for one filter state: its figure, legends and table alternative."""

    figure: object  # dashboard.vega.VegaFigure (read-only: shared by every session)
    hex_legend: list
    lsoa_legend: list
    hexes: pd.DataFrame  # lon, lat, records, busiest_place, busiest_records
    radius_m: int
    placed_records: int


@st.cache_resource(max_entries=64, show_spinner=False)
def density_map(months: tuple, comparison_months: tuple, filters: tuple, measure: str, can_compare: bool,
                version: str) -> DensityMap:
    """Hexagons and LSOA shading computed, drawn and converted for the browser once per filter state
    (``filters``: the ``Filters.query_args()`` items; ``version``: the store version), then shared read-only."""
    from analytics.periods import months_label
    from dashboard.data import query

    args = dict(filters)
    snaps = query("hotspot_snap_points", months=list(months), **args)
    lsoa = query("lsoa_summary", months=list(months), comparison_months=list(comparison_months), **args)
    radius = HEX_RADIUS_BY_AREA[args["area_type"]]
    hexes, hex_legend = hexagons(snaps, radius)
    in_area = set(lsoa.loc[lsoa["has_records_in_area"], "lsoa21_code"])
    outline = in_area if args["area_type"] == "lsoa" else None
    geo, lsoa_legend = lsoa_layer(map_lsoa_geojson(), lsoa, measure, can_compare, outline)
    bounds = (geojson_bounds(geo) if args["area_type"] == "borough"
              else area_bounds(snaps, geo, outline) or geojson_bounds(geo))
    description = (f"Map of where records concentrate in {months_label(months)}: {len(hexes):,} hexagons about "
                   f"{round(radius * 3 ** 0.5, -1):.0f} m across, darker for more records, over the LSOAs shaded by "
                   f"{MEASURES[measure].lower()}. The tables under the map list every LSOA and hexagon.")
    figure = area_map(geo["features"], LSOA_TIPS[:3 if can_compare else 2], bounds, description=description,
                      hexes=hexes, radius_m=radius)
    figure.payload()
    return DensityMap(figure, hex_legend, lsoa_legend,
                      hexes[["lon", "lat", "records", "busiest_place", "busiest_records"]], radius,
                      int(snaps["records"].sum()))


@st.cache_resource(max_entries=64, show_spinner=False)
def gi_map(table: pd.DataFrame, measure: str, highlight: tuple[str, ...]):
    """The Gi* class map, drawn and converted once per result."""
    geo = map_lsoa_geojson()
    figure = area_map(gi_features(geo, table, measure, set(highlight) or None), GI_TIPS, geojson_bounds(geo),
                      height=520, description=(
                          f"Map of hot and cold spots across the borough's {len(table)} LSOAs: orange hot, purple "
                          "cold, grey no clear pattern. The table under the map lists every LSOA."))
    figure.payload()
    return figure


@st.cache_data(max_entries=32, show_spinner=False)
def emerging_results(months: tuple, ward_set: str, classes: tuple, crime_types: tuple, priority: str,
                     version: str) -> pd.DataFrame:
    """Emerging hot spots of the 99 LSOAs over ``months`` (months with data), borough-wide."""
    from dashboard.data import query

    w = lsoa_weights()
    rows = query("lsoa_monthly_counts", months=list(months), ward_set=ward_set, classes=list(classes),
                 crime_types=list(crime_types), priority=priority)
    return emerging_hot_spots(lsoa_month_counts(rows, w.id_order, months), w)


@st.cache_resource(max_entries=32, show_spinner=False)
def emerging_map(table: pd.DataFrame, highlight: tuple[str, ...]):
    """The emerging-hot-spot class map, drawn and converted once per result."""
    geo = map_lsoa_geojson()
    figure = area_map(emerging_features(geo, table, set(highlight) or None), EMERGING_TIPS, geojson_bounds(geo),
                      height=520, description=(
                          f"Map of the emerging hot spot pattern of each of the borough's {len(table)} LSOAs. The "
                          "table under the map lists every LSOA with a pattern."))
    figure.payload()
    return figure


def frozen(args: dict) -> tuple:
    """Query arguments as a hashable, ordered tuple (a cache key for the functions below).

    >>> frozen({"b": [1, 2], "a": ""})
    (('a', ''), ('b', (1, 2)))
    """
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in args.items()))


def _thawed(filters: tuple) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in filters}


@st.cache_data(max_entries=64, show_spinner=False)
def location_tables(months: tuple, comparison_months: tuple, filters: tuple, can_compare: bool,
                    version: str) -> dict:
    """The top-locations table (15 rows), every location, and the REPEAT count, once per filter state."""
    from dashboard.data import query

    loc = query("top_locations", months=list(months), comparison_months=list(comparison_months),
                repeat_min_months=repeat_threshold(len(months)), top_n=100_000, **_thawed(filters))
    return {"top": top_locations_table(loc, len(months), can_compare),
            "all": top_locations_table(loc, len(months), can_compare, n=None),
            "repeats": int(loc["is_repeat_location"].sum()), "locations": len(loc)}


@st.cache_data(max_entries=64, show_spinner=False)
def lsoa_tables(lsoa: pd.DataFrame, measure: str, can_compare: bool) -> dict:
    """The top-10 LSOA table and the every-LSOA table (the map's alternative), once per result."""
    return {"top": top_lsoa_table(lsoa, measure, can_compare), "all": top_lsoa_table(lsoa, measure, can_compare, n=None)}

"""Map helpers: display geometry (simplified for drawing only, never for assignment),
class breaks with mapclassify, and an accessible discrete choropleth in plotly.

The choropleth uses plotly's MapLibre ``choroplethmap`` on the built-in ``white-bg`` style (no
web tiles, no downloaded base map), so it draws without a network connection, and every
class has a legend entry with its value range.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
import shapely.geometry
import streamlit as st

from smp_data import settings

__all__ = [
    "LAYERS",
    "SEQUENTIAL_COLOURS",
    "DIVERGING_COLOURS",
    "display_geojson",
    "geojson_size_bytes",
    "ClassBreaks",
    "class_breaks",
    "choropleth",
    "subset_geojson",
    "map_view",
]

# layer -> (file, code property, name property)
LAYERS = {
    "wards_2022": ("maidstone_wards_2022.geojson", "WD22CD", "WD22NM"),
    "wards_2024": ("maidstone_wards_2024.geojson", "WD24CD", "WD24NM"),
    "lsoa21": ("maidstone_lsoa_2021.geojson", "LSOA21CD", "LSOA21NM"),
    "districts": ("kent_districts.geojson", "LADCD", "LADNM"),
}
DISPLAY_TOLERANCE_DEG = 0.0001  # ~7-11 m: invisible at borough scale
DISPLAY_GRID_DEG = 0.00001  # 5 decimal places (~1 m)

# ColorBrewer Blues (sequential) and PuOr (diverging), colour-blind safe: defined in dashboard/theme.py
from dashboard.theme import (  # noqa: E402
    DIVERGING_COLOURS,
    DIVERGING_DECREASE,
    DIVERGING_INCREASE,
    DIVERGING_NEUTRAL,
    LEGEND_BG,
    NO_DATA_COLOUR,
    OUTLINE,
    OUTLINE_STRONG,
    SEQUENTIAL_COLOURS,
    TEXT,
    TRANSPARENT,
)


@st.cache_data(max_entries=8, show_spinner=False)
def display_geojson(layer: str) -> dict:
    """The layer as GeoJSON for drawing: simplified and rounded, with ``code``/``name`` properties."""
    filename, code_field, name_field = LAYERS[layer]
    gdf = gpd.read_file(settings.boundaries_dir() / filename)[[code_field, name_field, "geometry"]]
    geom = shapely.simplify(gdf.geometry.values, DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    geom = shapely.set_precision(geom, DISPLAY_GRID_DEG)
    gdf = gpd.GeoDataFrame({"code": gdf[code_field], "name": gdf[name_field]}, geometry=geom, crs="EPSG:4326")
    return json.loads(gdf.to_json(drop_id=True))


def geojson_size_bytes(layer: str) -> int:
    return len(json.dumps(display_geojson(layer), separators=(",", ":")))


@dataclass(frozen=True)
class ClassBreaks:
    bins: tuple[float, ...]  # upper bounds, ascending
    labels: tuple[str, ...]
    classes: tuple[int, ...]  # class index per value (-1 for missing)
    scheme: str


def _fmt(v: float, decimals: int) -> str:
    return f"{v:,.{decimals}f}"


def class_breaks(values, scheme: str = "natural_breaks", k: int = 5, decimals: int = 0) -> ClassBreaks:
    """Classify values for a choropleth with mapclassify.

    ``scheme`` is ``natural_breaks`` (Fisher-Jenks, exact and deterministic) or
    ``quantiles``. ``k`` is reduced when there are fewer distinct values. Missing values get
    class -1.

    >>> b = class_breaks([1, 2, 3, 10, 11, 12, 50], "natural_breaks", k=3)
    >>> b.bins, b.classes
    ((3.0, 12.0, 50.0), (0, 0, 0, 1, 1, 1, 2))
    """
    arr = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype="float64")
    ok = np.isfinite(arr)
    if not ok.any():
        return ClassBreaks((), (), tuple([-1] * len(arr)), scheme)
    distinct = np.unique(arr[ok])
    k = max(1, min(k, len(distinct)))
    if k == 1:
        bins = np.array([distinct.max()])
        yb = np.zeros(ok.sum(), dtype=int)
    else:
        if scheme == "quantiles":
            cls = mapclassify.Quantiles(arr[ok], k=k)
        elif scheme == "natural_breaks":
            with warnings.catch_warnings():  # "Numba not installed": the pure-Python path is fast enough here
                warnings.filterwarnings("ignore", message="Numba not installed")
                cls = mapclassify.FisherJenks(arr[ok], k=k)
        else:
            raise ValueError(f"unknown classification scheme {scheme!r}: use natural_breaks or quantiles")
        bins, yb = np.asarray(cls.bins, dtype=float), np.asarray(cls.yb, dtype=int)
    classes = np.full(len(arr), -1, dtype=int)
    classes[ok] = yb
    lows = [arr[ok].min()] + list(bins[:-1])
    labels = []
    for i, (lo, hi) in enumerate(zip(lows, bins)):
        lo_txt = _fmt(lo, decimals) if i == 0 else f"over {_fmt(lo, decimals)}"
        labels.append(f"{lo_txt} – {_fmt(hi, decimals)}" if lo != hi or i else _fmt(hi, decimals))
    return ClassBreaks(tuple(float(b) for b in bins), tuple(labels), tuple(int(c) for c in classes), scheme)


def _palette(n: int, diverging: bool, bins: tuple[float, ...]) -> list[str]:
    if not diverging:
        return SEQUENTIAL_COLOURS.get(n, SEQUENTIAL_COLOURS[7])[:n] if n >= 3 else SEQUENTIAL_COLOURS[3][-n:]
    # diverging: classes wholly below zero are purple (falls), above zero orange (rises)
    lows = [-np.inf, *bins[:-1]]
    below = [i for i, hi in enumerate(bins) if hi < 0]
    above = [i for i, lo in enumerate(lows) if lo >= 0]
    colours = []
    for i in range(n):
        if i in below:  # the class nearest zero is the lightest purple
            pos = len(DIVERGING_DECREASE) - len(below) + below.index(i)
            colours.append(DIVERGING_DECREASE[max(0, pos)])
        elif i in above:  # the class nearest zero is the lightest orange
            colours.append(DIVERGING_INCREASE[min(above.index(i), len(DIVERGING_INCREASE) - 1)])
        else:
            colours.append(DIVERGING_NEUTRAL)  # a class that spans zero
    return colours


def subset_geojson(geojson: dict, codes) -> dict:
    """Only the features whose ``code`` is in ``codes``."""
    keep = set(codes)
    return {"type": "FeatureCollection",
            "features": [f for f in geojson["features"] if f["properties"]["code"] in keep]}


_TILE_PX = 512  # MapLibre: the world is 512 px wide at zoom 0
FIT_META = "smp_fit"  # layout.meta key: the bounds a map view fits, for drawing it at another width


def _mercator_y(lat: float) -> float:
    """Web Mercator y in degrees-equivalent (so it compares with a longitude span)."""
    return float(np.degrees(np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))))


def map_view(bounds: tuple[float, float, float, float], width_px: float, height_px: float,
             pad: float = 0.04) -> tuple[dict, float]:
    """Centre and zoom that fit ``bounds`` (min lon, min lat, max lon, max lat) in a map of that size.

    >>> centre, zoom = map_view((0.378, 51.134, 0.796, 51.339), 620, 540)
    >>> round(centre["lon"], 3), round(centre["lat"], 3), round(zoom, 2)
    (0.587, 51.237, 9.92)
    """
    x0, y0, x1, y1 = bounds
    my0, my1 = _mercator_y(y0), _mercator_y(y1)
    lat = float(np.degrees(2 * np.arctan(np.exp(np.radians((my0 + my1) / 2))) - np.pi / 2))
    zoom_x = np.log2(width_px * 360 / (_TILE_PX * max(x1 - x0, 1e-6)))
    zoom_y = np.log2(height_px * 360 / (_TILE_PX * max(my1 - my0, 1e-6)))
    return {"lon": (x0 + x1) / 2, "lat": lat}, float(min(zoom_x, zoom_y) - np.log2(1 + 2 * pad))


def choropleth(
    geojson: dict,
    data: pd.DataFrame,
    code_col: str,
    value_col: str,
    value_label: str,
    hover_cols: dict[str, str],
    scheme: str = "natural_breaks",
    k: int = 5,
    diverging: bool = False,
    decimals: int = 0,
    height: int = 560,
    highlight: str | None = None,
    legend_share: float = 0.22,
    width_px: float = 900,
) -> tuple[go.Figure, ClassBreaks]:
    """A discrete choropleth: one trace per class, so the legend lists every value range.

    Drawn with plotly's MapLibre ``choroplethmap`` on the built-in ``white-bg`` style: no
    web tiles and no downloaded base map, so it draws offline (plotly's ``geo`` maps fetch a
    world map from a CDN first). Each class trace carries only its own features, so the
    boundaries are sent once. ``hover_cols`` maps data columns to hover labels (name,
    value, rank, population...). Areas with no value are grey and listed as 'No data'.
    The view fits the areas in a map ``width_px`` wide; the bounds are kept in ``layout.meta`` so
    :func:`dashboard.charts.plotly_chart` can also draw a phone-width view (Streamlit cannot tell the
    server the screen's width; CSS shows the one that fits). The legend sits under the map, never
    over it; ``legend_share`` is kept for callers and no longer used.
    """
    data = data.reset_index(drop=True)
    breaks = class_breaks(data[value_col], scheme, k, decimals)
    colours = _palette(len(breaks.bins), diverging, breaks.bins)
    fig = go.Figure()
    hover = "<br>".join(f"{label}: %{{customdata[{i}]}}" for i, label in enumerate(hover_cols.values()))
    custom = data[list(hover_cols)].astype(object).where(data[list(hover_cols)].notna(), "no data")
    classes = np.array(breaks.classes)
    groups = [(i, label, colours[i]) for i, label in enumerate(breaks.labels)] + [(-1, "No data", NO_DATA_COLOUR)]
    drawn = []
    for idx, label, colour in groups:
        rows = np.flatnonzero(classes == idx)
        if len(rows) == 0:
            continue
        codes = list(data.loc[rows, code_col])
        subset = subset_geojson(geojson, codes)
        drawn += subset["features"]
        fig.add_trace(go.Choroplethmap(
            geojson=subset, featureidkey="properties.code", locations=codes,
            z=np.ones(len(rows)), colorscale=[[0, colour], [1, colour]], showscale=False,
            marker_line_color=OUTLINE, marker_line_width=0.8, name=label, showlegend=True,
            customdata=custom.loc[rows].values, hovertemplate=f"{hover}<extra></extra>",
        ))
    if highlight is not None and highlight in set(data[code_col]):
        fig.add_trace(go.Choroplethmap(
            geojson=subset_geojson(geojson, [highlight]), featureidkey="properties.code", locations=[highlight],
            z=[1], colorscale=[[0, TRANSPARENT], [1, TRANSPARENT]], showscale=False,
            marker_line_color=OUTLINE_STRONG, marker_line_width=3.5, name="Selected (black outline)", showlegend=True,
            hoverinfo="skip",
        ))
    how = "natural breaks" if scheme == "natural_breaks" else "quantiles"
    features = drawn or geojson["features"]
    bounds = shapely.geometry.shape(
        {"type": "GeometryCollection", "geometries": [f["geometry"] for f in features]}).bounds
    # The legend sits under the map (never over it); the map keeps ``height`` above it.
    legend_px = 46 + 24 * (len(fig.data))
    centre, zoom = map_view(bounds, width_px, height - 20)
    fig.update_layout(
        height=height + legend_px, margin=dict(l=0, r=0, t=10, b=0), font=dict(size=14, color=TEXT),
        map=dict(style="white-bg", center=centre, zoom=zoom, domain=dict(x=[0, 1], y=[0, 1])),
        legend=dict(title=dict(text=f"{value_label} ({how})", side="top"), orientation="v",
                    bgcolor=LEGEND_BG, x=0, xanchor="left", y=0, yanchor="top"),
        separators=".,",
        # the view for a narrow screen is worked out when the chart is drawn (dashboard.charts.plotly_chart)
        meta={FIT_META: {"bounds": list(bounds), "map_height": height - 20}},
    )
    return fig, breaks

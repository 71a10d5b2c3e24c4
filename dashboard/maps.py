"""Map helpers: display geometry (simplified for drawing only, never for assignment),
class breaks with mapclassify, and an accessible discrete choropleth in plotly.

The choropleth draws without a network connection by default: the areas are filled outlines on plain
longitude/latitude axes (no web tiles, no downloaded base map or fonts), each named by a label that is
left out where it would overlap another (hover and the table alternative name every area), and every
class has a legend entry with its value range. With the optional street basemap configured
(:func:`basemap`, setting ``SMP_BASEMAP_URL`` / ``[smp] basemap_url`` in ``.streamlit/secrets.toml``) it
is drawn on plotly's MapLibre map over those tiles or that style instead, with the attribution shown.
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
import streamlit as st

from dashboard.explain import breaks_words
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
    "Basemap",
    "basemap",
    "apply_basemap",
    "label_points",
    "mark_points",
    "focus_view",
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
    BLACK,
    DIVERGING_COLOURS,
    DIVERGING_DECREASE,
    DIVERGING_INCREASE,
    DIVERGING_NEUTRAL,
    LEGEND_BG,
    NO_DATA_COLOUR,
    OKABE_ITO,
    OUTLINE,
    OUTLINE_STRONG,
    SEQUENTIAL_COLOURS,
    TEXT,
    TRANSPARENT,
    WHITE,
)

MARK_COLOUR = OKABE_ITO[1]  # a searched point: orange with a black ring


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
FIT_META = "smp_fit"  # layout.meta key: the bounds a MapLibre view fits, to draw it at another width too
# layout.meta key of an offline map: its plot's height / width (true proportions), so that a phone-width
# copy can be drawn as tall as the map needs (a fixed height left blank bands above and below it)
OFFLINE_FIT_META = "smp_offline_fit"


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


@dataclass(frozen=True)
class Basemap:
    """An optional street basemap: a raster tile URL template ({z}/{x}/{y}) or a MapLibre style URL."""

    url: str
    attribution: str

    @property
    def is_style(self) -> bool:
        return self.url.split("?")[0].endswith(".json")


def basemap(env: dict | None = None, secrets=None) -> Basemap | None:
    """The configured street basemap, or None (the default: maps draw offline with no basemap).

    Read from the environment (``SMP_BASEMAP_URL``, ``SMP_BASEMAP_ATTRIBUTION``) and otherwise from the
    ``[smp]`` table of ``.streamlit/secrets.toml`` (``basemap_url``, ``basemap_attribution``). Only http(s)
    URLs are used. A tile basemap without an attribution gets a generic one naming its host.

    >>> basemap({}, {}) is None
    True
    >>> b = basemap({"SMP_BASEMAP_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    ...              "SMP_BASEMAP_ATTRIBUTION": "© OpenStreetMap contributors"}, {})
    >>> b.url.endswith("{y}.png"), b.attribution, b.is_style
    (True, '© OpenStreetMap contributors', False)
    >>> basemap({"SMP_BASEMAP_URL": "javascript:alert(1)"}, {}) is None
    True
    """
    import os  # noqa: PLC0415

    env = os.environ if env is None else env
    url = (env.get(settings.SETTINGS["basemap_url"].env) or "").strip()
    attribution = (env.get(settings.SETTINGS["basemap_attribution"].env) or "").strip()
    if not url:
        if secrets is None:
            try:
                secrets = st.secrets.get("smp", {})
            except Exception:  # no secrets.toml: no basemap
                secrets = {}
        url = str(secrets.get("basemap_url", "") or "").strip()
        attribution = attribution or str(secrets.get("basemap_attribution", "") or "").strip()
    if not url or not url.lower().startswith(("https://", "http://")):
        return None
    if not attribution:
        host = url.split("/")[2] if url.count("/") >= 2 else url
        attribution = f"Basemap: {host} (see its licence)"
    return Basemap(url, attribution[:300])


def apply_basemap(fig: go.Figure, base: Basemap) -> go.Figure:
    """Draw ``fig``'s MapLibre map over the basemap: a style URL replaces the map style, a tile URL is
    added as a raster layer below the traces; the attribution is shown on the map."""
    if base.is_style:
        fig.update_layout(map_style=base.url)
    else:
        fig.update_layout(map_style="white-bg", map_layers=[{
            "sourcetype": "raster", "source": [base.url], "below": "traces", "sourceattribution": base.attribution}])
    fig.add_annotation(text=base.attribution, xref="paper", yref="paper", x=1, y=0, xanchor="right",
                       yanchor="bottom", showarrow=False, font=dict(size=11, color=TEXT),
                       bgcolor=LEGEND_BG)
    return fig


def label_points(geojson: dict) -> pd.DataFrame:
    """A label point well inside each feature (pole of inaccessibility of its largest part): code, name,
    lon, lat, area."""
    from shapely.ops import polylabel  # noqa: PLC0415

    rows = []
    for feat in geojson["features"]:
        geom = shapely.geometry.shape(feat["geometry"])
        part = max(geom.geoms, key=lambda g: g.area) if hasattr(geom, "geoms") else geom
        try:
            pt = polylabel(part, tolerance=0.0002)
        except Exception:  # degenerate shapes: any point inside will do
            pt = part.representative_point()
        rows.append({"code": feat["properties"]["code"], "name": feat["properties"]["name"], "lon": pt.x,
                     "lat": pt.y, "area": geom.area})
    return pd.DataFrame(rows, columns=["code", "name", "lon", "lat", "area"])


LABEL_WIDTH_PX = 340  # labels are chosen so that none overlap on a phone-width map (wider maps space them out)
LABEL_FONT_PX = 11


def _labels(geojson: dict, bounds, height: int, first: str | None, width_px: float = LABEL_WIDTH_PX):
    """Which features to name, so that no two names overlap on a map ``width_px`` wide (the selected area
    first, then larger areas first); returns the label points with a ``text`` column ('' = not drawn)."""
    import textwrap  # noqa: PLC0415

    from dashboard.ward_map_view import non_overlapping_labels  # noqa: PLC0415  (one label placer for all maps)

    pts = label_points(geojson)
    if pts.empty:
        return pts.assign(text=[])
    x0, y0, x1, y1 = bounds
    aspect = float(1 / np.cos(np.radians((y0 + y1) / 2)))
    per_px = max((x1 - x0) / width_px, aspect * (y1 - y0) / height)
    order = sorted(range(len(pts)), key=lambda i: (pts["code"].iloc[i] != first, -pts["area"].iloc[i]))
    wrapped = [textwrap.wrap(n, 12) for n in pts["name"]]
    keep = non_overlapping_labels(pts["lon"].tolist(), [lat * aspect for lat in pts["lat"]], wrapped,
                                  [LABEL_FONT_PX] * len(pts), per_px, order)
    for i, lines in enumerate(wrapped):  # a label that would run off the map is left out too
        half_w = (0.6 * LABEL_FONT_PX * max((len(x) for x in lines), default=0) / 2 + 2) * per_px
        half_h = (1.25 * LABEL_FONT_PX * len(lines) / 2 + 2) * per_px / aspect
        lon, lat = pts["lon"].iloc[i], pts["lat"].iloc[i]
        if lon - half_w < x0 or lon + half_w > x1 or lat - half_h < y0 or lat + half_h > y1:
            keep[i] = False
    return pts.assign(text=["<br>".join(w) if k else "" for w, k in zip(wrapped, keep)])


def _clip(geojson: dict, bounds) -> dict:
    """Only the parts of each feature inside ``bounds`` (for placing labels in a zoomed view)."""
    box = shapely.box(*bounds)
    out = []
    for f in geojson["features"]:
        part = shapely.geometry.shape(f["geometry"]).intersection(box)
        if not part.is_empty and part.area > 0:
            out.append({"type": "Feature", "properties": f["properties"], "geometry": shapely.geometry.mapping(part)})
    return {"type": "FeatureCollection", "features": out}


def focus_view(points, radius_m: float, aspect: float = 1.25) -> tuple[float, float, float, float]:
    """A view around ``points`` (lon, lat) with ``radius_m`` metres (at least 600 m) to spare on every side,
    widened to ``aspect`` (width / height on screen).

    >>> x0, y0, x1, y1 = focus_view([(0.52, 51.27)], 500)
    >>> round(float((x1 - x0) / (y1 - y0) * np.cos(np.radians(51.27))), 2)
    1.25
    """
    lon = [p[0] for p in points]
    lat = [p[1] for p in points]
    pad = max(radius_m, 600) * 1.3 / 111_320.0
    k = float(np.cos(np.radians(sum(lat) / len(lat))))
    x0, x1 = min(lon) - pad / k, max(lon) + pad / k
    y0, y1 = min(lat) - pad, max(lat) + pad
    width, height = (x1 - x0) * k, y1 - y0  # in ground units
    if width < aspect * height:
        extra = (aspect * height - width) / k / 2
        x0, x1 = x0 - extra, x1 + extra
    else:
        extra = (width / aspect - height) / 2
        y0, y1 = y0 - extra, y1 + extra
    return x0, y0, x1, y1


def _rings_xy(geometry: dict) -> tuple[list, list]:
    geom = shapely.geometry.shape(geometry)
    xs, ys = [], []
    for poly in (geom.geoms if hasattr(geom, "geoms") else [geom]):
        for ring in (poly.exterior, *poly.interiors):
            coords = list(ring.coords)
            xs += [c[0] for c in coords] + [None]
            ys += [c[1] for c in coords] + [None]
    return xs, ys


def _is_dark(colour: str) -> bool:
    """True for fills where dark text would be hard to read (relative luminance below 0.3).

    >>> _is_dark("#08519c"), _is_dark("#eff3ff")
    (True, False)
    """
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] < 0.3


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
    width_px: float = 820,
    base: Basemap | None | bool = None,
    view: tuple[float, float, float, float] | None = None,
) -> tuple[go.Figure, ClassBreaks]:
    """A discrete choropleth: one legend entry per class, areas named on the map.

    ``hover_cols`` maps data columns to hover labels (name, value, rank, population...). Areas with no
    value are grey and listed as 'No data'. ``highlight`` (a code) gets a thick black outline. Every area
    can be clicked: a point selection carries its code as ``customdata`` (and, on the MapLibre map, as
    ``location``).

    ``view`` (min lon, min lat, max lon, max lat) zooms the map there (labels are then placed inside it).
    ``base``: None reads the configured street basemap (:func:`basemap`); False forces the offline map.
    Without a basemap the areas are drawn on plain axes (works offline; labels are SVG text; the view fits
    any width). With one, plotly's MapLibre ``choroplethmap`` draws over it with the legend under the map
    and the labels as map text; its view is fixed in the figure, so the bounds are kept in ``layout.meta``
    for :func:`dashboard.charts.plotly_chart` to draw a phone-width view too (``legend_share`` is unused).
    """
    data = data.reset_index(drop=True)
    breaks = class_breaks(data[value_col], scheme, k, decimals)
    colours = _palette(len(breaks.bins), diverging, breaks.bins)
    base = basemap() if base is None else (base or None)
    hover = "<br>".join(f"{label}: %{{customdata[{i + 1}]}}" for i, label in enumerate(hover_cols.values()))
    custom = data[list(hover_cols)].astype(object).where(data[list(hover_cols)].notna(), "no data")
    custom.insert(0, "_code", data[code_col])
    classes = np.array(breaks.classes)
    groups = [(i, label, colours[i]) for i, label in enumerate(breaks.labels)] + [(-1, "No data", NO_DATA_COLOUR)]
    features = {f["properties"]["code"]: f for f in geojson["features"]}
    colour_of: dict[str, str] = {}
    drawn = []
    for idx, _label, colour in groups:
        for code in data.loc[np.flatnonzero(classes == idx), code_col]:
            colour_of[code] = colour
            if code in features:
                drawn.append(features[code])
    shown = subset_geojson(geojson, colour_of) if drawn else geojson
    bounds = view or shapely.geometry.shape(
        {"type": "GeometryCollection", "geometries": [f["geometry"] for f in (drawn or geojson["features"])]}).bounds
    labels = _labels(_clip(shown, bounds) if view else shown, bounds, height, highlight)
    labels = labels[labels["code"].isin(colour_of)] if len(labels) else labels
    title = f"{value_label}<br>({breaks_words(scheme)})"
    if base is not None:
        fig = _choropleth_map(geojson, data, code_col, custom, hover, classes, groups, highlight, bounds, height,
                              legend_share, width_px, title, labels)
        apply_basemap(fig, base)
        return fig, breaks
    fig = go.Figure()
    row_of = {c: i for i, c in enumerate(data[code_col])}
    for idx, label, colour in groups:
        first = True
        for code in data.loc[np.flatnonzero(classes == idx), code_col]:
            feat = features.get(code)
            if feat is None:
                continue
            xs, ys = _rings_xy(feat["geometry"])
            row = custom.iloc[row_of[code]].tolist()
            text = "<br>".join(f"{lab}: {row[i + 1]}" for i, lab in enumerate(hover_cols.values()))
            fig.add_trace(go.Scatter(
                x=xs, y=ys, mode="lines", fill="toself", fillcolor=colour, line=dict(color=OUTLINE, width=0.8),
                name=label, legendgroup=label, showlegend=first, hoveron="fills", hoverinfo="text", text=text))
            first = False
    if highlight is not None and highlight in features and highlight in colour_of:
        xs, ys = _rings_xy(features[highlight]["geometry"])
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=OUTLINE_STRONG, width=3.5),
                                 name="Selected (black outline)", hoverinfo="skip"))
    # click targets: one point inside each area, carrying its code and the hover text
    if len(labels):
        lab = labels.set_index("code").loc[[c for c in data[code_col] if c in set(labels["code"])]]
        fig.add_trace(go.Scatter(
            x=lab["lon"], y=lab["lat"], mode="markers",
            marker=dict(size=22, color=TRANSPARENT, line=dict(width=0)),
            customdata=custom.set_index("_code").loc[lab.index].reset_index().values, hovertemplate=f"{hover}<extra></extra>",
            showlegend=False, name="areas"))
        for dark in (False, True):
            sel = lab[[(_is_dark(colour_of[c]) == dark) and bool(t) for c, t in zip(lab.index, lab["text"])]]
            if len(sel):
                fig.add_trace(go.Scatter(
                    x=sel["lon"], y=sel["lat"], text=sel["text"], mode="text", hoverinfo="skip", showlegend=False,
                    name="labels", textfont=dict(size=LABEL_FONT_PX, color=WHITE if dark else TEXT)))
    x0, y0, x1, y1 = bounds
    ratio = float(1 / np.cos(np.radians((y0 + y1) / 2)))
    pad_x, pad_y = (0.0, 0.0) if view else (0.02 * (x1 - x0), 0.02 * (y1 - y0))
    fig.update_xaxes(visible=False, range=[x0 - pad_x, x1 + pad_x], constrain="domain", fixedrange=True)
    fig.update_yaxes(visible=False, range=[y0 - pad_y, y1 + pad_y], scaleanchor="x", scaleratio=ratio,
                     constrain="domain", fixedrange=True)
    fig.update_layout(
        height=height, margin=dict(l=0, r=0, t=10, b=0), font=dict(size=14, color=TEXT), plot_bgcolor="white",
        meta={OFFLINE_FIT_META: {"aspect": (y1 - y0 + 2 * pad_y) * ratio / (x1 - x0 + 2 * pad_x)}},
        hovermode="closest", dragmode=False, separators=".,", hoverlabel=dict(font_size=14),
        legend=dict(title=dict(text=title.replace("<br>", " ")), orientation="h", x=0, y=-0.02, xanchor="left",
                    yanchor="top", bgcolor=LEGEND_BG),
    )
    return fig, breaks


def _choropleth_map(geojson, data, code_col, custom, hover, classes, groups, highlight, bounds, height,
                    legend_share, width_px, title, labels) -> go.Figure:
    """The MapLibre choropleth drawn over a street basemap (needs the network for tiles and fonts)."""
    fig = go.Figure()
    for idx, label, colour in groups:
        rows = np.flatnonzero(classes == idx)
        if len(rows) == 0:
            continue
        codes = list(data.loc[rows, code_col])
        fig.add_trace(go.Choroplethmap(
            geojson=subset_geojson(geojson, codes), featureidkey="properties.code", locations=codes,
            z=np.ones(len(rows)), colorscale=[[0, colour], [1, colour]], showscale=False, marker_opacity=0.7,
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
    named = labels[labels["text"] != ""] if len(labels) else labels
    if len(named):
        fig.add_trace(go.Scattermap(lon=named["lon"], lat=named["lat"], text=named["text"].str.replace("<br>", " "),
                                    mode="text", textfont=dict(size=12, color=TEXT), hoverinfo="skip",
                                    showlegend=False, name="labels"))
    # the legend sits under the map, never over it; the view fits a map ``width_px`` wide, and the bounds
    # are kept in layout.meta so dashboard.charts.plotly_chart also draws a phone-width view
    legend_px = 46 + 24 * len(groups)
    centre, zoom = map_view(bounds, width_px, height - 20)
    fig.update_layout(
        height=height + legend_px, margin=dict(l=0, r=0, t=10, b=0), font=dict(size=14, color=TEXT),
        map=dict(style="white-bg", center=centre, zoom=zoom, domain=dict(x=[0, 1], y=[0, 1])),
        legend=dict(title=dict(text=title.replace("<br>", " "), side="top"), orientation="v", bgcolor=LEGEND_BG,
                    x=0, xanchor="left", y=0, yanchor="top"),
        separators=".,",
        meta={FIT_META: {"bounds": list(bounds), "map_height": height - 20}},
    )
    return fig


def mark_points(fig: go.Figure, points, label: str, name: str, circle_m: float | None = None) -> go.Figure:
    """Mark searched points on a choropleth (either renderer): a black-ringed orange dot per point (one
    point is labelled), and optionally a circle of ``circle_m`` metres around a single point."""
    on_map = any(t.type == "choroplethmap" for t in fig.data)
    lon = [p[0] for p in points]
    lat = [p[1] for p in points]
    if not lon:
        return fig
    ring = None
    if circle_m and len(points) == 1:
        angles = np.linspace(0, 2 * np.pi, 73)
        dlat = circle_m / 111_320.0
        dlon = dlat / np.cos(np.radians(lat[0]))
        ring = (list(lon[0] + dlon * np.cos(angles)), list(lat[0] + dlat * np.sin(angles)))
    if on_map:
        if ring:
            fig.add_trace(go.Scattermap(lon=ring[0], lat=ring[1], mode="lines", line=dict(color=BLACK, width=2),
                                        name=f"Within {circle_m:,.0f} m", hoverinfo="skip"))
        fig.add_trace(go.Scattermap(lon=lon, lat=lat, mode="markers", marker=dict(size=16, color=BLACK),
                                    showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scattermap(lon=lon, lat=lat, mode="markers", marker=dict(size=10, color=MARK_COLOUR),
                                    name=name, hovertext=[label] * len(lon), hoverinfo="text"))
        return fig
    if ring:
        fig.add_trace(go.Scatter(x=ring[0], y=ring[1], mode="lines", line=dict(color=BLACK, width=2, dash="dash"),
                                 name=f"Within {circle_m:,.0f} m", hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=lon, y=lat, mode="markers+text" if len(lon) == 1 else "markers", name=name,
        marker=dict(size=13, color=MARK_COLOUR, line=dict(color=BLACK, width=2.5)),
        text=[label] if len(lon) == 1 else None, textposition="top center",
        textfont=dict(size=13, color=BLACK), hovertext=[label] * len(lon), hoverinfo="text"))
    return fig


# ---------------------------------------------------------------- the light (Vega-Lite) choropleth
SELECT_PARAM = "area"  # the Vega-Lite point selection a click on an area makes (its ``code``)
LEGEND_COLUMNS = 2  # the map's legend: two classes a row fit a phone
LEGEND_ROW_PX = 22
VEGA_LABEL_WIDTH_PX = 290


def clockwise(geometry: dict) -> dict:
    """A (Multi)Polygon with clockwise exterior rings, as d3-geo (Vega's projections) reads a polygon's inside
    (GeoJSON files wind them the other way, which Vega would fill as the whole globe minus the shape).

    >>> g = clockwise({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
    >>> g["coordinates"][0][:3]
    ((0.0, 0.0), (1.0, 1.0), (1.0, 0.0))
    """
    shape = shapely.geometry.shape(geometry)
    polys = list(shape.geoms) if hasattr(shape, "geoms") else [shape]
    oriented = [shapely.geometry.polygon.orient(p, sign=-1.0) for p in polys if not p.is_empty]
    out = shapely.geometry.MultiPolygon(oriented) if len(oriented) > 1 else oriented[0]
    return shapely.geometry.mapping(out)


def fit_extent(x0: float, x1: float, y0: float, y1: float) -> dict:
    """A Vega-Lite projection's ``fit``: the two corners of the area to show, as GeoJSON (a MultiPoint has no
    winding order to get wrong).

    >>> fit_extent(0.4, 0.6, 51.1, 51.3)["geometry"]["coordinates"]
    [[0.4, 51.1], [0.6, 51.3]]
    """
    return {"type": "Feature", "properties": {},
            "geometry": {"type": "MultiPoint", "coordinates": [[x0, y0], [x1, y1]]}}


def mercator_aspect(bounds: tuple[float, float, float, float]) -> float:
    """Height / width of ``bounds`` (min lon, min lat, max lon, max lat) on a Mercator map."""
    x0, y0, x1, y1 = bounds
    return abs(_mercator_y(y1) - _mercator_y(y0)) / max(x1 - x0, 1e-9)


def vega_choropleth(geojson: dict, data: pd.DataFrame, code_col: str, value_col: str, value_label: str,
                    hover_cols: dict[str, str], scheme: str = "natural_breaks", k: int = 5, diverging: bool = False,
                    decimals: int = 0, height: int = 560, highlight: str | None = None):
    """:func:`choropleth` as a Vega-Lite map (Streamlit's light chart library, not Plotly): the same classes,
    colours and legend, areas named where the names fit, ``highlight`` outlined in black, and a click on an area
    selects it (the point selection :data:`SELECT_PARAM`, carrying the area's ``code``). Areas are drawn on a
    Mercator projection fitted to them (no web map: works offline). Returns (figure, breaks); the figure's
    ``meta`` has ``bounds`` and ``aspect`` (height / width of the areas as drawn), so a phone can be given a
    copy just tall enough (:func:`dashboard.charts.vega_map`)."""
    import altair as alt  # noqa: PLC0415

    from dashboard.vega import VegaFigure, configure  # noqa: PLC0415

    data = data.reset_index(drop=True)
    breaks = class_breaks(data[value_col], scheme, k, decimals)
    colours = _palette(len(breaks.bins), diverging, breaks.bins)
    classes = np.array(breaks.classes)
    hover = {col: f"h{i}" for i, col in enumerate(hover_cols)}
    texts = data[list(hover_cols)].astype(object).where(data[list(hover_cols)].notna(), "no data")
    features = {f["properties"]["code"]: f for f in geojson["features"]}
    shown, colour_of = [], {}
    for i, code in enumerate(data[code_col]):
        if code not in features:
            continue
        idx = int(classes[i])
        label, colour = (breaks.labels[idx], colours[idx]) if idx >= 0 else ("No data", NO_DATA_COLOUR)
        colour_of[code] = colour
        shown.append({"type": "Feature", "geometry": clockwise(features[code]["geometry"]), "properties": {
            "code": code, "class": label, **{hover[c]: str(texts.loc[i, c]) for c in hover_cols}}})
    drawn = {"type": "FeatureCollection", "features": [features[f["properties"]["code"]] for f in shown]}
    bounds = shapely.geometry.shape({"type": "GeometryCollection", "geometries": [
        f["geometry"] for f in (drawn["features"] or geojson["features"])]}).bounds
    x0, y0, x1, y1 = bounds
    pad_x, pad_y = 0.02 * (x1 - x0), 0.02 * (y1 - y0)
    fit = fit_extent(x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y)
    present = [lab for lab in (*breaks.labels, "No data") if lab in {f["properties"]["class"] for f in shown}]
    order = list(breaks.labels) + ["No data"]
    palette = dict(zip(order, list(colours) + [NO_DATA_COLOUR]))
    select = alt.selection_point(name=SELECT_PARAM, fields=["code"], on="click", toggle=False)
    tooltip = [alt.Tooltip(f"properties.{hover[c]}:N", title=label or value_label) for c, label in hover_cols.items()]
    fills = (alt.Chart(alt.Data(values=shown), name="areas")
             .mark_geoshape(stroke=OUTLINE, strokeWidth=0.8, cursor="pointer")
             .transform_calculate(code="datum.properties.code")
             .encode(color=alt.Color("properties.class:N", title=None, legend=alt.Legend(
                         orient="bottom", direction="horizontal", columns=LEGEND_COLUMNS, title=None, symbolType="square",
                         symbolSize=200),
                         scale=alt.Scale(domain=present, range=[palette[p] for p in present])),
                     tooltip=tooltip)
             .add_params(select))
    layers = [fills]
    if highlight is not None and highlight in colour_of:
        layers.append(alt.Chart(alt.Data(values=[f for f in shown if f["properties"]["code"] == highlight]),
                                name="selected")
                      .mark_geoshape(filled=False, stroke=OUTLINE_STRONG, strokeWidth=3.5, aria=False))
    # names chosen not to overlap on the phone copy: its areas are drawn a little narrower than LABEL_WIDTH_PX
    # (the legend under it, the fit's margins), so the placer is given less room
    labels = _labels(drawn, bounds, height, highlight, width_px=VEGA_LABEL_WIDTH_PX)
    labels = labels[labels["code"].isin(colour_of) & (labels["text"] != "")] if len(labels) else labels
    if len(labels):
        names = pd.DataFrame({"lon": labels["lon"].to_numpy(), "lat": labels["lat"].to_numpy(),
                              "text": labels["text"].to_numpy(),
                              "ink": [WHITE if _is_dark(colour_of[c]) else TEXT for c in labels["code"]]})
        layers.append(alt.Chart(names, name="names").mark_text(fontSize=LABEL_FONT_PX, lineBreak="<br>", aria=False)
                      .encode(longitude="lon:Q", latitude="lat:Q", text="text:N",
                              color=alt.Color("ink:N", scale=None, legend=None)))
    chart = alt.layer(*layers).project(type="mercator", fit=fit).properties(height=height, width="container")
    description = (f"Map of {len(shown)} areas shaded by {value_label} in {len(breaks.labels)} classes "
                   f"({breaks_words(scheme)}). The table below the map lists every area with its value.")
    fig = VegaFigure(configure(chart), title=value_label, subtitle=f"{breaks_words(scheme).capitalize()}.",
                     description=description,
                     meta={"bounds": bounds, "aspect": mercator_aspect(bounds),
                           "legend_px": LEGEND_ROW_PX * -(-len(present) // LEGEND_COLUMNS) + 16})
    return fig, breaks

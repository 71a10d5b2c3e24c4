"""Vega-Lite charts built with Altair: the dashboard's light chart layer.

Why: a page that draws one Plotly chart makes the browser load, compile and run Plotly's 4.7 MB bundle on
every visit; Streamlit's Vega-Lite chart is about 0.8 MB. Measured in the same run with
``bench/browser.py`` (Overview with its four charts drawn by each library): first visit 2.70 s with Plotly
against 1.89 s with Vega-Lite, warm revisit 1.04 s against 0.86 s. Overview, Ward map, Ward clusters, the
Patrol sheet, Town centre and About the data draw every chart with these builders or with Vega-Lite maps
(layers on a Mercator projection fitted to the area: :func:`dashboard.maps.vega_choropleth`,
:mod:`dashboard.clusters_view`, :mod:`dashboard.patrol_view`, :mod:`dashboard.ward_map_view`), so they never
load Plotly; SMP priorities draws its police.uk charts (:mod:`dashboard.priorities_view`) with them, so it
loads Plotly only when a partner tab with a Plotly chart is opened; Find my area's result map still uses
Plotly, Hotspots deck.gl; see the README's browser benchmark.

The builders are pure (pandas in, :class:`VegaFigure` out; no Streamlit) and follow the Plotly charts'
conventions (:mod:`dashboard.charts`): the colour-blind-safe colours of :mod:`dashboard.theme`, a line
style per series as well as a colour, missing months shaded "no data" and never drawn as zero (a line
stops at a gap), labels written above horizontal bars so that they read on a phone, and the title drawn
above the chart as text (it wraps). :func:`dashboard.charts.show_chart` draws a :class:`VegaFigure` and
its table alternative like a Plotly figure. Text in a Vega chart is SVG text, never HTML.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import altair as alt
import pandas as pd

from dashboard import theme

__all__ = ["VegaFigure", "DASH_ARRAYS", "configure", "gap_ranges", "segments", "trend_chart", "hbar_chart",
           "month_grid_chart", "leaf_layers", "band_layer", "gap_layer", "utc"]

FONT = '"Source Sans 3", "Source Sans Pro", sans-serif'  # Streamlit's own font
BAR_PX = 20  # a horizontal bar's thickness
ROW_PX = 48  # one horizontal bar with its label written above it
LABEL_GAP_PX = 3  # between a bar and its label
DASH_ARRAYS = {"solid": [1, 0], "dash": [7, 4], "dot": [2, 3], "dashdot": [7, 3, 2, 3]}  # as Plotly's
MONTH_FORMAT = "%b %Y"  # on a UTC time scale (months are stored as midnight UTC), so every time zone reads the same


@dataclass(eq=False)
class VegaFigure:
    """A chart to draw with its title and subtitle (drawn above it as text) and its text for screen readers.

    Treat it as read-only: a figure may be cached and shared by every session (:func:`payload` converts the
    chart once)."""

    chart: alt.TopLevelMixin
    title: str | None = None
    subtitle: str | None = None
    description: str | None = None
    meta: dict = field(default_factory=dict)  # what a builder worked out and tests read (e.g. a map's extent)
    _payload: tuple | None = field(default=None, repr=False)

    def spec(self) -> dict:
        """The Vega-Lite specification (data inline), as the browser would get it."""
        return self.chart.to_dict()

    def payload(self) -> tuple[dict, dict[str, bytes]]:
        """(the spec without its data, {dataset name: Arrow IPC bytes}): what Streamlit sends the browser,
        worked out once per figure (Altair's conversion and validation take tens of milliseconds). GeoJSON
        (a map's outlines) stays inline in its layer's ``data.values``, which Vega-Lite reads as it is."""
        if self._payload is None:
            spec = self.spec()
            datasets = {name: _arrow_bytes(rows) for name, rows in spec.pop("datasets", {}).items()}
            self._payload = (spec, datasets)
        return self._payload


def _arrow_bytes(rows: list[dict]) -> bytes:
    import pyarrow as pa  # noqa: PLC0415

    table = pa.Table.from_pylist(rows)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def leaf_layers(spec: dict, data: dict | None = None) -> list[dict]:
    """Every drawn layer of a (nested) layered Vega-Lite spec, in drawing order, each with the ``data`` it
    draws (its own, or the nearest enclosing layer's): for tests and for reading a spec.

    >>> spec = {"data": {"name": "a"}, "layer": [{"mark": "rect"}, {"layer": [{"mark": "text", "data": {"name": "b"}}]}]}
    >>> [(l["mark"], l["data"]["name"]) for l in leaf_layers(spec)]
    [('rect', 'a'), ('text', 'b')]
    """
    out, data = [], spec.get("data", data)
    for layer in spec.get("layer", []):
        own = layer.get("data", data)
        out += leaf_layers(layer, own) if "layer" in layer else [{**layer, "data": own}]
    return out


def configure(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The dashboard's look for a Vega-Lite chart (colours and sizes as the Plotly charts')."""
    return (
        chart.configure(font=FONT, background=theme.WHITE)
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=13, titleFontSize=14, labelColor=theme.TEXT, titleColor=theme.TEXT,
                        domainColor=theme.AXIS, tickColor=theme.AXIS, gridColor=theme.GRID, titleFontWeight="normal",
                        labelLimit=0)
        .configure_legend(orient="bottom", direction="horizontal", labelFontSize=13, titleFontSize=13,
                          labelColor=theme.TEXT, titleColor=theme.TEXT, labelLimit=0, symbolStrokeWidth=2.5,
                          symbolSize=180, columns=0)
        .configure_text(font=FONT, fontSize=13, color=theme.TEXT)
    )


# ---------------------------------------------------------------- gaps and line segments
def gap_ranges(months: Iterable[dt.date], present: Iterable[bool]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive runs of missing months as (first, last).

    >>> ms = [dt.date(2022, m, 1) for m in (1, 2, 3, 4)]
    >>> gap_ranges(ms, [True, False, False, True])
    [(datetime.date(2022, 2, 1), datetime.date(2022, 3, 1))]
    """
    out, start, prev = [], None, None
    for m, p in zip(months, present):
        if not p and start is None:
            start = m
        if p and start is not None:
            out.append((start, prev))
            start = None
        prev = m
    if start is not None:
        out.append((start, prev))
    return out


def segments(df: pd.DataFrame, series: str, x: str, y: str) -> pd.DataFrame:
    """The points to draw, each with the id of its line segment: a series' line starts a new segment after
    every missing value, so no line is drawn across a gap (a missing month is never a zero, and never
    joined over). Rows with no value are dropped.

    >>> d = pd.DataFrame({"s": ["a"] * 4, "m": [1, 2, 3, 4], "v": [5.0, None, 7.0, 8.0]})
    >>> segments(d, "s", "m", "v")[["m", "v", "segment"]].values.tolist()
    [[1, 5.0, 'a 0'], [3, 7.0, 'a 1'], [4, 8.0, 'a 1']]
    """
    parts = []
    for name, grp in df.groupby(series, sort=False):
        grp = grp.sort_values(x)
        missing = grp[y].isna()
        parts.append(grp.assign(segment=[f"{name} {n}" for n in missing.cumsum()])[~missing])
    if not parts:
        return df.assign(segment=pd.Series(dtype=str)).iloc[0:0]
    return pd.concat(parts, ignore_index=True)


def utc(values) -> pd.Series:
    """Months (dates) as midnight UTC timestamps, as every Vega chart's time axis reads them."""
    return pd.to_datetime(pd.Series(list(values))).dt.tz_localize("UTC")


def gap_layer(months: Sequence[dt.date], present: Sequence[bool]) -> alt.LayerChart | None:
    runs = gap_ranges(months, present)
    if not runs:
        return None
    bands = pd.DataFrame({
        "from": utc(pd.Timestamp(a) - pd.Timedelta(days=15) for a, _ in runs),
        "to": utc(pd.Timestamp(b) + pd.Timedelta(days=15) for _, b in runs),
        "label": ["no data"] * len(runs),
    })
    base = alt.Chart(bands)
    rect = base.mark_rect(color=theme.GAP_FILL).encode(x="from:T", x2="to:T")
    text = base.mark_text(align="left", baseline="top", dx=3, dy=3, fontSize=12, color=theme.TEXT_MUTED).encode(
        x="from:T", y=alt.value(0), text="label:N")
    return alt.layer(rect, text)


# ---------------------------------------------------------------- monthly trend
def trend_chart(current: pd.DataFrame, *, series: str, colours: dict, y_title: str = "Records",
                comparison: pd.DataFrame | None = None, height: int = 380, x: str = "month", y: str = "records",
                present: tuple[Sequence[dt.date], Sequence[bool]] | None = None,
                marker: tuple[dt.date, str] | None = None,
                shade: tuple[dt.date, dt.date, str] | None = None,
                legend_columns: int | None = None) -> alt.LayerChart:
    """Monthly lines, one per ``series`` (its colour and line style from ``colours`` and
    :data:`dashboard.theme.CLASS_DASHES`), points on every month with data, and gaps as gaps.

    ``comparison``: the same series for another period drawn on the same months (columns ``x``, ``y``,
    ``series`` and ``comparison_month``), thin, faded and with open markers; hovering one names its own month.
    ``present``: (months, has data) of the x axis; runs of missing months are shaded and labelled "no data".
    ``marker``: (date, text): a dotted line at that date, labelled above the plot area (never over the data).
    ``shade``: (first month, last month, text): those months shaded orange and labelled (the selected period).
    ``legend_columns``: entries per legend row (default: one row; give 1 for long series names, which a phone
    would cut off).
    """
    names = [n for n in dict.fromkeys(current[series].tolist())]
    if comparison is not None:
        names += [n for n in dict.fromkeys(comparison[series].tolist()) if n not in names]
    colour = alt.Scale(domain=names, range=[colours.get(n, theme.OKABE_ITO[i % len(theme.OKABE_ITO)])
                                            for i, n in enumerate(names)])
    dash = alt.Scale(domain=names, range=[DASH_ARRAYS[theme.CLASS_DASHES.get(n, "solid")] for n in names])
    x_enc = alt.X(f"{x}:T", title=None, scale=alt.Scale(type="utc"),
                  axis=alt.Axis(format=MONTH_FORMAT, labelAngle=0, labelOverlap=True, grid=False))
    y_enc = alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=",d", tickMinStep=1), scale=alt.Scale(zero=True))
    legend = alt.Legend(title=None, symbolType="stroke", symbolOpacity=1, symbolStrokeWidth=2.5, symbolSize=400,
                        symbolFillColor=theme.TRANSPARENT,  # a line sample, dashed as its series
                        **({"columns": legend_columns} if legend_columns else {}))

    def lines(df: pd.DataFrame, faded: bool) -> list:
        pts = segments(df, series, x, y)
        pts = pts.assign(**{x: utc(pts[x]), "month_label": [pd.Timestamp(m).strftime(MONTH_FORMAT)
                                                            for m in (pts["comparison_month"] if faded else pts[x])],
                            "series_label": [f"{s} (comparison)" if faded else str(s) for s in pts[series]]})
        base = alt.Chart(pts).encode(
            x=x_enc, y=y_enc,
            color=alt.Color(f"{series}:N", scale=colour, legend=legend),  # the same on every layer: one legend
            tooltip=[alt.Tooltip("series_label:N", title="Series"), alt.Tooltip("month_label:N", title="Month"),
                     alt.Tooltip(f"{y}:Q", title=y_title, format=",")],
        )
        line = base.mark_line(strokeWidth=1.5 if faded else 2.5, opacity=0.55 if faded else 1).encode(
            detail="segment:N", strokeDash=alt.StrokeDash(f"{series}:N", scale=dash, legend=legend))
        point = base.mark_point(size=30 if faded else 40, filled=not faded, opacity=0.55 if faded else 1,
                                strokeWidth=1.5)
        return [line, point]

    layers = []
    if shade is not None:
        layers.append(band_layer(*shade))
    if present is not None and (gaps := gap_layer(*present)) is not None:
        layers.append(gaps)
    if comparison is not None and not comparison.empty:
        layers += lines(comparison, faded=True)
    layers += lines(current, faded=False)
    if marker is not None:
        layers.append(_marker_layer(*marker))
    return configure(alt.layer(*layers).properties(height=height, width="container"))


def band_layer(first: dt.date, last: dt.date, text: str, fill: str = theme.PERIOD_FILL) -> alt.LayerChart:
    """Months ``first`` to ``last`` shaded (half a month either side) and labelled at the top left."""
    df = pd.DataFrame({"from": utc([pd.Timestamp(first) - pd.Timedelta(days=15)]),
                       "to": utc([pd.Timestamp(last) + pd.Timedelta(days=15)]), "label": [text]})
    rect = alt.Chart(df).mark_rect(color=fill).encode(x="from:T", x2="to:T")
    # written from the band's right edge leftwards: a recent period ends at the chart's right edge, where
    # a label written rightwards would be cut off on a phone
    label = alt.Chart(df).mark_text(align="right", baseline="top", dx=-3, dy=16, fontSize=12,
                                    color=theme.OUTLINE).encode(x="to:T", y=alt.value(0), text="label:N")
    return alt.layer(rect, label)


def _marker_layer(when: dt.date, text: str) -> alt.LayerChart:
    df = pd.DataFrame({"at": utc([when]), "label": [f"▼ {text}"]})
    rule = alt.Chart(df).mark_rule(color=theme.BLACK, strokeWidth=2, strokeDash=[2, 3]).encode(x="at:T")
    label = alt.Chart(df).mark_text(align="left", baseline="bottom", dx=-6, dy=-4, fontSize=12,
                                    color=theme.BLACK).encode(x="at:T", y=alt.value(0), text="label:N")
    return alt.layer(rule, label)


# ---------------------------------------------------------------- horizontal bars, labels above them
def hbar_chart(data: pd.DataFrame, *, label: str, value: str, colours: Sequence[str], text: Sequence[str],
               x_title: str | None = None, x_format: str = ",d", domain: tuple[float, float] | None = None,
               tooltip_format: str = ",", under: Sequence[alt.TopLevelMixin] = (), over: Sequence = ()
               ) -> alt.LayerChart:
    """Horizontal bars in the order of ``data`` (top first), each coloured by ``colours`` and with its
    ``text`` (name and value) written above it from the chart's left edge: on a phone, tick labels on the
    left and values beside the bars collide and are cut off. ``under``/``over``: extra layers (a reference
    band, an average line) drawn below or above the bars, on the same axes."""
    df = pd.DataFrame({"label": data[label].astype(str).to_numpy(), "value": data[value].astype(float).to_numpy(),
                       "colour": list(colours), "text": list(text)})
    order = df["label"].tolist()
    y = alt.Y("label:N", sort=order, axis=None, scale=alt.Scale(paddingInner=0, paddingOuter=0))
    scale = alt.Scale(domain=list(domain)) if domain is not None else alt.Scale(zero=True, nice=True)
    x = alt.X("value:Q", title=x_title, scale=scale, axis=alt.Axis(format=x_format, grid=True))
    base = alt.Chart(df).encode(y=y)
    bars = base.mark_bar(size=BAR_PX).encode(
        x=x, color=alt.Color("colour:N", scale=None, legend=None),
        tooltip=[alt.Tooltip("label:N", title="Name"), alt.Tooltip("value:Q", title=x_title or value,
                                                                     format=tooltip_format)],
    )
    labels = base.mark_text(align="left", baseline="bottom", dy=-(BAR_PX / 2 + LABEL_GAP_PX), fontSize=13,
                            color=theme.TEXT).encode(x=alt.value(0), text="text:N")
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color=theme.AXIS, strokeWidth=1).encode(x="zero:Q")
    return configure(alt.layer(*under, bars, zero, labels, *over).properties(
        height=alt.Step(ROW_PX), width="container"))


def reference_band(low: float, high: float) -> alt.Chart:
    """A shaded band across the whole height of a bar chart, from ``low`` to ``high`` on its value axis."""
    return alt.Chart(pd.DataFrame({"low": [low], "high": [high]})).mark_rect(color=theme.BAND_FILL).encode(
        x="low:Q", x2="high:Q")


def reference_line(at: float, label: str) -> alt.LayerChart:
    """A dashed line at ``at`` on a bar chart's value axis, its ``label`` written at the top."""
    df = pd.DataFrame({"at": [at], "label": [label]})
    rule = alt.Chart(df).mark_rule(color=theme.TEXT, strokeWidth=2, strokeDash=[6, 4]).encode(x="at:Q")
    text = alt.Chart(df).mark_text(align="center", baseline="bottom", dy=-4, fontSize=12, color=theme.TEXT).encode(
        x="at:Q", y=alt.value(0), text="label:N")
    return alt.layer(rule, text)


# ---------------------------------------------------------------- month x year grid
def month_grid_chart(grid: pd.DataFrame, *, months: Sequence[str], colours: dict, text: Sequence[str],
                     text_colours: dict, row_px: int = 30) -> alt.LayerChart:
    """A grid of months (rows, January at the top) by years (columns) of coloured cells, each with its
    ``text``: ``grid`` has columns ``year``, ``month_name`` and ``status``; ``colours`` and ``text_colours``
    map a status to the cell's fill and text colour (a status missing from ``colours`` is left blank).
    Years run across so that a cell is wide enough for its number on a phone (four years = four columns)."""
    df = grid.assign(year=grid["year"].astype(str), text=list(text),
                     fill=[colours.get(s, theme.WHITE) for s in grid["status"]],
                     ink=[text_colours.get(s, theme.TEXT) for s in grid["status"]])
    base = alt.Chart(df).encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(orient="top", labelAngle=0, ticks=False, domain=False,
                                                     labelFontSize=14, labelFontWeight="bold")),
        y=alt.Y("month_name:O", sort=list(months), title=None,
                axis=alt.Axis(ticks=False, domain=False, labelFontSize=14)),
    )
    cells = base.mark_rect(stroke=theme.WHITE, strokeWidth=3).encode(
        color=alt.Color("fill:N", scale=None, legend=None),
        tooltip=[alt.Tooltip("month_name:N", title="Month"), alt.Tooltip("year:N", title="Year"),
                 alt.Tooltip("status:N", title="Status"), alt.Tooltip("text:N", title="Rows")],
    )
    labels = base.mark_text(fontSize=13).encode(text="text:N", color=alt.Color("ink:N", scale=None, legend=None))
    return configure(alt.layer(cells, labels).properties(height=row_px * len(months), width="container"))

"""Chart helpers: colour-blind-safe palettes, gap-aware trend lines, and every chart with
its table alternative and a CSV download of exactly the numbers plotted."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import textwrap
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from dashboard.vega import VegaFigure, gap_ranges

__all__ = [
    "OKABE_ITO",
    "CLASS_COLOURS",
    "INCREASE",
    "DECREASE",
    "SEQUENTIAL",
    "DIVERGING",
    "base_layout",
    "pad_bar_axis",
    "metric_delta",
    "delta_style",
    "trend_figure",
    "add_gap_bands",
    "show_chart",
    "show_table",
    "shown_numbers",
    "static_table",
    "download_csv",
    "download_context",
    "link_to_view",
    "number_columns",
    "plotly_chart",
    "vega_chart",
    "vega_map",
    "cached_figure",
    "PLOTLY_CONFIG",
]

MINUS_SIGN = "\u2212"  # plotly writes negatives with the minus sign

# colours live in dashboard/theme.py (re-exported here for the modules that import them from charts)
from dashboard.theme import (  # noqa: E402
    AXIS,
    CLASS_COLOURS,
    CLASS_DASHES,
    DECREASE,
    DIVERGING,
    GAP_FILL,
    GRID,
    INCREASE,
    OKABE_ITO,
    SEQUENTIAL,
    TEXT,
    TEXT_MUTED,
)


def base_layout(fig: go.Figure, title: str | None = None, height: int = 380, y_title: str | None = None) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        font=dict(size=14, color=TEXT),
        legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0),
        hoverlabel=dict(font_size=14),
        separators=".,",  # decimal point, thousands comma
        plot_bgcolor="white",
    )
    fig.update_xaxes(showgrid=False, linecolor=AXIS)
    fig.update_yaxes(gridcolor=GRID, linecolor=AXIS, rangemode="tozero", tickformat=",", title=y_title)
    return fig


def pad_bar_axis(fig: go.Figure, values, axis: str = "x", pad: float = 0.22) -> go.Figure:
    """Widen a bar chart's value axis so labels outside the bars are never cut off."""
    vals = pd.to_numeric(pd.Series(list(values)), errors="coerce").dropna()
    lo, hi = (min(0.0, vals.min()), max(0.0, vals.max())) if len(vals) else (0.0, 1.0)
    span = (hi - lo) or 1.0
    rng = [lo - pad * span if lo < 0 else 0, hi + pad * span if hi > 0 else 0]
    fig.update_traces(cliponaxis=False, selector=dict(type="bar"))
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(range=rng)
    return fig


def add_gap_bands(fig: go.Figure, months, present) -> go.Figure:
    """Shade the missing months and label them 'no data' (gaps are never drawn as zero)."""
    for first, last in gap_ranges(list(months), list(present)):
        x0 = pd.Timestamp(first) - pd.Timedelta(days=15)
        x1 = pd.Timestamp(last) + pd.Timedelta(days=15)
        fig.add_vrect(x0=x0, x1=x1, fillcolor=GAP_FILL, line_width=0, layer="below",
                      annotation_text="no data", annotation_position="top left",
                      annotation_font=dict(size=12, color=TEXT_MUTED))
    return fig


def trend_figure(df: pd.DataFrame, x: str, y: str, series: str | None = None, title: str | None = None,
                 colours: dict | None = None, y_title: str = "Records") -> go.Figure:
    """Monthly line chart; NaN values break the line (a gap), they are never plotted as 0."""
    fig = go.Figure()
    groups = [(None, df)] if series is None else list(df.groupby(series, sort=False))
    palette = colours or {}
    for i, (name, grp) in enumerate(groups):
        colour = palette.get(name, OKABE_ITO[i % len(OKABE_ITO)])
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(grp[x]), y=grp[y], name=str(name) if name is not None else y_title,
            mode="lines+markers", connectgaps=False,
            line=dict(color=colour, width=2.5, dash=CLASS_DASHES.get(name, "solid")),
            marker=dict(size=6), hovertemplate="%{x|%b %Y}: %{y:,}<extra>%{fullData.name}</extra>",
        ))
    base_layout(fig, title, y_title=y_title)
    fig.update_xaxes(tickformat="%b %Y")
    return fig


def delta_style(change: int | None) -> tuple[str, str]:
    """``st.metric`` colour and arrow for a change: orange up = more, purple down = fewer (never red/green).

    >>> delta_style(5), delta_style(-5), delta_style(0), delta_style(None)
    (('orange', 'up'), ('violet', 'down'), ('gray', 'off'), ('off', 'off'))
    """
    if change is None:
        return "off", "off"
    return ("orange", "up") if change > 0 else ("violet", "down") if change < 0 else ("gray", "off")


def metric_delta(text: str) -> str:
    """st.metric reads the sign from the first character: use an ASCII minus there."""
    return text.replace("\u2212", "-", 1)


def show_cards(cards: Iterable, note: str) -> None:
    """Headline cards side by side (:func:`dashboard.compare.headline_cards`): heading, the value and its
    change over the same months, the verdict in words, and the whole period's total as its own figure.
    ``note`` ends each card's help text (what the colours and the significance test mean)."""
    cards = list(cards)
    for col, card in zip(st.columns(len(cards)), cards):
        col.markdown(f"**{card.heading}**")
        if card.delta is not None:
            colour, arrow = delta_style(card.change)
            col.metric(card.label, card.value, delta=metric_delta(card.delta), delta_color=colour, delta_arrow=arrow,
                       help=f"{card.heading}, {card.label}: {card.value}, {card.delta}. {card.verdict}. {note}")
            col.markdown(f"**{card.verdict}**")
        else:
            col.metric(card.label, card.value)
        if card.whole_period:
            col.markdown(card.whole_period)


def number_columns(df: pd.DataFrame) -> dict:
    """Column formats: thousands separators for counts, one decimal for rates and %."""
    config = {}
    for col in df.columns:
        if pd.api.types.is_integer_dtype(df[col]):
            config[col] = st.column_config.NumberColumn(format="localized")
        elif pd.api.types.is_float_dtype(df[col]):
            fmt = "%.1f%%" if "pct" in col or col.startswith("%") or col.endswith("%") else "%.1f"
            config[col] = st.column_config.NumberColumn(format=fmt)
    return config


# No plotly toolbar (its 8 buttons were 8 tab stops per chart and covered titles on phones); no
# scroll-wheel zoom or drag (a finger scrolling a phone page must not pan the chart).
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False, "scrollZoom": False, "responsive": True,
                 "doubleClick": False}
UNFILTERED_KEY_PREFIXES = ("pi_", "about_")  # published partner figures, About the data: own periods and areas
UNFILTERED_PAGES = frozenset({"about", "partner_sign_in", "partner_upload", "partner_data"})
_DOWNLOAD_CONTEXT = "_download_context"


def _plain_title(fig: go.Figure) -> tuple[str, str]:
    """A plotly title as (first line, the rest) in plain text: ``<br>`` splits, other tags are dropped.

    >>> _plain_title(go.Figure(layout={"title": {"text": "Records per month<br><sup>Jan–Dec 2025</sup>"}}))
    ('Records per month', 'Jan–Dec 2025')
    """
    title = fig.layout.title.text if fig.layout.title else None
    if not title:
        return "", ""
    lines = [re.sub(r"<[^>]*>", "", part).strip() for part in re.split(r"<br\s*/?>", title)]
    return lines[0], " ".join(p for p in lines[1:] if p)


def _wrap(text: str, width: int = 38) -> str:
    """A long axis title on several lines (plotly never wraps, so a phone would cut it).

    >>> _wrap("Change in records (orange = increase, purple = decrease)")
    'Change in records (orange = increase,<br>purple = decrease)'
    """
    if not text or len(text) <= width or "<br" in text:
        return text
    return "<br>".join(textwrap.wrap(text, width))


def _format_d3(value, spec: str) -> str:
    """A number as plotly's ``texttemplate`` would write it, for the specs the dashboard uses.

    >>> _format_d3(10094, ","), _format_d3(-3.25, ".1f"), _format_d3(53, "+,"), _format_d3(1234.5, ",.1f")
    ('10,094', '−3.2', '+53', '1,234.5')
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return ""
    if spec in ("", ",", "+,") or spec.endswith("d"):
        spec = spec.rstrip("d") + (".0f" if v == round(v) else "")
    try:
        text = format(v, spec) if spec else f"{v:g}"
    except ValueError:
        text = f"{v:g}"
    return text.replace("-", MINUS_SIGN)


def _bar_value_text(trace, i: int) -> str | None:
    text = trace.text
    if text is not None and not isinstance(text, str) and i < len(text) and text[i] not in (None, ""):
        return str(text[i])
    if isinstance(text, str) and text:
        return text
    template = trace.texttemplate
    if isinstance(template, str) and template:
        return re.sub(r"%\{x(?::([^}]*))?\}", lambda m: _format_d3(trace.x[i], m.group(1) or ""), template)
    return None


def labels_above_bars(fig: go.Figure) -> go.Figure:
    """Horizontal bar charts read on any width: each bar's name and value are written above the bar,
    starting at the chart's left edge, instead of tick labels on the left and values beside the bar
    (on a phone those collide and are cut off). Charts with stacked or inside labels are left alone.
    Returns a new figure (a cached figure is never changed)."""
    bars = [t for t in fig.data if t.type == "bar"]
    if (not bars or len(bars) != len(fig.data) or any(t.orientation != "h" for t in bars)
            or fig.layout.barmode == "stack" or not any(t.textposition == "outside" for t in bars)):
        return fig
    fig = go.Figure(fig)
    labels: dict = {}
    for trace in fig.data:
        for i, cat in enumerate(trace.y):
            value = _bar_value_text(trace, i)
            labels.setdefault(cat, []).append(value)
        trace.update(textposition="none", cliponaxis=False)
    n = len(labels)
    margin_t, margin_b = (fig.layout.margin.t or 20), (fig.layout.margin.b or 10)
    height = max(fig.layout.height or 380, 46 * n + margin_t + margin_b + 70)
    band = (height - margin_t - margin_b - 70) / max(n, 1)
    bargap = 0.5
    for cat, values in labels.items():
        shown = [v for v in values if v]
        text = f"{cat}: {shown[0]}" if len(shown) == 1 else str(cat)
        fig.add_annotation(x=0, xref="paper", xanchor="left", y=cat, yref="y", yanchor="bottom",
                           yshift=band * (1 - bargap) / 2, text=text, showarrow=False, align="left",
                           font=dict(size=13, color=TEXT))
    fig.update_layout(height=height, bargap=bargap)
    fig.update_yaxes(showticklabels=False, ticks="")
    return fig


def plotly_chart(fig: go.Figure, key: str, **kwargs) -> None:
    """``st.plotly_chart`` the dashboard's way, readable on a phone and a desktop:

    * the chart's title is written above it as text (it wraps; a plotly title is cut on a phone);
    * horizontal bar charts get their labels above the bars (:func:`labels_above_bars`);
    * long axis titles wrap; no toolbar (its buttons were 8 tab stops per chart and covered titles),
      no drag or scroll zoom (a finger scrolling the page must not pan the chart);
    * labels from data or uploads cannot become plotly HTML (:func:`dashboard.safe_text.sanitize_figure`).

    The figure as drawn is prepared once per distinct figure (:func:`_prepared`, keyed by the figure's own
    JSON) and shared by every session and rerun that shows the same chart: preparing it (validated plotly
    objects, an annotation per bar label) was about half of a page's server time.
    """
    from dashboard.safe_text import md_escape  # noqa: PLC0415

    title, subtitle, wide, narrow = _prepared(pio.to_json(fig, validate=False), fig)
    if title:
        st.markdown(f"**{md_escape(title)}**" + (f"  \n{md_escape(subtitle)}" if subtitle else ""))
    if narrow is None:
        st.plotly_chart(wide, key=key, config=PLOTLY_CONFIG, **kwargs)
        return
    # a map's view is fixed in the figure: the phone gets its own view of the same areas (CSS shows one)
    with st.container(key=f"mapwide_{key}"):
        st.plotly_chart(wide, key=key, config=PLOTLY_CONFIG, **kwargs)
    with st.container(key=f"mapnarrow_{key}"):
        st.plotly_chart(narrow, key=f"{key}_narrow", config=PLOTLY_CONFIG, **kwargs)


@st.cache_resource(max_entries=256, show_spinner=False)
def _prepared(spec: str, _fig: go.Figure) -> tuple[str | None, str | None, go.Figure, go.Figure | None]:
    """The chart's plain title and subtitle, and the figure (and a phone-width copy of a map) as drawn.

    Keyed by ``spec``, the figure's JSON (everything the browser would be sent); ``_fig`` is that figure
    (not hashed) and is not changed: the returned figures are copies, shared read-only by every session.
    """
    from dashboard.safe_text import sanitize_figure  # noqa: PLC0415

    fig = go.Figure(_fig)
    title, subtitle = _plain_title(fig)
    fig = labels_above_bars(fig)
    axis_titles = {ax: getattr(fig.layout, ax).title.text for ax in ("xaxis", "yaxis")
                   if getattr(fig.layout, ax) and getattr(fig.layout, ax).title.text}
    if title:
        margin_t = fig.layout.margin.t
        fig.update_layout(title=None, margin=dict(t=min(margin_t, 20) if margin_t is not None else 20))
    for ax, text in axis_titles.items():
        if len(text) > 38 and "<br" not in text:
            getattr(fig.layout, ax).title.text = _wrap(text)
    fig.update_layout(dragmode=False)
    narrow = _narrow_map(fig)
    return title, subtitle, sanitize_figure(fig), (sanitize_figure(narrow) if narrow is not None else None)


PHONE_MAP_PX = 340  # the map width a phone view fits (a 360 px phone less the page margins)
NARROW_META = "smp_narrow"  # layout.meta key marking the phone-width copy of a map (tests count maps once)


LEGEND_CHAR_PX = 7.6  # average width of a legend character at the maps' 14 px font
LEGEND_ROW_PX = 25  # one row of a horizontal legend at that font
LEGEND_ITEM_PX = 46  # a legend item's symbol and gaps


def legend_height(fig: go.Figure, width_px: float) -> int:
    """The height a horizontal legend (title first, then one item per trace shown in it) takes when
    wrapped to ``width_px``: plotly places items left to right and starts a row when one does not fit.

    >>> legend_height(go.Figure([go.Scatter(name="a" * 10)]).update_layout(legend_title_text="Records"), 340)
    25
    """
    title = fig.layout.legend.title.text or ""
    widths = [len(title) * LEGEND_CHAR_PX + 10] if title else []
    widths += [LEGEND_ITEM_PX + len(t.name or "") * LEGEND_CHAR_PX for t in fig.data
               if t.showlegend is not False and t.name]
    rows, used = (1, 0.0) if widths else (0, 0.0)
    for w in widths:
        if used and used + w > width_px:
            rows, used = rows + 1, 0.0
        used += w
    return rows * LEGEND_ROW_PX


def _narrow_map(fig: go.Figure) -> go.Figure | None:
    """A copy of a fitted map (``dashboard.maps.choropleth``) whose view fits a phone-width map: the
    MapLibre map's view is refitted; an offline map (plain axes, which fit any width) is made only as
    tall as its areas, its legend and its margin need at that width."""
    from dashboard.maps import FIT_META, OFFLINE_FIT_META, _mercator_y, map_view  # noqa: PLC0415

    meta = fig.layout.meta
    offline = meta.get(OFFLINE_FIT_META) if isinstance(meta, dict) else None
    if offline:
        height = int((fig.layout.margin.t or 0) + PHONE_MAP_PX * offline["aspect"]
                     + legend_height(fig, PHONE_MAP_PX) + 10)
        if height >= (fig.layout.height or 450) - 20:
            return None  # a tall map: the desktop copy already fits a phone
        return go.Figure(fig).update_layout(height=height, meta={**meta, NARROW_META: True})
    fit = meta.get(FIT_META) if isinstance(meta, dict) else None
    if not fit:
        return None
    bounds = tuple(fit["bounds"])
    centre, zoom = map_view(bounds, PHONE_MAP_PX, fit["map_height"])
    # as tall as the areas need at that zoom (a wide borough on a narrow screen needs less height)
    span_y = abs(_mercator_y(bounds[3]) - _mercator_y(bounds[1]))
    needed = int(span_y * 512 * 2 ** zoom / 360 * 1.1) + 30
    narrow = go.Figure(fig)
    shrink = max(0, fit["map_height"] - needed)
    narrow.update_layout(map=dict(center=centre, zoom=zoom), height=(fig.layout.height or 600) - shrink,
                         meta={**meta, NARROW_META: True})
    return narrow


def download_context(area: str | None = None, period: str | None = None) -> None:
    """A page states the area and months its downloads cover when they are not the sidebar's (e.g. the
    hotspots window, the cluster chosen on the clusters page); used by this run's :func:`download_csv`."""
    st.session_state[_DOWNLOAD_CONTEXT] = {"page": _page_slug(), "area": area, "period": period}


def _page_slug() -> str:
    try:
        url = st.context.url or ""
    except Exception:  # noqa: BLE001  (no browser context, e.g. AppTest)
        url = ""
    path = url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1] if "://" in url else ""
    from dashboard.layout import PAGE_FILES  # noqa: PLC0415

    slugs = {p.split("/")[-1][:-3] for p in PAGE_FILES}
    return path if path in slugs else next(iter(PAGE_FILES)).split("/")[-1][:-3]


def _view_link(**overrides) -> str:
    """The address of this view: the page's URL and its query parameters (``overrides`` replace some)."""
    from urllib.parse import urlencode  # noqa: PLC0415

    try:
        url = st.context.url or ""
    except Exception:  # noqa: BLE001  (no browser, e.g. AppTest)
        url = ""
    params = {**st.query_params.to_dict(), **overrides}
    return url + (f"?{urlencode(params)}" if params else "")


def link_to_view(label: str = "Link to this view", key: str = "link", **params) -> None:
    """A copy-link control: the address of this view (with ``params``) in a box with a copy button, so a
    reader can share or bookmark exactly what they see, without editing the address by hand. The box is in a
    lazy expander (``key``): ``st.code`` makes the browser load and run a syntax highlighter (about 0.2 s of
    every visit otherwise), so it is sent only when a reader opens it."""
    box = st.expander(label, icon=":material/link:", key=f"x_{key}", on_change="rerun")
    if box.open:
        with box:
            st.caption("Copy it to share or bookmark this view (the copy button is at the right of the box).")
            st.code(_view_link(**params), language=None, wrap_lines=True)


def download_details(filename: str, key: str, filtered: bool | None = None) -> tuple[str, list[str]]:
    """The file name and the preamble lines of a download on this page, from the page, the view
    (``filename``), the sidebar filters (or the page's own :func:`download_context`) and the link."""
    import datetime as _dt  # noqa: PLC0415

    from dashboard.downloads import csv_filename  # noqa: PLC0415
    from dashboard.filters import CLASS_LABELS, COMPARISONS, PAGE_PARAMS, WARD_SET_LABELS  # noqa: PLC0415
    from dashboard.layout import PAGE_FILES  # noqa: PLC0415
    from dashboard.safe_text import one_line, shorten  # noqa: PLC0415

    page = _page_slug()
    title = next((t for p, (t, _) in PAGE_FILES.items() if p.endswith(f"/{page}.py")), page)
    view = filename[:-4] if filename.lower().endswith(".csv") else filename
    if filtered is None:
        filtered = page not in UNFILTERED_PAGES and not key.startswith(UNFILTERED_KEY_PREFIXES)
    f = st.session_state.get("filters")
    lines = [f"Maidstone crime & ASB dashboard · {title} · {view.replace('_', ' ')}"]
    area = period = None
    if filtered and f is not None:
        own = st.session_state.get(_DOWNLOAD_CONTEXT) or {}
        own = own if own.get("page") == page else {}
        try:
            from dashboard.state import filter_context  # noqa: PLC0415

            area = f.area_label(filter_context())
        except Exception:  # noqa: BLE001  (no store context: the code is still a fair label)
            area = f.area_code or "Maidstone borough"
        period = f"{f.start:%Y-%m} to {f.end:%Y-%m}"
        cmp = f.comparison_period
        lines.append(f"Area: {own.get('area') or area}; months: {own.get('period') or f.period.label}")
        if own:
            lines.append(f"Sidebar filters: area {area}; period {f.period.label}")
        lines.append(
            f"Compared with: {COMPARISONS.get(f.comparison, f.comparison)}"
            + (f" ({cmp.label})" if cmp is not None else "")
            + f"; boundaries: {WARD_SET_LABELS.get(f.ward_set, f.ward_set)}"
            + f"; crime classes: {' / '.join(CLASS_LABELS.get(c, c) for c in f.classes)}"
            + f"; crime types: {' / '.join(f.crime_types) if f.crime_types else 'all'}"
            + f"; SMP priority: {f.priority or 'all records'}")
        area, period = own.get("area") or area, own.get("period") or period
    elif not filtered:
        lines.append("Published figures for their own periods and areas: the dashboard's filters do not apply")
    settings = {k: v for k, v in st.query_params.to_dict().items() if k in PAGE_PARAMS}
    if settings:
        lines.append("Page settings: " + "; ".join(f"{k}={shorten(one_line(v))}" for k, v in settings.items()))
    link = _view_link()
    if link:
        lines.append(f"Link to this view: {shorten(link, 600)}")
    lines.append("Sources and licences: the dashboard's About the data page (police.uk data: Kent Police · "
                 "Home Office · Open Government Licence v3.0)")
    lines.append(f"Prepared: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC")
    return csv_filename(page, view, area if filtered else None, period if filtered else None), lines


def download_csv(df: pd.DataFrame, filename: str, key: str, label: str = "Download CSV", *,
                 filtered: bool | None = None) -> None:
    """A CSV download of ``df``: named by page, view, area and period, its filters stated in ``#``
    lines above the header, floats rounded, formula-like text neutralised (see :mod:`dashboard.downloads`).

    ``filtered`` says whether the table depends on the sidebar filters (default: yes, except published
    partner figures and the About page).
    """
    from dashboard.downloads import csv_bytes  # noqa: PLC0415

    name, preamble = download_details(filename, key, filtered)
    # the file is written when the button is clicked (Streamlit calls ``data`` then, on its own thread), not on
    # every run of the page: a page with a dozen tables would otherwise build a dozen CSVs nobody downloads.
    # pandas copy-on-write keeps ``df`` as it is now, whatever the page does with its own frames afterwards.
    data = functools.partial(csv_bytes, df, tuple(preamble))
    st.download_button(label, data, file_name=name, mime="text/csv", key=f"dl_{key}",
                       on_click="ignore", icon=":material/download:",
                       help=f"File {name}: the table as shown, with its area, period and filters in the first lines.")


PHONE_TABLE_PX = 340  # the width a compact table must fit (a 360 px phone less the page margins)
_CHAR_PX, _CELL_PAD_PX = 7.6, 22
_SKIP_NUMERIC = re.compile(r"(?i)^(rank|#)$|(^|_)(code|lon|lat|longitude|latitude)$")


def _text_width(values, header, header_chars: int = 200) -> float:
    """Pixels a column needs: its longest value, and its header up to ``header_chars`` (a long header is cut)."""
    longest = max([min(len(str(header)), header_chars)] + [len(str(v)) for v in values if v is not None])
    return longest * _CHAR_PX + _CELL_PAD_PX


def _shown_number(value) -> str:
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def compact_columns(df: pd.DataFrame, budget_px: float = PHONE_TABLE_PX, first: list | None = None) -> tuple[list, dict]:
    """The columns a phone shows of a table, and their widths in pixels: the first text column (the
    row's name), then the main numbers, in order, with a change column preferred second, as many as fit
    ``budget_px``. ``([], {})`` when the whole table already fits. ``first`` names the columns a page
    wants on a phone whatever they hold (e.g. a verdict in words); numbers follow as they fit.

    >>> df = pd.DataFrame({"Rank": [1], "LSOA": ["Maidstone 004H (E01034991)"], "Ward": ["High Street"],
    ...                    "Records": [327], "Rate per 1,000": [282.9], "Comparison": [359], "% change": [-8.9]})
    >>> compact_columns(df)[0]
    ['LSOA', 'Records', '% change']
    >>> compact_columns(pd.DataFrame({"month": ["Jan 2025"], "ASB": [250]}))
    ([], {})
    """
    if df.empty or len(df.columns) < 2:
        return [], {}
    def is_number(c) -> bool:
        return pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])

    if sum(_text_width(df[c].head(200).map(_shown_number) if is_number(c) else df[c].head(200), c)
           for c in df.columns) <= budget_px:
        return [], {}
    # on a phone a number column's header may be cut (its full name is in the CSV); 60-120 px each
    widths = {c: (max(60.0, _text_width(df[c].head(200).map(_shown_number), c, header_chars=8)) if is_number(c)
                  else _text_width(df[c].head(200), c)) for c in df.columns}
    numeric = [c for c in df.columns if is_number(c) and not _SKIP_NUMERIC.search(str(c))]
    label = next((c for c in df.columns if c not in numeric and not _SKIP_NUMERIC.search(str(c))), df.columns[0])
    if first:
        label, fixed = first[0], [c for c in first[1:] if c in df.columns]
        numeric = [c for c in numeric if c not in fixed]
    else:
        fixed = []
    if not numeric and not fixed:
        return [], {}
    change = [c for c in numeric[1:] if "change" in str(c).lower()]
    order = [numeric[0]] + sorted(change, key=lambda c: "%" not in str(c))[:1]
    order += [c for c in numeric[1:] if c not in order]
    chosen, used = list(fixed), sum(min(widths[c], 140.0) for c in fixed)
    label_px = min(max(widths[label], 110.0), 170.0 if not fixed else 130.0)
    for col in order:
        w = min(widths[col], 120.0)
        if chosen and label_px + used + w > budget_px:
            break
        chosen.append(col)
        used += w
    if len(chosen) + 1 >= len(df.columns):  # nothing left out: the full table (long headers capped) will do
        return [], {}
    return [label, *chosen], {label: int(label_px),
                              **{c: int(min(widths[c], 140.0 if c in fixed else 120.0)) for c in chosen}}


def show_table(df: pd.DataFrame, key: str, filename: str, height: int | None = None,
               placeholder: str | None = "no data", *, filtered: bool | None = None,
               column_config: dict | None = None, compact: list | None = None) -> None:
    """A sortable table with formatted numbers and a CSV download of the same rows.

    Empty cells (a missing month, a year with no data) read ``placeholder``, never blank or 0. On a
    narrow screen (below ``theme.NARROW_PX``) a compact copy takes its place: the row's name and the
    main numbers that fit (:func:`compact_columns`), so the numbers are seen without sideways swiping;
    the CSV always has every column. ``compact`` names the columns to keep first on a phone.
    """
    config = {**number_columns(df), **_capped_headers(df), **(column_config or {})}
    columns, _ = compact_columns(df, first=compact)
    if not columns:
        st.dataframe(df, hide_index=True, column_config=config, key=f"tbl_{key}",
                     height=height or "auto", placeholder=placeholder)
    else:
        with st.container(key=f"tblwide_{key}"):
            st.dataframe(df, hide_index=True, column_config=config, key=f"tbl_{key}",
                         height=height or "auto", placeholder=placeholder)
        with st.container(key=f"tblnarrow_{key}"):
            # the phone copy is a static table: its few columns fit the screen, and a data grid hidden by CSS
            # on a wide screen would still load and paint on every visit
            from dashboard.safe_text import safe_table  # noqa: PLC0415

            safe_table(shown_numbers(df[columns], placeholder or ""), hide_index=True, key=f"tbln_{key}")
            st.caption(f"On a small screen: {len(columns)} of {len(df.columns)} columns. Turn the phone or "
                       "download the CSV for them all.")
    download_csv(df, filename, key, filtered=filtered)


def shown_numbers(df: pd.DataFrame, placeholder: str = "no data", formats: dict | None = None) -> pd.DataFrame:
    """``df`` as the text a static table shows, with :func:`number_columns`' formats: counts with thousands
    separators, rates to one decimal, percentages with a % sign; ``formats`` gives a column its own
    ``%``-style format. A missing value reads ``placeholder`` (never blank or 0).

    >>> shown_numbers(pd.DataFrame({"Ward": ["A", None], "n": pd.array([1234, None], "Int64"), "% change": [5.25, -1.0],
    ...                             "p": [0.01234, 0.5]}), "—", {"p": "%.3f"}).values.tolist()
    [['A', '1,234', '5.2%', '0.012'], ['—', '—', '-1.0%', '0.500']]
    """
    formats = formats or {}
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        values = df[col]
        if col in formats:
            fmt = formats[col]
            out[col] = values.map(lambda x, fmt=fmt: placeholder if pd.isna(x) else fmt % x)
        elif pd.api.types.is_bool_dtype(values):
            out[col] = values.map(lambda x: placeholder if pd.isna(x) else ("Yes" if x else "No"))
        elif pd.api.types.is_datetime64_any_dtype(values) or values.map(lambda x: isinstance(x, dt.date)).any():
            out[col] = values.map(lambda x: placeholder if x is None or pd.isna(x) else _date_text(x))
        elif pd.api.types.is_numeric_dtype(values):
            as_float = pd.to_numeric(values, errors="coerce").astype("float64")
            if pd.api.types.is_integer_dtype(values):
                out[col] = as_float.map(lambda x: placeholder if pd.isna(x) else f"{int(x):,}")
            else:
                pct = "pct" in str(col) or str(col).startswith("%") or str(col).endswith("%")
                suffix = "%" if pct else ""
                out[col] = as_float.map(lambda x, s=suffix: placeholder if pd.isna(x) else f"{x:.1f}{s}")
        else:
            out[col] = values.map(lambda x: placeholder if x is None or (not isinstance(x, str) and pd.isna(x))
                                  else str(x))
    return out


def _date_text(value) -> str:
    """A date as a table shows it: "Jan 2025" for a month (the first of it), else "3 Jan 2025".

    >>> _date_text(dt.date(2025, 1, 1)), _date_text(pd.Timestamp("2025-01-03"))
    ('Jan 2025', '3 Jan 2025')
    """
    if not isinstance(value, dt.date):
        return str(value)
    return f"{value:%b %Y}" if value.day == 1 else f"{value.day} {value:%b %Y}"


def static_table(df: pd.DataFrame, key: str, filename: str, placeholder: str | None = "no data", *,
                 filtered: bool | None = None, formats: dict | None = None, compact: list | None = None) -> None:
    """A small table drawn as a static HTML table (:func:`dashboard.safe_text.safe_table`), with the numbers
    formatted as :func:`show_table` formats them, a compact copy on a narrow screen when the table is too
    wide for it, and a CSV download of the same rows.

    For tables shown on arrival that nobody needs to sort or scroll (a handful of rows): the data grid of
    :func:`show_table` loads and paints a canvas on every visit (0.2-0.4 s of a warm visit in a browser).
    """
    from dashboard.safe_text import content_key, kept, safe_table  # noqa: PLC0415

    def prepare():
        return shown_numbers(df, placeholder or "", formats), compact_columns(df, first=compact)[0]

    # kept by the table's content: formatting every cell again on a warm visit cost 10-25 ms a table
    shown, columns = kept(content_key("static_table", df, placeholder, tuple(sorted((formats or {}).items())),
                                      tuple(compact or ())), prepare)
    if not columns:
        safe_table(shown, hide_index=True, key=f"tbl_{key}")
    else:
        with st.container(key=f"tblwide_{key}"):
            safe_table(shown, hide_index=True, key=f"tbl_{key}")
        with st.container(key=f"tblnarrow_{key}"):
            safe_table(shown[columns], hide_index=True, key=f"tbln_{key}")
            st.caption(f"On a small screen: {len(columns)} of {len(df.columns)} columns. Turn the phone or "
                       "download the CSV for them all.")
    download_csv(df, filename, key, filtered=filtered)


LONG_HEADER = 24  # characters: a number column with a longer name is kept narrow, its name in a tooltip


def _capped_headers(df: pd.DataFrame) -> dict:
    """Number columns with long names at a fixed width (the header is cut, its tooltip has it in full):
    a long name would otherwise make the column, and the table, wider than a phone."""
    out = {}
    for col, cfg in number_columns(df).items():
        if len(str(col)) > LONG_HEADER:
            out[col] = {**cfg, "width": 180, "help": str(col)}
    return out


TABLES_OPEN_KEY = "tables_open"  # the sidebar's "open every table" preference (dashboard.state.filter_bar)
TABLE_LABEL = "Table and download for this chart"


def tables_open() -> bool:
    """Whether the reader asked for every chart's and map's table to be open (a screen reader, a print-out)."""
    return bool(st.session_state.get(TABLES_OPEN_KEY, False))


def table_expander(label: str, key: str, expanded: bool = False):
    """A collapsed expander whose content is built only once it is opened, or ``None`` while it is closed.

    Opening it reruns the page (Streamlit's lazy expander), so a page sends its charts' table alternatives,
    and builds their CSVs, only when a reader asks for one: a dozen closed tables cost the browser as much
    as a dozen open ones otherwise. Open from the start when ``expanded`` or when the reader chose "open
    every table" (the key includes that choice, so changing it applies to every table at once)::

        if (box := table_expander("Table and download for this chart", "trend")) is not None:
            with box:
                show_table(...)
    """
    opened = bool(expanded or tables_open())
    box = st.expander(label, expanded=opened, key=f"x_{key}_{int(opened)}", on_change="rerun")
    return box if box.open else None


def vega_chart(fig: VegaFigure, key: str) -> None:
    """Draw a Vega-Lite chart the dashboard's way: its title and subtitle above it as text (they wrap on a
    phone), the chart as wide as its column, and its description as the accessible name screen readers
    announce. Its look (colours, fonts) is the chart's own (:func:`dashboard.vega.configure`), not
    Streamlit's theme."""
    from dashboard.safe_text import md_escape  # noqa: PLC0415

    if fig.title:
        st.markdown(f"**{md_escape(fig.title)}**" + (f"  \n{md_escape(fig.subtitle)}" if fig.subtitle else ""))
    spec, datasets = fig.payload()
    _vega(spec, datasets, fig.description, key)


def _vega(spec: dict, datasets: dict, description: str | None, key: str, **kwargs):
    return st.vega_lite_chart(spec=_streamlit_copy(spec, datasets), key=key, width="stretch", theme=None,
                              alt=description, **kwargs)


def _streamlit_copy(spec: dict, datasets: dict) -> dict:
    """The copy of a cached spec that ``st.vega_lite_chart`` may change: Streamlit sets or removes top-level
    keys (``autosize``, ``datasets``, ``data``) and a null legend title in the top-level colour encoding, and
    nothing deeper. A deep copy of a map's spec (its GeoJSON inline) was a quarter of the Clusters page's
    server time; ``tests/test_vega.py`` checks that drawing a chart leaves its cached spec as it was.

    >>> spec = {"encoding": {"color": {"title": None, "legend": {"title": None}}, "x": {"field": "a"}}}
    >>> out = _streamlit_copy(spec, {"d": [1]})
    >>> out["encoding"]["color"]["legend"] is not spec["encoding"]["color"]["legend"], out["datasets"]
    (True, {'d': [1]})
    >>> out["encoding"]["x"] is spec["encoding"]["x"]
    True
    """
    out = {**spec, "datasets": dict(datasets)}
    encoding = spec.get("encoding")
    if isinstance(encoding, dict) and isinstance(encoding.get("color"), dict):
        color = dict(encoding["color"])
        if isinstance(color.get("legend"), dict):
            color["legend"] = dict(color["legend"])
        out["encoding"] = {**encoding, "color": color}
    return out


def vega_map(fig: VegaFigure, key: str, selectable: bool = False) -> None:
    """A Vega-Lite map (:func:`dashboard.maps.vega_choropleth`) the dashboard's way: its title above it as text,
    as wide as its column, and on a phone a copy just tall enough for the areas at phone width (a map keeps
    its proportions, so the desktop height would leave blank bands above and below a wide borough; CSS shows
    one copy, as for the Plotly maps). ``selectable``: a click on an area reruns the page with it selected
    (``st.session_state[key]["selection"][SELECT_PARAM]``, or ``[key + "_narrow"]`` on a phone)."""
    from dashboard.maps import SELECT_PARAM  # noqa: PLC0415
    from dashboard.safe_text import md_escape  # noqa: PLC0415

    if fig.title:
        st.markdown(f"**{md_escape(fig.title)}**" + (f"  \n{md_escape(fig.subtitle)}" if fig.subtitle else ""))
    spec, datasets = fig.payload()
    kwargs = {"on_select": "rerun", "selection_mode": [SELECT_PARAM]} if selectable else {}
    height = spec.get("height")
    aspect = fig.meta.get("aspect")  # Streamlit fits the whole chart, legend included, in its height
    narrow = int(PHONE_MAP_PX * aspect) + fig.meta.get("legend_px", 0) + 10 if aspect else None
    if narrow is None or not isinstance(height, int) or narrow >= height - 20:
        _vega(spec, datasets, fig.description, key, **kwargs)
        return
    with st.container(key=f"mapwide_{key}"):
        _vega(spec, datasets, fig.description, key, **kwargs)
    with st.container(key=f"mapnarrow_{key}"):
        _vega({**spec, "height": narrow}, datasets, fig.description, f"{key}_narrow", **kwargs)


def cached_figure(builder, *args, **kwargs):
    """``builder(*args, **kwargs)``, built once per distinct arguments and shared, read-only, by every session
    and rerun that draws the same chart (data frames are hashed by value). Building an Altair chart and
    converting it to Vega-Lite takes 50-100 ms, most of a page's server time otherwise."""
    return _cached_figure(f"{builder.__module__}.{builder.__qualname__}", builder, *args, **kwargs)


@st.cache_resource(max_entries=256, show_spinner=False)
def _cached_figure(name: str, _builder, *args, **kwargs):
    """Keyed by the builder's name and the arguments (``_builder`` itself is not hashed)."""
    fig = _builder(*args, **kwargs)
    if isinstance(fig, VegaFigure):
        fig.payload()
    return fig


def show_chart(fig: go.Figure | VegaFigure, table: pd.DataFrame, key: str, filename: str, caption: str | None = None,
               expanded: bool = False, placeholder: str | None = "no data", *, filtered: bool | None = None) -> None:
    """Draw a chart (a Plotly figure or a :class:`dashboard.vega.VegaFigure`), then its table alternative
    and a CSV of exactly the plotted numbers."""
    if isinstance(fig, VegaFigure):
        vega_chart(fig, key=f"fig_{key}")
    else:
        plotly_chart(fig, key=f"fig_{key}")
    if caption:
        st.caption(caption)
    if (box := table_expander(TABLE_LABEL, key, expanded)) is not None:
        with box:
            show_table(table, key, filename, placeholder=placeholder, filtered=filtered)

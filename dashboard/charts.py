"""Chart helpers: colour-blind-safe palettes, gap-aware trend lines, and every chart with
its table alternative and a CSV download of exactly the numbers plotted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

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
    "download_csv",
    "download_context",
    "number_columns",
    "plotly_chart",
    "PLOTLY_CONFIG",
]

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
CLASS_COLOURS = {"VBC": "#0072B2", "CAS": "#E69F00", "ASB": "#009E73", "All crime": "#000000"}
CLASS_DASHES = {"VBC": "solid", "CAS": "dash", "ASB": "dot", "All crime": "dashdot"}
INCREASE, DECREASE = "#B35806", "#542788"  # PuOr ends: orange = more crime, purple = less
SEQUENTIAL = "Blues"  # single-hue, ordered light to dark
DIVERGING = "PuOr_r"  # purple (decrease) - white - orange (increase)
GAP_FILL = "rgba(120,120,120,0.15)"


def base_layout(fig: go.Figure, title: str | None = None, height: int = 380, y_title: str | None = None) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        font=dict(size=14, color="#1A1A1A"),
        legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0),
        hoverlabel=dict(font_size=14),
        separators=".,",  # decimal point, thousands comma
        plot_bgcolor="white",
    )
    fig.update_xaxes(showgrid=False, linecolor="#555")
    fig.update_yaxes(gridcolor="#E5E5E5", linecolor="#555", rangemode="tozero", tickformat=",", title=y_title)
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


def _gap_ranges(months: Iterable[dt.date], present: Iterable[bool]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive runs of missing months as (first, last).

    >>> ms = [dt.date(2022, m, 1) for m in (1, 2, 3, 4)]
    >>> _gap_ranges(ms, [True, False, False, True])
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


def add_gap_bands(fig: go.Figure, months, present) -> go.Figure:
    """Shade the missing months and label them 'no data' (gaps are never drawn as zero)."""
    for first, last in _gap_ranges(list(months), list(present)):
        x0 = pd.Timestamp(first) - pd.Timedelta(days=15)
        x1 = pd.Timestamp(last) + pd.Timedelta(days=15)
        fig.add_vrect(x0=x0, x1=x1, fillcolor=GAP_FILL, line_width=0, layer="below",
                      annotation_text="no data", annotation_position="top left",
                      annotation_font=dict(size=12, color="#444"))
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


def plotly_chart(fig: go.Figure, key: str, **kwargs) -> None:
    """``st.plotly_chart`` the dashboard's way: no toolbar, no drag or scroll zoom, data labels
    neutralised (text from data or uploads never becomes plotly HTML), full width."""
    from dashboard.safe_text import sanitize_figure  # noqa: PLC0415

    fig.update_layout(dragmode=False)
    st.plotly_chart(sanitize_figure(fig), key=key, config=PLOTLY_CONFIG, **kwargs)


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


def _view_link() -> str:
    from urllib.parse import urlencode  # noqa: PLC0415

    try:
        url = st.context.url or ""
    except Exception:  # noqa: BLE001
        url = ""
    params = st.query_params.to_dict()
    return url + (f"?{urlencode(params)}" if url and params else "")


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
    st.download_button(label, csv_bytes(df, preamble), file_name=name, mime="text/csv", key=f"dl_{key}",
                       on_click="ignore", icon=":material/download:",
                       help=f"File {name}: the table as shown, with its area, period and filters in the first lines.")


def show_table(df: pd.DataFrame, key: str, filename: str, height: int | None = None,
               placeholder: str | None = "no data", *, filtered: bool | None = None) -> None:
    """A sortable table with formatted numbers and a CSV download of the same rows.

    Empty cells (a missing month, a year with no data) read ``placeholder``, never blank or 0.
    """
    st.dataframe(df, hide_index=True, column_config=number_columns(df), key=f"tbl_{key}",
                 height=height or "auto", placeholder=placeholder)
    download_csv(df, filename, key, filtered=filtered)


def show_chart(fig: go.Figure, table: pd.DataFrame, key: str, filename: str, caption: str | None = None,
               expanded: bool = False, placeholder: str | None = "no data", *, filtered: bool | None = None) -> None:
    """Draw a chart, then its table alternative and a CSV of exactly the plotted numbers."""
    plotly_chart(fig, key=f"fig_{key}")
    if caption:
        st.caption(caption)
    with st.expander("Table and download for this chart", expanded=expanded):
        show_table(table, key, filename, placeholder=placeholder, filtered=filtered)

"""The shared filter bar (rendered once, by app.py) and the data-currency line.

Filters persist across pages because the widgets live in the router and keep their
session state; they live in the URL because every run writes them to ``st.query_params``
(and the first run of a session reads them from it).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.lsoa import LsoaLookup
from analytics.periods import coverage, month_label
from dashboard.charts import TABLES_OPEN_KEY
from dashboard.data import query
from dashboard.filters import (
    AREA_TYPES,
    CLASS_LABELS,
    CLASSES,
    COMPARISONS,
    DEFAULT_FORCE,
    PAGE_PARAMS,
    WARD_SET_LABELS,
    FilterContext,
    Filters,
    forces_label,
    forces_option_label,
    parse_query_params,
    period_presets,
    to_query_params,
)
from dashboard.safe_text import md_escape

__all__ = ["filter_context", "filter_bar", "current_filters", "resume_deep_link", "data_currency_line", "CUSTOM"]

CUSTOM = "Custom range"


@st.cache_resource(ttl=3600, max_entries=4, show_spinner=False)  # shared, read-only: callers never change it
def _context_tables(version: str) -> dict:
    return {
        "months": query("months_loaded"),
        "wards_2022": query("wards", ward_set="2022"),
        "wards_2024": query("wards", ward_set="2024"),
        "clusters_2022": query("clusters", ward_set="2022"),
        "clusters_2024": query("clusters", ward_set="2024"),
        "lsoas": query("lsoas"),
        "types": query("crime_types"),
        "priorities": query("priorities"),
        "overlap": query("ward_overlap"),
        "other_forces": query("other_forces_in_maidstone"),
        "lsoa_2011": query("lsoa_2011_lookup"),
    }


def filter_context() -> FilterContext:
    from dashboard.data import store_version

    return _filter_context(store_version())


@st.cache_resource(ttl=3600, max_entries=4, show_spinner=False)  # built once per store version, not per run
def _filter_context(version: str) -> FilterContext:
    t = _context_tables(version)
    months = t["months"]
    prio = t["priorities"]
    filterable = prio[prio["measure_types"].map(len) > 0]
    return FilterContext(
        months=tuple(pd_date(m) for m in months["month"]),
        present_months=frozenset(pd_date(m) for m, p in zip(months["month"], months["is_present"]) if p),
        wards={k: dict(zip(t[f"wards_{k}"]["ward_code"], t[f"wards_{k}"]["ward_name"])) for k in ("2022", "2024")},
        clusters={k: tuple(t[f"clusters_{k}"]["cluster"]) for k in ("2022", "2024")},
        lsoas=dict(zip(t["lsoas"]["lsoa21_code"], t["lsoas"]["lsoa21_name"])),
        crime_types=dict(zip(t["types"]["crime_type"], t["types"]["crime_class"])),
        priorities=dict(zip(filterable["priority_id"], filterable["name"])),
        other_forces=tuple(t["other_forces"]["force_name"]),
        lsoa_lookup=LsoaLookup.from_rows(zip(t["lsoa_2011"]["lsoa11_code"], t["lsoa_2011"]["lsoa21_code"],
                                             t["lsoa_2011"]["change"]), current=t["lsoas"]["lsoa21_code"]),
        cluster_wards={k: dict(zip(t[f"clusters_{k}"]["cluster"], t[f"clusters_{k}"]["wards"])) for k in ("2022", "2024")},
    )


def pd_date(value) -> dt.date:
    """A DuckDB/pandas month value as a plain ``datetime.date``."""
    return value.date() if isinstance(value, dt.datetime) else value


def _ward_successor(code: str, from_set: str, to_set: str) -> str | None:
    """The ward on the other boundary set that shares most residents with ``code``."""
    from dashboard.data import store_version

    ov = _context_tables(store_version())["overlap"]
    src, dst = (("ward_2022_code", "ward_2024_code") if from_set == "2022" else ("ward_2024_code", "ward_2022_code"))
    rows = ov[ov[src] == code].sort_values("residents_census2021_areal_est", ascending=False)
    return None if rows.empty else rows[dst].iloc[0]


def _seed_widgets(f: Filters, ctx: FilterContext) -> None:
    ss = st.session_state
    presets = period_presets(ctx)
    match = [label for label, p in presets.items() if (p.start, p.end) == (f.start, f.end)]
    ss["f_preset"] = match[0] if match else CUSTOM
    ss["f_start"], ss["f_end"] = f.start, f.end
    ss["f_cmp"] = f.comparison
    ss["f_wards"] = f.ward_set
    ss["f_area_type"] = f.area_type
    ss["f_area_code"] = f.area_code or None
    ss["f_classes"] = list(f.classes)
    ss["f_types"] = list(f.crime_types)
    ss["f_priority"] = f.priority
    ss["f_forces"] = f.forces == "all"
    ss["f_notes"] = list(f.notes)


def _on_ward_set_change() -> None:
    ss = st.session_state
    new = ss["f_wards"]
    old = "2022" if new == "2024" else "2024"
    if ss.get("f_area_type") == "ward" and ss.get("f_area_code"):
        successor = _ward_successor(ss["f_area_code"], old, new)
        if successor:
            ss["f_area_code"] = successor
            ss["f_notes"] = [f"The ward was mapped to the {WARD_SET_LABELS[new]} ward sharing most residents."]
        else:
            ss["f_area_type"], ss["f_area_code"] = "borough", None


def _on_area_type_change() -> None:
    st.session_state["f_area_code"] = None


def _area_options(ctx: FilterContext, ward_set: str, area_type: str) -> dict[str, str]:
    if area_type == "cluster":  # named with its wards, so a reader can find theirs
        from dashboard.clusters_view import cluster_option_label  # noqa: PLC0415

        wards = ctx.cluster_wards.get(ward_set, {})
        return {c: cluster_option_label(c, wards.get(c, ""), ward_set == "2024") for c in ctx.clusters[ward_set]}
    if area_type == "ward":
        return dict(sorted(ctx.wards[ward_set].items(), key=lambda kv: kv[1]))
    if area_type == "lsoa":
        def label(code: str, name: str) -> str:  # a changed code also names its 2011 code(s): searchable
            old = ctx.lsoa_lookup.changed_predecessors(code) if ctx.lsoa_lookup is not None else ()
            return f"{name} ({code}; 2011: {' + '.join(old)})" if old else f"{name} ({code})"

        return {code: label(code, name) for code, name in sorted(ctx.lsoas.items(), key=lambda kv: kv[1])}
    return {}


def filter_bar(ctx: FilterContext) -> Filters:
    """Render the shared filters in the sidebar and return the current selection."""
    ss = st.session_state
    if "f_preset" not in ss:
        _seed_widgets(parse_query_params(st.query_params.to_dict(), ctx), ctx)
    for key, value in ss.pop("f_pending", {}).items():  # a page asked for these filters before switching here
        ss[key] = value
    presets = period_presets(ctx)
    month_options = list(ctx.months)
    with st.sidebar:
        st.subheader("Filters")
        preset = st.selectbox("Period", [*presets, CUSTOM], key="f_preset",
                              help="Months are police.uk months. Missing months are shown as gaps.")
        if preset == CUSTOM:
            last = ss.get("f_last_period", (ctx.months[0], ctx.months[-1]))
            ss.setdefault("f_start", last[0])
            ss.setdefault("f_end", last[1])
            c1, c2 = st.columns(2)
            start = c1.selectbox("From", month_options, key="f_start", format_func=month_label)
            end = c2.selectbox("To", month_options, key="f_end", format_func=month_label)
            if end < start:
                st.warning("The end month is before the start month; they have been swapped.")
                start, end = end, start
        else:
            start, end = presets[preset].start, presets[preset].end
        comparison = st.selectbox("Compare with", list(COMPARISONS), key="f_cmp", format_func=COMPARISONS.get)
        ward_set = st.radio("Ward boundaries", list(WARD_SET_LABELS), key="f_wards",
                            format_func=WARD_SET_LABELS.get, on_change=_on_ward_set_change,
                            help="Maidstone's 26 wards were replaced by 22 new wards in May 2024.")
        area_type = st.selectbox("Area", list(AREA_TYPES), key="f_area_type", format_func=AREA_TYPES.get,
                                 on_change=_on_area_type_change)
        area_code = ""
        options = _area_options(ctx, ward_set, area_type)
        if options:
            if ss.get("f_area_code") not in options:
                ss["f_area_code"] = next(iter(options))
            area_code = st.selectbox(AREA_TYPES[area_type], list(options), key="f_area_code",
                                     format_func=options.get)
            if area_type == "cluster" and ward_set == "2024":
                st.caption("May-2024 clusters are derived by this dashboard, not published by the SMP.")
        classes = st.multiselect("Crime class", list(CLASSES), key="f_classes", format_func=CLASS_LABELS.get,
                                 help="ASB incidents are not crimes; 'all crime' means VBC + CAS.")
        types = st.multiselect("Crime types (none selected = all)", sorted(ctx.crime_types), key="f_types")
        prio_options = ["", *ctx.priorities]
        if ss.get("f_priority") not in prio_options:
            ss["f_priority"] = ""
        priority = st.selectbox("SMP priority", prio_options, key="f_priority",
                                format_func=lambda p: "All records" if not p else ctx.priorities[p],
                                help="Only priorities that police.uk data can measure are listed; "
                                "the Priorities page explains the others.")
        all_forces = False
        if ctx.other_forces:  # only when the store holds other forces' records in Maidstone
            all_forces = st.checkbox(forces_option_label(ctx), key="f_forces",
                                     help="Figures count Kent Police records by default, as the Strategic Assessment "
                                     "does. Tick to add the records other forces placed in Maidstone (British "
                                     "Transport Police records incidents at railway stations and on trains).")
        st.toggle("Open every table", key=TABLES_OPEN_KEY,
                  help="Each chart and map has a table of its numbers, closed until you open it. Turn this on to "
                       "open them all, e.g. with a screen reader or to print the page with its tables.")
    if not classes:
        classes = list(CLASSES)
        with st.sidebar:
            st.info("No crime class selected, so all three are shown.")
    f = Filters(
        start=start, end=end, comparison=comparison, ward_set=ward_set, area_type=area_type,
        area_code=area_code or "", classes=tuple(c for c in CLASSES if c in classes),
        crime_types=tuple(sorted(types)), priority=priority or "", forces="all" if all_forces else DEFAULT_FORCE,
    )
    _sync_url(f, ctx)
    ss["filters"] = f
    ss["f_last_period"] = (f.start, f.end)
    return f


def _sync_url(f: Filters, ctx: FilterContext) -> None:
    current = st.query_params.to_dict()
    wanted = {**to_query_params(f, ctx), **{k: v for k, v in current.items() if k in PAGE_PARAMS}}
    if current != wanted:
        st.query_params.from_dict(wanted)


def current_filters() -> Filters:
    """The filters app.py rendered for this run (pages call this).

    On a freshly started server Streamlit runs a deep-linked page from ``pages/`` on its own
    (its pages-folder mode) until the router has run once. Then there are no filters yet:
    remember the page and its URL parameters, and hand over to the router, which sends the
    reader straight back (see :func:`resume_deep_link`).
    """
    if "filters" not in st.session_state:
        import sys

        page_file = sys._getframe(1).f_globals.get("__file__", "")
        st.session_state["_resume_page"] = page_file
        st.session_state["_resume_params"] = st.query_params.to_dict()
        st.switch_page("app.py")
    return st.session_state["filters"]


def resume_deep_link(pages) -> None:
    """Called by the router after ``st.navigation``: return to a page that was deep-linked
    before the router had run (keeping its URL parameters)."""
    target = st.session_state.pop("_resume_page", None)
    params = st.session_state.pop("_resume_params", None)
    if not target:
        return
    from pathlib import Path

    for page in pages:
        if Path(str(getattr(page, "_page", ""))).resolve() == Path(target).resolve():
            st.switch_page(page, query_params=params or None)


def filter_summary_text(ctx: FilterContext, f: Filters) -> str:
    """The filters in one line, for the top of the page on a phone (where the sidebar starts closed)."""
    classes = "all classes" if tuple(f.classes) == tuple(CLASSES) else " + ".join(f.classes)
    parts = [f.period.label, f.area_label(ctx), classes]
    if f.crime_types:
        parts.append(f"{len(f.crime_types)} crime type{'s' if len(f.crime_types) > 1 else ''}")
    if f.priority:
        parts.append(ctx.priorities.get(f.priority, f.priority))
    return " · ".join(parts)


def filter_summary(ctx: FilterContext, f: Filters) -> None:
    """On narrow screens only (CSS in dashboard/theme.py): what the filters are, and where to change them."""
    with st.container(key="phone_filters"):
        st.markdown(f"**Showing:** {md_escape(filter_summary_text(ctx, f))}. Change this with **Filters** at the "
                    "top left.")


def data_currency_line(ctx: FilterContext, f: Filters) -> None:
    """'Data as of' line: months loaded, and months missing in the selected period (never hidden)."""
    n_present = len(ctx.present_months)
    n_missing_all = len(ctx.months) - n_present
    cov = coverage(f.period, ctx.present_months)
    filter_summary(ctx, f)
    line = (
        f"**Data as of {month_label(ctx.last_month)}** · police.uk street-level crime and ASB "
        f"({md_escape(forces_label(f, ctx))}): "
        f"{n_present} months loaded, {month_label(ctx.first_month)} – {month_label(ctx.last_month)}"
        f"{f', {n_missing_all} months missing' if n_missing_all else ''}. "
        f"Selected period **{f.period.label}**: {cov.describe()}."
    )
    if cov.is_empty:
        st.error(line + " There is no police.uk data for any month of this period; choose another period.")
    elif cov.missing:
        st.warning(line + " Missing months are gaps, not zeros.")
    else:
        st.caption(line)
    for note in st.session_state.pop("f_notes", []) or []:
        st.info(md_escape(note))  # may quote URL parameter values: shown as plain text

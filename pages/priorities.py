"""SMP priorities: one tab per priority and cross-cutting theme. What police.uk can and cannot
measure; for the measurable ones the monthly series, an XmR (SPC) chart and seasonality; a
summary table on top. Page parameters: ``view=<priority_id>``, ``baseline=YYYY-MM:YYYY-MM``."""

import streamlit as st

from analytics.periods import Period, coverage, month_label
from analytics.rates import format_count
from dashboard import explain, partner_sections
from dashboard import priorities_view as pv
from dashboard.charts import (TABLE_LABEL, cached_figure, link_to_view, metric_delta, show_table, static_table,
                              table_expander, vega_chart)
from dashboard.compare import SIGNIFICANCE_NOTE, change_text, comparison_for, comparison_sentence, period_columns
from dashboard.data import query
from dashboard.filters import WARD_SET_LABELS
from dashboard.safe_text import md_escape
from dashboard.state import current_filters, filter_context

f = current_filters()
ctx = filter_context()
cmp = comparison_for(f, ctx)
prios = pv.ordered_priorities(query("priorities"))
MONTHS = list(ctx.months)  # charts use every loaded month: control limits need enough points
AREA = f.area_label(ctx)
DEFAULT_BASELINE = pv.default_baseline(ctx.present_months)


def render_partner_indicators(priority_id: str) -> None:
    """Partner indicators for one priority or theme (Strategic Assessment figures, not police.uk)."""
    partner_sections.render(priority_id)


def _table(df, key: str, filename: str, placeholder: str = "no data", config: dict | None = None) -> None:
    show_table(df, key, filename, placeholder=placeholder, column_config=config)


def _chart(fig, table, key: str, filename: str, caption: str, placeholder: str = "no data") -> None:
    """A chart (Vega-Lite: the page loads no Plotly; built once per distinct data by ``cached_figure``), its
    caption, and its table alternative with a CSV of exactly the plotted numbers."""
    vega_chart(fig, key=f"fig_{key}")
    st.caption(caption)
    if (box := table_expander(TABLE_LABEL, key)) is not None:
        with box:
            _table(table, key, filename, placeholder, {"month": st.column_config.DateColumn(format="MMM YYYY")})


def _sync_baseline() -> None:
    period = Period(*sorted((st.session_state["prio_base_from"], st.session_state["prio_base_to"])))
    value = pv.baseline_param(period, DEFAULT_BASELINE)
    if value:
        st.query_params["baseline"] = value
    elif "baseline" in st.query_params:
        del st.query_params["baseline"]


def choose_baseline() -> Period | None:
    """The SPC baseline from the URL, then the two month pickers; None means every month with data."""
    from_url, note = pv.parse_baseline(st.query_params.get("baseline"), ctx.present_months)
    if note:
        st.warning(md_escape(f"{note} The usual-range charts use the default months ({DEFAULT_BASELINE.label})."))
        del st.query_params["baseline"]
    ss = st.session_state
    if "prio_base_from" not in ss or "prio_base_to" not in ss:
        seed = from_url or DEFAULT_BASELINE
        ss["prio_base_from"], ss["prio_base_to"] = seed.start, seed.end
    options = sorted(ctx.present_months)
    c1, c2, c3 = st.columns([1, 1, 3])
    start = c1.selectbox("Usual range worked out from", options, key="prio_base_from", format_func=month_label,
                         on_change=_sync_baseline, help=explain.BASELINE_HELP)
    end = c2.selectbox("to", options, key="prio_base_to", format_func=month_label,
                       on_change=_sync_baseline, help=explain.BASELINE_HELP)
    c3.caption(pv.baseline_help(DEFAULT_BASELINE))
    period = Period(*sorted((start, end)))
    problem = pv.baseline_problem(period, ctx.present_months)
    if problem:
        st.warning(f"These months cannot set a usual range: {problem}. The default months are used.")
        return None
    return None if period == DEFAULT_BASELINE else period


def render_summary(sections: dict) -> None:
    st.subheader("Summary")
    # a static table: ten rows, seen on arrival (a data grid cost 0.2-0.4 s of each visit in the browser)
    static_table(pv.summary_table(prios, sections, period_columns(cmp)), "prio_summary",
                 "smp_priorities_summary.csv", placeholder="—", formats={"p-value": "%.3f"})
    month = next((s["signal_month"] for s in sections.values() if s.get("signal_month")), None)
    st.caption(f"{AREA}. Each heading names the months it counts ({coverage(f.period, ctx.present_months).describe()}"
               f" in {f.period.label}). {comparison_sentence(cmp)} {SIGNIFICANCE_NOTE} "
               f"Unusual month: whether {month_label(month) if month else 'the latest month with data'} is outside "
               "the usual range of its chart (below), or part of a run or trend there. p-value: the chance of a "
               "change at least this big if nothing had changed; below 0.05 is called significant. '—' = not "
               "measurable from police.uk (no proxy count is shown for those).")
    if not cmp.has_data:
        st.warning("There is no police.uk data for any month of the selected period, so there are no counts; "
                   "the charts in each section still use every loaded month.")


def render_context(p) -> None:
    types = pv.effective_types(p.context_types, f.classes, f.crime_types, ctx.crime_types)
    if not types:
        st.info("The crime class/type filters leave out the context series.")
        return
    label, what = ", ".join(types), p.short_name.lower()
    series = pv.priority_series(monthly, p.priority_id, MONTHS, role="context")
    st.markdown(f"**Context only, not {what}:** every police.uk *{label}* record in {AREA}. {p.short_name} is "
                "part of it, but most of it is not, and police.uk cannot say which part.")
    _chart(cached_figure(pv.context_figure, series, f"Context only: all {label} (not {what})", f"All {label}"),
           series.rename(f"all {label} (context, not {what})").reset_index(), f"ctx_{p.priority_id}",
           f"{p.priority_id}_context.csv",
           f"Grey line: every {label} record, a context measure only. Shaded bands: no police.uk data (gaps).")


def render_numbers(s: dict) -> None:
    fig = s["figures"]
    if not fig:
        st.info("No police.uk data for any month of the selected period: no count or change to show.")
        return
    c1, c2, c3 = st.columns(3)
    if "change" in fig:
        colour, arrow = pv.delta_style(fig["change"])
        c1.metric(f"Records, {cmp.label}", format_count(fig["records_compared"]), delta_color=colour,
                  delta=metric_delta(change_text(fig["records_compared"], fig["records_comparison"],
                                                 cmp.comparison_label)),
                  delta_arrow=arrow, help="The value and its change count the same months: those with data in both "
                                          "periods. Orange = more, purple = fewer.")
        if cmp.is_partial:
            c1.markdown(f"Whole period, {cmp.period_label}: **{format_count(fig['records'])}**")
        c2.markdown(f"**{fig['verdict']}**  \n{explain.chance_words(fig['p_value']).capitalize()}",
                    help=f"{explain.SIGNIFICANCE_PLAIN} {explain.SIGNIFICANCE_METHOD}")
    else:
        c1.metric(f"Records, {cmp.period_label}", format_count(fig["records"]))
    if s["signal_month"]:
        c3.markdown(f"**Unusual month? {month_label(s['signal_month'])}:**  \n{s['signal']}",
                    help="Whether this month is outside the usual range of the chart below, or part of a run or "
                         "trend.")
    st.caption(comparison_sentence(cmp))


def render_section(p, s: dict) -> None:
    st.subheader(p.name)
    st.caption(f"{pv.KIND_LABELS[p.kind]} · measurable from police.uk: {pv.MEASURABLE_LABELS[p.measurable]}")
    link_to_view("Link to this section", key=f"link_{p.priority_id}", view=p.priority_id)
    for kind, text in pv.can_cannot_blocks(p):
        getattr(st, kind)(text)
    render_partner_indicators(p.priority_id)
    if p.measurable == "no":
        if len(p.context_types):
            st.markdown("#### police.uk records")
            render_context(p)
        return
    st.markdown("#### police.uk records")
    if not s["types"]:
        st.info(f"The crime class/type filters leave out every police.uk type this is measured by "
                f"({', '.join(p.measure_types)}). Clear them to see it.")
        return
    where = f" on the {WARD_SET_LABELS[f.ward_set]} boundaries" if p.area_rule else ""
    st.markdown(f"**police.uk series:** {s['measure']}{where}, {AREA}.")
    if not s["has_records"]:
        st.info(f"There are no such records in {AREA} in any loaded month, so there is nothing to chart."
                + (" This priority counts High Street ward only: choose an area that includes it." if p.area_rule
                   else ""))
        return
    render_numbers(s)
    if len(s["types"]) > 1:
        by = "crime_type" if len(s["types"]) <= 5 else "crime_class"
        parts = pv.components_long(monthly, p.priority_id, MONTHS, by)
        _chart(cached_figure(pv.components_figure, parts, MONTHS, [m in ctx.present_months for m in MONTHS], f.period,
                                    "What the series is made of, per month"),
               parts.pivot(index="month", columns="component", values="records").reset_index(),
               f"parts_{p.priority_id}", f"{p.priority_id}_components.csv",
               f"One line per {by.replace('_', ' ')}. Orange band: the selected period. Grey bands: no police.uk "
               "data (gaps, not zeros).")
    render_spc(p, s)
    render_seasonality(p, s)


def render_spc(p, s: dict) -> None:
    if s["spc_note"]:
        st.info(s["spc_note"])
    if s["chart"] is None:
        return
    lim = s["chart"].limits
    _chart(cached_figure(pv.spc_figure, s["chart"], explain.CONTROL_CHART_TITLE, "Records per month", f.period,
                         show_baseline=baseline is not None),
           pv.xmr_display_table(s["chart"]), f"spc_{p.priority_id}", f"{p.priority_id}_xmr.csv",
           f"Average {lim.centre:,.1f} a month; usual range {max(lim.lcl, 0):,.1f} to {lim.ucl:,.1f}. "
           f"{explain.UNUSUAL_MONTH_PLAIN}", placeholder="—")
    explain.how_worked_out(f"{explain.CONTROL_CHART_METHOD} Here: centre line {lim.centre:,.1f}, upper control "
                           f"limit {lim.ucl:,.1f}, lower control limit {lim.lcl:,.1f}. Chart notes: "
                           + " ".join(s["chart"].notes) + f"\n\n{pv.SPC_HOW}")


def render_seasonality(p, s: dict) -> None:
    table = pv.seasonal_display_table(s["series"])
    empty = [y for y in table.columns[1:] if table[y].isna().all()]
    _chart(cached_figure(pv.seasonal_figure, table, "Same month across years (seasonality)", "Records per month"), table,
           f"season_{p.priority_id}", f"{p.priority_id}_seasonality.csv",
           "One line per calendar year (the latest solid and thickest); a missing month breaks its line."
           + (f" No data at all for {', '.join(empty)}." if empty else ""))


st.markdown(f"**{AREA}** · counts for {f.period.label} · charts over every loaded month "
            f"({month_label(ctx.first_month)} – {month_label(ctx.last_month)}), because a usual range needs "
            "enough months; the selected period is shaded on the charts."
            + (" The SMP priority filter only picks the tab that opens: each section counts its own priority's "
               "types." if f.priority else ""))
args = {k: v for k, v in f.query_args().items() if k != "priority"}  # each section is its own priority
monthly = query("priority_monthly_by_type", months=sorted(set(MONTHS) | set(cmp.all_months)), **args)
summary_slot = st.container()
baseline = choose_baseline()
sections = cached_figure(pv.all_sections, prios, monthly, MONTHS, tuple(f.classes), tuple(f.crime_types),
                         dict(ctx.crime_types), baseline, tuple(cmp.period_months), tuple(cmp.months),
                         tuple(cmp.comparison_months))  # kept by its inputs: ten SPC charts worked out once
with summary_slot:
    render_summary(sections)

ids, labels = list(prios["priority_id"]), dict(zip(prios["priority_id"], prios["short_name"]))
view, view_note = pv.parse_view(st.query_params.get("view"), ids)
if view_note:
    st.warning(md_escape(view_note))  # quotes a URL value: plain text
st.subheader("Priorities and themes")
default = view or (f.priority if f.priority in ids else ids[0])  # the shared priority filter picks the tab


def remember_view() -> None:
    """A click on a section's tab puts it in the URL (``?view=``), so the section can be bookmarked."""
    chosen = next((i for i, label in labels.items() if label == st.session_state.get("prio_view")), None)
    if chosen:
        st.query_params["view"] = chosen


# only the open section runs (lazy tabs): one section's queries and charts per run, not ten
tabs = st.tabs(list(labels.values()), default=labels[default], key="prio_view", on_change=remember_view)
for p, tab in zip(prios.itertuples(), tabs):
    if tab.open:
        with tab:
            render_section(p, sections[p.priority_id])

"""Overview: headline figures against the comparison period, the monthly trend, the
crime-type change chart (SA para 18) and the Kent district comparison (SA paras 16-17)."""

import pandas as pd
import streamlit as st

from dashboard import overview_view as ov
from dashboard.charts import (
    cached_figure,
    show_cards,
    show_chart,
    show_table,
    static_table,
    table_expander,
)
from dashboard.compare import (
    ALL_CRIME,
    SIGNIFICANCE_METHOD,
    SIGNIFICANCE_NOTE,
    comparison_for,
    comparison_sentence,
    headline_cards,
    headline_display,
    headline_table,
    rate_context_caption,
    rate_context_table,
    type_change_table,
)
from dashboard.data import query
from dashboard.filters import CLASS_LABELS
from dashboard.safe_text import md_escape
from dashboard.search_view import search_box, send_to_search
from dashboard.state import current_filters, filter_context

f = current_filters()
ctx = filter_context()
cmp = comparison_for(f, ctx)
args = f.query_args()
LABELS = {ALL_CRIME: f"{ALL_CRIME} (VBC + CAS)", **CLASS_LABELS}

typed = search_box("ov_search")  # the public landing page offers the search first (Find my area)
if typed is not None:
    send_to_search(typed)

st.markdown(f"**{f.area_label(ctx)}** · {f.period.label}"
            + (f" compared with {cmp.comparison_period.label}" if cmp.comparison_period else ""))
if not cmp.has_data:
    st.error("No police.uk data exists for any month of the selected period. Choose another period.")
    st.stop()


def render_headlines(monthly: pd.DataFrame) -> None:
    table = headline_table(monthly, cmp, f.classes)
    st.subheader("Headline figures")
    cards = headline_cards(table, cmp, LABELS)
    show_cards(cards, f"Orange = more, purple = fewer. {SIGNIFICANCE_NOTE} {SIGNIFICANCE_METHOD}")
    if cmp.comparison_period is not None and not cmp.can_compare:
        st.warning(f"No comparison: {cmp.note}.")
    st.caption(comparison_sentence(cmp) + (f" {SIGNIFICANCE_NOTE}" if cmp.can_compare else ""))
    if (box := table_expander("Table and download for the headline figures", "headline")) is not None:
        with box:
            show_table(headline_display(table, cmp, LABELS), "headline", "headline_figures.csv")
    if f.area_type != "borough":
        render_context()


def render_context() -> None:
    """The chosen area's rate per class beside the borough's (same months, same population basis)."""
    area = f.area_label(ctx)
    rows = query("area_and_borough_by_class", months=list(cmp.period_months), **args)
    st.markdown(f"**{md_escape(area)} beside the whole borough**, {cmp.period_label}")
    static_table(rate_context_table(rows, f.classes, cmp.period_label, LABELS), "area_context", "area_vs_borough.csv")
    st.caption(rate_context_caption(rows, area, cmp.period_label, len(cmp.period_months)))


def render_trend(monthly: pd.DataFrame) -> None:
    current, comparison = ov.trend_frame(monthly, cmp, f.classes)
    caption = "Shaded bands are months with no police.uk data: gaps, not zeros."
    if cmp.comparison_period is not None:
        caption = (f"Thick lines: {f.period.label}. Thin faded lines with open markers: the comparison period, "
                   f"{cmp.comparison_period.label}, drawn on the same months (hover shows its own month); a line "
                   "stops where police.uk has no data. " + caption)
    show_chart(cached_figure(ov.trend_with_comparison, current, comparison, cmp), ov.trend_table(current, comparison, cmp),
               "trend", "monthly_trend.csv", caption=caption)


def render_type_change() -> None:
    if not cmp.can_compare:
        return
    by_type = query("counts_by_type_two_periods", months=list(cmp.months),
                    comparison_months=list(cmp.comparison_months), **args)
    table = type_change_table(by_type)
    shown = table.rename(columns={"crime_type": "Crime type", "crime_class": "Class", "records": cmp.label,
                                  "records_comparison": cmp.comparison_label, "change": "Change",
                                  "pct_change": "% change"})
    show_chart(cached_figure(ov.type_change_figure, table, cmp), shown, "types", "crime_type_change.csv",
               caption=comparison_sentence(cmp))


def render_kent() -> None:
    months, label = list(cmp.period_months), cmp.period_label
    st.subheader(f"Kent and Medway districts, {label}")
    basis = st.radio("Population for rates", ["mid2024", "census2021"], horizontal=True, key="kent_basis",
                     format_func={"mid2024": "ONS mid-2024 estimate", "census2021": "Census 2021 (as the Strategic Assessment)"}.get)
    kent = ov.kent_table(query("district_summary", months=months, comparison_months=[], classes=list(f.classes),
                               crime_types=list(f.crime_types), population_basis=basis, forces=f.force_list()),
                         len(months))
    unplaced_row = query("unplaced_kent_records", months=months, forces=f.force_list()).iloc[0]
    unplaced, forces = int(unplaced_row["records"]), md_escape(unplaced_row["forces"])  # force names are data
    st.markdown(f"**{ov.kent_verdict(kent, label)}**")
    st.markdown(ov.kent_sentence(kent, label, len(months)))
    c1, c2 = st.columns(2)
    with c1:
        show_chart(cached_figure(ov.kent_volume_figure, kent, f"Records, {label}"), ov.kent_display(kent, label, len(months)),
                   "kent_records", "kent_records.csv")
    with c2:
        show_chart(cached_figure(ov.kent_rate_figure, kent, f"Per 1,000 residents, {label}"),
                   ov.kent_display(kent, label, len(months)), "kent_rate", "kent_rate_per_1000.csv",
                   caption=f"Dashed line: the Kent and Medway rate (all records per 1,000 of all residents); "
                           f"grey band: within {ov.CLOSE_BAND:.0%} of it (\"close\").")
    classes = " + ".join(f.classes)
    st.caption(
        f"{forces} records ({classes}{', selected crime types' if f.crime_types else ''}) in {label}, the "
        f"months of the selected period with data, whatever the comparison setting; Maidstone in orange. "
        f"{unplaced:,} {forces} records with no location cannot be placed in a district and are left out. "
        "Rates are for the months shown, not per year, unless labelled 'a year'.")


monthly = query("monthly_counts_by_class", months=cmp.all_months, **args)
render_headlines(monthly)
render_trend(monthly)
render_type_change()
render_kent()

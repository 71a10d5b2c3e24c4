"""Overview: headline figures against the comparison period, the monthly trend, the
crime-type change chart (SA para 18) and the Kent district comparison (SA paras 16-17)."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics.rates import change_label, format_count
from dashboard.charts import (
    CLASS_COLOURS,
    DECREASE,
    INCREASE,
    add_gap_bands,
    base_layout,
    delta_style,
    metric_delta,
    pad_bar_axis,
    show_chart,
    trend_figure,
)
from dashboard.compare import ALL_CRIME, SIGNIFICANCE_NOTE, comparison_for, headline_table, type_change_table
from dashboard.data import query
from dashboard.filters import CLASS_LABELS
from dashboard.search_view import search_box, send_to_search
from dashboard.state import current_filters, filter_context

f = current_filters()
ctx = filter_context()
cmp = comparison_for(f, ctx)
args = f.query_args()

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
    cols = st.columns(len(table))
    for col, row in zip(cols, table.itertuples()):
        label = ALL_CRIME + " (VBC + CAS)" if row.measure == ALL_CRIME else CLASS_LABELS[row.measure]
        if cmp.can_compare:
            colour, arrow = delta_style(row.change)
            col.metric(label, format_count(row.records),
                       delta=metric_delta(change_label(row.records_compared, row.records_comparison)),
                       delta_color=colour, delta_arrow=arrow,
                       help=f"{row.verdict}. Orange = more, purple = fewer. {SIGNIFICANCE_NOTE}")
            col.markdown(f"**{row.verdict}**")
        else:
            col.metric(label, format_count(row.records))
    if cmp.comparison_period is not None:
        if cmp.can_compare:
            st.caption(f"Change: {cmp.note}. {SIGNIFICANCE_NOTE}")
        else:
            st.warning(f"No comparison: {cmp.note}.")
    with st.expander("Table and download for the headline figures"):
        from dashboard.charts import show_table

        show_table(table, "headline", "headline_figures.csv")


def render_trend(monthly: pd.DataFrame) -> None:
    period_months = set(f.period.months)
    data = monthly[monthly["month"].isin(period_months)].copy()
    crime = data[data["crime_class"].isin(["VBC", "CAS"])].groupby("month", as_index=False).agg(
        records=("records", lambda s: s.sum(min_count=1)), is_present=("is_present", "first"))
    if len(f.classes) > 1 and {"VBC", "CAS"} & set(f.classes):
        data = pd.concat([data, crime.assign(crime_class=ALL_CRIME)], ignore_index=True)
    fig = trend_figure(data, "month", "records", series="crime_class", colours=CLASS_COLOURS,
                       title="Records per month")
    present = data.drop_duplicates("month").sort_values("month")
    add_gap_bands(fig, present["month"], present["is_present"])
    table = data.pivot_table(index="month", columns="crime_class", values="records", dropna=False).reset_index()
    show_chart(fig, table, "trend", "monthly_trend.csv",
               caption="Shaded bands are months with no police.uk data: gaps, not zeros.")


def render_type_change() -> None:
    if not cmp.can_compare:
        return
    by_type = query("counts_by_type_two_periods", months=list(cmp.months),
                    comparison_months=list(cmp.comparison_months), **args)
    table = type_change_table(by_type)
    fig = go.Figure(go.Bar(
        x=table["change"], y=table["crime_type"], orientation="h",
        marker_color=[INCREASE if c > 0 else DECREASE for c in table["change"]],
        text=[change_label(c, p) for c, p in zip(table["records"], table["records_comparison"])],
        textposition="outside", hovertemplate="%{y}: %{x:+,}<extra></extra>",
    ))
    base_layout(fig, "Change by crime type (current vs comparison months)", height=480)
    fig.update_yaxes(rangemode="normal", tickformat=None)
    fig.update_xaxes(title="Change in records (orange = increase, purple = decrease)", tickformat="+,")
    pad_bar_axis(fig, table["change"], pad=0.35)
    show_chart(fig, table, "types", "crime_type_change.csv", caption=cmp.note)


def render_kent() -> None:
    st.subheader("Kent and Medway districts")
    basis = st.radio("Population for rates", ["mid2024", "census2021"], horizontal=True, key="kent_basis",
                     format_func={"mid2024": "ONS mid-2024 estimate", "census2021": "Census 2021 (as the Strategic Assessment)"}.get)
    months = list(cmp.months if cmp.can_compare else cmp.period_months)
    classes = [c for c in f.classes]
    kent = query("district_summary", months=months, comparison_months=list(cmp.comparison_months),
                 classes=classes, crime_types=list(f.crime_types), population_basis=basis)
    unplaced = int(query("unplaced_kent_records", months=months)["records"].iloc[0])
    maid = kent[kent["district_name"] == "Maidstone"].iloc[0]
    st.markdown(
        f"Maidstone ranks **{int(maid.rank_by_records)} of {len(kent)}** by volume "
        f"({format_count(maid.records)} records) and **{int(maid.rank_by_rate)} of {len(kent)}** by rate "
        f"({maid.rate_per_1000_residents:.1f} per 1,000 residents; 1 = highest)."
    )
    c1, c2 = st.columns(2)
    for col, value, title, fmt in ((c1, "records", "Records (volume)", ","),
                                   (c2, "rate_per_1000_residents", "Per 1,000 residents", ".1f")):
        data = kent.sort_values(value)
        colours = ["#D55E00" if d == "Maidstone" else "#0072B2" for d in data["district_name"]]
        fig = go.Figure(go.Bar(x=data[value], y=data["district_name"], orientation="h", marker_color=colours,
                               texttemplate=f"%{{x:{fmt}}}", textposition="outside",
                               hovertemplate=f"%{{y}}: %{{x:{fmt}}}<extra></extra>"))
        base_layout(fig, title, height=460)
        fig.update_yaxes(rangemode="normal", tickformat=None)
        pad_bar_axis(fig, data[value], pad=0.2)
        with col:
            show_chart(fig, data[["district_name", value, "population"]], f"kent_{value}", f"kent_{value}.csv")
    st.caption(
        f"Kent Police records in the same months; Maidstone highlighted in orange. {unplaced:,} Kent Police "
        "records with no location cannot be placed in a district and are left out. "
        f"Months: {cmp.note if cmp.can_compare else 'the months of the period with data'}."
    )


monthly = query("monthly_counts_by_class", months=cmp.all_months, **args)
render_headlines(monthly)
render_trend(monthly)
render_type_change()
render_kent()

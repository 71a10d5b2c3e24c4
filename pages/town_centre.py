"""Town centre: High Street ward against the rest of the borough for the same window of months
in each year (Strategic Assessment para 64, June to December by default; ``?window=6-12``),
High Street's share of the borough's records, and the monthly trend with the Town Centre
Task Force start (June 2022) marked."""

import streamlit as st

from dashboard import town_centre_view as v
from dashboard.charts import cached_figure, download_context, download_csv, show_chart
from dashboard.clusters_view import style_table
from dashboard.data import query
from dashboard.filters import WARD_SET_LABELS
from dashboard.safe_text import md_escape, styled_table
from dashboard.state import current_filters, filter_context

f, ctx = current_filters(), filter_context()
YEARS = list(range(ctx.months[0].year, ctx.months[-1].year + 1))
ALL_MONTHS = v.window_months(YEARS, 1, 12)


def choose_window() -> tuple[int, int]:
    ss = st.session_state
    window, message = v.parse_window(st.query_params.get("window"))
    if message:
        st.warning(md_escape(message))  # quotes a URL value: plain text
    # the range comes in as the widget's own default (a 2-tuple): a range seeded only through session state
    # comes back as a single month on the next rerun (Streamlit keeps the default's shape)
    start, end = st.select_slider("Months of each year to compare", options=list(range(1, 13)), key="tc_window",
                                  value=tuple(ss.get("tc_window", window)), format_func=lambda m: v.MONTH_ABBR[m - 1],
                                  help="The same months are counted in every year, as the Strategic Assessment "
                                       "does for June to December (para 64).")
    if st.query_params.get("window") != v.window_param(start, end):
        st.query_params["window"] = v.window_param(start, end)
    return start, end


def load(start: int, end: int) -> dict:
    plan = v.town_plan(YEARS, ctx.present_months, start, end)
    by_year = query("town_centre_by_year", months=v.window_months(YEARS, start, end), ward_set=f.ward_set)
    lfl = query("town_centre_by_year", months=plan.pct.months(), ward_set=f.ward_set) if plan.pct else None
    return {"plan": plan, "by_year": by_year, "numbers": v.town_numbers(by_year, plan, lfl)}


def render_intro() -> None:
    st.markdown(
        "**High Street ward** (Maidstone town centre) against **the rest of the borough**, counting the same "
        "months in every year, as the Strategic Assessment's table in para 64 does for June to December. "
        "The Town Centre Task Force started in June 2022 (para 61). All crime = VBC + CAS; ASB incidents are "
        "counted separately; shoplifting is part of VBC.")
    st.info(f"**High Street ward follows the sidebar's boundary set ({WARD_SET_LABELS[f.ward_set]}).** The ward "
            f"changed in May 2024. {v.boundary_note(query('ward_overlap'), f.ward_set)} The sidebar's period, "
            "area, class, type and priority filters do not apply to this page.")


def render_table(d: dict, start: int, end: int) -> None:
    plan, label = d["plan"], v.window_label(start, end)
    st.subheader(f"Reported crimes and ASB, {label} of each year")
    if not plan.years_with_data:
        st.info(f"No year has police.uk data for any month of {label}. Choose other months.")
        return
    table = v.town_display(d["numbers"], plan, start, end)
    styled_table(style_table, table, "")
    download_csv(d["numbers"], f"town_centre_{start}_{end}.csv", "tc_table")
    notes = [f"“no data”: police.uk has no data for {label} of that year (it is not zero)."]
    partial = [plan.heading(y) for y in plan.years_with_data if len(plan.coverage[y]) < len(plan.window)]
    if partial:
        notes.append(f"Partial windows, counted for the months shown only: {', '.join(partial)}.")
    notes.append(f"Diff and % change: {plan.pct.describe()}"
                 + ("." if plan.pct.is_whole_window else
                    f"; the {plan.pct.months_label} {plan.pct.later} column is the count they compare.")
                 if plan.pct else
                 "Only one year has data for these months, so there is no comparison.")
    notes.append("Computed from police.uk street-level data; will differ from the published para 64 table.")
    st.caption(" ".join(notes))


def render_published_comparison() -> None:
    """The Strategic Assessment's para 64 table, as published, beside police.uk for the same months."""
    st.subheader("The published table (para 64) beside police.uk")
    published = query("partner.by_theme", theme="safe_town_centre")
    table = v.published_table(published)
    if table.empty:
        st.info("The published para 64 table is not in the store.")
        return
    st.markdown("**As published** in the SMP Strategic Assessment 2024/25, para 64 (Kent Police recorded crime, "
                "pre-May-2024 High Street ward; June to December, domestic abuse June to November):")
    styled_table(style_table, table, "")
    shared = v.published_notes(published)
    st.caption("Source: SMP Strategic Assessment 2024/25, para 64 table (Diff and % change as printed). "
               + (f"Notes: {md_escape('; '.join(shared))}." if shared else ""))
    download_csv(table, "para64_published.csv", "tc_published")
    flags = v.published_flags(published)
    if flags:
        st.warning("**The report's own inconsistencies (figures kept as published, not corrected):**\n"
                   + "\n".join(f"- {f}" for f in flags))
    years = v.published_years(published)
    police = query("town_centre_by_year", months=v.window_months(years, *v.PUBLISHED_WINDOW), ward_set="2022")
    text, numbers = v.side_by_side(published, police, ctx.present_months)
    st.markdown("**Beside police.uk for the same months** (computed by this dashboard on the pre-May-2024 High "
                "Street ward, whatever boundary set or months are chosen above):")
    styled_table(style_table, text, "")
    download_csv(numbers, "para64_beside_police_uk.csv", "tc_beside")
    for year in [y for y in years if numbers[f"police_uk_{y}"].notna().any()]:
        st.markdown(f"**{year} like for like, per month** (the published figure covers 7 months, police.uk "
                    f"{int(numbers[f'police_uk_{year}_months'].max())}):")
        styled_table(style_table, v.per_month_comparison(numbers, year), "")
        st.caption("Per month = the count divided by its number of months: a rough like-for-like only (December "
                   "is often busier than the average month).")
    with st.expander("Why the published and police.uk figures differ", expanded=True):
        st.markdown(v.DIFFERENCES_MD)


def render_share(d: dict, start: int, end: int) -> None:
    st.subheader("High Street's share of the borough")
    shares = v.share_table(d["by_year"], d["plan"])
    latest = d["plan"].years_with_data[:1]
    if latest:
        col = d["plan"].heading(latest[0])
        st.metric(f"High Street's share of all crime in the borough, {v.window_label(start, end)} {col}",
                  f"{shares.loc[0, col]:.1f}%" if shares.loc[0, col] == shares.loc[0, col] else "no data")
    shown = shares.copy()
    for c in shown.columns[1:]:
        shown[c] = [f"{x:.1f}%" if x == x else "no data" for x in shares[c]]
    styled_table(style_table, shown, "")
    download_csv(shares, "high_street_share.csv", "tc_share")
    st.caption("High Street ward's records as a percentage of all records in the borough (High Street + rest), "
               "for the same months. The Strategic Assessment (paras 22 and 63) puts High Street at about 22% of "
               "the borough's crime.")


def render_trends() -> None:
    st.subheader("Month by month: High Street and the rest of the borough")
    common = dict(months=ALL_MONTHS, ward_set=f.ward_set, classes=["VBC", "CAS", "ASB"], crime_types=[], priority="")
    code = next(c for c, n in ctx.wards[f.ward_set].items() if n == v.HIGH_STREET)
    data = v.monthly_split(query("monthly_counts_by_class", area_type="borough", area_code="", **common),
                           query("monthly_counts_by_class", area_type="ward", area_code=code, **common))
    for measure, title in (("All crime", "All crime (VBC + CAS) per month"), ("ASB", "ASB incidents per month")):
        part = data[data["measure"] == measure]
        fig = cached_figure(v.trend_with_marker, part, title)
        table = part.pivot_table(index="month", columns="area", values="records", dropna=False).reset_index()
        show_chart(fig, table, f"tc_trend_{measure}", f"town_centre_monthly_{measure.replace(' ', '_').lower()}.csv",
                   caption="Vermillion: High Street ward; blue: rest of the borough. Dotted line: Town Centre "
                           "Task Force starts (June 2022). Shaded bands: months with no police.uk data "
                           "(gaps, not zeros).")


render_intro()
start, end = choose_window()
download_context(area="High Street ward and the rest of the borough",
                 period=f"{v.window_label(start, end)} of each year")
d = load(start, end)
render_table(d, start, end)
render_published_comparison()
render_share(d, start, end)
render_trends()

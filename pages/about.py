"""About the data: sources and licences, months loaded and missing, how police.uk data is made,
LSOA vintages, boundary sets, derived clusters, population bases, what police.uk cannot measure,
accessibility, and the build's own record (metadata and per-file reconciliation)."""

import streamlit as st

from analytics.rates import format_count
from analytics.periods import months_label
from dashboard import about_view as v
from dashboard import lsoa_codes
from dashboard import reconciliation as rc
from dashboard.charts import cached_figure, download_csv, show_chart, show_table, table_expander
from dashboard.data import query, store_version
from dashboard.state import current_filters, filter_context
from dashboard.safe_text import md_escape, safe_table

current_filters()  # not used here, but hands a deep link on a fresh server over to the router first
ctx = filter_context()

st.markdown(
    "Where the figures in this dashboard come from, what they can and cannot tell you, and how they were "
    "built. This page describes the whole data store: the sidebar filters do not change it."
)


def table(df, key: str, filename: str) -> None:
    """A static, screen-reader-friendly table (long text wraps) and a CSV of the same rows."""
    safe_table(v.display_strings(df), hide_index=True)
    download_csv(df, filename, key)


def details(label: str, make_df, key: str, filename: str) -> None:
    """A table one click away: built only when its expander is opened (or "Open every table" is on)."""
    if (box := table_expander(label, key)) is not None:
        with box:
            table(make_df(), key, filename)


def render_sources() -> None:
    st.subheader("Sources and licences")
    st.markdown(v.SOURCES_MD)


def render_months() -> None:
    st.subheader("Months loaded and missing")
    months = query("months_loaded")
    n_missing = int((~months["is_present"].astype(bool)).sum())
    st.markdown(
        f"**{len(months) - n_missing} months loaded** from {format_count(len(months))} calendar months between the "
        f"first and the last month. {v.describe_missing(months)} Missing months are shown as gaps (\"no data\") "
        "everywhere in this dashboard, never as zero: police.uk did not publish files for them in this archive."
    )
    grid = v.month_grid(months)
    show_chart(cached_figure(v.month_grid_figure, grid), v.month_grid_table(grid), "about_months", "months_grid.csv",
               caption="Blue cells: month loaded, with the number of Kent Police rows. Grey cells marked "
                       "'no data': month missing.")
    if (box := table_expander("Every month, loaded or missing", "about_months_loaded")) is not None:
        with box:
            table(v.months_table(months), "about_months_loaded", "months_loaded.csv")
    st.subheader("Police forces in this store")
    st.markdown(v.FORCES_MD)
    table(v.forces_table(query("forces_summary")), "about_forces", "police_forces.csv")


def render_refreshes() -> None:
    st.subheader("Monthly refreshes: what police.uk changed")
    if not bool(query("month_changes_present")["present"].iloc[0]):
        st.caption("This store has not been refreshed from police.uk since it was built. The monthly refresh "
                   "(python -m smp_data refresh) adds new months, replaces revised ones and records here what "
                   "changed.")
        return
    st.markdown(v.MONTH_CHANGES_MD)
    details("Every change, month by month", lambda: v.month_changes_table(query("month_changes")),
            "about_month_changes", "month_changes.csv")


def render_police_uk() -> None:
    st.subheader("How police.uk data is made")
    st.markdown(v.POLICE_UK_MD)
    st.markdown(v.locations_md(query("about_locations").iloc[0].to_dict()))


def render_geography() -> None:
    st.subheader("LSOAs: 2011 and 2021 codes")
    vintage = query("about_lsoa_vintage")
    st.markdown(v.lsoa_md(vintage))
    details("LSOA counts by vintage", lambda: v.lsoa_vintage_table(vintage), "about_lsoa", "lsoa_vintages.csv")
    st.subheader("Ward boundary sets and how records are placed")
    st.markdown(v.placement_md(query("location_methods"), {k: len(w) for k, w in ctx.wards.items()}))


@st.cache_data(max_entries=2, show_spinner=False)
def reconciliation(present: tuple, version: str):
    """The Strategic Assessment checks against the store: computed once per store version."""
    checks = rc.load_checks()
    figures, published, counted = {}, {}, set()
    for key, check in checks.iterrows():
        months, have = rc.published_months(check["published_months"], present)
        published[key] = months_label(months)
        counted |= set(have)
        figures[key] = rc.dashboard_figure(check, have, query, rc.load_ward_tables())
    return rc.reconciliation_table(checks, figures, months_label(sorted(counted)), published)


def render_reconciliation() -> None:
    st.subheader("Against the Strategic Assessment 2024/25")
    st.markdown(
        "The Strategic Assessment's 2022 tables come from Kent Police's own records for the full year; this dashboard "
        "has police.uk for January to November 2022. Most wards and clusters agree once the missing month is "
        "allowed for. Where a figure does not, the table gives the published figure, the dashboard's figure for the "
        "same months, the ratio and the reason found by checking the store and the source files.")
    full = reconciliation(tuple(ctx.present_months), store_version())
    safe_table(rc.reconciliation_display(full), hide_index=True)
    download_csv(full, "strategic_assessment_reconciliation.csv", "about_sa_checks")
    st.caption(rc.CAPTION)
    st.markdown("**What explains each difference**")
    for heading, reason in rc.reasons(full):
        st.markdown(f"**{md_escape(heading)}.** {md_escape(reason)}")
    st.markdown("**The report's hotspot LSOAs (paras 35-37) use 2011 codes.** Two of them were split in 2021; this "
                "dashboard shows 2021 LSOAs, and its LSOA filter and tables accept and show the 2011 codes too.")
    def hotspot_lsoas():
        lsoas = query("lsoas")
        return rc.hotspot_lsoa_table(rc.load_hotspot_lsoas(), lsoa_codes.lookup(),
                                     dict(zip(lsoas["lsoa21_code"], lsoas["lsoa21_name"])),
                                     dict(zip(lsoas["lsoa21_code"], lsoas["ward_2024_name"])))

    details("The report's hotspot LSOAs with their 2011 and 2021 codes", hotspot_lsoas, "about_sa_lsoas",
            "strategic_assessment_lsoas_2011_2021.csv")


def render_clusters() -> None:
    st.subheader("Ward clusters (May-2024 clusters are derived)")
    c22, c24 = query("clusters", ward_set="2022"), query("clusters", ward_set="2024")
    st.markdown(
        f"The **{len(c22)} clusters of pre-May-2024 wards** are published in the Strategic Assessment 2024/25 "
        f"(para 24). The **{len(c24)} May-2024 clusters are derived by this dashboard, not published by the SMP**: "
        f"{v.derivation_note(c24['note'].iloc[0])}"
    )
    deriv = query("wards_2024_derivation")
    low = deriv.loc[deriv["cluster_is_low_confidence"].astype(bool), "ward_2024_name"].tolist()
    if low:
        st.warning(
            f"{len(low)} May-2024 wards take less than {v.LOW_CONFIDENCE_SHARE:.0%} of their residents from one old "
            f"cluster, so their cluster is a low-confidence choice: {', '.join(low)}."
        )
    details("How each May-2024 ward got its cluster", lambda: v.derivation_table(deriv), "about_derivation",
            "wards_2024_cluster_derivation.csv")
    if (box := table_expander("The clusters on both boundary sets", "about_clusters")) is not None:
        with box:
            table(c22, "about_clusters_2022", "clusters_pre_2024.csv")
            table(c24, "about_clusters_2024", "clusters_may_2024_derived.csv")


def render_populations() -> None:
    st.subheader("Population bases for rates")
    st.markdown(
        "Rates per 1,000 residents use: the **ONS mid-2022 estimates** for the pre-May-2024 wards, the **ONS "
        "mid-2024 estimates** for the May-2024 wards (LSOAs do not nest in the new wards, so Census LSOA sums are "
        "poor there), **Census 2021** usual residents for LSOAs, and for Kent districts the **ONS mid-2024 "
        "estimates** (or Census 2021, the Strategic Assessment's basis, where a page offers the choice). Residents "
        "are not the whole population at risk: the town centre, for example, has many visitors."
    )
    details("Population bases and totals", lambda: v.population_table(query("about_populations")),
            "about_populations", "population_bases.csv")


def render_cannot_measure() -> None:
    st.subheader("What police.uk cannot measure")
    st.markdown("Several SMP priorities and themes cannot be measured, or only partly, from police.uk. The "
                "partner figures from the Strategic Assessment fill some of these gaps.")
    table(v.unmeasurable_table(query("priorities")), "about_unmeasurable", "not_measurable.csv")


def render_build() -> None:
    st.subheader("Build record and reconciliation")
    files = query("source_files")
    totals = v.reconciliation_totals(files)
    cols = st.columns(4)
    for col, (label, key) in zip(cols, [("Files", "files"), ("Rows read", "rows_read"),
                                        ("Rows loaded", "rows_loaded"), ("Rows rejected", "rows_rejected")]):
        col.metric(label, format_count(totals[key]))
    files_table = v.reconciliation_table(files)
    if files_table["reconciles"].all() and totals["rows_read"] == totals["rows_loaded"] + totals["rows_rejected"]:
        read, loaded, rejected = (format_count(totals[k]) for k in ("rows_read", "rows_loaded", "rows_rejected"))
        st.success(f"Every file reconciles: rows read ({read}) = rows loaded ({loaded}) + rows rejected ({rejected}).")
    else:
        bad = files_table.loc[~files_table["reconciles"], "source_file"].tolist()
        st.error(f"These files do not reconcile (read ≠ loaded + rejected): {', '.join(bad) or 'the totals'}.")
    if (box := table_expander("Every source file: rows read, loaded and rejected", "about_files")) is not None:
        with box:
            show_table(files_table.rename(columns=v.RECONCILIATION_LABELS), "about_files",
                       "source_files_reconciliation.csv")
    rejects = query("rejects_summary")
    if rejects.empty:
        st.caption("No rows were rejected by the build.")
    else:
        details(f"Rejected rows by file and reason ({len(rejects):,} rows)", lambda: rejects, "about_rejects",
                "rejected_rows.csv")
    details("Build metadata", lambda: v.metadata_table(query("build_metadata")), "about_metadata",
            "build_metadata.csv")


def render_accessibility() -> None:
    st.subheader("Accessibility statement")
    st.markdown(v.ACCESSIBILITY_MD)


render_sources()
render_months()
render_refreshes()
render_police_uk()
render_geography()
render_reconciliation()
render_clusters()
render_populations()
render_cannot_measure()
render_build()
render_accessibility()

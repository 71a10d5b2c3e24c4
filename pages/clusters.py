"""Ward clusters (for ward councillors): one cluster's wards on a map, the Strategic
Assessment Appendix 2 Tables 3-5 (VBC / CAS / ASB by cluster and year), each ward's share of
the cluster, the monthly trend, how May-2024 clusters were derived, and a one-screen
printable summary (``?view=print``)."""

import streamlit as st

from analytics.periods import month_range
from dashboard import clusters_view as v
from dashboard.charts import (cached_figure, download_context, download_csv, show_cards, show_chart, static_table,
                              vega_chart)
from dashboard.compare import (ALL_CRIME, SIGNIFICANCE_NOTE, comparison_for, comparison_sentence, headline_cards,
                               headline_table, rate_context_caption, rate_context_table)
from dashboard.data import query
from dashboard.filters import CLASS_LABELS
from dashboard.maps import display_geojson
from dashboard.safe_text import md_escape, safe_table, styled_table
from dashboard.state import current_filters, filter_context

f, ctx = current_filters(), filter_context()
args, cmp = f.query_args(), comparison_for(f, ctx)
clusters = list(ctx.clusters[f.ward_set])
YEARS = range(ctx.months[0].year, ctx.months[-1].year + 1)
TABLE_NO = {"VBC": 3, "CAS": 4, "ASB": 5}
LABELS = {ALL_CRIME: f"{ALL_CRIME} (VBC + CAS)", **CLASS_LABELS}
CLUSTER_INFO = query("clusters", ward_set=f.ward_set).set_index("cluster")
st.markdown(v.PRINT_CSS, unsafe_allow_html=True)


def choose_cluster() -> str:
    """The cluster: the URL's, else the one holding the area chosen in the sidebar (a cluster, a ward or an
    LSOA's ward), else Cluster 1; a new sidebar area moves the page to its cluster."""
    ss = st.session_state
    area = v.area_cluster(f.area_type, f.area_code, query("wards", ward_set=f.ward_set),
                          query("lsoas") if f.area_type == "lsoa" else None, f.ward_set)
    chosen, message = v.resolve_cluster(st.query_params.get("cluster"), clusters,
                                        "cluster" if area else "borough", area or "")
    if message:
        st.warning(md_escape(message))  # quotes a URL value: plain text
    ss["cl_cluster"] = v.next_cluster(ss.get("cl_cluster"), chosen, area, ss.get("cl_area_seen"), clusters)
    ss["cl_area_seen"] = area
    if st.query_params.get("cluster") != ss["cl_cluster"]:
        st.query_params["cluster"] = ss["cl_cluster"]  # bookmarkable, and a refused value is replaced
    return ss["cl_cluster"]


def load(cluster: str) -> dict:
    years = {"months": month_range(ctx.months[0].replace(month=1), ctx.months[-1].replace(month=12))}
    plan = v.plan_table(YEARS, ctx.present_months)
    by_year = dict(area_level="cluster", ward_set=f.ward_set, classes=list(f.classes),
                   crime_types=list(f.crime_types), priority=f.priority)
    in_cluster = {**args, "area_type": "cluster", "area_code": cluster}
    d = {"plan": plan, "info": query("clusters", ward_set=f.ward_set).set_index("cluster").loc[cluster],
         "wards": query("wards", ward_set=f.ward_set), "derivation": query("wards_2024_derivation"),
         "trend": query("monthly_counts_by_class", **in_cluster, **years),
         "period": query("monthly_counts_by_class", **in_cluster, months=cmp.all_months)}
    if cmp.has_data:
        d["ward_rows"] = query("area_counts_by_year", months=list(cmp.period_months),
                               **{**by_year, "area_level": "ward"})
        d["context"] = query("area_and_borough_by_class", months=list(cmp.period_months), **in_cluster)
    if cmp.can_compare:
        d["changes"] = v.ward_change_table(
            query("ward_counts_by_class_two_periods", months=list(cmp.months),
                  comparison_months=list(cmp.comparison_months), **in_cluster),
            d["wards"], cluster, f.classes, cmp.label, cmp.comparison_label, LABELS)
    d["numbers"], d["tables"] = v.appendix_tables(
        query("area_counts_by_year", **years, **by_year), plan, f.classes, clusters,
        *(query("area_counts_by_year", months=c.months(), **by_year) if c else None for c in (plan.diff, plan.pct)))
    return d


def render_key_figures(d: dict, cluster: str) -> None:
    if not cmp.has_data:
        st.info(f"No police.uk data for any month of {f.period.label}; key figures and ward shares need a period "
                "with data. The yearly tables and the trend below still show every year.")
        return
    cards = headline_cards(headline_table(d["period"], cmp, f.classes), cmp, LABELS)
    show_cards(cards, SIGNIFICANCE_NOTE)
    st.caption(f"{cluster}. {comparison_sentence(cmp)} Orange ↑ = more records than in the comparison months, "
               "purple ↓ = fewer.")


def render_ward_changes(d: dict, cluster: str, compact: bool = False) -> None:
    """Which ward drove the change: each ward's like-for-like change per measure, adding up to the cluster's."""
    if "changes" not in d:
        return
    title = f"Change by ward, {cmp.label} vs {cmp.comparison_label}"
    st.markdown(f"**{title}**" if compact else f"#### {title}")
    if not compact:
        st.markdown("\n".join(f"- {md_escape(line)}" for line in v.ward_change_sentences(d["changes"], cluster)))
    safe_table(v.ward_change_wide(d["changes"]), hide_index=True)
    if not compact:
        download_csv(d["changes"], "cluster_change_by_ward.csv", "cl_ward_change")
        st.caption(f"The same months as the key figures above ({cmp.label} against {cmp.comparison_label}, the "
                   "months with data in both periods); each ward's records are those placed in it, so the wards add "
                   f"up to {cluster}'s total.")


def render_context(d: dict, cluster: str) -> None:
    if "context" not in d:
        return
    st.markdown(f"**{cluster} beside the whole borough**, {cmp.period_label}")
    static_table(rate_context_table(d["context"], f.classes, cmp.period_label, LABELS), "cl_context",
                 "cluster_vs_borough.csv")
    st.caption(rate_context_caption(d["context"], cluster, cmp.period_label, len(cmp.period_months)))


# the map figures are built once per boundary set, cluster, ward table and height, then shared (read-only)
@st.cache_resource(max_entries=64, show_spinner=False)
def cluster_map(ward_set: str, table, cluster: str, height: int):
    figs = v.cluster_map_figures(display_geojson(f"wards_{ward_set}"), table, cluster, height)
    for fig in figs:
        if fig is not None:
            fig.payload()
    return figs


def render_map(d: dict, cluster: str, height: int = 460) -> None:
    geo = display_geojson(f"wards_{f.ward_set}")
    table = v.map_table(geo, d["wards"], cluster)
    fig, inset = cluster_map(f.ward_set, table, cluster, height)
    if inset is not None:  # the map is zoomed on a small cluster: the whole borough first, small
        st.caption("Whole borough (box = the area of the map below)")
        vega_chart(inset, key="fig_cl_map_inset")
    show_chart(fig, table, "cl_map", "cluster_wards.csv", caption=v.map_caption(table, cluster))


def render_tables(d: dict, cluster: str) -> None:
    st.subheader("By year, as the Strategic Assessment's Appendix 2 Tables 3-5")
    for cls, table in d["tables"].items():
        st.markdown(f"**Table {TABLE_NO[cls]} – {CLASS_LABELS[cls]}**")
        styled_table(v.style_table, table, cluster)
        download_csv(d["numbers"][cls], f"cluster_{cls.lower()}_by_year.csv", f"cl_tab_{cls}")
    st.caption(v.tables_caption(d["plan"], f.ward_set, f.crime_types, f.priority))


def render_shares(d: dict, cluster: str) -> None:
    st.subheader(f"Each ward's share of {cluster}")
    if "ward_rows" not in d:
        return
    shares = v.ward_shares(d["ward_rows"], d["wards"], cluster, f.classes)
    fig = cached_figure(v.share_figure, shares, cluster)
    show_chart(fig, shares, "cl_shares", "cluster_ward_shares.csv",
               caption=f"Records in {f.period.label} ({len(cmp.period_months)} months with data); "
                       "each bar adds up to 100% of the cluster (counts: hover a bar, or open the table).")


def render_trend(d: dict, cluster: str, height: int = 380, caption: str | None = v.TREND_CAPTION) -> None:
    data = d["trend"]
    fig = cached_figure(v.trend_figure, data, cluster, height)
    show_chart(fig, data.pivot_table(index="month", columns="crime_class", values="records",
                                     dropna=False).reset_index(), "cl_trend", "cluster_monthly.csv",
               caption=caption)


def render_about_cluster(d: dict, cluster: str) -> None:
    with st.container(key="cl_print_help"):
        c1, c2 = st.columns([1, 3])
        if view == "print":
            c1.button("Back to the full page", on_click=lambda: st.query_params.pop("view", None))
        else:
            c1.button("Print summary", icon=":material/print:", on_click=lambda: st.query_params.update(view="print"))
        c2.caption(v.print_help(view))
    st.markdown(v.cluster_heading(d["info"]))
    if "(A)" in d["info"]["wards"]:
        st.caption("Cluster 6 is split into sub-groups (A) and (B), as marked in the Strategic Assessment (para 24).")
    if d["info"]["is_derived"]:
        st.caption(v.derivation_summary(d["derivation"], cluster) + ("" if view == "print" else " Details below."))


def render_derivation(d: dict, cluster: str) -> None:
    st.subheader(f"How May-2024 {cluster} was derived")
    st.markdown(md_escape(d["info"]["note"]))  # from the editable clusters file: shown as written
    static_table(v.derivation_table(d["derivation"], cluster), "cl_deriv", "cluster_derivation.csv")


def render_print(d: dict, cluster: str) -> None:
    st.markdown(v.PRINT_SCREEN_CSS, unsafe_allow_html=True)
    left, right = st.columns([3, 2])  # the tables get the width (fewer wrapped lines: one A4 page)
    with left:
        if cmp.has_data:
            st.markdown(f"**Key figures, {cmp.label}**" + (f" vs {cmp.comparison_label}" if cmp.can_compare else ""))
            styled_table(v.style_table, v.key_figures_table(headline_table(d["period"], cmp, f.classes), cmp, LABELS),
                         cluster)
            st.caption(comparison_sentence(cmp))
            render_ward_changes(d, cluster, compact=True)
        st.markdown(f"**{cluster} by year (Appendix 2 Tables 3-5)**")
        styled_table(v.style_table, v.cluster_rows(d["tables"], cluster), cluster)
        st.caption(v.tables_caption(d["plan"], f.ward_set, f.crime_types, f.priority, short=True))
    with right:
        render_map(d, cluster, height=160)
        render_trend(d, cluster, height=140, caption=None)  # the bands are labelled "no data" (one A4 page)


view, view_note = v.resolve_view(st.query_params.get("view"))
if view_note:
    st.warning(md_escape(view_note))
if view != "print":
    choose_cluster()
    with st.container(key="cl_picker"):
        cluster = st.selectbox("Ward cluster", clusters, key="cl_cluster",
                               format_func=lambda c: v.cluster_option_label(c, CLUSTER_INFO["wards"].get(c, ""),
                                                                            f.ward_set == "2024"))
else:
    cluster = choose_cluster()
d = load(cluster)
download_context(area=f"{cluster}{' (derived)' if f.ward_set == '2024' else ''}")
render_about_cluster(d, cluster)
if view == "print":
    render_print(d, cluster)
else:
    render_key_figures(d, cluster)
    render_ward_changes(d, cluster)
    render_context(d, cluster)
    left, right = st.columns([2, 3])
    with left:
        render_map(d, cluster)
    with right:
        render_shares(d, cluster)
    render_tables(d, cluster)
    render_trend(d, cluster)
    if f.ward_set == "2024":
        render_derivation(d, cluster)

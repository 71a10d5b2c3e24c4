"""Hotspots: where records concentrate in the last few months with data (for Town Centre
and Neighbourhood Task Force sergeants). Three maps in lazy tabs (only the open one is built and
sent; ``?map=gi|emerging`` opens the others): a hexagon density map over LSOA shading, Getis-Ord
Gi* hot and cold spots across the borough's 99 LSOAs (SA paras 35-37), and emerging hot spots
(new, intensifying, persistent, diminishing, sporadic over the last 12 months with data); then the
top LSOAs and "on or near" locations with REPEAT locations flagged, and a link to the patrol sheet.
Maps are computed, drawn (Vega-Lite) and converted for the browser once per filter state (cached)."""

import streamlit as st

from analytics.periods import Period, months_label
from dashboard import explain, lsoa_codes
from dashboard import hotspots_view as hv
from dashboard.charts import (download_context, download_csv, number_columns, show_table, static_table, table_expander,
                              vega_map)
from dashboard.compare import period_headings
from dashboard.data import query, store_version
from dashboard.safe_text import md_escape
from dashboard.state import current_filters, filter_context

f = current_filters()
ctx = filter_context()
args = f.query_args()


def choose_window() -> tuple[int, str]:
    ss = st.session_state
    n_url, n_msg = hv.parse_recent(st.query_params.get("recent"))
    m_url, m_msg = hv.parse_measure(st.query_params.get("measure"))
    for msg in (n_msg, m_msg):
        if msg:
            st.warning(md_escape(msg))  # quotes a URL value: plain text
    ss.setdefault("hs_recent", n_url)
    ss.setdefault("hs_measure", m_url)
    c1, c2 = st.columns([1, 2])
    n = c1.selectbox("Months in the window", list(range(1, hv.MAX_RECENT + 1)), key="hs_recent",
                     format_func=lambda k: f"Last {k} month{'s' if k > 1 else ''} with data")
    measure = c2.radio("Shade LSOAs and find hot spots by", list(hv.MEASURES), key="hs_measure",
                       format_func=hv.MEASURES.get, horizontal=True)
    for key, value, default in (("recent", str(n), str(hv.DEFAULT_RECENT)), ("measure", measure, "records")):
        if value == default:
            st.query_params.pop(key, None)  # also drops a refused value, once its warning has been shown
        elif st.query_params.get(key) != value:
            st.query_params[key] = value
    return n, measure


n_wanted, measure = choose_window()
win = hv.recent_window(f.period, ctx.present_months, n_wanted, f.comparison)
download_context(period=win.label)  # downloads are named and described by the window, not the whole period
st.markdown(f"**{f.area_label(ctx)}** · {win.window_note}")
if not win.has_data:
    st.info("Choose a period that has police.uk data (for example \"Last 12 months\") to see hotspots.")
    st.stop()
if win.can_compare:
    st.info(win.comparison_note)
else:
    st.warning(win.comparison_note)
st.caption("Filters in use (from the sidebar): " + hv.active_filters_text(f, ctx))

months, cmp_months = list(win.months), list(win.comparison_months)
lsoa = query("lsoa_summary", months=months, comparison_months=cmp_months, **args)
totals = query("monthly_counts_by_class", months=months, **args)
total = int(totals["records"].fillna(0).sum())
if total == 0:
    st.info(f"No records match these filters in {win.label}. Widen the filters or the period in the sidebar.")
    st.stop()
density = hv.density_map(tuple(months), tuple(cmp_months), hv.frozen(args), measure, win.can_compare, store_version())
unplaced = total - density.placed_records
st.markdown(f"**{total:,} records** in the window"
            + (f" ({unplaced:,} have no location and are not on the map)." if unplaced else "."))
if f.area_type == "lsoa":
    st.info(hv.LSOA_AREA_NOTE)
in_area = set(lsoa.loc[lsoa["has_records_in_area"], "lsoa21_code"]) if f.area_type != "borough" else set()


def render_density_map() -> None:
    vega_map(density.figure, key="hs_density")
    across = round(density.radius_m * 3 ** 0.5, -1)
    c1, c2 = st.columns(2)
    c1.markdown(hv.legend_html(f"Hexagons: records (each about {across:.0f} m across)", density.hex_legend,
                               "Colours group similar counts. Hexagons with no records are not drawn."),
                unsafe_allow_html=True)
    c2.markdown(hv.legend_html(f"LSOA shading: {hv.MEASURES[measure].lower()}", density.lsoa_legend,
                               "Colours group similar values, over the window. No shading: outside the selected "
                               "area."),
                unsafe_allow_html=True)
    st.caption(f"{win.label}. Hexagons sum police.uk snap points (anonymised points on or near a street, not exact "
               "addresses). No background map is drawn (works offline); LSOA outlines give the geography. Hover "
               "over (or tap) a hexagon or an area for its numbers; the tables below are the accessible alternative.")
    if (box := table_expander("Table and download for this map", "hs_map_tables")) is not None:
        with box:  # built only when opened (the hexagon table has hundreds of rows)
            show_table(lsoa_table("all"), "hs_map_lsoa", "hotspot_lsoas.csv")
            show_table(density.hexes, "hs_map_hex", "hotspot_hexagons.csv")


def with_months(table):
    """A table whose count headings say the window's (and comparison's) months."""
    return period_headings(table, months_label(months), months_label(cmp_months) if win.can_compare else "")


def lsoa_table(which: str = "top"):
    """The top-LSOA table (or every LSOA) with headings that say the window's months and the 2011 code older
    reports use (the tables themselves are computed once per filter state)."""
    table = hv.lsoa_tables(lsoa, measure, win.can_compare)[which]
    codes = table["LSOA code"] if "LSOA code" in table else table["LSOA"].str.extract(r"\((E\d{8})\)$")[0]
    return with_months(lsoa_codes.add_2011_codes(table, codes, lsoa_codes.lookup()))


def render_top_lsoas() -> None:
    st.subheader("Top LSOAs")
    static_table(lsoa_table(), "hs_top_lsoas", "top_lsoas.csv")
    st.caption(f"Ranked by {hv.MEASURES[measure].lower()} in {win.label}. Rates are per 1,000 usual residents "
               "(Census 2021) over the window, not per year; the town centre has few residents and many visitors, "
               "so its rate is high. The 2011 code is the one older reports use (the Strategic Assessment's hotspot "
               "LSOAs, paras 35-37): a 2011 LSOA split in 2021 is now two LSOAs. "
               + (f"Change: {win.comparison_note}" if win.can_compare else ""))


def render_top_locations() -> None:
    st.subheader('Top "on or near" locations')
    tables = hv.location_tables(tuple(months), tuple(cmp_months), hv.frozen(args), win.can_compare, store_version())
    n_repeat = tables["repeats"]
    st.markdown(f"**{n_repeat:,} REPEAT location{'s' if n_repeat != 1 else ''}** among {tables['locations']:,} "
                f"locations with records in {win.label}. {hv.repeat_rule_text(win.n)}")
    top = with_months(tables["top"])
    # on a phone: the place, its records and its ward (which tells same-named places apart: "Parking Area")
    records = next((c for c in top.columns if str(c).startswith("Records, ")), None)
    static_table(top, "hs_top_locations", "top_locations.csv",
                 compact=["Place (on or near)", *([records] if records else []), "Ward"])
    download_csv(with_months(tables["all"]), "all_locations.csv", "hs_all_locations",
                 label="Download all locations (CSV)")
    st.caption("Locations are police.uk snap points: each stands for several nearby addresses. "
               + (f"Change: {win.comparison_note}" if win.can_compare else ""))
    st.page_link("pages/patrol.py", label="Patrol sheet: several crime types in one printable list for this area",
                 icon=":material/directions_walk:")


def borough_lsoas():
    return lsoa if f.area_type == "borough" else query(
        "lsoa_summary", months=months, comparison_months=cmp_months,
        **{**args, "area_type": "borough", "area_code": ""})


GI_COLUMNS = {"Gi* z-score": "Stands out by (z)", "p-value (folded)": "Chance of a random pattern (p)"}


def render_gi() -> None:
    borough = borough_lsoas()
    values = borough.set_index("lsoa21_code")[hv.MEASURE_COLUMN[measure]].astype(float)
    try:
        gi = hv.gi_results(tuple(values.index), tuple(values.to_numpy()))
    except ValueError as exc:
        st.info(f"The hot/cold spot test cannot run for these filters: {exc}.")
        return
    table = hv.gi_table(gi, borough, measure, in_area or None)
    st.markdown(f"{explain.HOT_SPOTS_PLAIN} Worked out from **{hv.MEASURES[measure].lower()}** in {win.label} "
                f"across all {len(table)} LSOAs. About 1 in 10 LSOAs can reach the weakest level (90%) by chance "
                "alone, so read a single 90% spot with care.")
    explain.how_worked_out(hv.gi_statement(measure, win.label, len(table)) + " The method is Getis-Ord Gi*.")
    if f.area_type != "borough":
        st.caption("Hot and cold spots are always worked out for the whole borough (a hot spot is defined against "
                   "the borough); LSOAs with records in your selected area are outlined in black.")
    c1, c2 = st.columns([5, 2])
    with c1:
        vega_map(hv.gi_map(table, measure, tuple(sorted(in_area))), key="hs_gi")
    c2.markdown(hv.legend_html(explain.HOT_SPOTS_LEGEND, hv.gi_class_counts(gi),
                               "Orange: high values cluster (hot); purple: low values cluster (cold); grey: no "
                               "clear pattern." + (" Thick black outline: your selected area." if in_area else "")),
                unsafe_allow_html=True)
    st.markdown(f"**All {len(table)} LSOAs, hottest first** (table alternative to the map):")
    shown = table.rename(columns=GI_COLUMNS)
    show_table(shown, "hs_gi", "hot_cold_spots.csv", height=400, compact=["LSOA", "Hot/cold spot"], column_config={
        GI_COLUMNS["Gi* z-score"]: st.column_config.NumberColumn(format="%.2f", help=(
            "How far the LSOA and its neighbours stand above (+) or below (−) the borough, in standard units "
            "(the Getis-Ord Gi* z-score).")),
        GI_COLUMNS["p-value (folded)"]: st.column_config.NumberColumn(format="%.3f", help=(
            "How often a pattern this strong turns up when the values are shuffled at random (a pseudo p-value "
            "from 999 permutations, folded: as extreme in either direction)."))})
    st.caption(hv.measure_note(measure, borough["population"]))


def render_emerging() -> None:
    slices = hv.recent_window(Period(ctx.first_month, f.period.end), ctx.present_months, hv.EMERGING_MONTHS, "none")
    try:
        result = hv.emerging_results(slices.months, f.ward_set, tuple(f.classes), tuple(f.crime_types), f.priority,
                                     store_version())
    except ValueError as exc:
        st.info(f"The emerging hot spot analysis cannot run for these filters: {exc}.")
        return
    table = hv.emerging_table(result, borough_lsoas(), in_area or None)
    st.markdown(hv.emerging_plain(slices.n, slices.label, len(table)))
    explain.how_worked_out(hv.emerging_statement(slices.n, slices.label, len(table)) + " The trend test is "
                           "Mann-Kendall's, on each LSOA's monthly Getis-Ord Gi* z-scores.")
    c1, c2 = st.columns([5, 2])
    with c1:
        vega_map(hv.emerging_map(table, tuple(sorted(in_area))), key="hs_emerging")
    c2.markdown(hv.legend_html("Emerging hot spot pattern", hv.emerging_counts(result),
                               "Each LSOA's pattern over the months above; grey: no emerging pattern."
                               + (" Thick black outline: your selected area." if in_area else "")),
                unsafe_allow_html=True)
    flagged = table[table["Pattern"] != hv.EMERGING_NONE]
    st.markdown(f"**{len(flagged)} LSOA{'s' if len(flagged) != 1 else ''} with a pattern** (table alternative to "
                "the map; every LSOA is in the download):")
    st.dataframe(flagged, hide_index=True, key="tbl_hs_emerging", column_config={
        **number_columns(flagged), "Trend p-value": st.column_config.NumberColumn(format="%.3f"),
        "What it means": st.column_config.TextColumn(width="large")})
    download_csv(table, "emerging_hot_spots.csv", "hs_emerging")
    st.markdown(hv.emerging_key())


MAPS = {"density": "Where records concentrate", "gi": "Hot and cold spots", "emerging": "Emerging hot spots"}
RENDER = {"density": render_density_map, "gi": render_gi, "emerging": render_emerging}
chosen, map_note = hv.parse_map(st.query_params.get("map"))
if map_note:
    st.warning(map_note)


def remember_map() -> None:
    """A click on a map's tab puts it in the URL (``?map=``), so it can be bookmarked."""
    key = next((k for k, label in MAPS.items() if label == st.session_state.get("hs_map")), "density")
    if key == "density":
        st.query_params.pop("map", None)
    else:
        st.query_params["map"] = key


# only the open tab runs and is sent (lazy tabs): one map per run, not three
for key, tab in zip(MAPS, st.tabs(list(MAPS.values()), default=MAPS[chosen], key="hs_map", on_change=remember_map)):
    if tab.open:
        with tab:
            RENDER[key]()
render_top_lsoas()
render_top_locations()

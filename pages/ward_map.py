"""Ward map: a choropleth of the wards (records, rate, change or % change), a ward profile, the
ward tables (Strategic Assessment Appendix 2 Tables 1, 2 and 8) and the May 2024 boundary change."""

import streamlit as st

from analytics.periods import calendar_year, coverage
from analytics.rates import format_count
from dashboard import explain, lsoa_codes
from dashboard import ward_map_view as v
from dashboard.charts import (delta_style, metric_delta, plotly_chart, show_chart, show_table, static_table,
                              table_expander, vega_map)
from dashboard.compare import (ALL_CRIME, change_text, comparison_for, period_columns, rate_context_caption,
                               rate_context_table)
from dashboard.filters import CLASS_LABELS
from dashboard.data import query, store_version
from dashboard.filters import WARD_SET_LABELS
from dashboard.maps import SELECT_PARAM, display_geojson
from dashboard.vega import VegaFigure
from dashboard.safe_text import md_escape
from dashboard.state import current_filters, filter_context

f, ctx = current_filters(), filter_context()
cmp, ss = comparison_for(f, ctx), st.session_state
wards, other = ctx.wards[f.ward_set], "2022" if f.ward_set == "2024" else "2024"
ward_args = {k: val for k, val in f.query_args().items() if k not in ("area_type", "area_code")}
overlap = v.overlap_shares(query("ward_overlap"))
LABELS = {ALL_CRIME: f"{ALL_CRIME} (VBC + CAS)", **CLASS_LABELS}
messages: list[str] = []


def seeded_radio(label: str, options: dict, key: str, param: str, default: str, help: str | None = None) -> str:
    """A radio seeded once from its URL parameter (validated) and written back to the URL."""
    if key not in ss:
        ss[key], note = v.validate_choice(st.query_params.get(param), options, param, default)
        messages.extend([note] if note else [])
    value = st.radio(label, list(options), format_func=options.get, key=key, horizontal=True, help=help)
    if value != default:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]
    return value


def resolve_profile() -> str:
    """The profile ward: from the URL on first view, kept valid across boundary sets, set by a map click."""
    if "wm_profile" not in ss:
        ss["wm_profile"] = st.query_params.get("profile") or (f.area_type == "ward" and f.area_code or "")
    ss["wm_profile"], note = v.checked_profile(ss["wm_profile"], wards, ctx.wards[other], overlap, other,
                                               WARD_SET_LABELS[f.ward_set])
    messages.extend([note] if note else [])
    selections = [(ss.get(key) or {}).get("selection") or {} for key in ("wm_map", "wm_map_narrow")]  # or phone copy
    codes = [p.get("code") for sel in selections for p in sel.get(SELECT_PARAM) or []]  # the Vega-Lite map
    codes += [p.get("location") or (p.get("customdata") or [None])[0]  # plotly's map over a street basemap
              for sel in selections for p in sel.get("points") or []]
    clicked = tuple(c for c in codes if c in wards)
    if clicked and clicked != ss.get("wm_map_seen"):
        ss["wm_profile"] = clicked[0]
    ss["wm_map_seen"] = clicked
    if ss["wm_profile"]:
        st.query_params["profile"] = ss["wm_profile"]
    elif "profile" in st.query_params:
        del st.query_params["profile"]
    return ss["wm_profile"]


# building plotly figures is the slow part of a rerun: cache them (read-only, shared)
@st.cache_resource(max_entries=64, show_spinner=False)
def map_figure(layer: str, data, measure_key: str, scheme: str, profile: str):
    return v.map_figure(display_geojson(layer), data, measure_key, scheme, profile)


@st.cache_resource(max_entries=32, show_spinner=False)
def boundary_figures(pick: str, _overlap, version: str):
    return v.boundary_figures(display_geojson("wards_2022"), display_geojson("wards_2024"), _overlap, pick)


trend_chart = st.cache_resource(v.trend_chart, max_entries=64, show_spinner=False)
type_mix_figure = st.cache_resource(v.type_mix_figure, max_entries=64, show_spinner=False)


def load_table():
    whole = query("ward_summary", months=list(cmp.period_months), comparison_months=[], **ward_args)
    lfl = (query("ward_summary", months=list(cmp.months), comparison_months=list(cmp.comparison_months),
                 **ward_args) if cmp.can_compare else None)
    return v.ward_table(whole, lfl)


def render_map(table, measure_key: str, scheme: str, profile: str) -> None:
    m = v.MEASURES[measure_key]
    data = v.map_frame(table, measure_key, f.ward_set)
    fig = map_figure(f"wards_{f.ward_set}", data, measure_key, scheme, profile)
    if isinstance(fig, VegaFigure):
        vega_map(fig, key="wm_map", selectable=True)
    else:
        plotly_chart(fig, key="wm_map", on_select="rerun", selection_mode="points")
    cov = coverage(f.period, ctx.present_months).describe()
    st.caption(f"{v.months_caption(m.is_change, cmp.period_months, cmp.months, cmp.comparison_months, cov)} "
               f"Click a ward to open its profile below. Rates use the {v.POPULATION_BASIS[f.ward_set]} of residents.")
    if (box := table_expander("Table and download for this map", "wm_map")) is not None:
        with box:
            show_table(data.drop(columns=["value_text"]), "wm_map", f"ward_map_{measure_key}_{f.ward_set}.csv")


def render_profile(table, code: str) -> None:
    row, n, area = table.set_index("ward_code").loc[code], len(table), {"area_type": "ward", "area_code": code}
    deriv = query("wards_2024_derivation").set_index("ward_2024_code")
    d = deriv.loc[code] if f.ward_set == "2024" else None
    st.markdown(f"### {row.ward_name}")
    st.caption("Cluster: " + v.cluster_text(f.ward_set, row.cluster, None if d is None else d.cluster_derivation,
                                            d is not None and bool(d.cluster_is_low_confidence)))
    c = st.columns(3)
    if cmp.can_compare:
        colour, arrow = delta_style(int(row.records_now - row.records_cmp))
        c[0].metric(f"Records, {cmp.label}", format_count(row.records_now), delta_color=colour, delta_arrow=arrow,
                    delta=metric_delta(change_text(row.records_now, row.records_cmp, cmp.comparison_label)),
                    help="The value and its change count the same months: those with data in both periods.")
    else:
        c[0].metric(f"Records, {cmp.period_label}", format_count(row.records),
                    help=f"Rank {row.rank_records} of {n} wards (1 = most).")
    if cmp.is_partial:
        c[1].metric(f"Whole period, {cmp.period_label}", format_count(row.records),
                    help=f"Rank {row.rank_records} of {n} wards (1 = most).")
    c[2].metric(f"Per 1,000 residents, {cmp.period_label}", f"{row.rate:,.1f}",
                help=f"Rank {row.rank_rate} of {n}. Population {row.population:,} ({v.POPULATION_BASIS[f.ward_set]}); "
                     "a rate over the months shown, not per year unless they make a year.")
    context = query("area_and_borough_by_class", months=list(cmp.period_months), **ward_args, **area)
    st.markdown(f"**{md_escape(row.ward_name)} beside the whole borough**, {cmp.period_label}")
    static_table(rate_context_table(context, f.classes, cmp.period_label, LABELS), "wm_context",
                 f"ward_vs_borough_{code}.csv")
    st.caption(rate_context_caption(context, f"{row.ward_name} ward", cmp.period_label, len(cmp.period_months)))
    monthly = query("monthly_counts_by_class", months=list(ctx.months), **ward_args, **area)
    st.markdown(f"**Records per month, {row.ward_name}**: {', '.join(f.classes)}, every month from the first to the "
                "last loaded")
    show_chart(trend_chart(monthly), v.trend_table(monthly), "wm_trend", f"ward_trend_{code}.csv",
               caption="Shaded bands: no data (gaps, not zeros).")
    months = {"months": list(cmp.period_months), **ward_args, **area}
    mix = query("ward_crime_mix", **months)
    if mix.empty:
        st.info(f"No records match the filters in {row.ward_name} in {v.describe_months(cmp.period_months)}.")
        return
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Records by crime type**, {v.describe_months(cmp.period_months)}")
        show_chart(type_mix_figure(mix), mix, "wm_mix", f"ward_crime_mix_{code}.csv")
    with right:
        st.markdown(f"**Top locations**, {v.describe_months(cmp.period_months)} (police.uk anonymised snap points: "
                    "'On or near' a street or place)")
        locs = query("top_locations", comparison_months=[], top_n=10, repeat_min_months=6, **months)
        static_table(v.top_locations(locs), "wm_locs", f"locations_{code}.csv",
                     formats={"Latitude": "%.5f", "Longitude": "%.5f"})
    # full width: its seven columns do not fit half the page
    st.markdown(f"**Top LSOAs**, {v.describe_months(cmp.period_months)} (records placed in this ward)")
    top = v.top_lsoas(query("lsoa_summary", comparison_months=[], **months))
    static_table(lsoa_codes.add_2011_codes(top, top["LSOA code"], lsoa_codes.lookup()), "wm_lsoas",
                 f"lsoas_{code}.csv")


def render_years() -> None:
    st.subheader("Records by ward and year (Strategic Assessment Appendix 2, Table 8)")
    choice = st.radio("Records", v.table8_class_options(f.classes), key="wm_t8_class", horizontal=True,
                      help="Table 8 of the Strategic Assessment shows ASB; the other classes use the same layout.")
    years = list(range(ctx.first_month.year, max(f.end.year, ctx.first_month.year) + 1))
    cov = v.year_coverage(years, ctx.present_months)

    def counts(months):
        return query("area_counts_by_year", months=list(months), area_level="ward", **ward_args)

    changes = []
    for later, earlier in v.year_change_specs(years, cov):
        cur, prev = v.like_for_like_years(later, earlier, ctx.present_months)
        changes.append(v.YearChange(later, earlier, counts(cur + prev) if cur else None, cur))
    table = v.yearly_table(counts([m for y in years for m in calendar_year(y).months]), choice, cov, *changes)
    static_table(table, "wm_years", f"ward_records_by_year_{f.ward_set}.csv")
    st.caption("Calendar years. 'no data': police.uk published no files for that year in this archive (a gap, not "
               "zero); a partial year's heading says which months it covers. Changes compare only the months "
               "with data in both years.")


def render_boundaries(profile: str) -> None:
    st.subheader("The May 2024 ward change")
    st.markdown("Maidstone's 26 wards were replaced by 22 new wards in May 2024. Pick a new ward to see which old "
                "wards it was made from; the table below lists them all.")
    new_wards = dict(sorted(ctx.wards["2024"].items(), key=lambda kv: kv[1]))
    if "wm_new_ward" not in ss:
        ss["wm_new_ward"] = (profile if f.ward_set == "2024" else v.successor_ward(overlap, profile, "2022")) or ""
    pick = st.selectbox("May-2024 ward", ["", *new_wards], key="wm_new_ward",
                        format_func=lambda c: new_wards.get(c, "— whole borough —"))
    parts = overlap[overlap["ward_2024_code"] == pick] if pick else overlap
    old_fig, new_fig = boundary_figures(pick, overlap, store_version())
    left, right = st.columns(2)
    with left:
        st.markdown("**Pre-May-2024 wards (26)**")
        show_chart(old_fig, parts, "wm_old", "ward_overlap.csv")
    with right:
        st.markdown("**May-2024 wards (22)**")
        show_chart(new_fig, v.overlap_summary(parts), "wm_new", "new_wards.csv")
    st.markdown("**New ward ← old wards (share of residents)**")
    static_table(v.overlap_summary(overlap), "wm_overlap", "new_ward_from_old_wards.csv")
    st.caption("Shares of residents are estimates (Census 2021 LSOA counts spread by area over the ONS ward "
               "boundaries, derived by this project); old-ward pieces under 1% of either ward's area are left out.")


measure_key = seeded_radio("Map measure", {k: m.label for k, m in v.MEASURES.items()}, "wm_measure", "measure",
                           "records")
scheme = seeded_radio(explain.BREAKS_LABEL, v.BREAKS, "wm_breaks", "breaks", "natural_breaks",
                      help=explain.BREAKS_HELP)
profile = resolve_profile()
for message in messages:
    st.warning(md_escape(message))  # may quote URL values: plain text
st.markdown(f"**{WARD_SET_LABELS[f.ward_set]}** · {f.period.label}" + (f" compared with {cmp.comparison_period.label}"
            if cmp.comparison_period else "") + ". The map always shows every ward of the borough.")
if v.MEASURES[measure_key].is_change and not cmp.can_compare:
    st.info(f"Change cannot be mapped: {cmp.note if f.comparison != 'none' else 'no comparison is selected'}. "
            "Showing the count instead.")
    measure_key = "records"
table = load_table() if cmp.has_data else None
if table is None:
    st.error("No police.uk data exists for any month of the selected period, so there is no map, ward table or "
             "profile. Choose another period.")
elif table["records"].sum() == 0:
    st.info(f"No records match the filters in {v.describe_months(cmp.period_months)}: every ward has 0.")
else:
    render_map(table, measure_key, scheme, profile)
st.subheader("Ward profile")
st.selectbox("Ward profile", ["", *sorted(wards, key=wards.get)], key="wm_profile", label_visibility="collapsed",
             format_func=lambda c: wards.get(c, "— choose a ward (or click one on the map) —"))
if profile and table is not None:
    render_profile(table, profile)
if table is not None:
    st.subheader("Ward table (Strategic Assessment Appendix 2, Tables 1 and 2)")
    orders = v.ward_orders("change" in table)
    if ss.get("wm_order") not in orders:  # e.g. a change order kept after the comparison was turned off
        ss["wm_order"] = "records"
    order = st.selectbox("Order the table by", list(orders), format_func=orders.get, key="wm_order")
    # a static table (a data grid costs a canvas on every visit); the order is chosen above
    static_table(v.order_ward_table(v.display_ward_table(table, period_columns(cmp)), order, period_columns(cmp)),
                 "wm_wards", f"ward_table_{f.ward_set}.csv",
                 compact=v.ward_table_phone_columns(period_columns(cmp), "change" in table, order))
    st.caption(v.ward_table_caption(cmp.period_months, cmp.months, cmp.comparison_months, f.ward_set))
render_years()
render_boundaries(profile)

"""Find my area, the Streamlit side: the cached search index, the search box (on the Find my area page and
at the top of the Overview), and the result views: where a place is, its area's figures against the
borough, and the records around a point.

Text typed by the reader or read from the URL is shown only with ``st.text`` (never as markdown); names
from the data (police.uk locations, ONS names) are escaped before they go into markdown, button or radio
labels. Figures follow the same period, comparison and significance rules as the rest of the dashboard
(:mod:`dashboard.compare`).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import theme
from dashboard.charts import add_gap_bands, show_cards, show_chart, show_table, trend_figure
from dashboard.compare import (ALL_CRIME, SIGNIFICANCE_METHOD, SIGNIFICANCE_NOTE, Comparison, headline_cards,
                               headline_table)
from dashboard.data import query, store_version
from dashboard.filters import CLASS_LABELS, WARD_SET_LABELS, FilterContext, Filters
from dashboard.safe_text import md_escape, safe_table
from dashboard.search import MAX_QUERY_LENGTH, RADII, Result, SearchIndex, Target, clean_text, display_name
from smp_data.postcodes import ATTRIBUTION as POSTCODE_ATTRIBUTION

__all__ = ["SEARCH_PAGE", "search_index", "md_escape", "search_box", "send_to_search", "switch_keeping_filters",
           "area_options",
           "render_result", "render_where", "render_area", "render_around", "render_map", "SNAP_POINT_NOTE"]

SEARCH_PAGE = "pages/search.py"
BOX_LABEL = "Find my area: postcode, street, ward or LSOA"
BOX_HELP = ("A postcode (ME15 6JQ, a sector such as ME15 6, or a district such as ME15), a street or place as "
            "police.uk names it (Loose Road), a ward on either boundary set, a ward cluster, or an LSOA name or "
            "code (2021, or the Strategic Assessment's 2011 codes).")
SNAP_POINT_NOTE = ("Locations are police.uk snap points: anonymised map points 'on or near' a street or place, "
                   "not addresses. Several incidents at different places share one point.")
@st.cache_resource(max_entries=2, show_spinner=False)
def _index(version: str) -> SearchIndex:
    """Built from the ``search.*`` queries through the dashboard's one door to the store."""
    return SearchIndex.from_tables(*(query(f"search.{name}") for name in SearchIndex.QUERIES))


def search_index() -> SearchIndex:
    """The search index of the current store (built once per store file, shared by every session)."""
    return _index(store_version())


def search_box(key: str, value: str = "") -> str | None:
    """The search box: a text field and a Search button in a form (Enter submits). Returns the text when
    submitted, else None."""
    if f"{key}_text" not in st.session_state:
        st.session_state[f"{key}_text"] = value
    with st.form(f"{key}_form", border=False, enter_to_submit=True):
        text = st.text_input(BOX_LABEL, key=f"{key}_text", max_chars=MAX_QUERY_LENGTH, help=BOX_HELP,
                             placeholder="e.g. ME15 6JQ, Loose Road, Fant & Oakwood")
        submitted = st.form_submit_button("Search", icon=":material/search:", type="primary")
    return text if submitted else None


FILTER_KEYS = ("f_preset", "f_start", "f_end", "f_cmp", "f_wards", "f_area_type", "f_area_code", "f_classes",
               "f_types", "f_priority")


def switch_keeping_filters(page: str, **overrides) -> None:
    """``st.switch_page`` that keeps the sidebar filters (a script-initiated page switch does not carry the
    router's widget values over): they are handed to the router as ``f_pending``, with ``overrides``."""
    ss = st.session_state
    ss["f_pending"] = {**{k: ss[k] for k in FILTER_KEYS if k in ss}, **overrides}
    st.switch_page(page)


def send_to_search(text: str) -> None:
    """Open Find my area with ``text`` searched (from the box on another page)."""
    q, _ = clean_text(text)
    ss = st.session_state
    ss["srch_q"], ss["srch_find"], ss["srch_box_text"] = q, "", q
    switch_keeping_filters(SEARCH_PAGE)


def _choose(param: str) -> None:
    st.session_state["srch_find"] = param
    st.session_state.pop("srch_area", None)


def _choice_buttons(choices, key: str) -> None:
    for i, t in enumerate(choices):
        st.button(md_escape(t.label), key=f"{key}_{i}", on_click=_choose, args=(t.param,), width="stretch")


def render_result(result: Result) -> None:
    """What the search found, when it is not (yet) one place: choices, outside the borough, not found."""
    for note in result.notes:
        st.info(md_escape(note))
    if result.status == "choose":
        st.markdown(md_escape(result.message))
        _choice_buttons(result.choices, "srch_choice")
    elif result.status == "outside":
        st.warning(md_escape(result.message), icon=":material/wrong_location:")
    elif result.status in ("not_found", "empty"):
        (st.warning if result.status == "not_found" else st.info)(md_escape(result.message))
        if result.choices:
            st.markdown("Suggestions:")
            _choice_buttons(result.choices, "srch_suggest")


# ---- where a place is --------------------------------------------------------------------------------------


def render_where(index: SearchIndex, target: Target, f: Filters) -> None:
    """The areas a postcode, street, sector or district lies in, on both ward sets."""
    if target.kind == "postcode":
        r = index.postcodes[target.key]
        table = pd.DataFrame([
            {"Area": "May-2024 ward", "Name": r["ward_2024_name"], "Code": r["ward_2024_code"],
             "Cluster": f"{r['cluster_2024']} (derived)"},
            {"Area": "Pre-May-2024 ward", "Name": r["ward_2022_name"], "Code": r["ward_2022_code"],
             "Cluster": r["cluster_2022"]},
            {"Area": "LSOA (2021)", "Name": r["lsoa21_name"], "Code": r["lsoa21_code"], "Cluster": ""},
        ])
        safe_table(table.set_index("Area"))
        notes = []
        if r["ward_differs_from_os"]:
            notes.append(f"Ordnance Survey places this postcode in {r['os_ward_name']} ward; its grid point falls in "
                         f"{r['ward_2024_name']} on the ONS boundaries this dashboard uses (it is near a ward "
                         "boundary). Records are placed the same way as this point.")
        if int(r["positional_quality"]) >= 50:
            notes.append("OS gives this postcode an estimated position (within about 50 m).")
        for n in notes:
            st.caption(md_escape(n))
    elif target.kind == "street":
        s = index.streets[target.key]
        name = display_name(s["name"])
        st.markdown(f"**{md_escape(name)}** passes through "
                    f"**{len(s['wards_2024'])}** May-2024 ward{'s' if len(s['wards_2024']) != 1 else ''}: "
                    f"{md_escape(', '.join(s['wards_2024']) or 'none')}; and **{len(s['wards_2022'])}** pre-May-2024 "
                    f"ward{'s' if len(s['wards_2022']) != 1 else ''}: {md_escape(', '.join(s['wards_2022']) or 'none')}"
                    " (from the wards of its police.uk snap points, west to east).")
        if s["is_place_type"]:
            st.caption("This is a police.uk place type (e.g. car parks are all 'Parking Area'), shown for one ward.")
    elif target.kind in ("sector", "district"):
        pcs = index.area_postcodes(target)
        col = f"ward_{f.ward_set}_name"
        by_ward = pcs.groupby(col).size().sort_values(ascending=False).rename("Postcodes").reset_index()
        by_ward = by_ward.rename(columns={col: f"Ward ({WARD_SET_LABELS[f.ward_set]})"})
        st.markdown(f"**{len(pcs):,} live postcodes** of {md_escape(target.key)} are in Maidstone borough, in "
                    f"**{len(by_ward)} ward{'s' if len(by_ward) != 1 else ''}**:")
        show_table(by_ward, "srch_area_wards", f"postcodes_{target.key.replace(' ', '_')}_by_ward.csv")


def area_options(index: SearchIndex, target: Target, f: Filters) -> list[tuple[str, str, str, str]]:
    """The areas whose figures can be shown for a target: (area_type, code, ward_set, label), most
    relevant first (the ward on the filter's boundary set first)."""
    sets = [f.ward_set, "2022" if f.ward_set == "2024" else "2024"]
    label = {"2024": "May-2024 ward", "2022": "Pre-May-2024 ward"}
    if target.kind == "postcode":
        r = index.postcodes[target.key]
        out = [("ward", r[f"ward_{s}_code"], s, f"{r[f'ward_{s}_name']} ({label[s]})") for s in sets]
        cl = r[f"cluster_{f.ward_set}"]
        out.append(("cluster", cl, f.ward_set, f"{cl}{' (derived)' if f.ward_set == '2024' else ''}"))
        out.append(("lsoa", r["lsoa21_code"], f.ward_set, f"LSOA {r['lsoa21_name']}"))
        return out
    if target.kind == "street":
        names = index.streets[target.key][f"wards_{f.ward_set}"]
        codes = {w["ward_name"]: c for (s, c), w in index.wards.items() if s == f.ward_set}
        return [("ward", codes[n], f.ward_set, f"{n} ({label[f.ward_set]})") for n in names if n in codes]
    if target.kind in ("sector", "district"):
        pcs = index.area_postcodes(target)
        counts = pcs.groupby([f"ward_{f.ward_set}_code", f"ward_{f.ward_set}_name"]).size().sort_values(ascending=False)
        return [("ward", c, f.ward_set, f"{n} ({label[f.ward_set]})") for (c, n) in counts.index[:8]]
    ward_set, _, code = target.key.partition("|")
    if target.kind == "ward":
        return [("ward", code, ward_set, target.label)]
    if target.kind == "cluster":
        return [("cluster", code, ward_set, target.label)]
    return [("lsoa", target.key, f.ward_set, target.label)]


# ---- figures -----------------------------------------------------------------------------------------------


def _args(f: Filters, ward_set: str, area_type: str, area_code: str) -> dict:
    return {"ward_set": ward_set, "area_type": area_type, "area_code": area_code, "classes": list(f.classes),
            "crime_types": list(f.crime_types), "priority": f.priority}


def _metrics(table: pd.DataFrame, cmp: Comparison) -> None:
    """The headline cards, as on the Overview: each value and its change count the same months."""
    labels = {ALL_CRIME: f"{ALL_CRIME} (VBC + CAS)", **CLASS_LABELS}
    cards = headline_cards(table, cmp, labels)
    show_cards(cards, f"Orange = more, purple = fewer. {SIGNIFICANCE_NOTE} {SIGNIFICANCE_METHOD}")


def _comparison_caption(cmp: Comparison) -> None:
    if cmp.comparison_period is None:
        return
    if cmp.can_compare:
        st.caption(f"Change: {cmp.note}. {SIGNIFICANCE_NOTE}")
    else:
        st.warning(f"No comparison: {cmp.note}.")


def render_area(area: tuple[str, str, str, str], f: Filters, ctx: FilterContext, cmp: Comparison) -> None:
    """Headline figures (with the comparison and significance test), rate per 1,000 vs the borough and the
    monthly trend vs the borough, for one area, on the page's filters."""
    area_type, code, ward_set, label = area
    args = _args(f, ward_set, area_type, code)
    period = f.period.label
    monthly = query("monthly_counts_by_class", months=cmp.all_months, **args)
    st.markdown(f"**{md_escape(label)}** · {period}"
                + (f" compared with {cmp.comparison_period.label}" if cmp.comparison_period else ""))
    _metrics(headline_table(monthly, cmp, f.classes), cmp)
    _comparison_caption(cmp)
    rates = query("search.area_rate_vs_borough", months=list(cmp.period_months), **args).set_index("scope")
    here, borough = rates.loc["area"], rates.loc["borough"]
    basis = "Census 2021 residents" if area_type == "lsoa" else (
        "ONS mid-2024 ward estimates" if ward_set == "2024" else "ONS mid-2022 ward estimates")
    if pd.notna(here["rate_per_1000_residents"]):
        ratio = here["rate_per_1000_residents"] / borough["rate_per_1000_residents"] if borough["records"] else None
        st.markdown(
            f"**{here['rate_per_1000_residents']:,.1f} records per 1,000 residents** here against "
            f"**{borough['rate_per_1000_residents']:,.1f}** across Maidstone borough, {period} "
            f"({', '.join(f.classes)}; {basis}: {int(here['population']):,} here, {int(borough['population']):,} in "
            f"the borough)" + (f": **{ratio:.1f} times** the borough rate." if ratio else "."))
    # the trend: records per 1,000 residents per month, area against borough, every month loaded
    months = list(ctx.months)
    area_m = query("monthly_counts_by_class", months=months, **args)
    boro_m = query("monthly_counts_by_class", months=months, **{**args, "area_type": "borough", "area_code": ""})
    series = []
    for name, data, pop in ((label, area_m, here["population"]), ("Maidstone borough", boro_m, borough["population"])):
        per = data.groupby("month", as_index=False).agg(records=("records", lambda s: s.sum(min_count=1)),
                                                       is_present=("is_present", "first"))
        per["per_1000"] = (1000.0 * per["records"] / pop).round(2) if pop else None
        series.append(per.assign(area=name))
    trend = pd.concat(series, ignore_index=True)
    fig = trend_figure(trend, "month", "per_1000", series="area", y_title="Records per 1,000 residents",
                       title=f"Records per 1,000 residents per month ({', '.join(f.classes)})",
                       colours={label: theme.MAIDSTONE_COLOUR, "Maidstone borough": theme.DISTRICT_COLOUR})
    present = trend.drop_duplicates("month").sort_values("month")
    add_gap_bands(fig, present["month"], present["is_present"])
    fig.update_yaxes(tickformat=".1f")
    table = trend.pivot_table(index="month", columns="area", values="per_1000", dropna=False).reset_index()
    show_chart(fig, table, "srch_trend", "area_vs_borough_per_1000.csv",
               caption="Every month loaded; shaded bands are months with no police.uk data (gaps, not zeros). "
                       f"Rates use the {basis}.")


def render_around(target: Target, radius: int, f: Filters, cmp: Comparison) -> pd.DataFrame:
    """Records within ``radius`` metres of a postcode's point or of any of a street's snap points, with the
    same comparison and significance rules; the nearby snap points with their counts (returned)."""
    lons = [p[0] for p in target.points]
    lats = [p[1] for p in target.points]
    args = {k: v for k, v in _args(f, f.ward_set, "borough", "").items() if k not in ("area_type", "area_code")}
    what = "its grid point" if target.kind == "postcode" else "any of its police.uk snap points"
    monthly = query("search.monthly_near", lons=lons, lats=lats, radius_m=float(radius), months=cmp.all_months,
                    **args)
    st.markdown(f"Records whose snap point is within **{RADII[radius]}** of {what} · {f.period.label}"
                + (f" compared with {cmp.comparison_period.label}" if cmp.comparison_period else ""))
    _metrics(headline_table(monthly, cmp, f.classes), cmp)
    _comparison_caption(cmp)
    near = query("search.snap_points_near", lons=lons, lats=lats, radius_m=float(radius),
                 months=list(cmp.period_months), comparison_months=list(cmp.comparison_months), **args)
    st.markdown(f"**Nearby snap points** ({len(near):,} within {RADII[radius]}), records in {f.period.label}"
                + (" and in the comparison months" if cmp.can_compare else ""))
    shown = near.assign(place=[display_name(p) for p in near["place"]]).rename(columns={"place": "On or near", "distance_m": "Distance (m)", "records": "Records",
                                 "records_comparison": "Comparison", "change": "Change",
                                 "most_common_type": "Most common type", "ward_name": "Ward"})
    shown = shown.drop(columns=["longitude", "latitude"])
    if not cmp.can_compare:
        shown = shown.drop(columns=["Comparison", "Change"])
    show_table(shown, "srch_near", f"snap_points_within_{radius}m.csv")
    st.caption(SNAP_POINT_NOTE + " Distances are from " + what + " to each snap point.")
    return near


def render_map(target: Target, area: tuple[str, str, str, str] | None, f: Filters, cmp: Comparison,
               near: pd.DataFrame | None, radius: int | None) -> None:
    """The ward choropleth (records in the period) with the ward names, the area outlined and the searched
    postcode or street marked (and the radius and nearby snap points for an around-a-point search)."""
    from dashboard import ward_map_view as v  # noqa: PLC0415
    from dashboard.maps import choropleth, display_geojson, focus_view, mark_points  # noqa: PLC0415

    args = {k: val for k, val in _args(f, f.ward_set, "borough", "").items() if k not in ("area_type", "area_code")}
    whole = query("ward_summary", months=list(cmp.period_months), comparison_months=[], **args)
    data = v.map_frame(v.ward_table(whole, None), "records", f.ward_set)
    outline = area[1] if area and area[0] == "ward" and area[2] == f.ward_set else None
    view = focus_view(target.points, radius or 500) if target.kind in ("postcode", "street") else None
    hover = {**v.HOVER, "value_text": v.MEASURES["records"].label}
    fig, _ = choropleth(display_geojson(f"wards_{f.ward_set}"), data, "ward_code", "value", v.MEASURES["records"].legend,
                        hover, highlight=outline, view=view, height=520)
    if near is not None and len(near):
        on_map = any(t.type == "choroplethmap" for t in fig.data)
        size = (8 + 14 * (near["records"] / max(near["records"].max(), 1)) ** 0.5).round(1)
        text = [f"{display_name(p)}: {r:,} records" for p, r in zip(near["place"], near["records"])]
        trace = (go.Scattermap(lon=near["longitude"], lat=near["latitude"]) if on_map
                 else go.Scatter(x=near["longitude"], y=near["latitude"]))
        trace.update(mode="markers", name="Snap points nearby (size = records)", hovertext=text, hoverinfo="text",
                     marker=dict(size=size, color=theme.SNAP_POINT_FILL if not on_map else theme.BLACK,
                                 line=dict(color=theme.BLACK, width=1.2) if not on_map else None))
        fig.add_trace(trace)
    name = target.key if target.kind == "postcode" else display_name(target.label.split(" (")[0])
    legend = {"postcode": "Searched postcode", "street": name}.get(target.kind, "Postcodes")
    mark_points(fig, target.points, name, legend, circle_m=radius if target.kind == "postcode" else None)
    table = data.drop(columns=["value_text"]).rename(columns={"ward_name": "Ward", "value": "Records"})
    where = {"postcode": "The orange dot is the postcode's grid point", "street":
             "Orange dots are the street's police.uk snap points", "sector": "Orange dots are its postcodes",
             "district": "Orange dots are its postcodes"}.get(target.kind, "")
    show_chart(fig, table, "srch_map", f"ward_records_{f.ward_set}.csv",
               caption=f"Records by ward ({WARD_SET_LABELS[f.ward_set]}), {f.period.label}. "
                       + (f"{where}. " if where else "") + ("Black outline: the ward shown above. " if outline else "")
                       + "Names are left off where they would overlap; hover or the table gives every ward.")
    st.caption(POSTCODE_ATTRIBUTION)

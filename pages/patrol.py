"""Patrol sheet: the top "on or near" locations of an area over the last months with data, for several
crime types or priorities in one table (a column each, a total, change, REPEAT flag), every location told
apart from same-named ones, a numbered map, a one-page A4 print view (``?view=print``) and a CSV named
by its window, area and columns. Page parameters: ``recent`` (1-12 or ``period``), ``cols``, ``top``,
``view``."""

import streamlit as st

from dashboard import hotspots_view as hv
from dashboard import patrol_view as pv
from dashboard.charts import download_context, download_csv, vega_chart
from dashboard.data import query, store_version
from dashboard.priorities_view import SHORT_NAMES
from dashboard.safe_text import md_escape, safe_table
from dashboard.search import RADII, parse_find
from dashboard.state import current_filters, filter_context

f = current_filters()
ctx = filter_context()
options = pv.column_options(ctx.crime_types, query("priorities"), SHORT_NAMES)
default_cols = pv.default_columns(options, f.crime_types, f.priority)
town_centre = next((c for c, n in ctx.wards[f.ward_set].items() if n == pv.TOWN_CENTRE_WARD), None)
view, view_note = pv.parse_view(st.query_params.get("view"))
st.markdown(pv.PRINT_CSS, unsafe_allow_html=True)


def searched_point():
    """A postcode or street from Find my area (``find`` and ``radius`` in the URL): the sheet then covers
    the snap points within the radius of it, instead of the sidebar's area."""
    found = parse_find(st.query_params.get("find"))
    if found is None:
        return None, None
    from dashboard.search_view import search_index  # noqa: PLC0415  (built only when a search is followed)

    target = search_index().target(*found)
    if target is None or not target.has_point:
        st.warning("The place in this link is not a postcode or street in the current data, so the sheet uses the "
                   "sidebar's area.")
        return None, None
    return target, pv.parse_radius(st.query_params.get("radius"), tuple(RADII))


point, radius = searched_point()


def use_town_centre() -> None:
    """Sets the shared area filter (the sidebar) to High Street ward, the town centre."""
    st.session_state["f_area_type"], st.session_state["f_area_code"] = "ward", town_centre


def window_label(choice) -> str:
    return ("Every month with data in the period" if choice == "period"
            else f"Last {choice} month{'s' if choice != 1 else ''} with data")


def choose() -> tuple:
    """Window, number of locations and columns: from the URL on arrival, then from the widgets."""
    ss = st.session_state
    parsed = [pv.parse_window(st.query_params.get("recent")), pv.parse_top(st.query_params.get("top")),
              pv.parse_columns(st.query_params.get("cols"), options, default_cols)]
    for _, note in [*parsed, (None, view_note)]:
        if note:
            st.warning(note)
    ss.setdefault("pt_window", parsed[0][0])
    ss.setdefault("pt_top", parsed[1][0])
    ss.setdefault("pt_cols", list(parsed[2][0]))
    if view == "print":
        return ss["pt_window"], ss["pt_top"], tuple(ss["pt_cols"]) or default_cols
    with st.container(key="patrol_controls"):
        c1, c2, c3 = st.columns([2, 1, 2], vertical_alignment="bottom")
        window = c1.selectbox("Window", ["period", *range(1, 13)], key="pt_window", format_func=window_label)
        top = c2.selectbox("Locations", pv.TOP_CHOICES, key="pt_top")
        is_tc = f.area_type == "ward" and f.area_code == town_centre
        c3.button("Town centre (High Street ward)", on_click=use_town_centre, disabled=is_tc or not town_centre,
                  icon=":material/storefront:", help="Sets the sidebar's area to High Street ward, the town centre.")
        cols = st.multiselect(f"Columns: crime types or priorities (up to {pv.MAX_COLUMNS})", list(options),
                              key="pt_cols", format_func=lambda k: options[k].label, max_selections=pv.MAX_COLUMNS)
    wanted = {"recent": None if window == 3 else str(window), "top": None if top == pv.DEFAULT_TOP else str(top),
              "cols": pv.columns_param(cols, default_cols)}
    for key, value in wanted.items():
        if value is None:
            st.query_params.pop(key, None)
        elif st.query_params.get(key) != value:
            st.query_params[key] = value
    return window, top, tuple(cols) or default_cols


window, top, keys = choose()
columns = [options[k] for k in keys]
n_wanted = (sum(1 for m in ctx.present_months if f.period.start <= m <= f.period.end) or 1
            if window == "period" else window)
win = hv.recent_window(f.period, ctx.present_months, n_wanted, f.comparison)
if not win.has_data:
    st.info("Choose a period that has police.uk data (for example \"Last 12 months\") for a patrol sheet.")
    st.stop()
area = f.area_label(ctx) + (" (town centre)" if f.area_type == "ward" and f.area_code == town_centre else "")
if f.area_type == "ward":
    area += f", {'May-2024' if f.ward_set == '2024' else 'pre-May-2024'} boundaries"
if point is not None:
    area = f"within {RADII[radius]} of {point.label}"
args = dict(months=list(win.months), comparison_months=list(win.comparison_months), ward_set=f.ward_set,
            area_type="borough" if point else f.area_type, area_code="" if point else f.area_code)
col_args = pv.column_args(columns)
totals = query("patrol_locations", **args, column_types=col_args["column_types"])
by_column = query("patrol_location_columns", **args, **col_args)
unplaced = int(query("patrol_unplaced", **{k: v for k, v in args.items() if k != "comparison_months"},
                     column_types=col_args["column_types"])["records"].iloc[0])
if point is not None:  # the snap points near the searched place (records without a location cannot be placed)
    totals = totals[pv.near_points(totals, point.points, radius)]
    by_column = by_column.merge(totals[["location", "longitude", "latitude"]], how="inner")
    unplaced = 0
table = pv.patrol_table(totals, by_column, columns, win.n, pv.cached_named_points(store_version()), top)
shown = pv.display_table(table, columns, win.n, win.can_compare, one_ward=f.area_type == "ward" and point is None)
download_context(area=area if point else f.area_label(ctx), period=f"{win.months[0]:%Y-%m} to {win.months[-1]:%Y-%m}")  # the sheet's own window
when = f"{win.label} ({window_label(window).lower() if window != 'period' else 'every month with data in ' + f.period.label})"

st.subheader(md_escape(pv.sheet_title(area, when, columns, len(table))))  # names come from the data
if point is not None:
    st.caption(f"From Find my area: snap points within {RADII[radius]} of the searched "
               f"{'postcode' if point.kind == 'postcode' else 'street (any of its points)'}, whatever the sidebar's "
               "area. Remove find= from the address to use the sidebar's area again.")
if table.empty:
    st.info(md_escape(f"No records of these types {'' if point else 'in '}{area} in {win.label}. Choose other "
                      "columns, a wider window or area."))
    st.stop()
notes = (f"Counts are police.uk records at each snap point in {win.label}; Total counts each record once. "
         + (f"Change: Total minus the same locations' total in {hv.months_text(win.comparison_months)}. "
            if win.can_compare else f"No change column: {win.comparison_note} ")
         + hv.repeat_rule_text(win.n) + " " + pv.columns_note(columns) + " Places are police.uk snap points (anonymised, each stands for several "
         "nearby addresses); ward, nearest named place and grid reference (to 10 m) tell same-named points apart.")
extra = (f" {unplaced:,} record{'s' if unplaced != 1 else ''} of these types had no location and are on no list."
         if unplaced else "")
map_highlight = tuple(sorted({c for c, n in ctx.wards[f.ward_set].items() if n in set(table["ward"])}))
centre = tuple(point.points) if point is not None else ()


def render_full() -> None:
    # static tables (a data grid costs a canvas on every visit); place names are data: shown as written. A narrow
    # window scrolls the full sheet sideways with the number and place pinned; a phone gets every count on screen
    with st.container(key="tblwide_patrol"):
        safe_table(shown, hide_index=True, key="tbl_patrol", scroll=True)
    with st.container(key="tblnarrow_patrol"):
        safe_table(pv.phone_table(shown), hide_index=True, key="tbln_patrol")
        st.caption("On a small screen: Rpt R = a REPEAT location. The nearest named place, grid reference and "
                   "ward that tell same-named places apart are on the print view and in the CSV (or turn the phone).")
    with st.container(key="patrol_screen_only", horizontal=True):
        download_csv(pv.csv_table(table, columns, win.can_compare), pv.csv_view_name(columns), "patrol",
                     label="Download this sheet (CSV)")
        st.button("Print view (one A4 page)", icon=":material/print:",
                  on_click=lambda: st.query_params.update(view="print"))
    left, right = st.columns([3, 2])
    with left:
        vega_chart(pv.cached_map_figure(table, f.ward_set, map_highlight, 480, 20, centre), key="fig_patrol_map")
    with right:
        st.caption("**The map**: numbers match the table; orange: REPEAT location, blue: other; outlines: wards "
                   "(yours darker). No street map is drawn (the dashboard works offline): the grid reference and "
                   "the nearest named place locate each point. The table is the map's accessible alternative.")
        st.caption(notes + extra)
        st.caption("The sheet uses the sidebar's period, comparison, boundaries and area (or the place searched in "
                   "Find my area); its columns choose the crime types, so the sidebar's crime class, type and "
                   "priority filters do not apply here.")


def render_print() -> None:
    st.markdown(pv.PRINT_SCREEN_CSS, unsafe_allow_html=True)
    with st.container(key="patrol_help", horizontal=True):
        st.button("Back to the full page", on_click=lambda: st.query_params.pop("view", None))
        st.caption("Print with your browser's print command (Ctrl+P, or ⌘+P on a Mac): one A4 page, landscape.")
    left, right = st.columns([5, 2])
    with left:
        safe_table(shown, hide_index=True, key="tbl_patrol_print")  # place names are data: shown as written
    with right:
        vega_chart(pv.cached_map_figure(table, f.ward_set, map_highlight, 360, 16, centre), key="fig_patrol_map_print")
        st.caption("Numbers as in the table; orange: REPEAT location, blue: other; outlines: wards.")
    st.caption(notes + extra)


if view == "print":
    render_print()
else:
    render_full()

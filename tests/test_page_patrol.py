"""AppTest: the patrol sheet on the full store. Expected numbers come from direct SQL on ``crime_records``
(the public view, not the dashboard's macro) for a fixed window, area and set of columns."""

import math
import re

import pandas as pd
import pytest

from tests.apptest_helpers import as_number, open_page, read_numbers, rerun, shown_tables, sql, texts

pytestmark = pytest.mark.integration

PAGE = "pages/patrol.py"
HIGH_STREET = "E05015603"  # May-2024 High Street ward (the town centre)
# default period Jan-Dec 2025 with "same months a year earlier": the last 3 months with data are Oct-Dec 2025;
# Oct-Dec 2024 has no data, so the comparison is the previous 3 months with data, Jul-Sep 2025 (by hand)
WINDOW = ("2025-10-01", "2025-11-01", "2025-12-01")
COMPARISON = ("2025-07-01", "2025-08-01", "2025-09-01")
COLS = "type:Violence and sexual offences,type:Shoplifting,priority:serious_violence_organised_crime"


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def expected_rows(store, ward_code: str) -> list[tuple]:
    """(place, violence, shoplifting, serious violence, total, change, months) per snap point, by SQL."""
    (sv_types,), = sql(store, "select list(crime_type order by crime_type) from priority_crime_types "
                              "where priority_id = 'serious_violence_organised_crime' and role = 'measure'")
    types = sorted({"Violence and sexual offences", "Shoplifting", *sv_types})
    rows = sql(store, f"""
        select location,
               count(*) filter (where month in ({_in(WINDOW)}) and crime_type = 'Violence and sexual offences'),
               count(*) filter (where month in ({_in(WINDOW)}) and crime_type = 'Shoplifting'),
               count(*) filter (where month in ({_in(WINDOW)}) and crime_type in ({_in(sv_types)})),
               count(*) filter (where month in ({_in(WINDOW)})) as total,
               count(*) filter (where month in ({_in(WINDOW)})) - count(*) filter (where month in ({_in(COMPARISON)})),
               count(distinct month) filter (where month in ({_in(WINDOW)}))
        from crime_records
        where ward_2024_code = '{ward_code}' and longitude is not null and crime_type in ({_in(types)})
        group by location, longitude, latitude
        having total > 0
        order by total desc
    """)
    name = [re.sub(r"(?<=[a-z])'S\b", "'s", loc.replace("On or near", "").strip()) or "(unnamed location)"
            for loc, *_ in rows]
    return [(n, *r[1:]) for n, r in zip(name, rows)]


@pytest.fixture(scope="module")
def sheet(full_store):
    return open_page(PAGE, full_store, {"area": f"ward:{HIGH_STREET}", "cols": COLS, "top": "20"})


def shown_table(at) -> pd.DataFrame:
    """The sheet as the reader sees it (a static table), its columns of numbers read as numbers."""
    tables = shown_tables(at, "tbl_patrol")
    assert len(tables) == 1 and not at.dataframe, "one static sheet and no data grid"
    return read_numbers(tables[0])


def test_numbers_match_sql_for_a_fixed_window(sheet, full_store):
    assert not sheet.exception
    shown = shown_table(sheet)
    expected = expected_rows(full_store, HIGH_STREET)
    assert len(shown) == 20
    cols = ["Place (on or near)", "Violence & sexual", "Shoplifting", "Serious violence (priority)",
            "Total", "Change", "Months"]
    got = [tuple(r) for r in shown[cols].itertuples(index=False)]
    assert [g[4] for g in got] == [e[4] for e in expected[:20]]  # totals in rank order
    cutoff = expected[19][4]  # rows tied at the cut-off may be either of the tied locations
    above = sorted((*e[:6], f"{e[6]} of 3") for e in expected if e[4] > cutoff)
    assert sorted(g for g in got if g[4] > cutoff) == above
    # the total counts each record once although violence is also in the serious-violence column
    assert any(g[1] > 0 and g[3] >= g[1] and g[4] < g[1] + g[2] + g[3] for g in got)


def test_the_phone_copy_keeps_every_count_of_the_sheet(sheet):
    """On a phone the sheet drops only the identifying text (on the print view and in the CSV): every count and
    the repeat flag are the full sheet's, row for row."""
    full = shown_table(sheet)
    (phone,) = shown_tables(sheet, "tbln_patrol")
    phone = read_numbers(phone)
    counts = ["No.", "Total", "Violence & sexual", "Shoplifting", "Serious violence (priority)", "Change"]
    assert list(phone.columns) == ["No.", "Place (on or near)", *counts[1:], "Rpt"]
    assert phone[counts].equals(full[counts]) and phone["Place (on or near)"].tolist() == full["Place (on or near)"].tolist()
    assert phone["Rpt"].tolist() == ["R" if r == "REPEAT" else "" for r in full["Repeat"]]


def test_the_title_states_window_area_and_columns(sheet):
    title = next(s.value for s in sheet.subheader if s.value.startswith("Patrol sheet"))
    assert "High Street ward (town centre)" in title
    assert "Oct 2025 – Dec 2025" in title and "top 20 locations" in title
    assert "Violence & sexual, Shoplifting and Serious violence (priority)" in title
    assert "Jul 2025 – Sep 2025" in texts(sheet)  # the change's months


def test_the_csv_is_named_by_columns_area_and_window(sheet):
    button = next(d for d in sheet.get("download_button") if d.proto.label == "Download this sheet (CSV)")
    # page_columns_area_window.csv (AppTest has no page URL, so the page part is not checked here)
    assert "_violence-sexual-shoplifting-serious-violence_high-street-ward_2025-10-to-2025-12.csv" in button.proto.help


def test_a_priority_column_says_which_crime_types_it_counts(sheet, full_store):
    (types,), = sql(full_store, "select list(crime_type order by crime_type) from priority_crime_types "
                                "where priority_id = 'serious_violence_organised_crime' and role = 'measure'")
    assert f"Serious violence (priority) counts {', '.join(types)}." in texts(sheet)


def test_same_named_points_are_distinct_on_the_sheet(sheet):
    shown = shown_table(sheet)
    assert shown["Place (on or near)"].duplicated().any(), "the town centre has same-named snap points"
    assert "Ward" not in shown.columns  # one ward: the title names it
    assert not shown[["Place (on or near)", "Nearest named place", "Grid ref"]].duplicated().any()
    assert shown["Grid ref"].str.fullmatch(r"TQ\s(\d{4}\s\d{4}|\d{5}\s\d{5})").all()


def test_every_snap_point_in_the_borough_is_told_apart(full_store):
    """The identifying columns are unique for every snap point with records in a year, borough-wide."""
    import duckdb

    import queries
    from dashboard import patrol_view as pv

    con = duckdb.connect(str(full_store), read_only=True)
    try:
        cols = [pv.Column("type:all", "All", tuple(t for (t,) in con.execute(
            "select crime_type from crime_categories where is_current").fetchall()))]
        months = [pd.Timestamp(f"2025-{m:02d}-01").date() for m in range(1, 13)]
        args = dict(months=months, comparison_months=[], ward_set="2024", area_type="borough", area_code="")
        totals = queries.run_df(con.cursor(), "patrol_locations", **args, column_types=list(cols[0].crime_types))
        by_col = queries.run_df(con.cursor(), "patrol_location_columns", **args, **pv.column_args(cols))
        named = pv.named_points(queries.run_df(con.cursor(), "snap_point_names"))
    finally:
        con.close()
    table = pv.patrol_table(totals, by_col, cols, 12, named, top_n=None)
    assert len(table) > 1500
    assert (table["place"] == "Shopping Area").sum() > 5 and (table["place"] == "Parking Area").sum() > 20
    key = table[["place", "ward", "nearest_named", "grid_ref"]]
    assert not key.duplicated().any(), table[key.duplicated(keep=False)].head()


def test_print_view_shows_the_same_rows_as_a_static_table(full_store, sheet):
    at = open_page(PAGE, full_store, {"area": f"ward:{HIGH_STREET}", "cols": COLS, "top": "20", "view": "print"})
    assert not at.exception
    printed = shown_tables(at, "tbl_patrol_print")[0]
    screen = shown_table(sheet)
    assert printed["Total"].map(as_number).tolist() == screen["Total"].tolist()
    assert printed["Grid ref"].tolist() == screen["Grid ref"].tolist()
    assert not [m for m in at.multiselect if m.label.startswith("Columns")]  # no controls on the print view


def test_the_town_centre_button_sets_the_area(full_store):
    at = open_page(PAGE, full_store)
    assert "Maidstone borough" in next(s.value for s in at.subheader if s.value.startswith("Patrol sheet"))
    next(b for b in at.button if b.label.startswith("Town centre")).click()
    rerun(at, full_store)
    assert not at.exception
    assert "High Street ward (town centre)" in next(s.value for s in at.subheader if s.value.startswith("Patrol"))


def test_hostile_parameters_are_refused_without_echo(full_store):
    at = open_page(PAGE, full_store, {"cols": "[Sign in](https://evil.example)", "top": "<b>99</b>",
                                      "recent": "x" * 500, "view": "![x](https://evil.example/x.png)"})
    assert not at.exception
    shown = texts(at)
    assert "evil.example" not in shown and "<b>" not in shown
    assert len([w for w in at.warning if "Ignored" in w.value]) >= 4
    assert "top 15 locations" in shown and "Violence & sexual, Shoplifting and ASB" in shown  # the defaults


def test_a_postcode_from_find_my_area_gives_the_points_within_the_radius(full_store):
    """find=postcode:ME14 1PS&radius=250 (Find my area's URL form): the snap points within 250 m of the postcode's
    OS grid point (Code-Point Open, not the store) and their totals, by SQL and pyproj."""
    import csv

    from pyproj import Transformer

    from smp_data.settings import postcodes_dir

    with open(postcodes_dir() / "codepoint_open_2025.4_maidstone.csv", newline="") as fh:
        e0, n0 = next((float(r[2]), float(r[3])) for r in csv.reader(fh) if r[0] == "ME14 1PS")
    types = ("Violence and sexual offences", "Shoplifting", "Anti-social behaviour")
    rows = sql(full_store, f"""
        select longitude, latitude, count(*) filter (where month in ({_in(WINDOW)})) as total
        from crime_records where district = 'Maidstone' and longitude is not null and crime_type in ({_in(types)})
        group by location, longitude, latitude having total > 0""")
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    near = sorted((t for lon, lat, t in rows if math.dist(to_bng.transform(lon, lat), (e0, n0)) <= 250), reverse=True)
    at = open_page(PAGE, full_store, {"find": "postcode:ME14 1PS", "radius": "250", "top": "20"})
    assert not at.exception
    shown = shown_table(at)
    assert shown["Total"].tolist() == near[:20]
    assert "within 250 m of ME14 1PS" in next(s.value for s in at.subheader if s.value.startswith("Patrol sheet"))


def test_a_find_that_is_not_a_point_falls_back_to_the_sidebar_area(full_store):
    at = open_page(PAGE, full_store, {"find": "postcode:ZZ99 9ZZ", "area": f"ward:{HIGH_STREET}"})
    assert not at.exception
    assert any("not a postcode or street" in w.value for w in at.warning)
    assert "High Street ward (town centre)" in next(s.value for s in at.subheader if s.value.startswith("Patrol"))


def test_the_map_is_a_light_vega_chart_numbered_as_the_table(sheet):
    """The map is drawn with Vega-Lite (the page never loads Plotly's bundle) and carries one numbered
    circle per row of the table, coloured as its REPEAT flag says."""
    from dashboard.theme import OTHER_PLACE_COLOUR, REPEAT_COLOUR
    from tests.apptest_helpers import vega_charts

    assert not sheet.get("plotly_chart")
    (spec, data), = vega_charts(sheet)
    numbers = next(layer for layer in spec["layer"] if layer.get("name") == "numbers")
    points = data[numbers["data"]["name"]].sort_values("rank")
    shown = shown_table(sheet)
    assert points["rank"].tolist() == shown["No."].tolist()
    assert points["Place"].tolist() == shown["Place (on or near)"].tolist()
    repeat = shown["Repeat"].astype(str).str.startswith("REPEAT").tolist()
    assert points["colour"].tolist() == [REPEAT_COLOUR if r else OTHER_PLACE_COLOUR for r in repeat]

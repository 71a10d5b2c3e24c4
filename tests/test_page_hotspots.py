"""AppTest: the Hotspots page on the full store; expected numbers come from direct SQL."""

import json

import pandas as pd
import pytest

from dashboard.vega import leaf_layers
from tests.apptest_helpers import open_page, read_numbers, rerun, shown_tables, sql, texts, vega_charts

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:Numba not installed")]

PAGE = "pages/hotspots.py"
# The default period is Jan-Dec 2025 compared with the same months a year earlier. Its last 3 months with
# data are Oct-Dec 2025; Oct-Dec 2024 has no data, so the page compares with the previous 3 months with
# data, Jul-Sep 2025 (worked out by hand from the months the archive holds).
OCT_DEC_2025 = ("2025-10-01", "2025-11-01", "2025-12-01")
JUL_SEP_2025 = ("2025-07-01", "2025-08-01", "2025-09-01")
ASB_TYPES = "crime_type in (select crime_type from priority_crime_types where priority_id = 'asb' and role = 'measure')"


def _in(months) -> str:
    return ", ".join(f"date '{m}'" for m in months)


def sql_locations(store, months, comparison, where="true"):
    """Records per snap point, straight from the records view (the page uses the top_locations query)."""
    return sql(store, f"""
        select coalesce(nullif(trim(replace(location, 'On or near', '')), ''), '(unnamed location)') as place,
               count(*) filter (where month in ({_in(months)})) as records,
               count(*) filter (where month in ({_in(comparison)})) as comparison,
               count(distinct month) filter (where month in ({_in(months)})) as months
        from crime_records
        where district = 'Maidstone' and longitude is not null and {where}
        group by location, longitude, latitude
        having count(*) filter (where month in ({_in(months)})) > 0
        order by records desc, place
    """)


def sql_total(store, months, where="true") -> int:
    return sql(store, f"select count(*) from crime_records where district = 'Maidstone' "
                      f"and month in ({_in(months)}) and {where}")[0][0]


def table_with(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def top_lsoas_table(at):
    """The compact top-10 table (a static table: its LSOA column carries the code in brackets), with its
    month-labelled columns read back as Records / Comparison / Rate."""
    return _generic(read_numbers(shown_tables(at, "tbl_hs_top_lsoas")[0]))


def _generic(table):
    """'Records, <window>' -> Records, 'Records, <comparison>' -> Comparison, 'Per 1,000 residents, ...' -> rate."""
    counts = [c for c in table.columns if str(c).startswith("Records, ")]
    names = dict(zip(counts, ["Records", "Comparison"]))
    names.update({c: "Rate per 1,000 residents" for c in table.columns if str(c).startswith("Per 1,000 residents, ")})
    return table.rename(columns=names)


def locations_table(at):
    return _generic(read_numbers(shown_tables(at, "tbl_hs_top_locations")[0]))


def gi_table(at):
    return table_with(at, "Hot/cold spot")


def assert_top_locations_match(at, expected, n_months):
    shown = locations_table(at)
    assert len(shown) == 15
    assert shown["Records"].tolist() == [r[1] for r in expected[:15]]
    cutoff = expected[14][1]  # rows tied at the cut-off may be listed in either order
    above = {(p, r, c, f"{m} of {n_months}") for p, r, c, m in expected if r > cutoff}
    rows = shown[shown["Records"] > cutoff]
    assert {tuple(x) for x in rows[["Place (on or near)", "Records", "Comparison", "Months"]].values} == above


@pytest.fixture(scope="module")
def default_page(full_store):
    return open_page(PAGE, full_store)


@pytest.fixture(scope="module")
def gi_page(full_store):
    return open_page(PAGE, full_store, {"map": "gi"})


def test_renders_maps_tables_and_explains_the_window(default_page, full_store):
    at = default_page
    assert not at.exception
    shown = texts(at)
    assert "**Oct 2025 – Dec 2025**" in shown
    assert "previous 3 months with data (Jul 2025 – Sep 2025)" in shown
    assert "Oct 2024 – Dec 2024 have no police.uk data" in shown
    assert "Filters in use" in shown and "SMP priority: none" in shown
    assert [s.value for s in at.main.subheader] == ["Top LSOAs", 'Top "on or near" locations']
    assert [t.label for t in at.tabs] == ["Where records concentrate", "Hot and cold spots", "Emerging hot spots"]
    maps = vega_charts(at)
    assert len(maps) == 2  # only the open tab's map is built and sent (as wide as the page, and a phone copy)
    assert maps[0][0]["layer"] == maps[1][0]["layer"] and maps[0][0]["height"] > maps[1][0]["height"]
    spec, data = maps[0]
    marks = [(layer["name"], layer["mark"]["type"]) for layer in leaf_layers(spec)]
    assert marks == [("areas", "geoshape"), ("hexagons", "geoshape")]
    assert leaf_layers(spec)[0]["data"]["format"] == {"type": "topojson", "feature": "areas"}
    assert len(json.dumps(spec)) + sum(len(d.to_csv()) for d in data.values()) < 150_000  # ~110 kB a copy
    (hexes,) = data.values()
    assert hexes["records"].sum() == sql_total(
        full_store, OCT_DEC_2025, "longitude is not null")  # every placed record is in one hexagon
    (x0, y0), (x1, y1) = spec["projection"]["fit"]["geometry"]["coordinates"]
    assert x0 < 0.45 and x1 > 0.75 and y0 < 51.15 and y1 > 51.33  # the whole borough, no web map underneath
    assert "tiles" not in json.dumps(spec)
    assert "Hexagons: records" in shown and "LSOA shading: records" in shown  # legends
    assert at.selectbox(key="hs_recent").value == 3


def test_top_locations_and_totals_equal_direct_sql_for_the_default_window(default_page, full_store):
    at = default_page
    expected = sql_locations(full_store, OCT_DEC_2025, JUL_SEP_2025)
    assert_top_locations_match(at, expected, 3)
    n_repeat = sum(1 for row in expected if row[3] == 3)  # N = 3: records in all 3 months
    shown = texts(at)
    assert f"**{n_repeat:,} REPEAT locations** among {len(expected):,} locations" in shown
    assert "at least ⌈N/2⌉+1 of the N months" in shown and "here, at least 3 of 3 months" in shown
    assert f"**{sql_total(full_store, OCT_DEC_2025):,} records** in the window" in shown
    repeat = locations_table(at)
    assert (repeat["Repeat"] == "REPEAT").tolist() == (repeat["Months"] == "3 of 3").tolist()


def test_top_lsoas_equal_direct_sql(default_page, full_store):
    expected = sql(full_store, f"""
        select l.lsoa21_code, count(r.month) filter (where r.month in ({_in(OCT_DEC_2025)})) as records,
               count(r.month) filter (where r.month in ({_in(JUL_SEP_2025)})) as comparison, l.population
        from lsoas as l left join crime_records as r on r.lsoa21_code = l.lsoa21_code
        group by l.lsoa21_code, l.population order by records desc, l.lsoa21_code limit 10""")
    shown = top_lsoas_table(default_page)
    assert len(shown) == 10
    assert shown["Records"].tolist() == [r[1] for r in expected]
    assert shown["Comparison"].tolist() == [r[2] for r in expected]
    assert shown["LSOA"].str.extract(r"\((E\d+)\)")[0].tolist() == [r[0] for r in expected]
    assert shown["Rate per 1,000 residents"].tolist() == [round(1000 * r[1] / r[3], 1) for r in expected]


def test_gi_table_lists_all_99_lsoas_with_sql_counts_and_a_confidence_statement(gi_page, full_store):
    at = gi_page
    assert not at.exception
    maps = vega_charts(at)
    assert len(maps) == 2 and [layer["name"] for layer in leaf_layers(maps[0][0])] == ["areas"]  # no hexagons
    table = gi_table(at)
    assert len(table) == 99 and table["LSOA code"].is_unique
    counts = dict(sql(full_store, f"""
        select l.lsoa21_code, count(r.month) from lsoas as l
        left join crime_records as r on r.lsoa21_code = l.lsoa21_code and r.month in ({_in(OCT_DEC_2025)})
        group by l.lsoa21_code"""))
    assert dict(zip(table["LSOA code"], table["Records"])) == counts
    classes = {"Hot spot 99% confidence", "Hot spot 95% confidence", "Hot spot 90% confidence", "Not significant",
               "Cold spot 90% confidence", "Cold spot 95% confidence", "Cold spot 99% confidence"}
    assert set(table["Hot/cold spot"]) <= classes
    # the town-centre LSOA with most records (SA para 35's focus area, split in 2021) is a 99% hot spot
    top = max(counts, key=counts.get)
    assert table.set_index("LSOA code").loc[top, "Hot/cold spot"] == "Hot spot 99% confidence"
    shown = texts(at)
    assert "**not corrected for multiple testing**" in shown
    assert "(99%, 95%, 90%)" in shown and "999 random rearrangements" in shown and "fixed seed" in shown


def test_recent_1_changes_the_window_and_the_numbers_to_sql_values(full_store):
    at = open_page(PAGE, full_store, {"recent": "1"})
    assert not at.exception
    shown = texts(at)
    assert "**Dec 2025**" in shown and "previous 1 month with data (Nov 2025)" in shown
    expected = sql_locations(full_store, ("2025-12-01",), ("2025-11-01",))
    assert_top_locations_match(at, expected, 1)
    assert f"**{sql_total(full_store, ('2025-12-01',)):,} records** in the window" in shown
    assert "here, at least 1 of 1 month." in shown
    assert at.selectbox(key="hs_recent").value == 1


def test_the_window_widget_changes_the_numbers_and_the_url(full_store):
    at = open_page(PAGE, full_store)
    at.selectbox(key="hs_recent").set_value(6)
    rerun(at, full_store)
    assert not at.exception
    months = tuple(f"2025-{m:02d}-01" for m in range(7, 13))
    previous = tuple(f"2025-{m:02d}-01" for m in range(1, 7))
    assert_top_locations_match(at, sql_locations(full_store, months, previous), 6)
    assert at.query_params["recent"] in ("6", ["6"])
    assert "here, at least 4 of 6 months" in texts(at)


@pytest.mark.parametrize("bad", ["abc", "99"])
def test_nonsense_recent_is_explained_and_the_default_window_used(full_store, bad):
    at = open_page(PAGE, full_store, {"recent": bad})
    assert not at.exception
    assert f"Ignored URL parameter recent='{bad}'" in "\n".join(w.value for w in at.warning)
    assert "**Oct 2025 – Dec 2025**" in texts(at)
    assert locations_table(at)["Records"].tolist()[:5] == [
        r[1] for r in sql_locations(full_store, OCT_DEC_2025, JUL_SEP_2025)[:5]]


def test_priority_filter_from_the_url_changes_counts_to_sql_values(full_store, default_page):
    at = open_page(PAGE, full_store, {"priority": "asb"})
    assert not at.exception
    expected = sql_locations(full_store, OCT_DEC_2025, JUL_SEP_2025, ASB_TYPES)
    assert_top_locations_match(at, expected, 3)
    total = sql_total(full_store, OCT_DEC_2025, ASB_TYPES)
    assert f"**{total:,} records** in the window" in texts(at)
    assert total < sql_total(full_store, OCT_DEC_2025)
    assert locations_table(at)["Records"].tolist() != locations_table(default_page)["Records"].tolist()
    assert "SMP priority: **" in texts(at)


def test_rate_measure_ranks_lsoas_by_rate(full_store):
    at = open_page(PAGE, full_store, {"measure": "rate", "map": "gi"})
    assert not at.exception
    (code, rate), = sql(full_store, f"""
        select l.lsoa21_code, round(1000.0 * count(r.month) / l.population, 1) as rate from lsoas as l
        left join crime_records as r on r.lsoa21_code = l.lsoa21_code and r.month in ({_in(OCT_DEC_2025)})
        group by l.lsoa21_code, l.population order by rate desc limit 1""")
    top = top_lsoas_table(at).iloc[0]
    assert top["LSOA"].endswith(f"({code})") and top["Rate per 1,000 residents"] == rate
    assert "Rate per 1,000 residents" in gi_table(at).columns


def test_an_lsoa_area_keeps_gi_borough_wide_and_highlights_the_lsoa(full_store):
    at = open_page(PAGE, full_store, {"area": "lsoa:E01034991", "map": "gi"})
    assert not at.exception
    assert "needs the whole borough" in "\n".join(i.value for i in at.info)
    table = gi_table(at)
    assert len(table) == 99
    assert table.loc[table["In selected area"] == "yes", "LSOA code"].tolist() == ["E01034991"]
    density = open_page(PAGE, full_store, {"area": "lsoa:E01034991"})
    spec, _ = vega_charts(density)[0]
    (x0, y0), (x1, y1) = spec["projection"]["fit"]["geometry"]["coordinates"]
    assert x1 - x0 < 0.05 and y1 - y0 < 0.05  # fitted to the LSOA and its records, not the whole borough
    assert [layer["name"] for layer in leaf_layers(spec)] == ["areas", "hexagons", "selected"]  # outlined


def test_fewer_months_with_data_than_asked_for_is_explained(full_store):
    at = open_page(PAGE, full_store, {"from": "2024-01", "to": "2024-04", "recent": "6"})
    assert not at.exception
    shown = texts(at)
    assert "**Jan 2024 – Apr 2024**" in shown and "You asked for 6 months but only 4 months" in shown
    assert "previous 4 months with data (Aug 2022 – Nov 2022)" in shown
    assert "here, at least 3 of 4 months" in shown


def test_a_period_inside_the_gap_shows_a_message(full_store):
    at = open_page(PAGE, full_store, {"from": "2023-02", "to": "2023-10"})
    assert not at.exception
    assert "No month of Feb 2023 – Oct 2023 has police.uk data" in texts(at)
    assert "Choose a period that has police.uk data" in "\n".join(i.value for i in at.info)
    assert not at.get("vega_lite_chart") and not at.dataframe and not shown_tables(at)


def test_no_records_in_the_window_shows_a_message(full_store):
    (code,), = sql(full_store, """
        select l.lsoa21_code from lsoas as l where not exists (
            select 1 from crime_records as r where r.lsoa21_code = l.lsoa21_code
            and r.month = date '2025-12-01' and r.crime_type = 'Bicycle theft')
        order by l.lsoa21_code limit 1""")
    at = open_page(PAGE, full_store, {"area": f"lsoa:{code}", "type": "Bicycle theft", "recent": "1"})
    assert not at.exception
    assert "No records match these filters in Dec 2025" in "\n".join(i.value for i in at.info)
    assert not at.get("vega_lite_chart")


def test_emerging_hot_spots_tab_classifies_every_lsoa_from_sql_monthly_counts(full_store):
    """The tab opened by its link: 12 months with data (Jan-Dec 2025), every LSOA classified; the persistent
    hot spots are hot in every month; the classes recomputed here from SQL counts agree."""
    from analytics.emerging import emerging_hot_spots
    from dashboard.hotspots_view import lsoa_weights

    at = open_page(PAGE, full_store, {"map": "emerging"})
    assert not at.exception
    shown = texts(at)
    assert "Each of the 12 months with data (Jan 2025 – Dec 2025)" in shown and "gaps, not zeros" in shown
    assert len(at.get("vega_lite_chart")) == 2
    table = table_with(at, "Pattern")
    months = [f"2025-{m:02d}-01" for m in range(1, 13)]
    rows = sql(full_store, f"""
        select l.lsoa21_code, r.month, count(r.month) from lsoas as l
        left join crime_records as r on r.lsoa21_code = l.lsoa21_code and r.month in ({_in(months)})
        group by all""")
    counts = (pd.DataFrame(rows, columns=["code", "month", "n"]).dropna()
              .pivot_table(index="code", columns="month", values="n", aggfunc="sum"))
    w = lsoa_weights()
    counts = counts.reindex(index=w.id_order).fillna(0)
    expected = emerging_hot_spots(counts, w).set_index("area_id")
    flagged = expected[expected["category"] != "No emerging pattern"]
    assert dict(zip(table["LSOA code"], table["Pattern"])) == flagged["category"].to_dict()
    assert all(table.loc[table["Pattern"] == "Persistent hot spot", "Hot spot in"] == "12 of 12 months")
    assert table["What it means"].str.contains("95% confidence").all()


def test_table_headings_say_the_window_and_comparison_months(default_page):
    raw = shown_tables(default_page, "tbl_hs_top_locations")[0]
    assert {"Records, Oct–Dec 2025", "Records, Jul–Sep 2025", "Change"} <= set(raw.columns)
    assert "Records" not in raw.columns and "Comparison" not in raw.columns
    lsoas = shown_tables(default_page, "tbl_hs_top_lsoas")[0]
    assert "Per 1,000 residents, Oct–Dec 2025" in lsoas.columns
    assert "Records, Oct–Dec 2025" in lsoas.columns and "Records, Jul–Sep 2025" in lsoas.columns


def test_top_lsoas_show_the_2011_code_older_reports_use(default_page, full_store):
    table = top_lsoas_table(default_page)
    codes = table["LSOA"].str.extract(r"\((E\d+)\)")[0]
    old = dict(zip(codes, table["2011 code (older reports)"]))
    lookup = sql(full_store, "select lsoa21_code, lsoa11_code, change from lsoa_2011_to_2021")
    for new, code11, change in lookup:
        if new in old:
            assert code11 in old[new] and (change != "S" or old[new] == f"{code11} (split)")
    # the Strategic Assessment's para 35 LSOA, E01033090, is split into two 2021 LSOAs in the town centre
    assert "E01033090 (split)" in set(old.values())


def test_the_phone_list_of_top_locations_keeps_records_and_the_ward(default_page):
    """On a phone the top locations keep their records and their ward, which tells same-named snap points apart
    ("Parking Area" in Shepway and in High Street), in the same rows as the full table."""
    (phone,) = shown_tables(default_page, "tbln_hs_top_locations")
    (full,) = shown_tables(default_page, "tbl_hs_top_locations")
    assert list(phone.columns) == ["Place (on or near)", "Records, Oct–Dec 2025", "Ward"]
    assert phone.values.tolist() == full[list(phone.columns)].values.tolist()
    assert len(full) > len(set(full["Place (on or near)"]))  # same-named places are listed: the ward is needed

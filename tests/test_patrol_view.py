"""dashboard.patrol_view: the patrol sheet's table shaping on hand-made rows, its parameters, title, CSV name
and map."""


import pandas as pd
import pytest

from dashboard import patrol_view as pv

VIOLENCE = pv.Column("type:Violence and sexual offences", "Violence & sexual", ("Violence and sexual offences",))
SHOP = pv.Column("type:Shoplifting", "Shoplifting", ("Shoplifting",))
SERIOUS = pv.Column("priority:sv", "Serious violence (priority)", ("Robbery", "Violence and sexual offences"))

# three snap points; two share the name "Shopping Area"
TOTALS = pd.DataFrame({
    "location": ["On or near Shopping Area", "On or near Shopping Area", "On or near Week Street", "On or near Gone"],
    "longitude": [0.5231, 0.5190, 0.5220, 0.5300],
    "latitude": [51.2751, 51.2750, 51.2740, 51.2700],
    "ward_name": ["High Street", "High Street", "High Street", "High Street"],
    "lsoa21_code": ["E1", "E2", "E1", "E3"],
    "records": [9, 9, 12, 0],  # 'Gone' had records only in the comparison months
    "records_comparison": [4, 10, 12, 5],
    "months_with_records": [3, 1, 2, 0],
})
BY_COLUMN = pd.DataFrame({
    "location": ["On or near Shopping Area"] * 2 + ["On or near Shopping Area"] + ["On or near Week Street"] * 3,
    "longitude": [0.5231, 0.5231, 0.5190, 0.5220, 0.5220, 0.5220],
    "latitude": [51.2751, 51.2751, 51.2750, 51.2740, 51.2740, 51.2740],
    "column_name": ["Violence & sexual", "Shoplifting", "Shoplifting", "Violence & sexual", "Shoplifting",
                    "Serious violence (priority)"],
    "records": [4, 5, 9, 7, 5, 8],
    "records_comparison": [1, 3, 10, 6, 6, 7],
})
NAMED = pd.DataFrame({"place": ["Week Street", "Earl Street"], "longitude": [0.5220, 0.5185],
                      "latitude": [51.2740, 51.2752]})


@pytest.fixture(scope="module")
def named():
    from analytics.places import to_bng

    e, n = to_bng(NAMED["longitude"], NAMED["latitude"])
    return NAMED.assign(easting=e, northing=n)


@pytest.fixture(scope="module")
def table(named):
    return pv.patrol_table(TOTALS, BY_COLUMN, [VIOLENCE, SHOP, SERIOUS], 3, named, top_n=None)


def test_rows_are_ranked_by_total_and_carry_every_column(table):
    assert table["place"].tolist() == ["Week Street", "Shopping Area", "Shopping Area"]  # 'Gone' has no records
    assert table["rank"].tolist() == [1, 2, 3]
    week = table.iloc[0]
    assert (week["Violence & sexual"], week["Shoplifting"], week["Serious violence (priority)"]) == (7, 5, 8)
    assert week["records"] == 12  # each record once: its violence records are also serious-violence records
    assert table["change"].tolist() == [0, -1, 5]  # the tied Shopping Areas: western one first (grid ref)


def test_same_named_points_are_told_apart(table):
    shops = table[table["place"] == "Shopping Area"]
    assert shops["grid_ref"].nunique() == 2
    assert set(shops["nearest_named"]) == {"Week Street", "Earl Street"}
    assert all(g.startswith("TQ ") and len(g) == len("TQ 7608 5591") for g in table["grid_ref"])


def test_ties_are_broken_by_grid_reference(table):
    shops = table[table["place"] == "Shopping Area"]
    assert shops["grid_ref"].tolist() == sorted(shops["grid_ref"])


def test_repeat_flag_follows_the_stated_rule(table):
    # window of 3 months: REPEAT = records in all 3 (repeat_threshold(3) == 3)
    assert table["is_repeat"].tolist() == [False, False, True]


def test_top_n_cuts_after_ranking(named):
    top = pv.patrol_table(TOTALS, BY_COLUMN, [VIOLENCE, SHOP], 3, named, top_n=1)
    assert top["place"].tolist() == ["Week Street"]


def test_display_and_csv_tables(table):
    shown = pv.display_table(table, [VIOLENCE, SHOP, SERIOUS], 3, can_compare=True)
    assert list(shown.columns) == ["No.", "Place (on or near)", "Total", "Violence & sexual", "Shoplifting",
                                   "Serious violence (priority)", "Change", "Months", "Repeat", "Nearest named place",
                                   "Grid ref", "Ward"]
    assert shown["Months"].tolist() == ["2 of 3", "1 of 3", "3 of 3"]
    assert "Change" not in pv.display_table(table, [VIOLENCE], 3, can_compare=False).columns
    assert "Ward" not in pv.display_table(table, [VIOLENCE], 3, can_compare=True, one_ward=True).columns
    assert shown["Grid ref"].str.contains("\u00a0").all()  # never broken across lines
    csv = pv.csv_table(table, [VIOLENCE, SHOP, SERIOUS], can_compare=True)
    assert {"easting", "northing", "longitude", "latitude", "total_comparison", "nearest_named_metres"} <= set(csv)


def test_column_options_and_args():
    prios = pd.DataFrame({"priority_id": ["asb", "safe_town_centre"], "name": ["Tackling ASB", "Safe town"],
                          "measure_types": [["Anti-social behaviour"], ["Shoplifting", "Drugs"]],
                          "area_rule": ["", "ward:High Street"]})
    opts = pv.column_options(["Shoplifting", "Anti-social behaviour"], prios, {"asb": "ASB"})
    assert list(opts) == ["type:Anti-social behaviour", "type:Shoplifting", "priority:asb"]
    assert opts["priority:asb"].label == "ASB (priority)"
    assert pv.column_args([SHOP, SERIOUS]) == {
        "column_names": ["Shoplifting", "Serious violence (priority)", "Serious violence (priority)"],
        "column_types": ["Shoplifting", "Robbery", "Violence and sexual offences"]}


@pytest.mark.parametrize("raw", ["type:Shoplifting,[x](https://evil.example)", "<script>", "a" * 5000])
def test_refused_columns_are_counted_not_echoed(raw):
    opts = {"type:Shoplifting": SHOP}
    keys, note = pv.parse_columns(raw, opts, ("type:Shoplifting",))
    assert keys == ("type:Shoplifting",)
    assert note and "evil" not in note and "<" not in note and len(note) < 120


def test_too_many_columns_are_cut_to_what_prints():
    opts = {f"type:{i}": None for i in range(6)}
    keys, note = pv.parse_columns(",".join(opts), opts, ())
    assert len(keys) == pv.MAX_COLUMNS and "first 4" in note


def test_title_and_file_name_say_window_area_and_columns():  # the area and months: tests/test_page_patrol.py
    title = pv.sheet_title("High Street ward (town centre)", "Oct 2025 – Dec 2025", [VIOLENCE, SHOP], 15)
    assert title == ("Patrol sheet: High Street ward (town centre) · Oct 2025 – Dec 2025 · top 15 locations for "
                     "Violence & sexual and Shoplifting")
    assert pv.csv_view_name([VIOLENCE, SHOP, SERIOUS]) == "violence-sexual_shoplifting_serious-violence.csv"


def test_map_numbers_match_the_table(table):
    geo = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "W1"}, "geometry": {
        "type": "Polygon", "coordinates": [[[0.51, 51.27], [0.53, 51.27], [0.53, 51.28], [0.51, 51.27]]]}}]}
    fig = pv.patrol_map_figure(table, geo, ["W1"])
    points = [t for t in fig.data if t.mode == "markers+text"]
    labels = sorted(int(x) for t in points for x in t.text)
    assert labels == table["rank"].tolist()
    repeat = next(t for t in points if t.name == "REPEAT location")
    assert list(repeat.text) == ["3"]
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio > 1.5  # true proportions at 51°N


def test_same_named_points_within_10_m_get_a_10_figure_grid_reference(named):
    """police.uk sometimes has two snap points of one name a few metres apart (Peter Pease Close)."""
    totals = pd.DataFrame({"location": ["On or near Peter Pease Close"] * 2, "longitude": [0.629049, 0.628993],
                           "latitude": [51.229948, 51.229976], "ward_name": ["Harrietsham"] * 2,
                           "lsoa21_code": ["E1"] * 2, "records": [4, 11], "records_comparison": [0, 0],
                           "months_with_records": [1, 3]})
    by_col = totals[["location", "longitude", "latitude"]].assign(column_name="Shoplifting", records=[4, 11],
                                                                   records_comparison=0)
    out = pv.patrol_table(totals, by_col, [SHOP], 3, named, top_n=None)
    assert out["grid_ref"].nunique() == 2
    assert all(len(g.split()[1]) == 5 for g in out["grid_ref"])

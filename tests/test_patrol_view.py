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


def _layers(fig) -> dict:
    """The map's drawn layers: {name: (mark, rows)} (rows inline or from the spec's datasets, after the
    layer's filter on ``moved``)."""
    from dashboard.vega import leaf_layers

    spec = fig.spec()
    out = {}
    for i, layer in enumerate(leaf_layers(spec)):
        mark = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        rows = layer["data"]["values"] if "values" in layer["data"] else spec["datasets"][layer["data"]["name"]]
        if any(t.get("filter") == "datum.moved" for t in layer.get("transform", [])):
            rows = [r for r in rows if r["moved"]]
        out[layer.get("name") or f"{mark}_{i}"] = (mark, rows)
    return out


def test_map_numbers_match_the_table(table):
    from dashboard.theme import OTHER_PLACE_COLOUR, OUTLINE, REPEAT_COLOUR

    geo = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "W1"}, "geometry": {
        "type": "Polygon", "coordinates": [[[0.51, 51.27], [0.53, 51.27], [0.53, 51.28], [0.51, 51.27]]]}}]}
    fig = pv.patrol_map_figure(table, geo, ["W1"])
    layers = _layers(fig)
    mark, rows = layers["numbers"]
    assert mark == "point" and sorted(r["rank"] for r in rows) == table["rank"].tolist()
    colour = {r["rank"]: r["colour"] for r in rows}
    repeat = set(table.loc[table["is_repeat"], "rank"])
    assert repeat == {3} and colour == {1: OTHER_PLACE_COLOUR, 2: OTHER_PLACE_COLOUR, 3: REPEAT_COLOUR}
    text = [rows for name, (m, rows) in layers.items() if m == "text"]
    assert [sorted(r["rank"] for r in t) for t in text] == [[1, 2, 3]]  # one number per circle
    # the area's ward drawn as a darker outline (a line, never a filled polygon), in true proportions
    mark, wards = layers["wards_mine"]
    assert mark == "geoshape" and [w["properties"]["code"] for w in wards] == ["W1"]
    assert {w["geometry"]["type"] for w in wards} == {"MultiLineString"}
    assert fig.spec()["layer"][0]["mark"]["filled"] is False and fig.spec()["layer"][0]["mark"]["stroke"] == OUTLINE
    assert fig.spec()["projection"]["type"] == "mercator"
    (x0, x1, y0, y1) = fig.meta["extent"]
    assert fig.spec()["projection"]["fit"]["geometry"]["coordinates"] == [[x0, y0], [x1, y1]]
    assert all(x0 <= v <= x1 for v in table["longitude"]) and all(y0 <= v <= y1 for v in table["latitude"])


def _crowded_sheet() -> pd.DataFrame:
    """Seven locations 0-12 m apart in the town centre (their numbers would cover each other at any map
    scale that also shows the eighth, 2 km away) and that eighth."""
    lon = [0.5220, 0.52205, 0.5221, 0.52203, 0.52208, 0.5220, 0.52212, 0.5480]
    lat = [51.2730, 51.2730, 51.27305, 51.27308, 51.27302, 51.2730, 51.27299, 51.2650]
    n = len(lon)
    return pd.DataFrame({"rank": range(1, n + 1), "longitude": lon, "latitude": lat,
                         "is_repeat": [True, False] * 3 + [True, False], "place": [f"P{i}" for i in range(n)],
                         "records": [9] * n, "grid_ref": ["TQ 1 2"] * n})


@pytest.mark.parametrize(("height", "marker", "width"), [(360, 16, 300), (480, 20, 330)])
def test_map_numbers_never_cover_each_other(height, marker, width):
    """At the narrowest width the map is drawn, no two numbered circles overlap; each moved number is
    joined to a dot at its true point by a line, and a number that had room stays on its point."""
    import math

    import numpy as np

    sheet = _crowded_sheet()
    fig = pv.patrol_map_figure(sheet, {"type": "FeatureCollection", "features": []}, height=height, marker=marker,
                               width_hint=width)
    layers = _layers(fig)
    numbers = sorted(layers["numbers"][1], key=lambda r: r["rank"])
    rank = [r["rank"] for r in numbers]
    x = np.array([r["label_lon"] for r in numbers], float)
    y = np.array([r["label_lat"] for r in numbers], float)
    assert rank == sheet["rank"].tolist()
    # pixels per metre of the drawn map (true proportions, fitted to the extent: the tighter axis decides)
    kx = fig.meta["m_per_deg_lon"]
    assert kx == pytest.approx(111_320 * math.cos(math.radians(sheet["latitude"].mean())))
    x0, x1, y0, y1 = fig.meta["extent"]
    px = min(width / ((x1 - x0) * kx), height / ((y1 - y0) * 111_320))
    gaps = [math.hypot((x[i] - x[j]) * kx, (y[i] - y[j]) * 111_320) * px
            for i in range(len(x)) for j in range(i + 1, len(x))]
    assert min(gaps) >= marker, f"two numbers {min(gaps):.1f} px apart, circles of {marker} px"
    assert all(x0 <= v <= x1 for v in x) and all(y0 <= v <= y1 for v in y)  # every number on the map
    # the far location had room: its number is on its point, with no line
    assert (x[7], y[7]) == (sheet["longitude"][7], sheet["latitude"][7])
    lines = next(rows for mark, rows in layers.values() if mark == "rule")
    starts = {(r["lon"], r["lat"]) for r in lines}
    ends = {(r["label_lon"], r["label_lat"]) for r in lines}
    moved = [i for i in range(len(x)) if (x[i], y[i]) != (sheet["longitude"][i], sheet["latitude"][i])]
    assert len(moved) >= 5
    assert {(sheet["longitude"][i], sheet["latitude"][i]) for i in moved} <= starts
    assert {(x[i], y[i]) for i in moved} <= ends
    dots = {(r["lon"], r["lat"]) for name, (mark, rows) in layers.items() if mark == "point" and name != "numbers"
            for r in rows}
    assert {(sheet["longitude"][i], sheet["latitude"][i]) for i in moved} <= dots


def test_spread_labels_moves_only_overlapping_labels_and_is_deterministic():
    import numpy as np

    x = np.array([0.0, 0.0, 0.0, 3.0, 500.0])
    y = np.array([0.0, 0.0, 0.0, 0.0, 500.0])
    a = pv.spread_labels(x, y, 20.0)
    b = pv.spread_labels(x, y, 20.0)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    lx, ly = a
    d = np.hypot(lx[:, None] - lx[None, :], ly[:, None] - ly[None, :]) + np.eye(5) * 1e9
    assert d.min() >= 20.0
    assert (lx[4], ly[4]) == (500.0, 500.0)
    assert np.hypot(lx[:4] - x[:4], ly[:4] - y[:4]).max() < 40  # moved about a label's width, not across the map


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

"""dashboard.hotspots_view: the window, page parameters, map layers, legends and tables (no store)."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from analytics.periods import Period
from dashboard import hotspots_view as hv
from dashboard.filters import FilterContext, Filters

pytestmark = pytest.mark.filterwarnings("ignore:No runtime found", "ignore:Numba not installed")

D = dt.date
# the months the real archive has: 2022-01..11, 2024-01..04, 2025-01..12
PRESENT = ({D(2022, m, 1) for m in range(1, 12)} | {D(2024, m, 1) for m in range(1, 5)}
           | {D(2025, m, 1) for m in range(1, 13)})
YEAR_2025 = Period(D(2025, 1, 1), D(2025, 12, 1))


# --------------------------------------------------------------------------- page parameters
@pytest.mark.parametrize("raw, expected", [
    (None, 3), ("", 3), ("1", 1), ("6", 6), ("12", 12), (" 4 ", 4), (["2", "5"], 5)])
def test_parse_recent_accepts_1_to_12(raw, expected):
    assert hv.parse_recent(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["0", "13", "99", "abc", "-1", "3.5", "1e1", "x" * 500, "６"])
def test_parse_recent_refuses_anything_else_with_a_message(raw):
    n, message = hv.parse_recent(raw)
    assert n == 3
    assert message.startswith("Ignored URL parameter recent=") and "1 to 12" in message
    assert len(message) < 200  # a hostile value is shortened, not echoed in full


@pytest.mark.parametrize("raw, expected", [(None, "records"), ("rate", "rate"), ("RECORDS", "records")])
def test_parse_measure(raw, expected):
    assert hv.parse_measure(raw) == (expected, None)


def test_parse_measure_refuses_unknown_values():
    measure, message = hv.parse_measure("harm")
    assert measure == "records" and "measure='harm'" in message


# --------------------------------------------------------------------------- the window
def test_default_window_falls_back_from_last_year_to_the_previous_months_with_data():
    w = hv.recent_window(YEAR_2025, PRESENT, 3, "last_year")
    assert w.months == (D(2025, 10, 1), D(2025, 11, 1), D(2025, 12, 1))
    assert w.comparison_months == (D(2025, 7, 1), D(2025, 8, 1), D(2025, 9, 1))
    assert w.comparison_kind == "previous"
    assert "Oct 2024 – Dec 2024 have no police.uk data" in w.comparison_note
    assert "previous 3 months with data (Jul 2025 – Sep 2025)" in w.comparison_note


def test_last_year_is_used_when_every_year_earlier_month_has_data():
    w = hv.recent_window(Period(D(2025, 1, 1), D(2025, 4, 1)), PRESENT, 3, "last_year")
    assert w.months == (D(2025, 2, 1), D(2025, 3, 1), D(2025, 4, 1))
    assert w.comparison_months == (D(2024, 2, 1), D(2024, 3, 1), D(2024, 4, 1))
    assert w.comparison_kind == "last_year" and "same months a year earlier" in w.comparison_note


def test_a_partly_missing_year_earlier_is_not_used():
    # Mar-May 2025 a year earlier: Mar, Apr 2024 have data, May 2024 does not
    w = hv.recent_window(Period(D(2025, 3, 1), D(2025, 5, 1)), PRESENT, 3, "last_year")
    assert w.comparison_kind == "previous"
    assert w.comparison_months == (D(2024, 4, 1), D(2025, 1, 1), D(2025, 2, 1))
    assert "only 2 of 3 months" in w.comparison_note


def test_previous_months_with_data_skip_the_gap():
    w = hv.recent_window(Period(D(2025, 1, 1), D(2025, 2, 1)), PRESENT, 2, "previous")
    assert w.comparison_months == (D(2024, 3, 1), D(2024, 4, 1))
    assert w.comparison_note == "Compared with the previous 2 months with data (Mar 2024 – Apr 2024)."


def test_no_comparison_when_the_filter_bar_says_none():
    w = hv.recent_window(YEAR_2025, PRESENT, 3, "none")
    assert w.months and not w.can_compare and "No comparison" in w.comparison_note


def test_no_comparison_when_too_few_months_come_before_the_window():
    w = hv.recent_window(Period(D(2022, 1, 1), D(2022, 2, 1)), PRESENT, 2, "previous")
    assert w.months == (D(2022, 1, 1), D(2022, 2, 1))
    assert not w.can_compare and "only 0 months with data come before" in w.comparison_note


def test_fewer_months_with_data_than_asked_for():
    w = hv.recent_window(Period(D(2024, 1, 1), D(2024, 12, 1)), PRESENT, 6, "previous")
    assert w.months == tuple(D(2024, m, 1) for m in range(1, 5))
    assert w.n == 4 and w.requested == 6
    assert "You asked for 6 months but only 4 months" in w.window_note
    assert w.comparison_months == tuple(D(2022, m, 1) for m in range(8, 12))


def test_a_window_can_span_the_gap_and_says_which_months():
    w = hv.recent_window(Period(D(2022, 1, 1), D(2024, 4, 1)), PRESENT, 6, "previous")
    assert w.label == "Oct 2022 – Nov 2022, Jan 2024 – Apr 2024"


def test_a_period_inside_the_gap_has_no_window():
    w = hv.recent_window(Period(D(2023, 2, 1), D(2023, 10, 1)), PRESENT, 3, "last_year")
    assert not w.has_data and "No month of Feb 2023 – Oct 2023 has police.uk data" in w.window_note


def test_months_text():
    assert hv.months_text([D(2025, 12, 1)]) == "Dec 2025"
    assert hv.months_text([D(2024, 1, 1), D(2022, 11, 1), D(2022, 10, 1)]) == "Oct 2022 – Nov 2022, Jan 2024"


@pytest.mark.parametrize("n, tail", [(1, "at least 1 of 1 month."), (2, "at least 2 of 2 months."),
                                     (4, "at least 3 of 4 months."), (12, "at least 7 of 12 months.")])
def test_repeat_rule_text(n, tail):
    assert hv.repeat_rule_text(n).endswith(tail)


def test_active_filters_text_names_the_active_filters():
    ctx = FilterContext((), frozenset(), {"2024": {"E05015603": "High Street"}}, {}, {}, {}, {})
    f = Filters(D(2025, 1, 1), D(2025, 12, 1), area_type="ward", area_code="E05015603", classes=("ASB",),
                crime_types=("Anti-social behaviour",))
    text = hv.active_filters_text(f, ctx)
    assert "Area: **High Street ward**" in text
    assert "Crime classes: **Anti-social behaviour (ASB)**" in text
    assert "Crime types: **Anti-social behaviour**" in text and "SMP priority: none" in text


# --------------------------------------------------------------------------- map layers
@pytest.fixture()
def points():
    return pd.DataFrame({
        "longitude": [0.5226, 0.5226, 0.5226, 0.5227, 0.70, 0.70],
        "latitude": [51.2727, 51.2727, 51.2727, 51.2728, 51.20, 51.20],
        "location": ["On or near Week Street"] * 3 + ["On or near Earl Street", "On or near ", "On or near "],
    })


def test_snap_points_count_records_per_point(points):
    snaps = hv.snap_points(points)
    assert snaps[["place", "records"]].values.tolist() == [
        ["Week Street", 3], ["(unnamed location)", 2], ["Earl Street", 1]]


def test_hexagons_keep_every_record_and_name_the_busiest_point(points):
    hexes, legend = hv.hexagons(hv.snap_points(points))
    assert hexes["records"].sum() == len(points)
    top = hexes.iloc[0]
    assert (top["records"], top["busiest_place"], top["busiest_records"]) == (4, "Week Street", 3)
    assert "4 records" in top["tip"] and "Week Street (3)" in top["tip"]
    assert len(top["fill"]) == 3 and "polygon" not in hexes.columns  # centres only: the map draws the hexagons
    assert [label for _, label in legend] == ["2", "over 2 – 4"]


def test_no_points_give_no_hexagons():
    hexes, legend = hv.hexagons(hv.snap_points(pd.DataFrame(columns=["longitude", "latitude", "location"])))
    assert hexes.empty and legend == []


def test_colour_scale_darker_for_larger_values():
    colours, legend = hv.colour_scale([1, 1, 2, 30, 31, 200], hv.HEX_COLOURS, k=3)
    assert colours[0] == hv.HEX_COLOURS[0] and colours[-1] == hv.HEX_COLOURS[-1]
    assert [c for c, _ in legend] == [hv.HEX_COLOURS[0], hv.HEX_COLOURS[2], hv.HEX_COLOURS[4]]
    assert legend[-1][1] == "over 31 – 200"


def test_legend_html_escapes_labels():
    out = hv.legend_html("A <b>", [("#123456", "x < y")], "note & more")
    assert "&lt;b&gt;" in out and "x &lt; y" in out and "note &amp; more" in out and "background:#123456" in out


def _geojson():
    def square(x):
        ring = [[x, 51.2], [x, 51.21], [x + 0.01, 51.21], [x + 0.01, 51.2], [x, 51.2]]
        return {"type": "Polygon", "coordinates": [ring]}

    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": c, "name": f"Maidstone {c}"}, "geometry": square(0.5 + i / 100)}
        for i, c in enumerate(["A", "B", "C"])]}


def _lsoa(codes=("A", "B"), records=(10, 40)):
    return pd.DataFrame({"lsoa21_code": list(codes), "lsoa21_name": [f"Maidstone {c}" for c in codes],
                         "ward_name": "High Street", "population": 1500, "records": list(records),
                         "records_comparison": [12, 30], "change": [-2, 10], "pct_change": [-16.7, 33.3],
                         "rate_per_1000_residents": [r / 1.5 for r in records], "has_records_in_area": True})


def test_lsoa_layer_colours_lsoas_in_the_data_and_leaves_the_others_unfilled():
    geo, legend = hv.lsoa_layer(_geojson(), _lsoa(), "records", True, highlight={"B"})
    props = {f["properties"]["code"]: f["properties"] for f in geo["features"]}
    assert props["A"]["fill"][3] == 255 and props["C"]["fill"] == [0, 0, 0, 0]
    assert "outside the selected area" in props["C"]["tip"]
    assert "Records: 40" in props["B"]["tip"] and "Change vs comparison: +10" in props["B"]["tip"]
    assert "\u22122" in props["A"]["tip"]  # a true minus sign
    assert props["B"]["line_width"] == 3 and props["A"]["line_width"] == 1
    assert [label for _, label in legend] == ["10", "over 10 – 40"]


def test_fit_view_centres_on_the_points_and_zooms_in_for_a_small_area():
    small = hv.fit_view([0.52, 0.525], [51.27, 51.275])
    large = hv.fit_view([0.38, 0.80], [51.13, 51.34])
    assert small["longitude"] == pytest.approx(0.5225) and small["latitude"] == pytest.approx(51.2725)
    assert small["zoom"] > large["zoom"] >= 10
    assert hv.fit_view([np.nan], [np.nan]) == hv.MAIDSTONE_VIEW


def test_density_deck_has_both_layers_no_basemap_and_the_view():
    hexes, _ = hv.hexagons(hv.snap_points(pd.DataFrame({"longitude": [0.52], "latitude": [51.27],
                                                        "location": ["On or near X"]})))
    geo, _ = hv.lsoa_layer(_geojson(), _lsoa(), "records", False)
    spec = hv.density_deck(geo, hexes, hv.MAIDSTONE_VIEW, radius_m=150).to_json()
    assert '"GeoJsonLayer"' in spec and '"ColumnLayer"' in spec and '"mapStyle"' not in spec
    assert '"lineWidthUnits": "pixels"' in spec  # a plain string, not a JavaScript expression
    assert '"zoom": 10.3' in spec
    layer = json.loads(spec)["layers"][1]
    # flat six-sided disks of the grid's radius, turned to be pointy-topped, one compact row per hexagon
    assert (layer["diskResolution"], layer["angle"], layer["radius"], layer["extruded"]) == (6, 30, 150, False)
    assert layer["data"] == [{"p": [round(hexes["lon"][0], 5), round(hexes["lat"][0], 5)], "c": hexes["fill"][0],
                              "t": hexes["tip"][0]}]


def test_column_layer_hexagons_tile_like_the_grid():
    """deck.gl's ColumnLayer puts its first corner at angle 0 (east) and turns the disk by ``angle`` degrees
    anticlockwise: at 30 degrees the corners are at 30, 90, ... 330 degrees, the corners hexagon_vertices gives."""
    import math

    from analytics.hotspots import hexagon_vertices

    lon, lat, r = 0.55, 51.27, 200
    corners = hexagon_vertices(lon, lat, r)
    mx, my = 111_320.0 * math.cos(math.radians(51.27)), 111_320.0
    angles = sorted(round(math.degrees(math.atan2((y - lat) * my, (x - lon) * mx))) % 360 for x, y in corners)
    assert angles == [30, 90, 150, 210, 270, 330]


def test_a_cached_deck_is_sent_as_is():
    deck = hv.deck_json(hv.density_deck(_geojson(), hv.hexagons(hv.snap_points(pd.DataFrame(
        {"longitude": [0.52], "latitude": [51.27], "location": ["On or near X"]})))[0], hv.MAIDSTONE_VIEW))
    assert deck.to_json() == deck.to_json() and ", " not in deck.to_json()[:200]  # compact separators
    assert deck._tooltip == {"text": "{t}"} and deck.layers == ()
    assert json.loads(deck.to_json())["layers"][1]["@@type"] == "ColumnLayer"


def test_compact_geojson_is_lighter_and_keeps_every_feature():
    from dashboard.maps import display_geojson

    full = display_geojson("lsoa21")
    light = hv.compact_geojson(full)
    assert [f["properties"]["code"] for f in light["features"]] == [f["properties"]["code"] for f in full["features"]]
    assert len(json.dumps(light)) < 0.75 * len(json.dumps(full))
    import shapely
    from shapely.geometry import shape

    for a, b in zip(full["features"], light["features"]):  # each LSOA keeps its shape (area within 5%)
        assert shape(b["geometry"]).area == pytest.approx(shape(a["geometry"]).area, rel=0.05)
        assert shapely.is_valid(shape(b["geometry"]))


# --------------------------------------------------------------------------- tables
def test_top_lsoa_table_ranks_by_the_chosen_measure():
    data = _lsoa(codes=("A", "B"), records=(10, 40)).assign(population=[500, 4000])
    data["rate_per_1000_residents"] = 1000 * data["records"] / data["population"]
    by_records = hv.top_lsoa_table(data, "records", True)
    by_rate = hv.top_lsoa_table(data, "rate", True)
    assert list(by_records["LSOA"]) == ["Maidstone B (B)", "Maidstone A (A)"]
    assert list(by_rate["LSOA"]) == ["Maidstone A (A)", "Maidstone B (B)"]
    assert list(by_rate["Rate per 1,000 residents"]) == [20.0, 10.0]


def test_top_lsoa_table_without_a_comparison_has_no_change_columns():
    out = hv.top_lsoa_table(_lsoa(), "records", False)
    assert not {"Comparison", "Change", "% change"} & set(out.columns)


def test_top_locations_table_flags_repeat_locations():
    loc = pd.DataFrame({"place": ["A", "B"], "ward_name": ["W", "V"], "records": [9, 7], "records_comparison": [2, 9],
                        "change": [7, -2], "months_with_records": [3, 2], "is_repeat_location": [True, False],
                        "most_common_type": ["Shoplifting", "Drugs"]})
    out = hv.top_locations_table(loc, 3, True)
    assert out["Repeat"].tolist() == ["REPEAT", ""]
    assert out["Months"].tolist() == ["3 of 3", "2 of 3"]
    assert out["Change"].tolist() == [7, -2]
    assert "Comparison" not in hv.top_locations_table(loc, 3, False).columns


def test_gi_table_orders_hot_to_cold_and_marks_the_selected_area():
    gi = pd.DataFrame({"area_id": ["a", "b", "c"], "value": [1.0, 9.0, 0.0], "gi_z": [0.1, 3.2, -2.5],
                       "p_sim": [0.6, 0.001, 0.02],
                       "gi_class": ["Not significant", "Hot spot 99% confidence", "Cold spot 95% confidence"]})
    ls = pd.DataFrame({"lsoa21_code": ["a", "b", "c"], "lsoa21_name": ["A", "B", "C"], "ward_name": "W"})
    out = hv.gi_table(gi, ls, "records", highlight={"c"})
    assert out["LSOA code"].tolist() == ["b", "a", "c"]
    assert out["In selected area"].tolist() == ["", "", "yes"]
    assert out["Records"].tolist() == [9, 1, 0]
    counts = dict((label.split(":")[0], label) for _, label in hv.gi_class_counts(gi))
    assert counts["Hot spot 99% confidence"].endswith(": 1 LSOA")
    assert counts["Cold spot 99% confidence"].endswith(": 0 LSOAs")


def test_gi_deck_colours_each_class():
    gi = pd.DataFrame({"area_id": ["A", "B", "C"], "value": [1.0, 9.0, 0.0], "gi_z": [0.1, 3.2, -2.5],
                       "p_sim": [0.6, 0.001, 0.02],
                       "gi_class": ["Not significant", "Hot spot 99% confidence", "Cold spot 95% confidence"]})
    names = pd.DataFrame({"lsoa21_code": ["A", "B", "C"], "lsoa21_name": ["A", "B", "C"], "ward_name": "W"})
    table = hv.gi_table(gi, names, "records")
    deck = hv.gi_deck(_geojson(), table, "records", hv.geojson_bounds_view(_geojson()))
    fills = {f["properties"]["tip"].split(" ")[1]: f["properties"]["fill"] for f in deck.layers[0].data["features"]}
    assert fills["B"] == [0xb3, 0x58, 0x06, 255] and fills["C"] == [0x80, 0x73, 0xac, 255]
    assert fills["A"] == [0xd9, 0xd9, 0xd9, 255]


# --------------------------------------------------------------------------- cached Gi* on the real boundaries
def test_lsoa_weights_cover_the_99_lsoas_with_no_islands():
    w = hv.lsoa_weights()
    assert w.n == 99 and not w.islands
    assert len(set(w.id_order)) == 99 and all(c.startswith("E01") for c in w.id_order)


def test_gi_results_on_the_real_weights_flag_an_obvious_cluster():
    w = hv.lsoa_weights()
    target = w.id_order[0]
    cluster = {target, *w.neighbors[target]}
    values = tuple(100.0 if c in cluster else 5.0 + (i % 3) for i, c in enumerate(w.id_order))
    out = hv.gi_results(tuple(w.id_order), values).set_index("area_id")
    assert len(out) == 99
    assert out.loc[target, "gi_class"] == "Hot spot 99% confidence"
    again = hv.gi_results(tuple(w.id_order), values).set_index("area_id")
    pd.testing.assert_frame_equal(out, again)

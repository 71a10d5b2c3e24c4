"""dashboard.hotspots_view: the window, page parameters, map layers, legends and tables (no store)."""

import datetime as dt
import itertools
import json

import numpy as np
import pandas as pd
import pytest

from analytics.periods import Period
from dashboard import hotspots_view as hv
from dashboard.filters import FilterContext, Filters
from dashboard.theme import OUTLINE_STRONG, TRANSPARENT

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
    assert top["busiest"] == "Week Street (3 records)"
    assert top["fill"] == hv.HEX_COLOURS[-1] and "polygon" not in hexes.columns  # centres only: the map draws them
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
    assert props["A"]["fill"] == hv.SEQUENTIAL_COLOURS[5][0] and props["B"]["fill"] == hv.SEQUENTIAL_COLOURS[5][-1]
    assert props["C"]["fill"] == TRANSPARENT and props["C"]["h1"] == "outside the selected area"
    assert props["B"]["h0"] == "Maidstone B (B), High Street ward"
    assert props["B"]["h1"].startswith("40 · 26.7 per 1,000") and props["B"]["h2"] == "+10"
    assert props["A"]["h2"] == "\u22122"  # a true minus sign
    assert props["B"]["strong"] and not props["A"]["strong"]
    assert [label for _, label in legend] == ["10", "over 10 – 40"]
    no_change, _ = hv.lsoa_layer(_geojson(), _lsoa(), "records", False)
    assert all("h2" not in f["properties"] for f in no_change["features"])  # no comparison: no change to show


def test_fit_bounds_pads_the_points_and_keeps_a_small_area_a_few_streets_wide():
    small = hv.fit_bounds([0.52, 0.521], [51.27, 51.2705])
    large = hv.fit_bounds([0.38, 0.80], [51.13, 51.34])
    assert small[2] - small[0] == pytest.approx(hv.MIN_SPAN_DEG) and small[3] - small[1] == pytest.approx(hv.MIN_SPAN_DEG)
    assert (small[0] + small[2]) / 2 == pytest.approx(0.5205)
    assert large[0] < 0.38 and large[2] > 0.80 and large[2] - large[0] == pytest.approx(0.42 * 1.24)
    assert hv.fit_bounds([np.nan], [np.nan]) is None
    s = pd.DataFrame({"longitude": [0.505], "latitude": [51.205]})
    whole = hv.area_bounds(s, _geojson(), {"C"})  # the outlined LSOA C (0.52-0.53) is shown whole, with the point
    assert whole[0] < 0.505 and whole[2] > 0.53


def _density_figure(radius=150, highlight=None):
    snaps = hv.snap_points(pd.DataFrame({"longitude": [0.52, 0.52, 0.527], "latitude": [51.27, 51.27, 51.205],
                                         "location": ["On or near X", "On or near X", "On or near <b>Y</b>"]}))
    hexes, _ = hv.hexagons(snaps, radius)
    geo, _ = hv.lsoa_layer(_geojson(), _lsoa(), "records", True, highlight)
    return hexes, hv.area_map(geo["features"], hv.LSOA_TIPS, hv.geojson_bounds(geo), description="d", hexes=hexes,
                              radius_m=radius)


def test_the_density_map_draws_lsoas_then_hexagons_sent_as_centres_with_no_web_map():
    from dashboard.vega import leaf_layers

    hexes, fig = _density_figure()
    spec, datasets = fig.payload()
    layers = leaf_layers(spec)
    assert [(layer["name"], layer["mark"]["type"]) for layer in layers] == [("areas", "geoshape"),
                                                                            ("hexagons", "geoshape")]
    assert layers[0]["data"]["format"] == {"type": "topojson", "feature": "areas"}
    assert [t["title"] for t in layers[0]["encoding"]["tooltip"]] == list(hv.LSOA_TIPS)
    assert layers[1]["encoding"]["shape"] == {"field": "hexagon", "type": "geojson"}
    assert layers[1]["transform"] == [{"calculate": hv.hexagon_shape(150), "as": "hexagon"}]
    assert spec["projection"]["type"] == "mercator" and "tiles" not in json.dumps(spec)
    import pyarrow as pa

    (rows,) = [pa.ipc.open_stream(b).read_all().to_pandas() for b in datasets.values()]
    assert sorted(rows.columns) == ["busiest", "fill", "lat", "lon", "records"]  # compact: a centre per hexagon
    assert sorted(rows["records"]) == [1, 2] and len(rows) == len(hexes)
    assert "<b>Y</b> (1 record)" in set(rows["busiest"])  # data, escaped by the tooltip when shown
    assert fig.meta["bounds"][0] < 0.5 and fig.meta["bounds"][2] > 0.53


def test_an_outlined_lsoa_is_drawn_again_on_top_in_black():
    from dashboard.vega import leaf_layers

    _, fig = _density_figure(highlight={"B"})
    top = leaf_layers(fig.spec())[-1]
    assert top["name"] == "selected" and top["transform"] == [{"filter": "datum.properties.strong"}]
    assert top["mark"]["filled"] is False and top["mark"]["stroke"] == OUTLINE_STRONG
    assert json.dumps(fig.spec()).count('"Topology"') == 1  # the shapes are sent once, not once per layer


def test_hexagon_shape_draws_the_grid_hexagon_clockwise():
    """The browser works out each hexagon's corners from its centre: the same six corners hexagon_vertices
    gives (so hexagons tile like the grid the records were counted in), wound clockwise as d3-geo expects."""
    import re

    from analytics.hotspots import hexagon_vertices

    lon, lat, r = 0.55, 51.27, 200
    expr = hv.hexagon_shape(r)
    offsets = [(float(a), float(b)) for a, b in re.findall(r"\[datum\.lon([+-][\d.]+),datum\.lat([+-][\d.]+)\]", expr)]
    ring = [(lon + dx, lat + dy) for dx, dy in offsets]
    assert ring[0] == ring[-1] and len(ring) == 7
    expected = {(round(x, 6), round(y, 6)) for x, y in hexagon_vertices(lon, lat, r)}
    assert {(round(x, 6), round(y, 6)) for x, y in ring} == expected
    signed = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
    assert signed < 0  # clockwise


def _decoded(topology: dict) -> dict:
    """TopoJSON back to {code: shapely geometry}, as the browser's reader does (delta-coded, quantised arcs)."""
    from shapely.geometry import MultiPolygon, Polygon

    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes):
        out = []
        for i in indexes:
            points = arcs[i] if i >= 0 else arcs[~i][::-1]
            out += points if not out else points[1:]
        return out

    shapes = {}
    for g in topology["objects"]["areas"]["geometries"]:
        polys = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        shapes[g["properties"]["code"]] = MultiPolygon([Polygon(ring(p[0]), [ring(h) for h in p[1:]]) for p in polys])
    return shapes


def test_the_topology_keeps_every_lsoa_its_shape_and_properties_in_a_fraction_of_the_bytes():
    from shapely.geometry import shape

    from dashboard.maps import display_geojson

    full = display_geojson("lsoa21")
    features = [{**f, "properties": {**f["properties"], "fill": "#123456"}} for f in full["features"]]
    topology = hv.topology(features)
    shapes = _decoded(topology)
    assert list(shapes) == [f["properties"]["code"] for f in full["features"]]
    assert {g["properties"]["fill"] for g in topology["objects"]["areas"]["geometries"]} == {"#123456"}
    for f in full["features"]:  # each LSOA keeps its shape: its area within 5%, its outline within ~35 m
        original, drawn = shape(f["geometry"]), shapes[f["properties"]["code"]]
        assert drawn.area == pytest.approx(original.area, rel=0.05)
        assert original.hausdorff_distance(drawn) < 0.0005
        assert drawn.is_valid
    assert len(json.dumps(topology)) < 0.45 * len(json.dumps(full))


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


def test_gi_features_colour_each_class():
    gi = pd.DataFrame({"area_id": ["A", "B", "C"], "value": [1.0, 9.0, 0.0], "gi_z": [0.1, 3.2, -2.5],
                       "p_sim": [0.6, 0.001, 0.02],
                       "gi_class": ["Not significant", "Hot spot 99% confidence", "Cold spot 95% confidence"]})
    names = pd.DataFrame({"lsoa21_code": ["A", "B", "C"], "lsoa21_name": ["A", "B", "C"], "ward_name": "W"})
    table = hv.gi_table(gi, names, "records")
    props = {f["properties"]["code"]: f["properties"] for f in hv.gi_features(_geojson(), table, "records", {"C"})}
    assert (props["B"]["fill"], props["C"]["fill"], props["A"]["fill"]) == ("#b35806", "#8073ac", "#d9d9d9")
    assert props["B"]["h1"] == "Hot spot 99% confidence" and props["B"]["h3"] == "z = 3.20, p = 0.001"
    assert props["C"]["strong"] and not props["A"]["strong"]


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

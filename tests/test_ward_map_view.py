"""Unit tests for dashboard/ward_map_view.py (no store; expected values worked by hand)."""

import datetime as dt
import doctest

import pandas as pd
import pytest

from analytics.periods import calendar_year
from dashboard import ward_map_view as v

D = dt.date


def test_doctests():
    result = doctest.testmod(v)
    assert result.attempted >= 15 and result.failed == 0


def _summary(records, comparison=None):
    return pd.DataFrame({"ward_code": ["A", "B", "C"], "ward_name": ["Ay", "Bee", "Cee"], "cluster": ["C1"] * 3,
                         "population": [1000, 2000, 4000], "records": records,
                         "records_comparison": comparison or [0, 0, 0]})


def test_ward_table_rates_ranks_and_like_for_like_change():
    t = v.ward_table(_summary([30, 30, 10]), _summary([12, 9, 5], [10, 12, 0])).set_index("ward_code")
    assert t["rate"].tolist() == [30.0, 15.0, 2.5]
    assert t["rank_records"].tolist() == [1, 1, 3]  # ties share the best rank
    assert t["change"].tolist() == [2, -3, 5]
    assert t.loc["A", "pct_change"] == pytest.approx(20.0)
    assert pd.isna(t.loc["C", "pct_change"])  # no % change from 0
    assert pd.isna(t.loc["C", "rank_pct_change"])
    assert t["rank_change"].tolist() == [2, 3, 1]  # 1 = biggest increase


@pytest.mark.parametrize("measure, ward, text, rank", [
    ("records", "A", "30", "1 of 3"),
    ("rate", "C", "2.5", "3 of 3"),
    ("change", "B", "−3", "3 of 3"),
    ("change", "A", "+2", "2 of 3"),
    ("pct_change", "C", "no data", "no data"),
    ("pct_change", "B", "−25.0%", "2 of 3"),
])
def test_map_frame_hover_texts(measure, ward, text, rank):
    t = v.ward_table(_summary([30, 30, 10]), _summary([12, 9, 5], [10, 12, 0]))
    row = v.map_frame(t, measure, "2022").set_index("ward_code").loc[ward]
    assert row["value_text"] == text
    assert row["rank_text"] == rank
    assert row["population_text"].endswith("(ONS mid-2022 estimate)")


def test_display_ward_table_headings_say_their_months_and_drop_duplicates():
    t = v.ward_table(_summary([30, 30, 10]), _summary([30, 30, 10], [10, 12, 1]))
    same = v.display_ward_table(t, {"whole": "Jan–Dec 2025", "current": "", "comparison": "Jan–Dec 2024",
                                    "change": "Change", "pct_change": "% change"})
    assert list(same.columns)[:6] == ["Ward", "Records, Jan–Dec 2025", "Per 1,000, Jan–Dec 2025", "Rank",
                                      "Records, Jan–Dec 2024", "Change"]
    partial = v.display_ward_table(t, {"whole": "Jan–Dec 2025 (whole period)", "current": "Jan–Apr 2025",
                                       "comparison": "Jan–Apr 2024", "change": "Change", "pct_change": "% change"})
    assert {"Records, Jan–Apr 2025", "Per 1,000, Jan–Apr 2025", "Records, Jan–Dec 2025 (whole period)"} <= set(
        partial.columns)
    assert partial["Ward"].tolist() == ["Ay", "Bee", "Cee"]  # most records first, ties by name
    assert list(v.display_ward_table(v.ward_table(_summary([1, 2, 3])), {"whole": "Jan 2025"}).columns) == [
        "Ward", "Records, Jan 2025", "Per 1,000, Jan 2025", "Rank", "Population", "Cluster", "Ward code"]


@pytest.mark.parametrize("raw, expected, noted", [
    (None, "records", False), ("rate", "rate", False), ("RATE", "records", True), ("x" * 500, "records", True),
])
def test_validate_choice(raw, expected, noted):
    value, note = v.validate_choice(raw, v.MEASURES, "measure", "records")
    assert value == expected
    assert (note is not None) == noted
    if note:
        assert len(note) < 200


def _by_year(rows):
    return pd.DataFrame(rows, columns=["area_code", "area_name", "year", "crime_class", "records"])


def test_yearly_table_two_wards_classes_gaps_and_changes():
    rows = []
    for code, name, base in (("A", "Ay", 10), ("B", "Bee", 100)):
        for year, factor in ((2022, 1), (2023, None), (2024, 2), (2025, 3)):
            for cls, extra in (("ASB", 0), ("VBC", 1)):
                rows.append((code, name, year, cls, None if factor is None else base * factor + extra))
    by = _by_year(rows)
    present = [m for y in (2022, 2024, 2025) for m in calendar_year(y).months if not (y == 2022 and m.month == 12)
               and not (y == 2024 and m.month > 4)]
    cov = v.year_coverage([2022, 2023, 2024, 2025], present)
    lfl = _by_year([("A", "Ay", 2024, "ASB", 5), ("A", "Ay", 2025, "ASB", 9), ("B", "Bee", 2024, "ASB", 50),
                    ("B", "Bee", 2025, "ASB", 40), ("A", "Ay", 2024, "VBC", 1), ("A", "Ay", 2025, "VBC", 1),
                    ("B", "Bee", 2024, "VBC", 1), ("B", "Bee", 2025, "VBC", 1)])
    annual = v.YearChange(2025, 2024, lfl, tuple(D(2025, m, 1) for m in range(1, 5)))
    t = v.yearly_table(by, "ASB", cov, annual).set_index("Ward code")
    assert len(t) == 2
    assert t.loc["B", "2025"] == 300
    assert t.loc["A", "2022 (11 of 12 months: Jan–Nov 2022)"] == 10
    assert set(t["2023 (no data)"]) == {"no data"}
    assert t.loc["B", "Annual change 2025 vs 2024 (Jan–Apr, like for like)"] == -10
    # all crime = VBC + CAS: only VBC here
    t_all = v.yearly_table(by, v.ALL_CRIME, cov).set_index("Ward code")
    assert t_all.loc["A", "2025"] == 31


def test_year_change_specs_and_like_for_like_years():
    cov = {2022: (D(2022, 1, 1),), 2023: (), 2024: (D(2024, 1, 1),), 2025: (D(2025, 1, 1),)}
    assert v.year_change_specs([2022, 2023, 2024, 2025], cov) == [(2025, 2024), (2025, 2022)]
    assert v.year_change_specs([2022, 2023, 2024], cov) == [(2024, 2023), (2024, 2022)]
    assert v.year_change_specs([2023], cov) == []
    present = [D(2022, m, 1) for m in range(1, 12)] + [D(2025, m, 1) for m in range(1, 13)]
    cur, prev = v.like_for_like_years(2025, 2022, present)
    assert len(cur) == 11 and cur[-1] == D(2025, 11, 1) and prev[-1] == D(2022, 11, 1)


def test_metric_delta_uses_an_ascii_minus_for_streamlits_arrow():
    assert v.metric_delta(80, 100).startswith("-20")
    assert v.metric_delta(100, 0) == "new (was 0)"


def test_describe_months_and_captions():
    assert v.describe_months([D(2025, m, 1) for m in range(1, 13)]) == "Jan–Dec 2025"
    cap = v.months_caption(False, [D(2025, 1, 1)], [], [], "All 1 months have data")
    assert cap == "Counts cover Jan 2025: All 1 months have data."
    assert "ONS mid-2024" in v.ward_table_caption([D(2025, 1, 1)], [], [], "2024")


def _overlap():
    return pd.DataFrame({
        "ward_2024_code": ["N1", "N1", "N2"], "ward_2024_name": ["New one", "New one", "New two"],
        "ward_2022_code": ["o1", "o2", "o2"], "ward_2022_name": ["Old one", "Old two", "Old two"],
        "share_of_ward_2022_area": [1.0, 0.4, 0.6], "share_of_ward_2024_area": [0.5, 0.5, 1.0],
        "residents_census2021_areal_est": [900.0, 100.0, 500.0]})


def test_overlap_shares_summary_parts_and_successor():
    shares = v.overlap_shares(_overlap())
    assert shares["share_of_new_residents"].tolist() == [90.0, 10.0, 100.0]
    summary = v.overlap_summary(shares).set_index("New ward code")
    assert summary.loc["N1", "← Old wards (share of residents)"] == "Old one 90%, Old two 10%"
    assert summary.loc["N2", "Number of old wards"] == 1
    assert v.old_ward_parts(shares, "N1") == {"o1": "Old one (90%)", "o2": "Old two (10%)"}
    assert v.old_ward_parts(shares, "") == {}
    assert v.successor_ward(shares, "o2", "2022") == "N2"  # 500 residents against 100
    assert v.successor_ward(shares, "N1", "2024") == "o1"


def _square(code, name, x0, y0, size=0.01):
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Feature", "properties": {"code": code, "name": name},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


GEO = {"type": "FeatureCollection", "features": [_square("A", "Ay", 0.5, 51.2), _square("B", "Bee", 0.51, 51.2),
                                                 _square("C", "Cee", 0.52, 51.2, 0.001)]}


def _layers(fig) -> dict:
    """{layer name: layer} of a Vega-Lite map, each with its rows (inline values or the named dataset)."""
    from dashboard.vega import leaf_layers

    spec = fig.spec()
    return {layer.get("name"): {**layer, "rows": layer["data"]["values"] if "values" in layer["data"]
                                else spec["datasets"][layer["data"]["name"]]} for layer in leaf_layers(spec)}


def test_map_figure_is_tile_free_names_the_wards_and_is_clickable():
    from dashboard.maps import SELECT_PARAM
    from dashboard.theme import OUTLINE_STRONG

    t = v.ward_table(_summary([30, 20, 10]))
    fig = v.map_figure(GEO, v.map_frame(t, "records", "2024"), "records", "quantiles", profile="B")
    spec = fig.spec()
    assert spec["projection"]["type"] == "mercator"  # drawn by Vega-Lite from the shapes: no tiles, no web map
    layers = _layers(fig)
    areas = layers["areas"]
    names = {f["properties"]["code"]: f["properties"] for f in areas["rows"]}
    assert sorted(names) == ["A", "B", "C"]
    ward = next(t["field"] for t in areas["encoding"]["tooltip"] if t["title"] == "Ward")
    assert sorted(names[c][ward.split(".")[1]] for c in names) == ["Ay", "Bee", "Cee"]
    # a click selects a ward by its code
    (param,) = spec["params"]
    assert param["name"] == SELECT_PARAM and param["select"]["fields"] == ["code"] and param["views"] == ["areas"]
    assert {"calculate": "datum.properties.code", "as": "code"} in areas["transform"]
    selected = layers["selected"]
    assert [f["properties"]["code"] for f in selected["rows"]] == ["B"] and selected["mark"]["stroke"] == OUTLINE_STRONG
    labels = [r["text"] for r in layers["names"]["rows"]]
    assert "Ay" in labels and "Bee" in labels  # names on the map (the tiny ward may be left out)
    # the legend: one entry per class present, coloured as the classes (quantiles: 30, 20 and 10 records)
    scale = areas["encoding"]["color"]["scale"]
    assert len(scale["domain"]) == len(scale["range"]) == len({names[c]["class"] for c in names}) == 3
    # polygons wound clockwise, as d3-geo reads a polygon's inside (else Vega fills the whole globe)
    ring = areas["rows"][0]["geometry"]["coordinates"][0]
    assert sum((q[0] - p[0]) * (q[1] + p[1]) for p, q in zip(ring, ring[1:])) > 0


def test_boundary_figure_highlights_labels_and_zooms():
    from dashboard.theme import BLACK, DIVERGING_NEUTRAL, HIGHLIGHT_FILL

    plain = v.boundary_figure(GEO, {}, "x")
    labels = plain.meta["labels"]
    assert labels[0] == "Ay" and labels[2] == ""  # the tiny ward is not labelled on the whole-borough view
    assert plain.meta["view"] is None
    outline = v.subset_geojson(GEO, ["A"])
    fig = v.boundary_figure(GEO, {"B": "Bee (60%)"}, "Parts", outline, "New ward")
    layers = _layers(fig)
    wards = layers["wards"]
    scale = wards["encoding"]["color"]["scale"]
    colour = dict(zip(scale["domain"], scale["range"]))
    group = {f["properties"]["name"]: f["properties"]["group"] for f in wards["rows"]}
    assert colour[group["Bee (60%)"]] == HIGHLIGHT_FILL == "#fdb863" and colour[group["Ay"]] == DIVERGING_NEUTRAL
    x0, x1, y0, y1 = fig.meta["view"]
    assert x0 < 0.5 and x1 > 0.52
    assert fig.spec()["projection"]["fit"]["geometry"]["coordinates"] == [[x0, y0], [x1, y1]]
    line = layers["outline"]
    assert line["mark"]["strokeWidth"] == 3.5 and line["encoding"]["stroke"]["scale"]["range"] == [BLACK]
    assert line["encoding"]["stroke"]["scale"]["domain"] == ["New ward"]


def test_top_lsoas_and_locations_shapes():
    lsoas = pd.DataFrame({"lsoa21_code": ["X", "Y", "Z"], "lsoa21_name": ["M 1", "M 2", "M 3"],
                          "ward_name": ["W"] * 3, "population": [1, 2, 3], "records": [5, 15, 0]})
    top = v.top_lsoas(lsoas)
    assert top["LSOA code"].tolist() == ["Y", "X"]  # zero-record LSOAs left out
    assert top["% of ward's records"].tolist() == [75.0, 25.0]
    locs = pd.DataFrame({"location": ["On or near A Street"], "records": [3], "months_with_records": [2],
                         "most_common_type": ["Shoplifting"], "latitude": [51.1234567], "longitude": [0.5]})
    assert v.top_locations(locs).iloc[0]["Location (police.uk snap point)"] == "On or near A Street"


def test_cluster_text_says_when_derived():
    assert "derived" not in v.cluster_text("2022", "Cluster 1")
    text = v.cluster_text("2024", "Cluster 5", "Bridge 56%; Allington 44%", low_confidence=True)
    assert "derived by this dashboard" in text and "Low confidence" in text and "Bridge 56%" in text


def test_boundary_figures_share_one_view():
    old = {"type": "FeatureCollection",
           "features": [_square("o1", "Old one", 0.5, 51.2), _square("o2", "Old two", 0.6, 51.2)]}
    new = {"type": "FeatureCollection", "features": [_square("N1", "New one", 0.5, 51.2)]}
    shares = v.overlap_shares(_overlap())
    left, right = v.boundary_figures(old, new, shares, "N1")
    assert left.meta["view"] == right.meta["view"]
    assert left.meta["view"][1] > 0.61  # wide enough for both old wards
    whole_left, whole_right = v.boundary_figures(old, new, shares, "")
    assert whole_left.meta["view"] is None and whole_right.meta["view"] is None

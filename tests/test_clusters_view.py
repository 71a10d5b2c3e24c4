"""dashboard.clusters_view: the Appendix 2 Tables 3-5 shaping, like-for-like year comparisons,
ward shares, the derivation, the cluster map and the print helpers (no full store needed)."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

import queries
from analytics.periods import Period
from dashboard import clusters_view as v
from dashboard.compare import Comparison

D = dt.date
CLUSTERS = [f"Cluster {i}" for i in range(1, 9)]
FULL = tuple(range(1, 13))
# the real archive's shape: 2022 Jan-Nov, nothing in 2023, 2024 Jan-Apr, 2025 complete
PRESENT = ([D(2022, m, 1) for m in range(1, 12)] + [D(2024, m, 1) for m in range(1, 5)]
           + [D(2025, m, 1) for m in range(1, 13)])


@pytest.mark.parametrize("raw, area_type, area_code, expected, refused", [
    (None, "borough", "", "Cluster 1", False),
    ("", "borough", "", "Cluster 1", False),
    ("Cluster 5", "borough", "", "Cluster 5", False),
    ("cluster 5", "borough", "", "Cluster 5", False),
    (" 7 ", "borough", "", "Cluster 7", False),
    (None, "cluster", "Cluster 6", "Cluster 6", False),  # the shared area filter's cluster
    ("Cluster 3", "cluster", "Cluster 6", "Cluster 3", False),  # the URL parameter wins
    (None, "ward", "E05015603", "Cluster 1", False),
    ("Cluster 99", "borough", "", "Cluster 1", True),
    ("Cluster 99", "cluster", "Cluster 4", "Cluster 4", True),
    ("0", "borough", "", "Cluster 1", True),
    ("<script>alert(1)</script>", "borough", "", "Cluster 1", True),
    ("x" * 5000, "borough", "", "Cluster 1", True),
])
def test_resolve_cluster(raw, area_type, area_code, expected, refused):
    chosen, message = v.resolve_cluster(raw, CLUSTERS, area_type, area_code)
    assert chosen == expected
    assert (message is not None) == refused
    if refused:
        assert "Ignored URL parameter cluster=" in message and len(message) < 250


@pytest.mark.parametrize("current, chosen, area, seen, expected", [
    (None, "Cluster 2", None, None, "Cluster 2"),
    ("Cluster 9", "Cluster 2", None, None, "Cluster 2"),  # stale value from another boundary set
    ("Cluster 1", "Cluster 2", None, None, "Cluster 1"),  # the page's own choice is kept
    ("Cluster 1", "Cluster 1", "Cluster 3", "Cluster 1", "Cluster 3"),  # area filter moved: follow it
    ("Cluster 1", "Cluster 1", "Cluster 3", "Cluster 3", "Cluster 1"),  # area unchanged: keep the page's choice
])
def test_next_cluster(current, chosen, area, seen, expected):
    assert v.next_cluster(current, chosen, area, seen, CLUSTERS) == expected


@pytest.mark.parametrize("months, text", [
    ([1, 2, 3, 4], "Jan–Apr"), (range(1, 12), "Jan–Nov"), ([12], "Dec"), ([1, 3, 5], "Jan, Mar, May"),
    ([1, 2, 6, 7, 8], "Jan–Feb, Jun–Aug"), ([], "no months"), ([4, 3, 3, 2], "Feb–Apr"),
])
def test_months_text(months, text):
    assert v.months_text(months) == text


def test_plan_table_on_the_real_archive_shape():
    plan = v.plan_table([2022, 2023, 2024, 2025], PRESENT)
    assert plan.years == (2025, 2024, 2023, 2022)
    assert plan.years_with_data == (2025, 2024, 2022)
    assert [plan.heading(y) for y in plan.years] == ["2025", "2024 (Jan–Apr only)", "2023", "2022 (Jan–Nov only)"]
    assert (plan.diff.later, plan.diff.earlier, plan.diff.month_numbers) == (2025, 2024, (1, 2, 3, 4))
    assert (plan.pct.later, plan.pct.earlier, plan.pct.month_numbers) == (2025, 2022, tuple(range(1, 12)))
    assert plan.diff.months() == [D(2024, m, 1) for m in range(1, 5)] + [D(2025, m, 1) for m in range(1, 5)]


def test_plan_table_when_the_latest_year_is_the_partial_one():
    present = [D(2024, m, 1) for m in range(1, 13)] + [D(2025, m, 1) for m in (1, 2, 3)]
    plan = v.plan_table([2024, 2025], present)
    assert plan.heading(2025) == "2025 (Jan–Mar only)"
    assert plan.diff.month_numbers == (1, 2, 3) and plan.diff_heading == "Diff +/- (2025 vs 2024, Jan–Mar)"


@pytest.mark.parametrize("present", [[], [D(2025, m, 1) for m in range(1, 13)],
                                     [D(2024, 12, 1), D(2025, 1, 1)]])  # no year, one year, no common month
def test_plan_table_without_a_comparison(present):
    plan = v.plan_table([2024, 2025], present)
    assert plan.diff is None and plan.pct is None
    assert plan.diff_heading == "Diff +/-" and plan.pct_heading == "% Change"
    assert "no comparison" in v.tables_caption(plan, "2022")


def _rows(counts: dict, crime_class="VBC") -> pd.DataFrame:
    """area_counts_by_year-shaped rows from {(area, year): records or None}."""
    return pd.DataFrame([{"area_code": a, "year": y, "crime_class": crime_class,
                          "records": pd.NA if r is None else r} for (a, y), r in counts.items()]).astype(
        {"records": "Int64"})


def test_appendix_numbers_total_no_data_and_like_for_like_comparisons():
    plan = v.plan_table([2022, 2023, 2024, 2025], PRESENT)
    cl = ["Cluster 1", "Cluster 2"]
    totals = _rows({("Cluster 1", 2025): 120, ("Cluster 2", 2025): 30, ("Cluster 1", 2024): 40,
                    ("Cluster 2", 2024): 10, ("Cluster 1", 2023): None, ("Cluster 2", 2023): None,
                    ("Cluster 1", 2022): 100, ("Cluster 2", 2022): 0})
    diff = _rows({("Cluster 1", 2025): 35, ("Cluster 2", 2025): 12, ("Cluster 1", 2024): 40, ("Cluster 2", 2024): 10})
    pct = _rows({("Cluster 1", 2025): 110, ("Cluster 2", 2025): 28, ("Cluster 1", 2022): 100, ("Cluster 2", 2022): 0})
    n = v.appendix_numbers(totals, plan, "VBC", cl, diff, pct).set_index("area")
    assert n.loc["Total", "2025"] == 150 and n.loc["Total", "2022"] == 100
    assert math.isnan(n.loc["Total", "2023"])  # no data stays missing, not 0
    assert n.loc["Cluster 1", "diff"] == -5 and n.loc["Cluster 2", "diff"] == 2 and n.loc["Total", "diff"] == -3
    assert n.loc["Cluster 1", "pct_change"] == pytest.approx(10.0)
    assert math.isnan(n.loc["Cluster 2", "pct_change"])  # change from 0 has no percentage
    assert n.loc["Total", "pct_change"] == pytest.approx(38.0)
    shown = v.appendix_display(n.reset_index(), plan, "VBC").set_index("VBC")
    # 2025 counts Jan-Dec but each change counts fewer months: the like-for-like 2025 counts the changes are
    # worked from stand beside them (2024 and 2022 already count exactly those months, so are not repeated)
    assert list(shown.columns) == ["2025", "2024 (Jan–Apr only)", "2023", "2022 (Jan–Nov only)",
                                   "Jan–Apr 2025", "Diff +/- (2025 vs 2024, Jan–Apr)",
                                   "Jan–Nov 2025", "% Change to 2022 (Jan–Nov)"]
    assert shown.loc["Cluster 1"].tolist() == ["120", "40", "no data", "100", "35", "−5", "110", "+10.0%"]
    assert shown.loc["Total", "Jan–Apr 2025"] == "47"  # 35 + 12
    assert shown.loc["Total", "Jan–Nov 2025"] == "138"  # 110 + 28
    assert shown.loc["Cluster 2", "% Change to 2022 (Jan–Nov)"] == "no comparison"
    assert shown.loc["Total", "2025"] == "150"


def test_appendix_numbers_match_direct_sql_on_the_tiny_store(tiny_con):
    present = [D(2022, 1, 1), D(2022, 2, 1), D(2022, 4, 1), D(2024, 1, 1)]
    plan = v.plan_table([2022, 2023, 2024], present)
    base = dict(area_level="cluster", ward_set="2022", classes=["VBC", "CAS", "ASB"], crime_types=[], priority="")
    months = [D(y, m, 1) for y in (2022, 2023, 2024) for m in range(1, 13)]
    totals = queries.run_df(tiny_con, "area_counts_by_year", months=months, **base)
    diff = queries.run_df(tiny_con, "area_counts_by_year", months=plan.diff.months(), **base)
    numbers, tables = v.appendix_tables(totals, plan, ["VBC", "ASB"], CLUSTERS, diff, diff)
    got = numbers["VBC"].set_index("area")
    for cluster in ("Cluster 5", "Cluster 6", "Total"):
        cond = "" if cluster == "Total" else f"and cluster_2022 = '{cluster}'"
        expected = tiny_con.execute(
            f"select count(*) from crime_records where district = 'Maidstone' and crime_class = 'VBC' "
            f"and year(month) = 2022 {cond}").fetchone()[0]
        assert got.loc[cluster, "2022"] == expected
    assert plan.diff.month_numbers == (1,)  # Jan is the only month with data in both 2022 and 2024
    jan = {y: tiny_con.execute("select count(*) from crime_records where cluster_2022 = 'Cluster 5' and "
                               f"crime_class = 'VBC' and month = DATE '{y}-01-01'").fetchone()[0] for y in (2022, 2024)}
    assert got.loc["Cluster 5", "diff"] == jan[2024] - jan[2022]
    assert tables["VBC"].set_index("VBC").loc["Cluster 1", "2023"] == "no data"


def _wards() -> pd.DataFrame:
    return pd.DataFrame({"ward_code": ["h", "m", "s", "x"], "ward_name": ["Headcorn", "Marden", "Staplehurst", "X"],
                         "cluster": ["Cluster 6"] * 3 + ["Cluster 1"], "cluster_sub_group": ["A", "B", "A", None]})


def test_ward_shares_with_sub_groups_and_all_crime():
    rows = pd.DataFrame({"area_code": ["h", "h", "m", "s", "x", "h", "s"], "year": [2025] * 5 + [2024] * 2,
                         "crime_class": ["VBC", "CAS", "VBC", "VBC", "VBC", "VBC", "ASB"],
                         "records": [10, 2, 20, 5, 99, 5, pd.NA]}).astype({"records": "Int64"})
    out = v.ward_shares(rows, _wards(), "Cluster 6", ["VBC", "CAS", "ASB"]).set_index("Ward")
    assert list(out.index) == ["Headcorn", "Marden", "Staplehurst", "Sub-group (A) total", "Sub-group (B) total",
                               "Cluster 6 total"]
    assert out.loc["Headcorn", "VBC"] == 15 and out.loc["Headcorn", "All crime"] == 17
    assert out.loc["Cluster 6 total", "VBC"] == 40 and out.loc["Cluster 6 total", "VBC %"] == 100.0
    assert out.loc["Sub-group (A) total", "VBC %"] == pytest.approx(50.0)
    assert out.loc["Marden", "Sub-group"] == "B"
    assert np.isnan(out.loc["Headcorn", "ASB %"])  # no ASB at all in the cluster: no share, not 0%
    assert out.loc["Headcorn", "ASB"] == 0


def test_ward_shares_without_sub_groups_has_no_sub_group_column():
    rows = pd.DataFrame({"area_code": ["x"], "year": [2025], "crime_class": ["ASB"], "records": [4]})
    out = v.ward_shares(rows, _wards(), "Cluster 1", ["ASB"])
    assert list(out.columns) == ["Ward", "ASB", "ASB %"]
    assert out["ASB"].tolist() == [4, 4]


def test_derivation_table_and_summary_flag_low_confidence():
    d = pd.DataFrame({"ward_2024_name": ["A", "B"], "cluster_2024": ["Cluster 5", "Cluster 5"],
                      "cluster_sub_group": [None, None], "cluster_share_of_residents": [0.518, 1.0],
                      "cluster_is_low_confidence": [True, False], "cluster_derivation": ["East 41%", "North 100%"]})
    t = v.derivation_table(d, "Cluster 5")
    assert t["Confidence"].tolist() == ["Low (under 60%)", "Good"]
    assert t["Residents from the cluster's old wards %"].tolist() == [51.8, 100.0]
    assert v.derivation_summary(d, "Cluster 5").endswith("Low confidence (under 60%): A.")
    assert v.derivation_table(d, "Cluster 1").empty


def _square(code, name, x0, y0, size=0.01):
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Feature", "properties": {"code": code, "name": name},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _map_layers(fig) -> dict:
    """{layer name: (mark, rows)} of a Vega-Lite map (rows inline, or from the spec's datasets)."""
    from dashboard.vega import leaf_layers

    spec = fig.spec()
    out = {}
    for i, layer in enumerate(leaf_layers(spec)):
        mark = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        rows = layer["data"]["values"] if "values" in layer["data"] else spec["datasets"][layer["data"]["name"]]
        out[layer.get("name") or f"{mark}_{i}"] = (mark, rows)
    return out


def _legend(fig) -> dict:
    """{group: colour} of the map's legend (the colour scale of its ward layers)."""
    scale = next(layer["encoding"]["color"]["scale"] for layer in fig.spec()["layer"] if layer.get("name") == "other_wards")
    return dict(zip(scale["domain"], scale["range"]))


def test_cluster_map_zooms_on_a_small_cluster_and_shows_the_borough_inset():
    from dashboard.theme import OTHER_WARD_COLOUR, SUB_GROUP_COLOURS

    geo = {"type": "FeatureCollection", "features": [
        _square(f"w{i}", f"Ward {i}", 0.4 + 0.05 * (i % 5), 51.1 + 0.05 * (i // 5), 0.05) for i in range(25)]}
    wards = pd.DataFrame({"ward_code": [f"w{i}" for i in range(25)], "ward_name": [f"Ward {i}" for i in range(25)],
                          "cluster": ["Cluster 5" if i in (12, 13) else "Cluster 1" for i in range(25)],
                          "cluster_sub_group": [None] * 25})
    table = v.map_table(geo, wards, "Cluster 5")
    assert table["in_selected_cluster"].sum() == 2 and table["ward_name"].iloc[0] == "Ward 12"
    fig, inset = v.cluster_map_figures(geo, table, "Cluster 5")
    assert _legend(fig) == {"Other wards": OTHER_WARD_COLOUR, "Cluster 5 wards": SUB_GROUP_COLOURS[""]}
    layers = _map_layers(fig)
    assert sorted(w["properties"]["code"] for w in layers["cluster_wards"][1]) == ["w12", "w13"]
    assert len(layers["other_wards"][1]) == 23
    assert sorted(r["name"] for r in layers["ward_names"][1]) == ["Ward 12", "Ward 13"]
    # zoomed in on the cluster (wards 12 and 13: 0.50-0.60 E, 51.20-51.25 N), the whole borough in the inset
    x0, x1, y0, y1 = fig.meta["extent"]
    assert x0 < 0.50 and x1 > 0.60 and x1 - x0 < 0.25 and y0 < 51.20 and y1 > 51.25 and y1 - y0 < 0.15
    assert fig.spec()["projection"]["fit"]["geometry"]["coordinates"] == [[x0, y0], [x1, y1]]
    assert inset is not None and inset.meta["extent"] == pytest.approx((0.4, 0.65, 51.1, 51.35))
    box = _map_layers(inset)["zoom_box"][1]
    assert {(r["lon"], r["lat"]) for r in box} == {(x0, y0), (x1, y0), (x1, y1), (x0, y1)}
    # the inset draws each group as one merged shape (the cluster's last), not every ward again
    areas = _map_layers(inset)["inset_areas"][1]
    assert [a["properties"]["group"] for a in areas] == ["Other wards", "Cluster 5 wards"]
    import shapely.geometry
    cluster_shape = shapely.geometry.shape(areas[1]["geometry"])
    assert cluster_shape.bounds == pytest.approx((0.5, 51.2, 0.6, 51.25)) and cluster_shape.area == pytest.approx(0.005)
    assert shapely.geometry.shape(areas[0]["geometry"]).area == pytest.approx(0.25 * 0.25 - 0.005)
    # polygons wound clockwise, as d3-geo reads a polygon's inside (else Vega fills the whole globe)
    ring = layers["cluster_wards"][1][0]["geometry"]["coordinates"][0]
    assert sum((b[0] - a[0]) * (b[1] + a[1]) for a, b in zip(ring, ring[1:])) > 0  # clockwise


def test_cluster_map_of_a_large_cluster_with_sub_groups_is_not_zoomed():
    from dashboard.theme import SUB_GROUP_COLOURS

    geo = {"type": "FeatureCollection", "features": [_square("h", "Headcorn", 0.4, 51.1, 0.2),
                                                     _square("m", "Marden", 0.6, 51.1, 0.2),
                                                     _square("x", "X", 0.8, 51.1, 0.1)]}
    table = v.map_table(geo, _wards(), "Cluster 6")
    fig, inset = v.cluster_map_figures(geo, table, "Cluster 6")
    legend = _legend(fig)
    assert set(legend) == {"Other wards", "Cluster 6 sub-group (A)", "Cluster 6 sub-group (B)"}
    assert legend["Cluster 6 sub-group (A)"] == SUB_GROUP_COLOURS["A"] != legend["Cluster 6 sub-group (B)"]
    assert fig.meta["groups"] == {"h": "Cluster 6 sub-group (A)", "m": "Cluster 6 sub-group (B)", "x": "Other wards"}
    assert inset is None and fig.meta["extent"] == pytest.approx((0.4, 0.9, 51.1, 51.3))
    assert "sub-group (A)" in v.map_caption(table, "Cluster 6")


def test_share_figure_stacks_each_ward_to_100_percent():
    rows = pd.DataFrame({"area_code": ["h", "m", "s"], "year": [2025] * 3, "crime_class": ["VBC"] * 3,
                         "records": [10, 20, 10]})
    shares = v.ward_shares(rows, _wards(), "Cluster 6", ["VBC"])
    fig = v.share_figure(shares, "Cluster 6")
    spec = fig.spec()
    bars = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "bar")
    segs = sorted(spec["datasets"][spec["layer"][0]["data"]["name"] if "data" in spec["layer"][0]
                                   else spec["data"]["name"]], key=lambda r: r["order"])
    assert [r["ward"] for r in segs] == ["Headcorn", "Marden", "Staplehurst"]
    assert [r["share"] for r in segs] == pytest.approx([25.0, 50.0, 25.0])  # 10, 20 and 10 of 40 records
    assert [v for r in segs for v in (r["start"], r["end"])] == pytest.approx([0, 25, 25, 75, 75, 100])
    assert [r["text"] for r in segs] == ["25%", "50%", "25%"]
    assert bars["encoding"]["color"]["scale"]["domain"] == ["Headcorn", "Marden", "Staplehurst"]


@pytest.mark.parametrize("raw, view, refused", [
    (None, "full", False), ("", "full", False), ("full", "full", False), ("print", "print", False),
    ("PRINT", "print", False), ("pdf", "full", True), ("<script>", "full", True),
])
def test_resolve_view(raw, view, refused):
    got, message = v.resolve_view(raw)
    assert got == view and (message is not None) == refused


def test_metric_delta_uses_orange_up_and_purple_down():
    assert v.metric_delta(12) == {"delta_color": "orange", "delta_arrow": "up"}
    assert v.metric_delta(-1) == {"delta_color": "violet", "delta_arrow": "down"}
    assert v.metric_delta(0)["delta_arrow"] == "off" and v.metric_delta(None)["delta_arrow"] == "off"


def test_cluster_rows_and_key_figures_for_the_print_summary():
    plan = v.plan_table([2024, 2025], PRESENT)
    tables = {c: v.appendix_display(pd.DataFrame({"area": ["Cluster 2", "Total"], "2025": [5.0, 9.0],
                                                  "2024": [1.0, 2.0], "diff": [1.0, 0.0],
                                                  "pct_change": [float("nan")] * 2}), plan, c)
              for c in ("VBC", "ASB")}
    rows = v.cluster_rows(tables, "Cluster 2")
    assert rows["Class"].tolist() == ["VBC", "ASB"] and rows.iloc[0, 1] == "5"
    h = pd.DataFrame({"measure": ["All crime"], "records": [10], "records_compared": [4],
                      "records_comparison": [2], "verdict": ["No significant change"]})
    jan, feb = dt.date(2025, 1, 1), dt.date(2025, 2, 1)
    partial = Comparison(Period(jan, feb), Period(dt.date(2024, 1, 1), dt.date(2024, 2, 1)), (jan, feb), (jan,),
                         (dt.date(2024, 1, 1),), "")
    assert v.key_figures_table(h, partial, {}).iloc[0].tolist() == ["All crime", "4", "2", "+2 (+100.0%)",
                                                                    "No significant change", "10"]
    none = Comparison(Period(jan, feb), None, (jan, feb), (jan, feb), (), "")
    assert list(v.key_figures_table(h, none, {}).columns) == ["Measure", "Jan–Feb 2025"]


def test_ward_change_rows_add_up_to_the_cluster_for_every_measure():
    w = pd.DataFrame({"ward_code": ["a", "b", "c"], "ward_name": ["A", "B", "C"], "cluster": ["K", "K", "K"]})
    r = pd.DataFrame({"ward_code": ["a", "a", "b", "b", "c"], "crime_class": ["VBC", "CAS", "VBC", "ASB", "CAS"],
                      "records": [30, 4, 10, 7, 1], "records_comparison": [20, 5, 14, 3, 0]})
    t = v.ward_change_table(r, w, "K", ["VBC", "CAS", "ASB"], "now", "before")
    for measure, grp in t.groupby("Measure"):
        wards, total = grp[grp["Ward"] != "K total"], grp[grp["Ward"] == "K total"].iloc[0]
        assert wards["Change"].sum() == total["Change"] and wards["now"].sum() == total["now"]
    crime = t[(t["Measure"] == "All crime") & (t["Ward"] == "K total")].iloc[0]
    assert (crime["now"], crime["before"]) == (30 + 4 + 10 + 1, 20 + 5 + 14 + 0)
    assert t[(t["Measure"] == "ASB") & (t["Ward"] == "C")]["now"].item() == 0  # a ward with none is a 0 row
    assert v.ward_change_sentences(t, "K")[-1] == "ASB: K +4 (+133.3%); most of it in B (+4)."


def test_tables_caption_says_computed_derived_and_filtered():
    plan = v.plan_table([2022, 2023, 2024, 2025], PRESENT)
    text = v.tables_caption(plan, "2024", crime_types=("Shoplifting",))
    assert "will differ from the published Strategic Assessment" in text and "arithmetic errors" in text
    assert "DERIVED" in text and "Filtered" in text
    assert "2025 vs 2024 compares Jan–Apr" in text and "2025 vs 2022 compares Jan–Nov" in text
    short = v.tables_caption(plan, "2022", short=True)
    assert "DERIVED" not in short and len(short) < len(text)
    assert "@media print" in v.PRINT_CSS and "stSidebar" in v.PRINT_CSS
    assert "Ctrl+P" in v.print_help("full") and "Ctrl+P" in v.print_help("print")

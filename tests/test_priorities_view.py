"""Unit tests for dashboard/priorities_view.py (pure functions) and its query on the tiny store.

Expected values are worked by hand from small inputs (or from the committed synthetic archive
in tests/fixtures/police_uk), never copied from the functions' own output.
"""

import datetime as dt
import math
from types import SimpleNamespace as NS

import numpy as np
import pandas as pd
import pytest

import queries
from analytics.periods import Period, month_range
from analytics.spc import xmr_chart
from dashboard import priorities_view as pv
from dashboard.vega import leaf_layers

D = dt.date
TYPE_CLASSES = {"Drugs": "CAS", "Robbery": "VBC", "Violence and sexual offences": "VBC",
                "Possession of weapons": "CAS", "Anti-social behaviour": "ASB", "Shoplifting": "VBC"}
PRESENT = [*month_range(D(2022, 1, 1), D(2022, 11, 1)), *month_range(D(2024, 1, 1), D(2024, 4, 1)),
           *month_range(D(2025, 1, 1), D(2025, 12, 1))]  # the real store's 27 months
ALL_MONTHS = month_range(D(2022, 1, 1), D(2025, 12, 1))


def _monthly(rows):
    """A priority_monthly_by_type-like frame from (month, priority_id, crime_type, class, role, records)."""
    df = pd.DataFrame(rows, columns=["month", "priority_id", "crime_type", "crime_class", "role", "records"])
    df["records"] = pd.array(df["records"], dtype="Int64")
    return df


# --- URL parameters -----------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [("asb", "asb"), (" asb ", "asb"), (None, None), ("", None)])
def test_parse_view_accepts_known_ids(raw, expected):
    assert pv.parse_view(raw, ["asb", "domestic_abuse"]) == (expected, None)


@pytest.mark.parametrize("raw", ["ASB", "asb;drop", "x" * 500, "1"])
def test_parse_view_refuses_anything_else_with_a_message(raw):
    value, note = pv.parse_view(raw, ["asb", "domestic_abuse"])
    assert value is None
    assert note.startswith("Ignored URL parameter view=") and "asb, domestic_abuse" in note
    assert len(note) < 200  # a hostile long value is cut short


def test_parse_baseline_accepts_a_valid_period():
    period, note = pv.parse_baseline("2025-01:2025-06", PRESENT)
    assert (period, note) == (Period(D(2025, 1, 1), D(2025, 6, 1)), None)


@pytest.mark.parametrize("raw, why", [
    ("garbage", "YYYY-MM:YYYY-MM"),
    ("2025-01", "YYYY-MM:YYYY-MM"),
    ("2025-13:2025-14", "01 to 12"),
    ("2025-06:2025-01", "ends before it starts"),
    ("2019-01:2020-01", "Jan 2022 to Dec 2025 only"),
    ("2024-01:2024-04", "4 month(s) with data"),  # too few points for limits
    ("2022-09:2024-03", "4 pair(s) of consecutive months"),  # 6 points but 2 + 2 moving ranges
    ("2025-01:2025-06" * 5, "too long"),
])
def test_parse_baseline_refuses_with_the_reason(raw, why):
    period, note = pv.parse_baseline(raw, PRESENT)
    assert period is None
    assert note.startswith("Ignored URL parameter baseline=") and why in note


def test_baseline_problem_counts_moving_ranges_only_within_runs_of_months():
    # Jul-Nov 2022 (5 points, 4 ranges) + Jan 2024 (1 point, no range across the gap): 6 points, 4 ranges
    assert "4 pair(s)" in pv.baseline_problem(Period(D(2022, 7, 1), D(2024, 1, 1)), PRESENT)
    # Jun-Nov 2022: 6 points, 5 ranges: enough
    assert pv.baseline_problem(Period(D(2022, 6, 1), D(2022, 11, 1)), PRESENT) is None


def test_baseline_param_round_trips_and_leaves_the_default_out():
    default = pv.default_baseline(PRESENT)
    assert default == Period(D(2022, 1, 1), D(2025, 12, 1))
    assert pv.baseline_param(default, default) is None
    text = pv.baseline_param(Period(D(2022, 1, 1), D(2022, 11, 1)), default)
    assert text == "2022-01:2022-11"
    assert pv.parse_baseline(text, PRESENT)[0] == Period(D(2022, 1, 1), D(2022, 11, 1))


# --- priorities and series ----------------------------------------------------------------------

def test_ordered_priorities_puts_the_four_priorities_first_then_the_themes():
    ids = list(pv.PRIORITY_ORDER)
    shuffled = pd.DataFrame({"priority_id": ids[::-1], "name": [i.upper() for i in ids[::-1]]})
    out = pv.ordered_priorities(shuffled)
    assert list(out["priority_id"]) == ids
    assert out["short_name"].iloc[0] == "Serious violence & organised crime"


def test_effective_types_follow_the_class_and_type_filters():
    svoc = ["Drugs", "Possession of weapons", "Robbery", "Violence and sexual offences"]
    assert pv.effective_types(svoc, ["VBC", "CAS", "ASB"], [], TYPE_CLASSES) == tuple(svoc)
    assert pv.effective_types(svoc, ["CAS"], [], TYPE_CLASSES) == ("Drugs", "Possession of weapons")
    assert pv.effective_types(svoc, ["VBC", "CAS"], ["Robbery", "Shoplifting"], TYPE_CLASSES) == ("Robbery",)
    assert pv.effective_types(["Anti-social behaviour"], ["VBC", "CAS"], [], TYPE_CLASSES) == ()


def test_priority_series_keeps_gaps_as_nan_and_quiet_months_as_zero():
    m1, m2, m3 = D(2022, 1, 1), D(2022, 2, 1), D(2022, 3, 1)
    df = _monthly([
        (m1, "p", "A", "VBC", "measure", 3), (m1, "p", "B", "VBC", "measure", 4),
        (m2, "p", "A", "VBC", "measure", 0), (m2, "p", "B", "VBC", "measure", 0),
        (m3, "p", "A", "VBC", "measure", None), (m3, "p", "B", "VBC", "measure", None),
        (m1, "p", "C", "VBC", "context", 100), (m1, "q", "A", "VBC", "measure", 50),
    ])
    s = pv.priority_series(df, "p", [m1, m2, m3, D(2022, 4, 1)])
    assert s.iloc[:2].tolist() == [7.0, 0.0]
    assert math.isnan(s.iloc[2]) and math.isnan(s.iloc[3])  # no data, and a month not queried
    assert pv.priority_series(df, "p", [m1], role="context").tolist() == [100.0]


def test_components_by_class_add_up_types_and_keep_gaps():
    m1, m2 = D(2022, 1, 1), D(2022, 2, 1)
    df = _monthly([
        (m1, "p", "A", "VBC", "measure", 3), (m1, "p", "B", "VBC", "measure", 4), (m1, "p", "C", "ASB", "measure", 1),
        (m2, "p", "A", "VBC", "measure", None), (m2, "p", "B", "VBC", "measure", None),
        (m2, "p", "C", "ASB", "measure", None),
    ])
    out = pv.components_long(df, "p", [m1, m2], "crime_class").set_index(["component", "month"])["records"]
    assert out[("VBC", m1)] == 7 and out[("ASB", m1)] == 1
    assert math.isnan(out[("VBC", m2)])


def test_measure_label_names_the_ward_and_says_when_filters_narrow_it():
    tc = {"measure_types": ["A", "B"], "area_rule": "ward:High Street"}
    assert pv.measure_label(tc, ["A", "B"]) == "All police.uk crime and ASB records in High Street ward"
    assert pv.measure_label(tc, ["A"]).startswith("A in High Street ward (only these types")


# --- numbers ------------------------------------------------------------------------------------

def test_period_figures_compare_like_for_like_months_with_the_exact_test():
    s = pd.Series({D(2024, 1, 1): 10.0, D(2024, 2, 1): 10.0, D(2025, 1, 1): 25.0, D(2025, 2, 1): 15.0,
                   D(2025, 3, 1): 99.0})
    r = pv.period_figures(s, [D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)],
                          [D(2025, 1, 1), D(2025, 2, 1)], [D(2024, 1, 1), D(2024, 2, 1)])
    assert r["records"] == 139  # all three months of the period
    assert (r["records_compared"], r["records_comparison"], r["change"]) == (40, 20, 20)
    assert r["pct_change"] == pytest.approx(100.0)
    # two-sided exact binomial test of 40 out of 60 at p = 0.5, worked with scipy independently
    from scipy.stats import binom
    expected = min(1.0, 2 * binom.sf(39, 60, 0.5))
    assert r["p_value"] == pytest.approx(expected)
    assert r["verdict"] == "Significant increase"


def test_period_figures_without_a_comparison_have_no_change():
    r = pv.period_figures(pd.Series({D(2025, 1, 1): 5.0}), [D(2025, 1, 1)], [D(2025, 1, 1)], [])
    assert r == {"records": 5, "months_with_data": 1}


def _series(values, start=D(2024, 1, 1)):
    months = month_range(start, D(start.year + (start.month - 1 + len(values) - 1) // 12,
                                  (start.month - 1 + len(values) - 1) % 12 + 1, 1))
    return pd.Series(values, index=pd.Index(months, dtype=object), dtype="float64")


def test_spc_for_uses_the_baseline_and_falls_back_with_a_message():
    s = _series([10, 12, 11, 13, 12, 11, 10, 12, 11, 13, 40, 12])
    chart, note = pv.spc_for(s, Period(D(2024, 1, 1), D(2024, 6, 1)))
    assert note is None and chart.limits.centre == pytest.approx((10 + 12 + 11 + 13 + 12 + 11) / 6)
    chart, note = pv.spc_for(s, Period(D(2024, 1, 1), D(2024, 3, 1)))  # 3 points: too few
    assert "all months are used" in note and chart.limits.centre == pytest.approx(s.mean())


def test_spc_for_trims_leading_and_trailing_gaps_and_refuses_no_data():
    s = pd.concat([pd.Series([np.nan], index=[D(2023, 12, 1)]), _series([5, 6, 7, 6, 5, 6, 7])])
    chart, _ = pv.spc_for(s, None)
    assert chart.table["month"].iloc[0] == D(2024, 1, 1)
    assert pv.spc_for(pd.Series([np.nan, np.nan], index=[D(2024, 1, 1), D(2024, 2, 1)]), None)[0] is None


def test_latest_signal_reads_the_last_month_of_the_period():
    chart = xmr_chart(_series([10, 12, 11, 13, 12, 11, 10, 12, 11, 13, 40, 12]),
                      Period(D(2024, 1, 1), D(2024, 10, 1)))
    assert pv.latest_signal(chart, [D(2024, 9, 1), D(2024, 11, 1)]) == (D(2024, 11, 1), "Yes: above the usual range")
    assert pv.latest_signal(chart, [D(2024, 12, 1)]) == (D(2024, 12, 1), "No signal")


def _prio(pid, measurable, types=(), context=(), area_rule=""):
    return {"priority_id": pid, "name": pid, "kind": "theme", "measurable": measurable,
            "measure_types": list(types), "context_types": list(context), "area_rule": area_rule}


def test_section_data_for_an_unmeasurable_priority_has_no_series_and_no_count():
    df = _monthly([(D(2025, 1, 1), "domestic_abuse", "Violence and sexual offences", "VBC", "context", 500)])
    s = pv.section_data(_prio("domestic_abuse", "no", context=["Violence and sexual offences"]), df,
                        [D(2025, 1, 1)], ["VBC"], [], TYPE_CLASSES, None, [D(2025, 1, 1)], [], [])
    assert s == {"measure": "Not measurable from police.uk: partner data needed"}
    table = pv.summary_table(pv.ordered_priorities(pd.DataFrame([_prio("domestic_abuse", "no")])),
                             {"domestic_abuse": s})
    assert table["Records"].isna().all() and table["Change"].isna().all()
    assert table["Latest month unusual?"].tolist() == ["—"]


def test_section_data_when_the_filters_leave_out_every_type():
    s = pv.section_data(_prio("asb", "yes", ["Anti-social behaviour"]), _monthly([]), [D(2025, 1, 1)],
                        ["VBC", "CAS"], [], TYPE_CLASSES, None, [D(2025, 1, 1)], [], [])
    assert s["types"] == () and s["chart"] is None and s["figures"] == {}
    assert s["measure"] == "Left out by the crime class/type filters"


def test_section_data_for_a_measurable_priority():
    months = month_range(D(2025, 1, 1), D(2025, 12, 1))
    values = [10, 12, 11, 13, 12, 11, 10, 12, 11, 13, 12, 40]
    df = _monthly([(m, "asb", "Anti-social behaviour", "ASB", "measure", v) for m, v in zip(months, values)])
    s = pv.section_data(_prio("asb", "yes", ["Anti-social behaviour"]), df, months, ["ASB"], [], TYPE_CLASSES,
                        Period(D(2025, 1, 1), D(2025, 10, 1)), months, months, [])
    assert s["figures"]["records"] == sum(values)
    assert s["chart"].limits.centre == pytest.approx(sum(values[:10]) / 10)
    assert (s["signal_month"], s["signal"]) == (D(2025, 12, 1), "Yes: above the usual range")


# --- tables and figures -------------------------------------------------------------------------

def test_xmr_display_table_shows_gaps_and_never_a_moving_range_across_one():
    s = pd.Series([5, 7, np.nan, 6, 8, 7, 9, 8], index=pd.Index(month_range(D(2024, 1, 1), D(2024, 8, 1)), dtype=object))
    t = pv.xmr_display_table(xmr_chart(s))
    assert t["records"].iloc[:2].tolist() == [5, 7] and pd.isna(t["records"].iloc[2])
    assert t["signal"].iloc[2] == "no data (gap)"
    mr = t["moving range"]
    assert pd.isna(mr.iloc[0]) and mr.iloc[1] == 2 and pd.isna(mr.iloc[2]) and pd.isna(mr.iloc[3])  # Apr: no Mar
    assert mr.iloc[4] == 2
    # centre = mean of the 7 months with data; limits = centre +/- 2.66 * mean moving range (2,2,1,2,1 -> 1.6)
    centre = (5 + 7 + 6 + 8 + 7 + 9 + 8) / 7
    assert t["centre line"].iloc[0] == pytest.approx(round(centre, 1))
    assert t["upper control limit"].iloc[0] == pytest.approx(round(centre + 2.66 * 1.6, 1))


def test_signal_points_pick_one_marker_per_month_by_rule_order():
    # 7 months above the centre line, the last of them also above the UCL
    values = [2, 3, 2, 3, 2, 3, 2, 9, 8, 9, 8, 9, 8, 30]
    chart = xmr_chart(_series(values, D(2023, 1, 1)), Period(D(2023, 1, 1), D(2023, 7, 1)))
    points = pv.signal_points(chart).set_index("value")
    assert points.loc[30.0, "kind"] == "above_ucl"
    assert "Run of 7+ above centre line" in points.loc[30.0, "signal"]
    assert set(points["kind"]) <= {k for k, *_ in pv.SIGNAL_KINDS}


def _layers(fig):
    spec = fig.spec()
    return leaf_layers(spec), spec.get("datasets", {})


def _rows(layer, datasets):
    data = layer["data"]
    return datasets[data["name"]] if "name" in data else data.get("values", [])


def test_spc_figure_breaks_the_line_at_gaps_and_marks_signals_by_shape():
    s = pd.Series([10, 12, np.nan, 13, 12, 11, 10, 12, 11, 13, 40, 12],
                  index=pd.Index(month_range(D(2024, 1, 1), D(2024, 12, 1)), dtype=object))
    chart = xmr_chart(s, Period(D(2024, 1, 1), D(2024, 10, 1)))
    fig = pv.spc_figure(chart, "t", "Records", period=Period(D(2024, 7, 1), D(2024, 12, 1)))
    layers, datasets = _layers(fig)
    # the monthly line: March (no data) is not drawn, and the line starts a new segment after it
    line = next(l for l in layers if _mark(l) == "line" and "segment" in str(l["encoding"].get("detail")))
    rows = _rows(line, datasets)
    assert [r["value"] for r in rows] == [10, 12, 13, 12, 11, 10, 12, 11, 13, 40, 12]
    assert len({r["segment"] for r in rows[:2]}) == 1 and rows[1]["segment"] != rows[2]["segment"]
    rules = next(_rows(l, datasets) for l in layers if _mark(l) == "line" and "line" in str(l["encoding"].get("detail")))
    centre = [r["value"] for r in rules if r["line"] == "centre"]
    assert centre == [pytest.approx(chart.limits.centre)] * 2
    assert [r["value"] for r in rules if r["line"] == "ucl"] == [pytest.approx(chart.limits.ucl)] * 2
    # the signal: a diamond at 40, coloured as an increase; the legend names it
    marks = next(l for l in layers if _mark(l) == "point" and "shape" in l["encoding"])
    assert [r["value"] for r in _rows(marks, datasets)] == [40.0]
    scale = marks["encoding"]["shape"]["scale"]
    assert scale["range"][scale["domain"].index("Above the usual range")] == "diamond"
    assert "Above the usual range" in fig.meta["legend"]
    texts = {r.get("label") for l in layers if _mark(l) == "text" for r in _rows(l, datasets)}
    assert {"no data", "selected period", "baseline"} <= texts


def _mark(layer):
    m = layer["mark"]
    return m["type"] if isinstance(m, dict) else m


def test_seasonal_table_and_figure_keep_missing_months_as_gaps():
    s = pd.Series([4.0, 5.0, np.nan, 7.0], index=[D(2022, 1, 1), D(2022, 2, 1), D(2023, 1, 1), D(2024, 2, 1)])
    table = pv.seasonal_display_table(s)
    assert list(table.columns) == ["month", "2022", "2023", "2024"]
    assert table.loc[0, "2022"] == 4 and pd.isna(table.loc[0, "2024"]) and table["2023"].isna().all()
    fig = pv.seasonal_figure(table, "t", "Records")
    assert fig.meta["years"] == ["2022", "2024"]  # 2023 has no data at all
    layers, datasets = _layers(fig)
    rows = _rows(next(l for l in layers if _mark(l) == "line"), datasets)
    y2024 = [(r["month"], r["value"]) for r in rows if r["year"] == "2024"]
    assert y2024 == [(table.loc[1, "month"], 7.0)]  # January 2024 (no data) is not drawn as a point or a zero
    assert {r["year"] for r in rows} == {"2022", "2024"}


def test_can_cannot_blocks_say_what_police_uk_cannot_do_first():
    da = NS(priority_id="domestic_abuse", measurable="no", what_police_uk_measures="Nothing directly.",
            what_it_cannot="police.uk has no domestic-abuse flag.")
    kinds = [k for k, _ in pv.can_cannot_blocks(da)]
    assert kinds[0] == "warning" and "no domestic-abuse flag" in pv.can_cannot_blocks(da)[0][1]
    assert "MARAC" in pv.can_cannot_blocks(da)[1][1]  # what would measure it
    asb = NS(priority_id="asb", measurable="yes", what_police_uk_measures="ASB.", what_it_cannot="CPWs.")
    assert [k for k, _ in pv.can_cannot_blocks(asb)] == ["info", "warning", "markdown"]


def test_every_priority_has_a_short_name_and_partner_measures():
    assert set(pv.SHORT_NAMES) == set(pv.PRIORITY_ORDER) == set(pv.WOULD_MEASURE)


# --- the query, on the tiny synthetic store ------------------------------------------------------

FIXTURE_MONTHS = [D(2022, 1, 1), D(2022, 2, 1), D(2022, 3, 1), D(2022, 4, 1), D(2024, 1, 1)]


def _run(con, **overrides):
    params = dict(months=FIXTURE_MONTHS, ward_set="2024", area_type="borough", area_code="",
                  classes=["VBC", "CAS", "ASB"], crime_types=[]) | overrides
    return queries.run_df(con, "priority_monthly_by_type", **params)


def _by_month(df, pid, role="measure"):
    sel = df[(df.priority_id == pid) & (df.role == role)]
    out = sel.groupby("month")["records"].sum(min_count=1)
    return {m.strftime("%Y-%m"): (None if pd.isna(v) else int(v)) for m, v in out.items()}


def test_query_counts_each_priority_by_month_with_gaps_as_null(tiny_con):
    df = _run(tiny_con)
    # fixture: Week Street (High Street ward) has 3 records in Jan 2022, 1 ASB in Feb, 2 shoplifting in Jan 2024
    assert _by_month(df, "safe_town_centre") == {"2022-01": 3, "2022-02": 1, "2022-03": None, "2022-04": 0,
                                                 "2024-01": 2}
    assert _by_month(df, "asb") == {"2022-01": 1, "2022-02": 1, "2022-03": None, "2022-04": 0, "2024-01": 1}
    assert _by_month(df, "substance_misuse") == {"2022-01": 1, "2022-02": 0, "2022-03": None, "2022-04": 0,
                                                 "2024-01": 0}
    # domestic abuse has no measure, only the violence context (Maidstone's one violence record, Jan 2022)
    assert _by_month(df, "domestic_abuse") == {}
    assert _by_month(df, "domestic_abuse", "context")["2022-01"] == 1


def test_query_applies_the_class_filter_and_the_area(tiny_con):
    df = _run(tiny_con, classes=["VBC", "CAS"])
    assert "asb" not in set(df.priority_id)  # ASB is left out, not counted as zero
    assert _by_month(df, "safe_town_centre")["2022-01"] == 2
    (ward,), = tiny_con.execute("select distinct ward_2024_code from records_maidstone "
                                "where crime_type = 'Drugs' and month = date '2022-01-01'").fetchall()
    df = _run(tiny_con, area_type="ward", area_code=ward)
    assert _by_month(df, "substance_misuse")["2022-01"] == 1  # the Park Wood Parade drugs record
    assert _by_month(df, "safe_town_centre")["2022-01"] == 0  # High Street only: none in Park Wood

"""XmR control charts and the seasonality table (analytics.spc).

Limits are worked out by hand in the comments. Most rule tests use a fixed baseline of
12 months alternating 14, 10, ..., 14, 10: centre = 12, every moving range = 4, so
UCL = 12 + 2.66 * 4 = 22.64 and LCL = 12 - 10.64 = 1.36. A test then appends a stretch
of months after the baseline and checks exactly which of those months are flagged.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import numpy.testing as npt
import pandas as pd
import pandas.testing as pdt
import pytest

from analytics.periods import Period
from analytics.spc import ControlLimits, XmRChart, seasonal_table, xmr_chart

NAN = math.nan
START = date(2020, 1, 1)


def months_from(start: date, n: int) -> list[date]:
    out, year, month = [], start.year, start.month
    for _ in range(n):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def series(values, start: date = START) -> pd.Series:
    return pd.Series(values, index=months_from(start, len(values)), dtype="float64")


BASELINE_VALUES = [14, 10] * 6  # centre 12, moving ranges all 4
BASELINE = Period(START, months_from(START, 12)[-1])


def chart_after_baseline(stretch, baseline_values=BASELINE_VALUES, **kwargs) -> pd.DataFrame:
    """Chart baseline + stretch; return the table rows of the stretch only."""
    chart = xmr_chart(series(list(baseline_values) + list(stretch)), baseline=BASELINE, **kwargs)
    return chart.table.iloc[len(baseline_values):].reset_index(drop=True)


def test_limits_by_hand():
    chart = xmr_chart(series(BASELINE_VALUES))
    assert isinstance(chart, XmRChart) and isinstance(chart.limits, ControlLimits)
    limits = chart.limits
    assert limits.centre == pytest.approx(12.0)
    assert limits.mean_moving_range == pytest.approx(4.0)
    assert limits.ucl == pytest.approx(22.64)
    assert limits.lcl == pytest.approx(1.36)
    assert not limits.lcl_floored_at_zero
    assert (limits.n_baseline_points, limits.n_baseline_moving_ranges) == (12, 11)
    assert limits.baseline == BASELINE


def test_lower_limit_floored_at_zero_and_said_so():
    # 4, 6, 4, 6, 4, 6: centre 5, moving ranges 2, LCL = 5 - 5.32 = -0.32.
    chart = xmr_chart(series([4, 6, 4, 6, 4, 6]))
    assert chart.limits.lcl == 0.0
    assert chart.limits.lcl_unfloored == pytest.approx(-0.32)
    assert chart.limits.lcl_floored_at_zero
    assert chart.limits.ucl == pytest.approx(10.32)
    assert any("Lower control limit set to 0" in note for note in chart.notes)
    unfloored = xmr_chart(series([4, 6, 4, 6, 4, 6]), floor_lcl_at_zero=False)
    assert unfloored.limits.lcl == pytest.approx(-0.32)
    assert not unfloored.limits.lcl_floored_at_zero


def test_no_moving_range_across_a_gap():
    # Jan-Jun 2022: 10, 11, ...; then nothing until Jan 2024: 30, 31, ... (19 missing months).
    before = pd.Series([10, 11, 10, 11, 10, 11], index=months_from(date(2022, 1, 1), 6))
    after = pd.Series([30, 31, 30, 31, 30, 31], index=months_from(date(2024, 1, 1), 6))
    chart = xmr_chart(pd.concat([before, after]))
    # Ranges within each stretch are all 1; |30 - 11| across the gap is not a range.
    assert chart.limits.n_baseline_moving_ranges == 10
    assert chart.limits.mean_moving_range == pytest.approx(1.0)
    assert chart.limits.centre == pytest.approx(20.5)
    assert chart.limits.ucl == pytest.approx(23.16)
    table = chart.table
    assert len(table) == 30  # Jan 2022 .. Jun 2023, every calendar month
    expected_ranges = [NAN] + [1.0] * 5 + [NAN] * 18 + [NAN] + [1.0] * 5
    npt.assert_array_equal(table.moving_range.to_numpy(), expected_ranges)
    gap = table.iloc[6:24]
    assert gap.is_missing.all() and gap.value.isna().all()
    assert not gap.is_signal.any() and (gap.signal == "").all()
    assert any("No data for Jul 2022 – Dec 2023" in note for note in chart.notes)


def test_absent_months_and_nan_months_are_the_same_gap():
    with_nan = series([5, 7, 6, NAN, NAN, 8, 6, 7, 5, 6])
    absent = with_nan.dropna()
    pdt.assert_frame_equal(xmr_chart(with_nan).table, xmr_chart(absent).table)


def test_table_columns_and_values():
    table = xmr_chart(series(BASELINE_VALUES)).table
    assert list(table.columns) == [
        "month", "value", "is_missing", "in_baseline", "centre", "ucl", "lcl", "moving_range",
        "above_ucl", "below_lcl", "run_above", "run_below", "trend_up", "trend_down", "is_signal", "signal",
    ]
    assert list(table.month) == months_from(START, 12)
    npt.assert_array_equal(table.value.to_numpy(), np.array(BASELINE_VALUES, dtype=float))
    npt.assert_allclose(table.centre.to_numpy(), np.full(12, 12.0))
    npt.assert_allclose(table.ucl.to_numpy(), np.full(12, 22.64))
    npt.assert_allclose(table.lcl.to_numpy(), np.full(12, 1.36))
    assert not table.is_signal.any()


@pytest.mark.parametrize(
    "stretch, column, expected",
    [
        ([23], "above_ucl", [True]),  # 23 > 22.64
        ([22], "above_ucl", [False]),
        ([12, 23, 12], "above_ucl", [False, True, False]),
    ],
)
def test_rule_beyond_upper_limit(stretch, column, expected):
    got = chart_after_baseline(stretch)
    npt.assert_array_equal(got[column].to_numpy(), expected)


@pytest.mark.parametrize(
    "stretch, expected",
    [
        ([1], [True]),  # 1 < 1.36
        ([2], [False]),
    ],
)
def test_rule_beyond_lower_limit(stretch, expected):
    got = chart_after_baseline(stretch)
    npt.assert_array_equal(got.below_lcl.to_numpy(), expected)
    assert got.signal.tolist() == ["Below lower control limit" if flag else "" for flag in expected]


# The baseline ends with 10 (below the centre line), so a run above starts with the stretch.
@pytest.mark.parametrize(
    "stretch, expected",
    [
        ([13] * 7, [True] * 7),  # exactly 7 in a row above
        ([13] * 6, [False] * 6),  # 6 is not enough
        ([13] * 8, [True] * 8),  # the whole run is flagged
        ([13] * 4 + [NAN] + [13] * 3, [False] * 8),  # a gap breaks the run
        ([13] * 4 + [12] + [13] * 3, [False] * 8),  # a point on the centre line breaks the run
        ([13] * 4 + [11] + [13] * 7, [False] * 5 + [True] * 7),  # counting restarts
    ],
)
def test_rule_run_above(stretch, expected):
    got = chart_after_baseline(stretch)
    npt.assert_array_equal(got.run_above.to_numpy(), expected)
    assert not got.run_below.any()


def test_rule_run_below_counts_the_baseline_points_too():
    # The baseline's last point (10) is below the centre: with 6 more below it makes 7.
    chart = xmr_chart(series(BASELINE_VALUES + [11] * 6), baseline=BASELINE)
    npt.assert_array_equal(chart.table.run_below.to_numpy(), [False] * 11 + [True] * 7)
    assert chart.table.signal.iloc[-1] == "Run of 7+ below centre line"


# The baseline ends with 10; the stretch starts at 9 so the 10 -> 9 step is a fall.
@pytest.mark.parametrize(
    "stretch, expected",
    [
        ([9, 10, 11, 12, 13, 14], [True] * 6),  # 6 points rising (5 increases)
        ([9, 10, 11, 12, 13], [False] * 5),  # 5 points: not enough
        ([9, 10, 11, 12, 13, 14, 15], [True] * 7),
        ([9, 10, 11, 11, 12, 13, 14], [False] * 7),  # two equal points break it
        ([9, 10, 11, NAN, 12, 13, 14], [False] * 7),  # a gap breaks it
        ([9, 10, 8, 9, 10, 11, 12, 13], [False] * 2 + [True] * 6),
    ],
)
def test_rule_trend_up(stretch, expected):
    got = chart_after_baseline(stretch)
    npt.assert_array_equal(got.trend_up.to_numpy(), expected)
    assert not got.trend_down.any()


def test_rule_trend_down():
    # Baseline 10, 14, ..., 10, 14 ends with 14; 15 breaks the fall, then 15 .. 10 falls 6 points.
    baseline_values = [10, 14] * 6
    got = chart_after_baseline([15, 14, 13, 12, 11, 10], baseline_values=baseline_values)
    npt.assert_array_equal(got.trend_down.to_numpy(), [True] * 6)
    assert not got.trend_up.any()
    assert got.signal.tolist() == ["Falling trend (6+ points)"] * 6


def test_several_rules_in_one_signal():
    # Seven points above the centre, rising to beyond the UCL.
    got = chart_after_baseline([13, 14, 15, 16, 17, 18, 30])
    assert got.signal.iloc[-1] == "Above upper control limit; Run of 7+ above centre line; Rising trend (6+ points)"
    assert got.is_signal.all()


def test_rule_sizes_are_adjustable():
    got = chart_after_baseline([13] * 5, run_length=5)
    npt.assert_array_equal(got.run_above.to_numpy(), [True] * 5)
    assert got.signal.iloc[0] == "Run of 5+ above centre line"


def test_selected_baseline_sets_the_limits_and_marks_its_rows():
    # Baseline: the first 6 months (5, 7, 5, 7, 5, 7): centre 6, moving range 2, UCL 11.32.
    values = [5, 7, 5, 7, 5, 7, 20, 21, 20, 21]
    chart = xmr_chart(series(values), baseline=Period(START, date(2020, 6, 1)))
    assert chart.limits.centre == pytest.approx(6.0)
    assert chart.limits.ucl == pytest.approx(11.32)
    npt.assert_array_equal(chart.table.in_baseline.to_numpy(), [True] * 6 + [False] * 4)
    npt.assert_array_equal(chart.table.above_ucl.to_numpy(), [False] * 6 + [True] * 4)
    # Default baseline: all 10 points, centre 11.8.
    assert xmr_chart(series(values)).limits.centre == pytest.approx(11.8)


@pytest.mark.parametrize(
    "values, message",
    [
        ([5, 7, 5, 7, 5], "has 5 month"),  # 5 points
        ([5, 7, 5, 7, NAN, 5, 7], "only 4 pair"),  # 6 points but only 3 + 1 moving ranges
    ],
)
def test_too_small_a_baseline_is_refused(values, message):
    with pytest.raises(ValueError, match=message):
        xmr_chart(series(values))


def test_six_consecutive_points_are_enough():
    chart = xmr_chart(series([5, 7, 5, 7, 5, 7]))
    assert chart.limits.n_baseline_points == 6
    assert any("provisional" in note for note in chart.notes)


def test_baseline_outside_the_data_is_refused():
    with pytest.raises(ValueError, match="has 0 month"):
        xmr_chart(series(BASELINE_VALUES), baseline=Period(date(2030, 1, 1), date(2030, 12, 1)))


@pytest.mark.parametrize(
    "data, error, message",
    [
        (pd.Series([], dtype="float64"), ValueError, "empty"),
        (series([NAN] * 8), ValueError, "no month with data"),
        (pd.Series([1.0, 2.0], index=[date(2020, 1, 15), date(2020, 2, 15)]), ValueError, "first day"),
        (pd.Series([1.0, 2.0], index=["2020-01", "2020-02"]), ValueError, "indexed by months"),
        (pd.Series([1.0, 2.0], index=[START, START]), ValueError, "more than one value for Jan 2020"),
        (pd.Series(["x", 2.0], index=months_from(START, 2)), ValueError, "numbers"),
        (series([1, 2, 3, math.inf, 5, 6]), ValueError, "infinite"),
        ([1, 2, 3], TypeError, "pandas Series"),
    ],
)
def test_bad_series_is_refused(data, error, message):
    with pytest.raises(error, match=message):
        xmr_chart(data)


def test_timestamps_and_unsorted_input_are_accepted():
    values = [5, 7, 5, 7, 5, 7]
    reference = xmr_chart(series(values)).table
    stamps = pd.Series(values, index=pd.to_datetime(months_from(START, 6)), dtype="float64")
    pdt.assert_frame_equal(xmr_chart(stamps).table, reference)
    pdt.assert_frame_equal(xmr_chart(series(values).iloc[::-1]).table, reference)
    pdt.assert_frame_equal(xmr_chart(dict(series(values))).table, reference)


def test_seasonal_table():
    # Nov 2022 .. Feb 2024 with Dec 2022 .. Dec 2023 missing (as in our data).
    data = pd.Series(
        [3, NAN, 6, 8],
        index=[date(2022, 11, 1), date(2022, 12, 1), date(2024, 1, 1), date(2024, 2, 1)],
    )
    expected = pd.DataFrame(
        np.nan,
        index=pd.Index(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
                       name="month"),
        columns=pd.Index([2022, 2023, 2024], name="year"),
    )
    expected.loc["Nov", 2022] = 3.0
    expected.loc["Jan", 2024] = 6.0
    expected.loc["Feb", 2024] = 8.0
    pdt.assert_frame_equal(seasonal_table(data), expected)


def test_seasonal_table_refuses_non_months():
    with pytest.raises(ValueError, match="first day"):
        seasonal_table(pd.Series([1.0], index=[date(2024, 1, 31)]))

"""Months, periods, coverage and like-for-like comparison (analytics.periods).

Expected values are written out by hand from the calendar. The gap pattern used below is
the one in our data: nothing for 2022-12 .. 2023-12 nor 2024-05 .. 2024-12.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime

import pandas as pd
import pandas.testing as pdt
import pytest

from analytics.periods import (
    Period,
    calendar_year,
    comparable_months,
    coverage,
    financial_year,
    format_month,
    last_n_months,
    month_label,
    month_range,
    monthly_counts,
    parse_month,
    previous_period,
    same_months_last_year,
    shift_months,
    total_for_months,
)


def d(year: int, month: int) -> date:
    return date(year, month, 1)


def months_of(*spans: tuple[date, date]) -> list[date]:
    """Hand-written month lists: every month of each (first, last) span."""
    out = []
    for first, last in spans:
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            out.append(date(year, month, 1))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# Loaded months in our data: 2022-01..2022-11, 2024-01..2024-04, 2025-01..2025-12.
AVAILABLE = months_of((d(2022, 1), d(2022, 11)), (d(2024, 1), d(2024, 4)), (d(2025, 1), d(2025, 12)))


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (d(2025, 1), d(2025, 1), [d(2025, 1)]),
        (d(2024, 11), d(2025, 2), [d(2024, 11), d(2024, 12), d(2025, 1), d(2025, 2)]),
        (d(2023, 12), d(2024, 1), [d(2023, 12), d(2024, 1)]),
    ],
)
def test_month_range(start, end, expected):
    assert month_range(start, end) == expected


def test_month_range_backwards_is_an_error():
    with pytest.raises(ValueError, match="before the start month"):
        month_range(d(2025, 2), d(2025, 1))


@pytest.mark.parametrize(
    "month, n, expected",
    [
        (d(2025, 1), 0, d(2025, 1)),
        (d(2025, 1), -1, d(2024, 12)),
        (d(2025, 12), 1, d(2026, 1)),
        (d(2024, 11), 14, d(2026, 1)),
        (d(2025, 3), -15, d(2023, 12)),
        (d(2025, 6), -12, d(2024, 6)),
    ],
)
def test_shift_months(month, n, expected):
    assert shift_months(month, n) == expected


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (date(2025, 1, 15), ValueError, "first day of a month"),
        (datetime(2025, 1, 1), TypeError, "datetime.date"),
        ("2025-01", TypeError, "datetime.date"),
        (pd.Timestamp("2025-01-01"), TypeError, "datetime.date"),
    ],
)
def test_a_month_must_be_a_first_of_month_date(bad, error, message):
    with pytest.raises(error, match=message):
        shift_months(bad, 1)
    with pytest.raises(error, match=message):
        Period(bad, d(2025, 12))


def test_period_fields():
    period = Period(d(2025, 1), d(2025, 12))
    assert period.n_months == 12
    assert period.months == tuple(months_of((d(2025, 1), d(2025, 12))))
    assert period.label == "Jan 2025 – Dec 2025"
    assert d(2025, 6) in period and d(2024, 12) not in period


def test_period_is_frozen_and_checked():
    period = Period(d(2025, 1), d(2025, 3))
    with pytest.raises(dataclasses.FrozenInstanceError):
        period.start = d(2024, 1)
    with pytest.raises(ValueError, match="cannot end"):
        Period(d(2025, 3), d(2025, 1))


@pytest.mark.parametrize(
    "period, start, end, label",
    [
        (last_n_months(d(2025, 3)), d(2024, 4), d(2025, 3), "Apr 2024 – Mar 2025"),
        (last_n_months(d(2025, 3), n=1), d(2025, 3), d(2025, 3), "Mar 2025"),
        (last_n_months(d(2025, 3), n=3), d(2025, 1), d(2025, 3), "Jan 2025 – Mar 2025"),
        (calendar_year(2024), d(2024, 1), d(2024, 12), "Jan 2024 – Dec 2024"),
        (financial_year(2024), d(2024, 4), d(2025, 3), "Apr 2024 – Mar 2025"),
        (same_months_last_year(Period(d(2025, 1), d(2025, 6))), d(2024, 1), d(2024, 6), "Jan 2024 – Jun 2024"),
        (same_months_last_year(financial_year(2024)), d(2023, 4), d(2024, 3), "Apr 2023 – Mar 2024"),
        (previous_period(calendar_year(2025)), d(2024, 1), d(2024, 12), "Jan 2024 – Dec 2024"),
        (previous_period(Period(d(2025, 1), d(2025, 3))), d(2024, 10), d(2024, 12), "Oct 2024 – Dec 2024"),
        (previous_period(Period(d(2025, 5), d(2025, 5))), d(2025, 4), d(2025, 4), "Apr 2025"),
    ],
)
def test_presets(period, start, end, label):
    assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize("n", [0, -3])
def test_last_n_months_needs_at_least_one_month(n):
    with pytest.raises(ValueError, match="at least 1"):
        last_n_months(d(2025, 3), n=n)


@pytest.mark.parametrize("bad", [2024.0, "2024", True])
def test_years_must_be_whole_numbers(bad):
    with pytest.raises(TypeError, match="whole number"):
        calendar_year(bad)


@pytest.mark.parametrize(
    "period, present, missing, complete, empty, text",
    [
        (calendar_year(2025), months_of((d(2025, 1), d(2025, 12))), [], True, False, "All 12 months have data"),
        (
            calendar_year(2022),
            months_of((d(2022, 1), d(2022, 11))),
            [d(2022, 12)],
            False,
            False,
            "11 of 12 months have data; missing: Dec 2022",
        ),
        (
            calendar_year(2023),
            [],
            months_of((d(2023, 1), d(2023, 12))),
            False,
            True,
            "No data for any of the 12 months of Jan 2023 – Dec 2023",
        ),
        (
            Period(d(2022, 10), d(2024, 6)),
            [d(2022, 10), d(2022, 11), d(2024, 1), d(2024, 2), d(2024, 3), d(2024, 4)],
            months_of((d(2022, 12), d(2023, 12)), (d(2024, 5), d(2024, 6))),
            False,
            False,
            "6 of 21 months have data; missing: Dec 2022 – Dec 2023, May 2024 – Jun 2024",
        ),
    ],
)
def test_coverage(period, present, missing, complete, empty, text):
    got = coverage(period, AVAILABLE)
    assert list(got.present) == present
    assert list(got.missing) == missing
    assert (got.is_complete, got.is_empty) == (complete, empty)
    assert got.describe() == text


def test_coverage_refuses_a_string_of_months():
    with pytest.raises(TypeError, match="not a single string"):
        coverage(calendar_year(2025), "2025-01")


def test_comparable_months_keeps_only_pairs_with_data_on_both_sides():
    this_year = calendar_year(2025)
    got = comparable_months(this_year, same_months_last_year(this_year), AVAILABLE)
    # 2024 only has Jan-Apr, so only Jan-Apr of both years are compared.
    assert got.pairs == tuple((d(2025, m), d(2024, m)) for m in (1, 2, 3, 4))
    assert got.current_months == tuple(d(2025, m) for m in (1, 2, 3, 4))
    assert got.comparison_months == tuple(d(2024, m) for m in (1, 2, 3, 4))
    assert got.dropped == tuple((d(2025, m), d(2024, m)) for m in range(5, 13))
    assert (got.n_months, got.is_complete, got.is_empty) == (4, False, False)
    assert got.describe() == (
        "Jan 2025 – Dec 2025 compared with Jan 2024 – Dec 2024: 4 of 12 months compared like for like; "
        "left out May 2025 – Dec 2025 and the matching comparison months (no data in one or both)"
    )


def test_comparable_months_drops_a_pair_missing_on_the_current_side():
    period = Period(d(2022, 11), d(2023, 1))  # Dec 2022 and Jan 2023 missing
    got = comparable_months(period, same_months_last_year(period), months_of((d(2021, 11), d(2022, 11))))
    assert got.pairs == ((d(2022, 11), d(2021, 11)),)
    assert got.dropped == ((d(2022, 12), d(2021, 12)), (d(2023, 1), d(2022, 1)))


def test_comparable_months_complete_and_empty():
    complete = comparable_months(Period(d(2025, 4), d(2025, 6)), Period(d(2025, 1), d(2025, 3)), AVAILABLE)
    assert complete.is_complete and complete.n_months == 3
    assert complete.describe() == "Apr 2025 – Jun 2025 compared with Jan 2025 – Mar 2025: all 3 months"
    empty = comparable_months(calendar_year(2024), calendar_year(2023), AVAILABLE)
    assert empty.is_empty and empty.pairs == () and len(empty.dropped) == 12
    assert "no comparison is possible" in empty.describe()


def test_comparable_months_needs_equal_lengths():
    with pytest.raises(ValueError, match="same length"):
        comparable_months(calendar_year(2025), Period(d(2024, 1), d(2024, 6)), AVAILABLE)


@pytest.mark.parametrize(
    "text, expected",
    [("2025-01", d(2025, 1)), ("2010-12", d(2010, 12)), ("1999-09", d(1999, 9)), ("2024-10", d(2024, 10))],
)
def test_parse_month(text, expected):
    assert parse_month(text) == expected
    assert format_month(expected) == text


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "2025",
        "2025-1",
        "2025-001",
        "2025-13",
        "2025-00",
        " 2025-01",
        "2025-01 ",
        "2025-01\n",
        "2025-01-01",
        "25-01",
        "2025/01",
        "01-2025",
        "abcd-ef",
        "\u0662\u0660\u0662\u0665-\u0660\u0661",  # Arabic-Indic digits: not ASCII
        "0000-01",
        "9999-12",
        "2025-01'; drop table crimes; --",
        "x" * 10_000,
        None,
        202501,
        ["2025-01"],
    ],
)
def test_parse_month_rejects_nonsense(bad):
    with pytest.raises(ValueError, match="YYYY-MM") as info:
        parse_month(bad)
    assert len(str(info.value)) < 200  # never echoes a huge input back


def test_month_label():
    assert [month_label(d(2025, m)) for m in (1, 5, 9, 12)] == ["Jan 2025", "May 2025", "Sep 2025", "Dec 2025"]


def test_monthly_counts_tells_zero_from_missing():
    counts = {d(2022, 10): 4, d(2024, 1): 7}  # no rows for Nov 2022 (loaded) or Dec 2022 (missing)
    got = monthly_counts(counts, Period(d(2022, 10), d(2024, 1)), AVAILABLE)
    months = months_of((d(2022, 10), d(2024, 1)))
    expected = pd.Series(
        [4.0, 0.0] + [math.nan] * 13 + [7.0],
        index=pd.Index(months, dtype=object, name="month"),
        name="count",
    )
    pdt.assert_series_equal(got, expected)


def test_monthly_counts_refuses_a_count_for_a_month_not_loaded():
    with pytest.raises(ValueError, match="Mar 2023.*not among the available months"):
        monthly_counts({d(2023, 3): 5}, calendar_year(2023), AVAILABLE)


@pytest.mark.parametrize(
    "counts, months, expected",
    [
        ({d(2024, 1): 5, d(2024, 2): 7}, [d(2024, 1), d(2024, 2)], 12.0),
        ({d(2024, 1): 5, d(2024, 2): 0}, [d(2024, 1), d(2024, 2)], 5.0),
        ({d(2024, 1): 5, d(2024, 2): 7}, [], 0.0),
        (pd.Series([3.0, 4.0], index=[d(2024, 1), d(2024, 2)]), [d(2024, 1), d(2024, 2)], 7.0),
    ],
)
def test_total_for_months(counts, months, expected):
    assert total_for_months(counts, months) == expected


@pytest.mark.parametrize(
    "counts",
    [
        {d(2024, 1): 5},
        {d(2024, 1): 5, d(2024, 2): None},
        {d(2024, 1): 5, d(2024, 2): math.nan},
        {d(2024, 1): 5, d(2024, 2): pd.NA},
        pd.Series([5.0, math.nan], index=[d(2024, 1), d(2024, 2)]),
    ],
)
def test_total_for_months_never_adds_a_missing_month_as_zero(counts):
    with pytest.raises(ValueError, match="no data for Feb 2024"):
        total_for_months(counts, [d(2024, 1), d(2024, 2)])

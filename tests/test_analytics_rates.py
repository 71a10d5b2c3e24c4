"""Rates, percentage changes and display labels (analytics.rates). Expected values by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.rates import MINUS, change_label, format_count, pct_change, rate_per_1000


@pytest.mark.parametrize(
    "count, population, expected",
    [
        (45, 9000, 5.0),
        (0, 9000, 0.0),
        (1, 3, 1000 / 3),
        (np.int64(12), 4000, 3.0),
        (45, 0, None),
        (45, None, None),
        (45, math.nan, None),
        (45, pd.NA, None),
        (None, 9000, None),
        (math.nan, 9000, None),
    ],
)
def test_rate_per_1000(count, population, expected):
    got = rate_per_1000(count, population)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    "count, population, error, message",
    [
        (-1, 9000, ValueError, "count cannot be negative"),
        (5, -10, ValueError, "population cannot be negative"),
        (5, math.inf, ValueError, "finite"),
        ("5", 9000, TypeError, "must be a number"),
    ],
)
def test_rate_per_1000_refuses_bad_input(count, population, error, message):
    with pytest.raises(error, match=message):
        rate_per_1000(count, population)


@pytest.mark.parametrize(
    "current, previous, expected",
    [
        (110, 100, 10.0),
        (90, 100, -10.0),
        (100, 100, 0.0),
        (0, 40, -100.0),
        (3, 2, 50.0),
        (5, 0, None),
        (0, 0, None),
        (5, None, None),
        (None, 5, None),
        (5, math.nan, None),
    ],
)
def test_pct_change(current, previous, expected):
    got = pct_change(current, previous)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1000, "1,000"),
        (12345, "12,345"),
        (1234567, "1,234,567"),
        (12.0, "12"),
        (np.int64(4321), "4,321"),
        (-1200, MINUS + "1,200"),
        (None, "no data"),
        (math.nan, "no data"),
    ],
)
def test_format_count(value, expected):
    assert format_count(value) == expected


def test_format_count_missing_text_and_fractions():
    assert format_count(None, missing="–") == "–"
    with pytest.raises(ValueError, match="whole number"):
        format_count(2.5)


@pytest.mark.parametrize(
    "current, previous, expected",
    [
        (112, 100, "+12 (+12.0%)"),
        (27, 30, "\u22123 (\u221210.0%)"),
        (1350, 1200, "+150 (+12.5%)"),
        (1200, 1350, "\u2212150 (\u221211.1%)"),  # -150 / 1350 = -11.11%
        (2, 3, "\u22121 (\u221233.3%)"),
        (100, 100, "0 (0.0%)"),
        (10001, 10000, "+1 (+0.0%)"),  # +0.01% keeps its sign
        (4, 0, "new (was 0)"),
        (0, 0, "0 (was 0)"),
        (0, 5, "\u22125 (\u2212100.0%)"),
        (12000, 1000, "+11,000 (+1,100.0%)"),
        (None, 3, "no data"),
        (3, None, "no data"),
        (3, math.nan, "no data"),
    ],
)
def test_change_label(current, previous, expected):
    assert change_label(current, previous) == expected


def test_change_label_refuses_fractional_counts():
    with pytest.raises(ValueError, match="whole number"):
        change_label(2.5, 3)

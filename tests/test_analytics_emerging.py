"""analytics.emerging: emerging-hot-spot classes on a synthetic grid with planted patterns, gaps kept as
gaps, and the Mann-Kendall test against a hand count."""

import datetime as dt
import itertools
import math

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from libpysal.weights import W, lat2W

from analytics.emerging import (
    DIMINISHING,
    INTENSIFYING,
    MIN_SLICES,
    NEW,
    NO_PATTERN,
    PERSISTENT,
    SPORADIC,
    category,
    emerging_hot_spots,
    explain,
    mann_kendall,
    monthly_gi_z,
)

SIDE = 14  # a 14 x 14 grid of cells, numbered row by row, queen contiguity
GAP = dt.date(2025, 7, 1)  # a calendar month with no data in the middle of the series
MONTHS = [dt.date(2025, m, 1) for m in range(1, 13)] + [dt.date(2026, 1, 1)]
DATA_MONTHS = [m for m in MONTHS if m != GAP]  # 12 months with data

# 2 x 2 blocks of cells (top-left corner) with a planted pattern over the 12 months with data (t = 0..11)
BLOCKS = {
    INTENSIFYING: (2, 2),  # 9, 10, ... 20: hot throughout and rising
    PERSISTENT: (2, 10),  # 10 every month
    NEW: (10, 2),  # background until the last month, then 12
    SPORADIC: (10, 10),  # 12 in months 1, 5, 8 and 11 only
    DIMINISHING: (6, 6),  # 20, 19, ... 9: hot throughout and falling
}
FAR_CELL = (13, 6)  # no planted block within two cells


def cell(row: int, col: int) -> str:
    return str(row * SIDE + col)


def block_cells(pattern: str) -> list[str]:
    r0, c0 = BLOCKS[pattern]
    return [cell(r, c) for r, c in itertools.product((r0, r0 + 1), (c0, c0 + 1))]


def planted(t: int) -> np.ndarray:
    """One month: a deterministic background of 1-3 records per cell and the planted blocks."""
    v = np.array([((i * 7 + t * 3) % 3) + 1 for i in range(SIDE * SIDE)], dtype=float)

    def put(pattern, value):
        for c in block_cells(pattern):
            v[int(c)] = value

    put(INTENSIFYING, 9 + t)
    put(PERSISTENT, 10)
    if t == 11:
        put(NEW, 12)
    if t in (1, 5, 8, 11):
        put(SPORADIC, 12)
    put(DIMINISHING, 20 - t)
    return v


@pytest.fixture(scope="module")
def weights():
    lattice = lat2W(SIDE, SIDE, rook=False)
    return W({str(k): [str(n) for n in v] for k, v in lattice.neighbors.items()})


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    """Area x month counts with the gap month present as an all-missing column."""
    data = {m: planted(t) for t, m in enumerate(DATA_MONTHS)}
    data[GAP] = np.full(SIDE * SIDE, np.nan)
    return pd.DataFrame(data, index=[str(i) for i in range(SIDE * SIDE)])[MONTHS]


@pytest.fixture(scope="module")
def result(counts, weights) -> pd.DataFrame:
    return emerging_hot_spots(counts, weights).set_index("area_id")


@pytest.mark.parametrize("pattern", list(BLOCKS))
def test_each_planted_pattern_gets_its_class(result, pattern):
    got = result.loc[block_cells(pattern), "category"]
    assert (got == pattern).all(), got.to_dict()


def test_trends_are_found_where_they_were_planted(result):
    assert (result.loc[block_cells(INTENSIFYING), "trend"] == "up").all()
    assert (result.loc[block_cells(DIMINISHING), "trend"] == "down").all()
    assert (result.loc[block_cells(PERSISTENT), "trend"] == "none").all()
    assert (result.loc[block_cells(INTENSIFYING), "trend_p"] <= 0.05).all()


def test_hot_month_counts_follow_the_plant(result):
    assert (result.loc[block_cells(NEW), "hot_months"] == 1).all()
    assert (result.loc[block_cells(SPORADIC), "hot_months"] == 4).all()
    assert (result.loc[block_cells(PERSISTENT), "hot_months"] == 12).all()


def test_background_far_from_the_blocks_has_no_pattern(result):
    row = result.loc[cell(*FAR_CELL)]
    assert row["category"] == NO_PATTERN
    assert row["hot_months"] == 0


def test_the_gap_month_is_skipped_not_counted_as_zero(counts, weights, result):
    assert (result["months"] == 12).all()
    assert (result["first_month"] == DATA_MONTHS[0]).all() and (result["last_month"] == DATA_MONTHS[-1]).all()
    without_gap = emerging_hot_spots(counts.drop(columns=[GAP]), weights).set_index("area_id")
    pdt.assert_frame_equal(result, without_gap)
    # the same month filled with zeros is a different series: 13 months, a month in which nothing stands out
    # (z = 0 everywhere) pulls the hot blocks' mean score down and weakens their trends
    zeros = emerging_hot_spots(counts.fillna(0), weights).set_index("area_id")
    assert (zeros["months"] == 13).all()
    hot = block_cells(INTENSIFYING) + block_cells(PERSISTENT)
    assert (zeros.loc[hot, "z_mean"] < result.loc[hot, "z_mean"] - 0.1).all()
    assert (zeros.loc[block_cells(INTENSIFYING), "trend_p"] > result.loc[block_cells(INTENSIFYING), "trend_p"]).all()


def test_month_order_comes_from_the_dates_not_the_columns(counts, weights, result):
    shuffled = counts[list(reversed(MONTHS))]
    pdt.assert_frame_equal(emerging_hot_spots(shuffled, weights).set_index("area_id"), result)


def test_a_month_with_data_for_only_some_areas_is_refused(counts, weights):
    broken = counts.copy()
    broken.loc["0", DATA_MONTHS[3]] = np.nan
    with pytest.raises(ValueError, match="some areas but not others"):
        emerging_hot_spots(broken, weights)


def test_too_few_months_is_refused_with_a_reason(counts, weights):
    with pytest.raises(ValueError, match=f"at least {MIN_SLICES} months"):
        emerging_hot_spots(counts[DATA_MONTHS[:MIN_SLICES - 1] + [GAP]], weights)


def test_missing_areas_are_refused(counts, weights):
    with pytest.raises(ValueError, match="no counts for 1 area"):
        emerging_hot_spots(counts.drop(index="5"), weights)


def test_monthly_z_matches_the_gi_star_formula(weights):
    """Gi* z by hand (Getis and Ord 1995, binary weights with the self-weight): expected value and variance."""
    x = planted(0)
    n = len(x)
    z = monthly_gi_z(x, weights)
    ids = weights.id_order
    for i in (0, 30, 104):
        nb = [ids.index(j) for j in weights.neighbors[ids[i]]] + [i]
        wi = len(nb)
        mean, s = x.mean(), math.sqrt((x ** 2).mean() - x.mean() ** 2)
        expected = (x[nb].sum() - wi * mean) / (s * math.sqrt((n * wi - wi ** 2) / (n - 1)))
        assert z[i] == pytest.approx(expected, rel=1e-9)
    assert (monthly_gi_z(np.full(n, 3.0), weights) == 0).all()  # nothing stands out


def test_mann_kendall_against_a_hand_count():
    times = [dt.date(2025, m, 1) for m in (1, 2, 3, 5, 6, 9)]  # uneven spacing: only order matters
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    tau, p, trend = mann_kendall(times, values)
    # every one of the 15 pairs is concordant: S = 15, tau = 1; exact two-sided p = 2 / 6! (one ordering of 720)
    assert tau == pytest.approx(1.0)
    assert p == pytest.approx(2 / math.factorial(6))
    assert trend == "up"
    assert mann_kendall(times, values[::-1])[2] == "down"
    s = sum(np.sign(b - a) for a, b in itertools.combinations([2, 1, 4, 3, 6, 5], 2))
    tau2, _, trend2 = mann_kendall(range(6), [2, 1, 4, 3, 6, 5])
    assert tau2 == pytest.approx(s / 15) and trend2 == "none"  # S = 9 of 15: p = 0.136 by the exact test


@pytest.mark.parametrize(("hot", "trend", "expected"), [
    ([True] * 12, "none", PERSISTENT),
    ([False] + [True] * 11, "up", INTENSIFYING),  # 11 of 12 = 90%
    ([False, False] + [True] * 10, "up", SPORADIC),  # 10 of 12 < 90%, hot in the latest month
    ([True] * 11 + [False], "none", PERSISTENT),  # 90% even without the latest month
    ([False] * 11 + [True], "none", NEW),
    ([True] + [False] * 10 + [True], "none", SPORADIC),
    ([True] * 6 + [False] * 6, "down", NO_PATTERN),
    ([False] * 12, "none", NO_PATTERN),
])
def test_category_rules(hot, trend, expected):
    assert category(hot, trend) == expected


def test_every_class_has_a_plain_sentence(result):
    month_text = lambda m: f"{m:%b %Y}"  # noqa: E731
    for pattern in [*BLOCKS, NO_PATTERN]:
        rows = result[result["category"] == pattern]
        assert len(rows), pattern
        sentence = explain(rows.iloc[0], month_text=month_text)
        assert sentence.endswith(".") and "\n" not in sentence
        if pattern in (NEW, SPORADIC):
            assert "latest month (Jan 2026)" in sentence
    intensifying = explain(result.loc[block_cells(INTENSIFYING)[0]])
    assert "12 of 12 months" in intensifying and "95% confidence" in intensifying
    assert "Not a hot spot in any of the 12 months" in explain(result.loc[cell(*FAR_CELL)])

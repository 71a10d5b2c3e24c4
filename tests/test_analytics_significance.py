"""The exact conditional test for two Poisson counts (analytics.significance).

Expected p-values are either worked out by hand from the binomial distribution (noted
beside each case) or computed by ``_reference_p_value`` below, an independent definition
written with ``math.comb`` rather than scipy. Confidence limits come from the
Clopper-Pearson definition via beta quantiles (``scipy.stats.beta``), not from
``binomtest``, which the module uses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import beta

from analytics.significance import ChangeTest, compare_counts

METHOD = "Exact conditional (binomial) test for two Poisson counts, two-sided, 5% level"


def _reference_p_value(n1: int, n0: int, t1: float, t0: float) -> float:
    """Two-sided exact p-value: total probability of outcomes no more likely than the observed one.

    Under "no change", given n = n1 + n0, n1 ~ Binomial(n, p) with p = t1 / (t1 + t0).
    (A relative tolerance of 1e-7 treats outcomes as equally likely when they are equal up
    to rounding, as is usual for this definition.)
    """
    n, p = n1 + n0, t1 / (t1 + t0)
    if n == 0:
        return 1.0
    pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    observed = pmf[n1]
    return min(1.0, sum(q for q in pmf if q <= observed * (1 + 1e-7)))


@pytest.mark.parametrize(
    "n1, n0, t1, t0, p_value, verdict",
    [
        # Hand-worked: equal exposure, n = 10, all in the current period: 2 * 0.5**10.
        (10, 0, 1, 1, 2 / 1024, "Significant increase"),
        (0, 10, 1, 1, 2 / 1024, "Significant decrease"),
        # n = 7: P(7) = P(0) = 1/128, P(6) = P(1) = 7/128; 6 v 1 -> 16/128, 7 v 0 -> 2/128.
        (6, 1, 1, 1, 16 / 128, "No significant change"),
        (7, 0, 1, 1, 2 / 128, "Significant increase"),
        # n = 1: both outcomes have probability 1/2.
        (1, 0, 1, 1, 1.0, "No significant change"),
        # Equal counts, equal exposure: the most likely outcome.
        (5, 5, 1, 1, 1.0, "No significant change"),
        # Nothing in either period.
        (0, 0, 1, 1, 1.0, "No significant change"),
        # Unequal exposure, hand-worked: p = 1/3, n = 3; P(3) = 1/27, P(0) = 8/27,
        # P(1) = 12/27, P(2) = 6/27; only X = 3 is as unlikely as observed -> 1/27.
        (3, 0, 1, 2, 1 / 27, "Significant increase"),
    ],
)
def test_hand_worked_p_values(n1, n0, t1, t0, p_value, verdict):
    result = compare_counts(n1, n0, t1, t0)
    assert result.p_value == pytest.approx(p_value, rel=1e-12)
    assert result.verdict == verdict
    assert result.is_significant == (p_value < 0.05)


@pytest.mark.parametrize(
    "n1, n0, t1, t0",
    [
        (120, 90, 1, 1),
        (90, 120, 1, 1),
        (450, 430, 1, 1),
        (35, 20, 1, 1),
        (12, 30, 4, 12),  # 4 comparable months this year, 12 last year
        (20, 20, 1, 3),  # same count over a third of the time: a higher rate
        (0, 9, 1, 1),
        (1, 40, 6, 6),
    ],
)
def test_p_values_match_the_definition(n1, n0, t1, t0):
    assert compare_counts(n1, n0, t1, t0).p_value == pytest.approx(_reference_p_value(n1, n0, t1, t0), rel=1e-9)


def test_direction_follows_the_rate_not_the_count():
    # 20 crimes in 1 month against 20 in 3 months: the monthly rate tripled.
    result = compare_counts(20, 20, exposure_current=1, exposure_previous=3)
    assert result.change == 0
    assert result.is_significant and result.verdict == "Significant increase"
    assert result.rate_ratio == pytest.approx(3.0)
    assert result.pct_change == pytest.approx(200.0)


def test_fields_of_a_typical_result():
    result = compare_counts(110, 100)
    assert isinstance(result, ChangeTest)
    assert (result.count_current, result.count_previous, result.change) == (110, 100, 10)
    assert result.pct_change == pytest.approx(10.0)
    assert result.rate_ratio == pytest.approx(1.1)
    assert (result.exposure_current, result.exposure_previous, result.alpha) == (1.0, 1.0, 0.05)
    assert result.method == METHOD
    assert result.verdict == "No significant change"


@pytest.mark.parametrize("n1", [0, 3])
def test_no_percentage_or_ratio_from_zero(n1):
    result = compare_counts(n1, 0)
    assert result.pct_change is None
    assert result.rate_ratio is None


def test_other_alpha_is_named_in_the_method():
    result = compare_counts(7, 0, alpha=0.01)  # p = 2/128 = 0.0156
    assert result.method.endswith("two-sided, 1% level")
    assert not result.is_significant and result.verdict == "No significant change"


def _clopper_pearson(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    a = 1 - level
    low = 0.0 if x == 0 else beta.ppf(a / 2, x, n - x + 1)
    high = 1.0 if x == n else beta.ppf(1 - a / 2, x + 1, n - x)
    return low, high


@pytest.mark.parametrize(
    "n1, n0, t1, t0",
    [(120, 90, 1, 1), (12, 30, 4, 12), (3, 7, 2, 1), (1, 1, 1, 1)],
)
def test_rate_ratio_interval_from_clopper_pearson(n1, n0, t1, t0):
    low, high = _clopper_pearson(n1, n1 + n0)
    expected = [low / (1 - low) * t0 / t1, high / (1 - high) * t0 / t1]
    result = compare_counts(n1, n0, t1, t0)
    np.testing.assert_allclose(result.rate_ratio_ci, expected, rtol=1e-9)
    assert result.rate_ratio_ci[0] <= result.rate_ratio <= result.rate_ratio_ci[1]


def test_rate_ratio_interval_at_the_edges():
    # 0 v 5: the share has Clopper-Pearson upper limit 1 - 0.025**(1/5) (hand formula).
    upper_share = 1 - 0.025 ** (1 / 5)
    np.testing.assert_allclose(compare_counts(0, 5).rate_ratio_ci, [0.0, upper_share / (1 - upper_share)])
    # 5 v 0: lower limit 0.025**(1/5), upper end unbounded.
    lower_share = 0.025 ** (1 / 5)
    low, high = compare_counts(5, 0).rate_ratio_ci
    assert low == pytest.approx(lower_share / (1 - lower_share))
    assert high == math.inf
    assert compare_counts(0, 0).rate_ratio_ci is None


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((-1, 5), ValueError, "cannot be negative"),
        ((2.5, 5), ValueError, "whole number"),
        ((math.nan, 5), ValueError, "missing"),
        ((5, math.nan), ValueError, "missing"),
        ((None, 5), TypeError, "whole number"),
        (("12", 5), TypeError, "whole number"),
        ((True, 5), TypeError, "whole number"),
        ((5, 5, 0, 1), ValueError, "positive number"),
        ((5, 5, 1, -2), ValueError, "positive number"),
        ((5, 5, 1, math.inf), ValueError, "positive number"),
        ((5, 5, 1, 1, 1.5), ValueError, "alpha"),
        ((5, 5, 1, 1, 0), ValueError, "alpha"),
    ],
)
def test_bad_input_is_refused(args, error, message):
    with pytest.raises(error, match=message):
        compare_counts(*args)


def test_whole_number_floats_and_numpy_integers_are_counts():
    result = compare_counts(np.int64(12), 9.0, np.int64(3), 3)
    assert (result.count_current, result.count_previous) == (12, 9)
    assert isinstance(result.count_current, int) and isinstance(result.count_previous, int)

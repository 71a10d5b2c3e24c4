"""Is the change between two counts more than chance?

Crime counts go up and down from one period to the next even when nothing has changed.
:func:`compare_counts` asks whether a change is bigger than that natural variation, with
the exact conditional test for two Poisson counts:

if the two periods have the same underlying rate, then given the total ``n = n1 + n0``
the current count ``n1`` follows ``Binomial(n, t1 / (t1 + t0))``, where ``t1`` and ``t0``
are the exposures (usually the number of months compared). The two-sided p-value is
``scipy.stats.binomtest``'s: the total probability of every outcome no more likely than
the one observed. No normal approximation is used, so small counts (including zeros)
are handled exactly.

The counts must be like-for-like: add up only months that have data in both periods
(see :func:`analytics.periods.comparable_months`); a missing month is not a zero.

>>> result = compare_counts(120, 90)
>>> result.verdict, round(result.p_value, 3)
('Significant increase', 0.045)
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from scipy.stats import binomtest

__all__ = ["ChangeTest", "compare_counts"]


@dataclass(frozen=True)
class ChangeTest:
    """The result of :func:`compare_counts`.

    Attributes
    ----------
    count_current, count_previous : int
        The two counts compared.
    exposure_current, exposure_previous : float
        What each count was collected over (e.g. number of months).
    change : int
        ``count_current - count_previous``. Like-for-like only when the exposures are equal.
    pct_change : float or None
        Percentage change in the rate per unit of exposure, in percent (``25.0`` is +25%);
        equal to the percentage change in the counts when the exposures are equal.
        None when ``count_previous`` is 0 (no percentage of nothing).
    rate_ratio : float or None
        ``(count_current / exposure_current) / (count_previous / exposure_previous)``;
        None when ``count_previous`` is 0.
    rate_ratio_ci : tuple of float or None
        Exact confidence interval for the rate ratio at level ``1 - alpha`` (from the
        Clopper-Pearson interval for the binomial proportion); the upper end is ``inf``
        when ``count_previous`` is 0. None when both counts are 0.
    p_value : float
        Two-sided p-value (1.0 when both counts are 0).
    alpha : float
        Significance level.
    is_significant : bool
        ``p_value < alpha``.
    method : str
        What test was done, for a footnote.
    verdict : str
        ``"Significant increase"``, ``"Significant decrease"`` or ``"No significant change"``.
    """

    count_current: int
    count_previous: int
    exposure_current: float
    exposure_previous: float
    change: int
    pct_change: float | None
    rate_ratio: float | None
    rate_ratio_ci: tuple[float, float] | None
    p_value: float
    alpha: float
    is_significant: bool
    method: str
    verdict: str


def _check_count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a whole number of crimes; got {type(value).__name__} {value!r}")
    if math.isnan(value):
        raise ValueError(
            f"{what} is missing (NaN); a missing period cannot be tested; compare only months with data"
        )
    if value != int(value):
        raise ValueError(f"{what} must be a whole number of crimes; got {value!r}")
    if value < 0:
        raise ValueError(f"{what} cannot be negative; got {value!r}")
    return int(value)


def _check_exposure(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a positive number (e.g. months); got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{what} must be a positive number (e.g. months); got {value!r}")
    return float(value)


def _odds_to_rate_ratio(proportion: float, exposure_ratio: float) -> float:
    """Rate ratio from the share ``proportion`` of the total that fell in the current period."""
    if proportion >= 1.0:
        return math.inf
    return proportion / (1.0 - proportion) * exposure_ratio


def compare_counts(
    count_current: int,
    count_previous: int,
    exposure_current: float = 1.0,
    exposure_previous: float = 1.0,
    alpha: float = 0.05,
) -> ChangeTest:
    """Test whether ``count_current`` differs from ``count_previous`` by more than chance.

    Parameters
    ----------
    count_current, count_previous : int
        Counts of crimes/incidents in the current and previous period (non-negative whole numbers).
    exposure_current, exposure_previous : float, default 1.0
        What each count was collected over, e.g. the number of months with data. Only their
        ratio matters; leave both at 1 when the periods are like-for-like.
    alpha : float, default 0.05
        Significance level; the rate ratio interval has confidence ``1 - alpha``.

    Returns
    -------
    ChangeTest

    Raises
    ------
    TypeError, ValueError
        For a count that is negative, fractional or missing (NaN), or an exposure that is
        not a positive number.

    Notes
    -----
    When both counts are 0 there is nothing to test: ``p_value`` is 1.0, the verdict is
    "No significant change" and the rate ratio and its interval are None.

    Examples
    --------
    Equal periods, 10 crimes after none: every one of the 10 fell in the current period,
    which has probability ``2 * 0.5**10`` counting both directions.

    >>> r = compare_counts(10, 0)
    >>> r.p_value, r.verdict, r.pct_change
    (0.001953125, 'Significant increase', None)
    >>> r.method
    'Exact conditional (binomial) test for two Poisson counts, two-sided, 5% level'

    Three months this year against six last year (same monthly rate):

    >>> r = compare_counts(30, 60, exposure_current=3, exposure_previous=6)
    >>> r.rate_ratio, r.p_value, r.verdict
    (1.0, 1.0, 'No significant change')
    """
    n1 = _check_count(count_current, "count_current")
    n0 = _check_count(count_previous, "count_previous")
    t1 = _check_exposure(exposure_current, "exposure_current")
    t0 = _check_exposure(exposure_previous, "exposure_previous")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (e.g. 0.05); got {alpha!r}")
    alpha = float(alpha)

    method = (
        "Exact conditional (binomial) test for two Poisson counts, two-sided, "
        f"{alpha * 100:g}% level"
    )
    rate_ratio = None if n0 == 0 else (n1 / t1) / (n0 / t0)
    pct_change = None if rate_ratio is None else (rate_ratio - 1.0) * 100.0

    total = n1 + n0
    if total == 0:
        p_value, ci = 1.0, None
    else:
        test = binomtest(n1, total, t1 / (t1 + t0), alternative="two-sided")
        p_value = float(test.pvalue)
        share = test.proportion_ci(confidence_level=1.0 - alpha, method="exact")
        exposure_ratio = t0 / t1
        ci = (_odds_to_rate_ratio(share.low, exposure_ratio), _odds_to_rate_ratio(share.high, exposure_ratio))

    is_significant = p_value < alpha
    if not is_significant:
        verdict = "No significant change"
    elif n1 / t1 > n0 / t0:
        verdict = "Significant increase"
    else:
        verdict = "Significant decrease"

    return ChangeTest(
        count_current=n1,
        count_previous=n0,
        exposure_current=t1,
        exposure_previous=t0,
        change=n1 - n0,
        pct_change=pct_change,
        rate_ratio=rate_ratio,
        rate_ratio_ci=ci,
        p_value=p_value,
        alpha=alpha,
        is_significant=is_significant,
        method=method,
        verdict=verdict,
    )

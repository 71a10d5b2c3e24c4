"""Statistical Process Control (SPC): the XmR chart the partnership reads, and a seasonality table.

What the partnership says (SMP Partnership Plan 2017-18, Appendix 1, "SPC Charts Explained"):

    "The Centre Line (CL) which is the average no. of recorded crimes / incidents"
    "The Upper (UCL) and Lower Control Limits (LCL) which are the limits of natural variation"
    "Any result above the UCL suggests that there may be a problem.  In addition, other
    indications that a category is out of statistical control includes when several
    results in a row are above the CL or when several results in a row show an
    increasing trend."
    "If the figures are consistently below the CL this indicates an improvement and will
    result in the centre line and the control limits being lowered, often referred to as
    a 'step change'."

The plan does not give the formula or say how many is "several", so this module uses the
standard XmR (individuals and moving range) chart and the common rule sizes, and flags
both directions (for crime, above is a deterioration and below an improvement):

* centre line = mean of the baseline months;
* moving range = ``|x[t] - x[t-1]|`` for two *consecutive calendar months that both have
  data*; no moving range is drawn across a gap;
* control limits = centre ± 2.66 × mean moving range of the baseline; the lower limit of
  a count cannot be below 0, so it is floored at 0 (``ControlLimits.lcl_floored_at_zero``
  says when that happened);
* rule "beyond a limit": a point above the UCL or below the LCL (strictly beyond);
* rule "run": 7 or more consecutive points on the same side of the centre line ("several
  results in a row are above the CL"); a point exactly on the centre line ends a run;
* rule "trend": 6 or more consecutive points each higher than the one before (that is, 5
  increases in a row), or each lower ("several results in a row show an increasing
  trend"); two equal points end a trend. Counting 6 *points* (not 6 increases) follows
  Nelson's rule 3 and NHS England's "Making Data Count" guidance;
* **a missing month breaks runs and trends**: the points either side of a gap are not "in
  a row", and what happened in the missing months is unknown. Counting restarts after it.

The baseline is selectable (a :class:`~analytics.periods.Period`; default: every month with
data) so limits can be reset after a step change. It needs at least
``MIN_BASELINE_POINTS`` (6) months with data and ``MIN_BASELINE_MOVING_RANGES`` (5) moving
ranges; fewer raises ``ValueError``, because limits from so little data mean nothing.

>>> from datetime import date
>>> import pandas as pd
>>> months = month_range(date(2024, 1, 1), date(2024, 12, 1))
>>> values = [10, 12, 11, 13, 12, 11, 10, 12, 11, 13, 40, 12]
>>> chart = xmr_chart(pd.Series(values, index=months), baseline=Period(date(2024, 1, 1), date(2024, 10, 1)))
>>> chart.limits.centre, round(chart.limits.ucl, 2), round(chart.limits.lcl, 2)
(11.5, 15.34, 7.66)
>>> from analytics.periods import month_label
>>> signals = chart.table[chart.table.is_signal]
>>> [(month_label(m), text) for m, text in zip(signals.month, signals.signal)]
[('Nov 2024', 'Above upper control limit')]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from analytics.periods import Period, _describe_months, month_range

__all__ = [
    "MIN_BASELINE_MOVING_RANGES",
    "MIN_BASELINE_POINTS",
    "RUN_LENGTH",
    "TREND_POINTS",
    "XMR_LIMIT_FACTOR",
    "ControlLimits",
    "XmRChart",
    "seasonal_table",
    "xmr_chart",
]

XMR_LIMIT_FACTOR = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two points
MIN_BASELINE_POINTS = 6
MIN_BASELINE_MOVING_RANGES = 5
RUN_LENGTH = 7
TREND_POINTS = 6
_PROVISIONAL_BELOW = 12  # fewer baseline points than this: limits are usable but provisional

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ControlLimits:
    """Centre line and control limits of an XmR chart, and what they were computed from.

    Attributes
    ----------
    centre : float
        Mean of the baseline points.
    mean_moving_range : float
        Mean of the baseline moving ranges (between consecutive months, both in the baseline).
    ucl, lcl : float
        Upper and lower control limits; ``lcl`` after any flooring at 0.
    lcl_unfloored : float
        ``centre - 2.66 * mean_moving_range`` before flooring.
    lcl_floored_at_zero : bool
        True when ``lcl_unfloored`` was below 0 and ``lcl`` was set to 0.
    baseline : Period
        The baseline period the limits come from.
    n_baseline_points, n_baseline_moving_ranges : int
        How many months with data, and moving ranges, the baseline has.
    """

    centre: float
    mean_moving_range: float
    ucl: float
    lcl: float
    lcl_unfloored: float
    lcl_floored_at_zero: bool
    baseline: Period
    n_baseline_points: int
    n_baseline_moving_ranges: int


@dataclass(frozen=True)
class XmRChart:
    """The result of :func:`xmr_chart`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per calendar month from the first to the last month of the input, gaps
        included (``value`` NaN, ``is_missing`` True, no flags). Columns: ``month``,
        ``value``, ``is_missing``, ``in_baseline``, ``centre``, ``ucl``, ``lcl``,
        ``moving_range``, the rule flags ``above_ucl``, ``below_lcl``, ``run_above``,
        ``run_below``, ``trend_up``, ``trend_down``, ``is_signal`` (any rule) and
        ``signal`` (the rules met, in words; ``""`` for none).
    limits : ControlLimits
    notes : tuple of str
        Caveats to show with the chart (gaps, floored limit, provisional limits).
    """

    table: pd.DataFrame
    limits: ControlLimits
    notes: tuple[str, ...]


def _to_month(value: object) -> date:
    """A first-of-month date from a date, datetime or Timestamp at midnight on day 1."""
    if isinstance(value, (date, np.datetime64)):
        stamp = pd.Timestamp(value)
        if stamp.day == 1 and stamp == stamp.normalize() and stamp.tz is None:
            return stamp.date()
    raise ValueError(
        f"the series must be indexed by months (the first day of each month, e.g. date(2025, 1, 1)); "
        f"found {value!r}"
    )


def _monthly_values(series: pd.Series | Mapping[date, float], what: str = "series") -> pd.Series:
    """The input as floats indexed by every month from first to last, NaN for gaps."""
    if isinstance(series, Mapping):
        series = pd.Series(dict(series), dtype=object)
    if not isinstance(series, pd.Series):
        raise TypeError(f"{what} must be a pandas Series indexed by month; got {type(series).__name__}")
    if series.empty:
        raise ValueError(f"{what} is empty: there are no months to chart")
    months = [_to_month(m) for m in series.index]
    if len(set(months)) != len(months):
        dupes = sorted({m for m in months if months.count(m) > 1})
        raise ValueError(f"{what} has more than one value for {_describe_months(dupes)}")
    try:
        values = pd.to_numeric(pd.Series(series.to_numpy(), index=months, dtype=object), errors="raise")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must hold numbers (NaN for a missing month): {exc}") from None
    values = values.astype("float64")
    if np.isinf(values.to_numpy()).any():
        raise ValueError(f"{what} holds an infinite value; use NaN for a missing month")
    values = values.sort_index()
    full = month_range(values.index[0], values.index[-1])
    return values.reindex(pd.Index(full, dtype=object, name="month"))


def _moving_ranges(values: np.ndarray) -> np.ndarray:
    """``|x[t] - x[t-1]|`` where both months have data; NaN otherwise (NaN propagates)."""
    ranges = np.full(values.shape, np.nan)
    ranges[1:] = np.abs(np.diff(values))
    return ranges


def _flag_runs(condition: np.ndarray, min_length: int) -> np.ndarray:
    """Flag every element of each run of consecutive True values at least ``min_length`` long."""
    flags = np.zeros(condition.shape, dtype=bool)
    start = None
    for i, hit in enumerate(np.append(condition, False)):
        if hit and start is None:
            start = i
        elif not hit and start is not None:
            if i - start >= min_length:
                flags[start:i] = True
            start = None
    return flags


def _flag_trends(values: np.ndarray, min_points: int, rising: bool) -> np.ndarray:
    """Flag the points of each strictly rising (or falling) stretch of ``min_points`` or more points.

    A stretch of k consecutive increases covers k + 1 points; a NaN (gap) or an equal
    pair ends it.
    """
    steps = np.diff(values)
    with np.errstate(invalid="ignore"):
        moving_the_way = steps > 0 if rising else steps < 0  # False where either side is NaN
    step_flags = _flag_runs(moving_the_way, min_points - 1)
    flags = np.zeros(values.shape, dtype=bool)
    flags[1:] |= step_flags
    flags[:-1] |= step_flags
    return flags


def _check_rule_size(value: object, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{what} must be a whole number of at least {minimum}; got {value!r}")
    return int(value)


def xmr_chart(
    series: pd.Series | Mapping[date, float],
    baseline: Period | None = None,
    *,
    floor_lcl_at_zero: bool = True,
    run_length: int = RUN_LENGTH,
    trend_points: int = TREND_POINTS,
) -> XmRChart:
    """Build an XmR control chart: centre line, control limits and special-cause signals.

    Parameters
    ----------
    series : pandas.Series or mapping
        Monthly values (usually counts) indexed by month (``datetime.date`` on the 1st).
        A missing month is NaN or simply absent; either way it is a gap, never a zero.
    baseline : Period, optional
        The months the centre line and limits are computed from. Default: every month
        with data. Signals are looked for over the whole series.
    floor_lcl_at_zero : bool, default True
        Counts cannot be negative, so a negative lower limit is raised to 0. Set False for
        values that can be negative.
    run_length : int, default 7
        Points in a row on one side of the centre line that make a "run" signal.
    trend_points : int, default 6
        Points in a row each higher (or each lower) than the last that make a "trend" signal.

    Returns
    -------
    XmRChart
        ``table`` (one row per month, gaps included), ``limits`` and ``notes``.

    Raises
    ------
    ValueError
        If the series is empty, not indexed by months, or not numeric; or if the baseline
        has fewer than 6 months with data or fewer than 5 moving ranges.

    Examples
    --------
    A gap (March) breaks the moving range, so it is not computed for April:

    >>> s = pd.Series([5.0, 7.0, None, 6.0], index=[date(2024, m, 1) for m in (1, 2, 3, 4)])
    >>> _moving_ranges(s.to_numpy()).tolist()
    [nan, 2.0, nan, nan]

    Seven months in a row above the centre line make a run:

    >>> values = [2, 3, 2, 3, 2, 3, 2, 9, 8, 9, 8, 9, 8, 9]
    >>> months = month_range(date(2023, 1, 1), date(2024, 2, 1))
    >>> chart = xmr_chart(pd.Series(values, index=months))
    >>> int(chart.table.run_above.sum()), int(chart.table.run_below.sum())
    (7, 7)
    """
    values = _monthly_values(series)
    months = list(values.index)
    x = values.to_numpy()
    present = ~np.isnan(x)
    if not present.any():
        raise ValueError("the series has no month with data, so there is nothing to chart")
    run_length = _check_rule_size(run_length, "run_length", 2)
    trend_points = _check_rule_size(trend_points, "trend_points", 3)

    present_months = [m for m, ok in zip(months, present) if ok]
    if baseline is None:
        baseline = Period(present_months[0], present_months[-1])
    elif not isinstance(baseline, Period):
        raise TypeError(f"baseline must be a Period (or None for all months); got {type(baseline).__name__}")

    in_baseline = present & np.array([m in baseline for m in months])
    ranges = _moving_ranges(x)
    baseline_ranges = ranges[1:][in_baseline[1:] & in_baseline[:-1]]
    n_points, n_ranges = int(in_baseline.sum()), int(baseline_ranges.size)
    if n_points < MIN_BASELINE_POINTS:
        raise ValueError(
            f"the baseline {baseline.label} has {n_points} month(s) with data; at least "
            f"{MIN_BASELINE_POINTS} are needed to set control limits. Choose a longer baseline."
        )
    if n_ranges < MIN_BASELINE_MOVING_RANGES:
        raise ValueError(
            f"the baseline {baseline.label} has only {n_ranges} pair(s) of consecutive months with data "
            f"(moving ranges are not taken across missing months); at least {MIN_BASELINE_MOVING_RANGES} "
            "are needed to set control limits. Choose a baseline with fewer gaps."
        )

    centre = float(x[in_baseline].mean())
    mean_range = float(baseline_ranges.mean())
    ucl = centre + XMR_LIMIT_FACTOR * mean_range
    lcl_unfloored = centre - XMR_LIMIT_FACTOR * mean_range
    floored = floor_lcl_at_zero and lcl_unfloored < 0
    lcl = 0.0 if floored else lcl_unfloored
    limits = ControlLimits(
        centre=centre,
        mean_moving_range=mean_range,
        ucl=ucl,
        lcl=lcl,
        lcl_unfloored=lcl_unfloored,
        lcl_floored_at_zero=bool(floored),
        baseline=baseline,
        n_baseline_points=n_points,
        n_baseline_moving_ranges=n_ranges,
    )

    with np.errstate(invalid="ignore"):  # NaN compares False: gaps never signal
        flags = {
            "above_ucl": x > ucl,
            "below_lcl": x < lcl,
            "run_above": _flag_runs(x > centre, run_length),
            "run_below": _flag_runs(x < centre, run_length),
            "trend_up": _flag_trends(x, trend_points, rising=True),
            "trend_down": _flag_trends(x, trend_points, rising=False),
        }
    words = {
        "above_ucl": "Above upper control limit",
        "below_lcl": "Below lower control limit",
        "run_above": f"Run of {run_length}+ above centre line",
        "run_below": f"Run of {run_length}+ below centre line",
        "trend_up": f"Rising trend ({trend_points}+ points)",
        "trend_down": f"Falling trend ({trend_points}+ points)",
    }
    signal = ["; ".join(words[rule] for rule in words if flags[rule][i]) for i in range(len(months))]

    n = len(months)
    table = pd.DataFrame(
        {
            "month": pd.Series(months, dtype=object),
            "value": x,
            "is_missing": ~present,
            "in_baseline": in_baseline,
            "centre": np.full(n, centre),
            "ucl": np.full(n, ucl),
            "lcl": np.full(n, lcl),
            "moving_range": ranges,
            **flags,
        }
    )
    table["is_signal"] = table[list(flags)].any(axis=1)
    table["signal"] = signal
    return XmRChart(table=table, limits=limits, notes=_notes(months, present, limits))


def _notes(months: list[date], present: np.ndarray, limits: ControlLimits) -> tuple[str, ...]:
    notes = [
        f"Centre line and limits from {limits.n_baseline_points} months with data in {limits.baseline.label}."
    ]
    missing = [m for m, ok in zip(months, present) if not ok]
    if missing:
        notes.append(
            f"No data for {_describe_months(missing)}: shown as gaps; no moving range is taken across a gap "
            "and runs and trends restart after it."
        )
    if limits.lcl_floored_at_zero:
        notes.append(
            f"Lower control limit set to 0 (calculated {limits.lcl_unfloored:.1f}), as a count cannot be negative."
        )
    if limits.n_baseline_points < _PROVISIONAL_BELOW:
        notes.append(
            f"Limits are provisional: the baseline has fewer than {_PROVISIONAL_BELOW} months with data."
        )
    return tuple(notes)


def seasonal_table(series: pd.Series | Mapping[date, float]) -> pd.DataFrame:
    """The same month side by side across years, to see seasonality.

    Parameters
    ----------
    series : pandas.Series or mapping
        Monthly values indexed by month (``datetime.date`` on the 1st).

    Returns
    -------
    pandas.DataFrame
        Rows ``"Jan"`` to ``"Dec"`` (index named ``month``), one column per year from the
        first to the last year of the series (columns named ``year``); NaN where a month
        has no data.

    Examples
    --------
    >>> s = pd.Series([4, 5, 6], index=[date(2023, 12, 1), date(2024, 1, 1), date(2024, 12, 1)])
    >>> table = seasonal_table(s)
    >>> table.shape, list(table.columns)
    ((12, 2), [2023, 2024])
    >>> table.loc["Jan"].tolist(), table.loc["Dec"].tolist()
    ([nan, 5.0], [4.0, 6.0])
    """
    values = _monthly_values(series)
    years = range(values.index[0].year, values.index[-1].year + 1)
    table = pd.DataFrame(np.nan, index=pd.Index(_MONTH_NAMES, name="month"), columns=pd.Index(years, name="year"))
    for month, value in values.items():
        table.loc[_MONTH_NAMES[month.month - 1], month.year] = value
    return table


"""Months and reporting periods, and which months of a period actually have data.

police.uk publishes one file per month, so the unit of time here is the month, written as
the ``datetime.date`` of its first day (``date(2025, 1, 1)`` is January 2025). Any other
day of the month, a ``datetime``, a string or a ``pandas.Timestamp`` is refused with a
message rather than silently rounded, because a month that does not compare equal to the
months in the store would quietly drop out of every comparison.

Some months are **missing** (police.uk published nothing for Kent, or it was not loaded).
A missing month is a gap, never a zero: :func:`coverage` says which months of a period are
present, :func:`comparable_months` pairs a period with its comparison month by month and
keeps only pairs where both months are present, and :func:`monthly_counts` turns query
rows into a series where a loaded month without crimes is 0 but a missing month is NaN.

>>> from datetime import date
>>> period = last_n_months(date(2025, 6, 1), n=3)
>>> period.label
'Apr 2025 – Jun 2025'
>>> coverage(period, [date(2025, 4, 1), date(2025, 6, 1)]).describe()
'2 of 3 months have data; missing: May 2025'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ComparableMonths",
    "Coverage",
    "Period",
    "calendar_year",
    "comparable_months",
    "coverage",
    "financial_year",
    "format_month",
    "last_n_months",
    "month_label",
    "month_range",
    "months_label",
    "monthly_counts",
    "parse_month",
    "previous_period",
    "same_months_last_year",
    "shift_months",
    "total_for_months",
]

_MONTH_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})")
_MIN_YEAR, _MAX_YEAR = 1900, 2999  # wide enough for any real data, narrow enough to reject junk


def _check_month(month: object, what: str = "month") -> date:
    """Return ``month`` if it is a first-of-month ``datetime.date``, else raise."""
    if isinstance(month, datetime) or not isinstance(month, date):
        raise TypeError(
            f"{what} must be a datetime.date for the first day of the month, "
            f"e.g. date(2025, 1, 1); got {type(month).__name__} {month!r}"
        )
    if month.day != 1:
        raise ValueError(
            f"{what} must be the first day of a month (months are written as date(year, month, 1)); "
            f"got {month.isoformat()}"
        )
    return month


def _check_whole_number(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be a whole number; got {type(value).__name__} {value!r}")
    return value


def parse_month(text: object) -> date:
    """Parse a ``"YYYY-MM"`` string (as police.uk and our URLs write months) into a month.

    Strict on purpose, because the text may come from a URL query parameter: exactly four
    digits, a hyphen and two digits, month 01-12, year 1900-2999. Anything else, including
    surrounding spaces, a day part or a non-string, raises ``ValueError``.

    Parameters
    ----------
    text : str
        The month, e.g. ``"2025-01"``.

    Returns
    -------
    datetime.date
        The first day of that month.

    Raises
    ------
    ValueError
        If ``text`` is not a valid ``"YYYY-MM"`` month.

    Examples
    --------
    >>> parse_month("2025-01")
    datetime.date(2025, 1, 1)
    >>> parse_month("2025-13")
    Traceback (most recent call last):
    ...
    ValueError: '2025-13' is not a valid month: the month must be 01 to 12 (expected YYYY-MM, e.g. 2025-01)
    """
    hint = "expected YYYY-MM, e.g. 2025-01"
    if not isinstance(text, str):
        raise ValueError(f"a month must be text like 2025-01; got {type(text).__name__} ({hint})")
    shown = repr(text if len(text) <= 20 else text[:20] + "…")
    match = _MONTH_TEXT.fullmatch(text)
    if match is None:
        raise ValueError(f"{shown} is not a valid month ({hint})")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"{shown} is not a valid month: the month must be 01 to 12 ({hint})")
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise ValueError(f"{shown} is not a valid month: the year must be {_MIN_YEAR} to {_MAX_YEAR} ({hint})")
    return date(year, month, 1)


def format_month(month: date) -> str:
    """Write a month as ``"YYYY-MM"``, the inverse of :func:`parse_month`.

    Examples
    --------
    >>> format_month(date(2025, 1, 1))
    '2025-01'
    """
    return _check_month(month).strftime("%Y-%m")


def month_label(month: date) -> str:
    """Write a month for people, e.g. ``"Jan 2025"``.

    Examples
    --------
    >>> month_label(date(2025, 1, 1))
    'Jan 2025'
    """
    month = _check_month(month)
    return f"{_MONTH_ABBR[month.month - 1]} {month.year}"


# Fixed English abbreviations, so labels do not change with the server's locale.
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def shift_months(month: date, n: int) -> date:
    """Move a month ``n`` months later (``n`` < 0: earlier).

    Examples
    --------
    >>> shift_months(date(2025, 1, 1), -1)
    datetime.date(2024, 12, 1)
    >>> shift_months(date(2024, 11, 1), 14)
    datetime.date(2026, 1, 1)
    """
    month = _check_month(month)
    n = _check_whole_number(n, "n")
    index = month.year * 12 + (month.month - 1) + n
    return date(index // 12, index % 12 + 1, 1)


def _months_between(start: date, end: date) -> int:
    """Number of months from ``start`` to ``end`` (0 when equal)."""
    return (end.year - start.year) * 12 + (end.month - start.month)


def month_range(start: date, end: date) -> list[date]:
    """Every month from ``start`` to ``end``, both included, in order.

    Raises
    ------
    ValueError
        If ``end`` is before ``start``.

    Examples
    --------
    >>> [format_month(m) for m in month_range(date(2024, 11, 1), date(2025, 2, 1))]
    ['2024-11', '2024-12', '2025-01', '2025-02']
    """
    start, end = _check_month(start, "start"), _check_month(end, "end")
    if end < start:
        raise ValueError(f"the end month ({month_label(end)}) is before the start month ({month_label(start)})")
    return [shift_months(start, i) for i in range(_months_between(start, end) + 1)]


@dataclass(frozen=True)
class Period:
    """A run of whole months, ``start`` to ``end`` inclusive.

    Examples
    --------
    >>> p = Period(date(2025, 1, 1), date(2025, 12, 1))
    >>> p.n_months, p.label
    (12, 'Jan 2025 – Dec 2025')
    >>> Period(date(2025, 3, 1), date(2025, 3, 1)).label
    'Mar 2025'
    """

    start: date
    end: date

    def __post_init__(self) -> None:
        _check_month(self.start, "start")
        _check_month(self.end, "end")
        if self.end < self.start:
            raise ValueError(
                f"a period cannot end ({month_label(self.end)}) before it starts ({month_label(self.start)})"
            )

    @property
    def months(self) -> tuple[date, ...]:
        """Every month of the period, in order."""
        return tuple(month_range(self.start, self.end))

    @property
    def n_months(self) -> int:
        """How many months the period spans (present or not)."""
        return _months_between(self.start, self.end) + 1

    @property
    def label(self) -> str:
        """``"Jan 2025 – Dec 2025"``, or ``"Mar 2025"`` for a single month."""
        if self.start == self.end:
            return month_label(self.start)
        return f"{month_label(self.start)} – {month_label(self.end)}"

    def __contains__(self, month: object) -> bool:
        return isinstance(month, date) and not isinstance(month, datetime) and self.start <= month <= self.end


def last_n_months(last_loaded_month: date, n: int = 12) -> Period:
    """The ``n`` months ending with (and including) ``last_loaded_month``.

    Examples
    --------
    >>> last_n_months(date(2025, 3, 1)).label
    'Apr 2024 – Mar 2025'
    """
    n = _check_whole_number(n, "n")
    if n < 1:
        raise ValueError(f"n must be at least 1 month; got {n}")
    return Period(shift_months(last_loaded_month, -(n - 1)), _check_month(last_loaded_month, "last_loaded_month"))


def calendar_year(year: int) -> Period:
    """January to December of ``year``.

    Examples
    --------
    >>> calendar_year(2024).label
    'Jan 2024 – Dec 2024'
    """
    year = _check_whole_number(year, "year")
    return Period(date(year, 1, 1), date(year, 12, 1))


def financial_year(start_year: int) -> Period:
    """The UK financial year starting in April of ``start_year`` (2024 means 2024/25).

    Examples
    --------
    >>> financial_year(2024).label
    'Apr 2024 – Mar 2025'
    """
    start_year = _check_whole_number(start_year, "start_year")
    return Period(date(start_year, 4, 1), date(start_year + 1, 3, 1))


def same_months_last_year(period: Period) -> Period:
    """The comparison period: the same months, 12 months earlier.

    Examples
    --------
    >>> same_months_last_year(Period(date(2025, 1, 1), date(2025, 6, 1))).label
    'Jan 2024 – Jun 2024'
    """
    return Period(shift_months(period.start, -12), shift_months(period.end, -12))


def previous_period(period: Period) -> Period:
    """The period of the same length that ends the month before ``period`` starts.

    Examples
    --------
    >>> previous_period(Period(date(2025, 1, 1), date(2025, 3, 1))).label
    'Oct 2024 – Dec 2024'
    """
    return Period(shift_months(period.start, -period.n_months), shift_months(period.start, -1))


def _month_set(available_months: Iterable[date]) -> frozenset[date]:
    if isinstance(available_months, (str, bytes)):
        raise TypeError("available_months must be a collection of months, not a single string")
    return frozenset(_check_month(m, "each available month") for m in available_months)


@dataclass(frozen=True)
class Coverage:
    """Which months of a period have data.

    Attributes
    ----------
    period : Period
    present : tuple of datetime.date
        Months of the period that have data, in order.
    missing : tuple of datetime.date
        Months of the period with no data (gaps), in order.
    """

    period: Period
    present: tuple[date, ...]
    missing: tuple[date, ...]

    @property
    def is_complete(self) -> bool:
        """True when every month of the period has data."""
        return not self.missing

    @property
    def is_empty(self) -> bool:
        """True when no month of the period has data."""
        return not self.present

    def describe(self) -> str:
        """One line for the dashboard, e.g. ``"11 of 12 months have data; missing: Dec 2022"``."""
        n, total = len(self.present), self.period.n_months
        if self.is_complete:
            return f"All {total} months have data"
        if self.is_empty:
            return f"No data for any of the {total} months of {self.period.label}"
        return f"{n} of {total} months have data; missing: {_describe_months(self.missing)}"


def _describe_months(months: Iterable[date]) -> str:
    """``"Dec 2022 – Mar 2023, May 2023"``: consecutive months collapsed into ranges."""
    parts: list[str] = []
    run: list[date] = []
    for month in sorted(months):
        if run and month != shift_months(run[-1], 1):
            parts.append(Period(run[0], run[-1]).label)
            run = []
        run.append(month)
    if run:
        parts.append(Period(run[0], run[-1]).label)
    return ", ".join(parts)


def months_label(months: Iterable[date]) -> str:
    """Months written short for a figure's label: consecutive months collapse into a range and
    each year is named once (``"Jan–Apr 2025"``), so a number and its change can both say
    exactly which months they count.

    Examples
    --------
    >>> months_label([date(2025, m, 1) for m in (1, 2, 3, 4)])
    'Jan–Apr 2025'
    >>> months_label([date(2022, 11, 1), date(2022, 12, 1), date(2023, 1, 1), date(2023, 5, 1)])
    'Nov 2022–Jan 2023, May 2023'
    >>> months_label([date(2022, m, 1) for m in range(1, 12)] + [date(2024, 1, 1)])
    'Jan–Nov 2022, Jan 2024'
    >>> months_label([])
    'no months'
    """
    ordered = sorted({_check_month(m, "each month") for m in months})
    if not ordered:
        return "no months"
    runs: list[list[date]] = []
    for month in ordered:
        if runs and month == shift_months(runs[-1][-1], 1):
            runs[-1].append(month)
        else:
            runs.append([month])
    parts = []
    for run in runs:
        first, last = run[0], run[-1]
        if first == last:
            parts.append(month_label(first))
        elif first.year == last.year:
            parts.append(f"{_MONTH_ABBR[first.month - 1]}–{_MONTH_ABBR[last.month - 1]} {first.year}")
        else:
            parts.append(f"{month_label(first)}–{month_label(last)}")
    return ", ".join(parts)


def coverage(period: Period, available_months: Iterable[date]) -> Coverage:
    """Split the months of ``period`` into those with data and those missing.

    Parameters
    ----------
    period : Period
    available_months : iterable of datetime.date
        Every month that has data (e.g. the months loaded in the store). Months outside
        the period are ignored.

    Returns
    -------
    Coverage

    Examples
    --------
    >>> c = coverage(calendar_year(2024), month_range(date(2024, 1, 1), date(2024, 4, 1)))
    >>> c.is_complete, len(c.present), len(c.missing)
    (False, 4, 8)
    >>> c.describe()
    '4 of 12 months have data; missing: May 2024 – Dec 2024'
    """
    available = _month_set(available_months)
    present = tuple(m for m in period.months if m in available)
    missing = tuple(m for m in period.months if m not in available)
    return Coverage(period=period, present=present, missing=missing)


@dataclass(frozen=True)
class ComparableMonths:
    """A period and its comparison period, paired month by month, keeping like-for-like pairs.

    Month *i* of ``period`` is paired with month *i* of ``comparison``. A pair is kept
    only when both months have data; ``dropped`` lists the pairs left out.

    Attributes
    ----------
    period, comparison : Period
    pairs : tuple of (datetime.date, datetime.date)
        ``(month in period, month in comparison)`` for every pair where both have data.
    dropped : tuple of (datetime.date, datetime.date)
        The pairs left out because one or both months have no data.
    """

    period: Period
    comparison: Period
    pairs: tuple[tuple[date, date], ...]
    dropped: tuple[tuple[date, date], ...]

    @property
    def current_months(self) -> tuple[date, ...]:
        """The months of ``period`` to add up."""
        return tuple(current for current, _ in self.pairs)

    @property
    def comparison_months(self) -> tuple[date, ...]:
        """The months of ``comparison`` to add up."""
        return tuple(previous for _, previous in self.pairs)

    @property
    def n_months(self) -> int:
        """How many month pairs are compared."""
        return len(self.pairs)

    @property
    def is_complete(self) -> bool:
        """True when no pair had to be dropped."""
        return not self.dropped

    @property
    def is_empty(self) -> bool:
        """True when no pair has data on both sides, so there is nothing to compare."""
        return not self.pairs

    def describe(self) -> str:
        """One line for the dashboard saying what is compared and what was left out."""
        base = f"{self.period.label} compared with {self.comparison.label}"
        if self.is_complete:
            return f"{base}: all {self.n_months} months"
        if self.is_empty:
            return f"{base}: no month has data in both periods, so no comparison is possible"
        left_out = _describe_months(current for current, _ in self.dropped)
        return (
            f"{base}: {self.n_months} of {self.period.n_months} months compared like for like; "
            f"left out {left_out} and the matching comparison months (no data in one or both)"
        )


def comparable_months(period: Period, comparison: Period, available: Iterable[date]) -> ComparableMonths:
    """Pair month *i* of ``period`` with month *i* of ``comparison``, keeping pairs where both have data.

    Adding up only the kept pairs makes a change like-for-like: a month missing on one
    side is left out on both sides instead of counting as zero.

    Parameters
    ----------
    period : Period
        The period of interest.
    comparison : Period
        The period to compare with; must have the same number of months.
    available : iterable of datetime.date
        Every month that has data.

    Returns
    -------
    ComparableMonths

    Raises
    ------
    ValueError
        If the two periods differ in length.

    Examples
    --------
    Jan-Mar 2024 against Jan-Mar 2023, when Feb 2023 is missing:

    >>> this = Period(date(2024, 1, 1), date(2024, 3, 1))
    >>> got = comparable_months(this, same_months_last_year(this),
    ...                         [date(2023, 1, 1), date(2023, 3, 1)] + list(this.months))
    >>> [format_month(m) for m in got.current_months]
    ['2024-01', '2024-03']
    >>> print(got.describe())  # doctest: +NORMALIZE_WHITESPACE
    Jan 2024 – Mar 2024 compared with Jan 2023 – Mar 2023: 2 of 3 months compared like for like;
    left out Feb 2024 and the matching comparison months (no data in one or both)
    """
    if period.n_months != comparison.n_months:
        raise ValueError(
            f"cannot compare {period.label} ({period.n_months} months) with "
            f"{comparison.label} ({comparison.n_months} months): the periods must be the same length"
        )
    have = _month_set(available)
    pairs: list[tuple[date, date]] = []
    dropped: list[tuple[date, date]] = []
    for pair in zip(period.months, comparison.months):
        (pairs if pair[0] in have and pair[1] in have else dropped).append(pair)
    return ComparableMonths(period=period, comparison=comparison, pairs=tuple(pairs), dropped=tuple(dropped))


def _is_missing_value(value: object) -> bool:
    """True for None, NaN and pandas.NA."""
    if value is None:
        return True
    try:
        return bool(value != value)  # only NaN is unequal to itself
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def monthly_counts(
    counts: Mapping[date, float], months: Period | Iterable[date], available_months: Iterable[date]
) -> pd.Series:
    """A monthly series over ``months``: 0 for a loaded month with no rows, NaN for a missing month.

    Query results have no row for a month with no crimes, and also no row for a month
    that was never loaded. This tells the two apart using ``available_months``.

    Parameters
    ----------
    counts : mapping of datetime.date to number
        Counts by month, e.g. ``dict(zip(df.month, df.n))``; months not listed are 0 if loaded.
    months : Period or iterable of datetime.date
        The months the series should cover, e.g. a ``Period``.
    available_months : iterable of datetime.date
        Every month that has data.

    Returns
    -------
    pandas.Series
        Float values indexed by month (``datetime.date``), named ``"count"``; NaN marks a
        missing month.

    Raises
    ------
    ValueError
        If ``counts`` has a number for a month that is not in ``available_months``
        (the two inputs disagree, so one of them is wrong).

    Examples
    --------
    >>> s = monthly_counts({date(2024, 1, 1): 5}, month_range(date(2024, 1, 1), date(2024, 3, 1)),
    ...                    [date(2024, 1, 1), date(2024, 2, 1)])
    >>> s.tolist()
    [5.0, 0.0, nan]
    """
    import pandas as pd

    have = _month_set(available_months)
    if isinstance(months, Period):
        months = months.months
    months = [_check_month(m, "each month") for m in months]
    values = {}
    for month, value in counts.items():
        month = _check_month(month, "each month in counts")
        if _is_missing_value(value):
            continue
        if month not in have:
            raise ValueError(
                f"counts has a value for {month_label(month)}, but that month is not among the available "
                "months; pass the months that were actually loaded"
            )
        values[month] = float(value)
    data = [values.get(m, 0.0) if m in have else math.nan for m in months]
    return pd.Series(data, index=pd.Index(months, dtype=object, name="month"), name="count", dtype="float64")


def total_for_months(counts: Mapping[date, float], months: Iterable[date]) -> float:
    """Add up ``counts`` over ``months``, refusing to treat a missing month as zero.

    Use it with :attr:`ComparableMonths.current_months` / ``comparison_months`` and a
    series from :func:`monthly_counts`.

    Raises
    ------
    ValueError
        If any of ``months`` has no value (absent, None or NaN).

    Examples
    --------
    >>> total_for_months({date(2024, 1, 1): 5, date(2024, 2, 1): 7}, [date(2024, 1, 1), date(2024, 2, 1)])
    12.0
    >>> total_for_months({date(2024, 1, 1): 5}, [date(2024, 1, 1), date(2024, 2, 1)])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: no data for Feb 2024: a missing month cannot be added as zero; ...
    """
    total = 0.0
    lacking = []
    for month in months:
        month = _check_month(month, "each month")
        value = counts[month] if month in counts else None
        if _is_missing_value(value):
            lacking.append(month)
        else:
            total += float(value)
    if lacking:
        raise ValueError(
            f"no data for {_describe_months(lacking)}: a missing month cannot be added as zero; "
            "compare only months with data (see comparable_months)"
        )
    return total

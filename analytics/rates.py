"""Rates, percentage changes and how to write them for people.

A value that cannot be worked out (missing population, missing count, change from zero)
comes back as ``None`` and is written as words, never as ``inf``, ``nan`` or a zero.
Negative numbers are written with a true minus sign (U+2212), as in print.

>>> change_label(112, 100)
'+12 (+12.0%)'
>>> change_label(27, 30)
'−3 (−10.0%)'
>>> change_label(4, 0)
'new (was 0)'
"""

from __future__ import annotations

import math
import numbers

__all__ = ["MINUS", "change_label", "format_count", "pct_change", "rate_per_1000"]

MINUS = "\u2212"  # the minus sign used in everything this module writes


def _number_or_none(value: object, what: str) -> float | None:
    """``float(value)``, or None when it is missing (None, NaN, pandas.NA)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        try:  # pandas.NA and friends
            import pandas as pd

            if pd.isna(value):
                return None
        except (ImportError, TypeError, ValueError):
            pass
        raise TypeError(f"{what} must be a number; got {type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        raise ValueError(f"{what} must be a finite number; got {value!r}")
    return value


def rate_per_1000(count: float | None, population: float | None) -> float | None:
    """Crimes per 1,000 residents.

    Parameters
    ----------
    count : number or None
    population : number or None

    Returns
    -------
    float or None
        ``1000 * count / population``; None when the count or population is missing or the
        population is 0 (an area with no residents has no rate).

    Raises
    ------
    ValueError
        If the count or population is negative.

    Examples
    --------
    >>> rate_per_1000(45, 9000)
    5.0
    >>> rate_per_1000(45, 0) is None
    True
    """
    count = _number_or_none(count, "count")
    population = _number_or_none(population, "population")
    if count is not None and count < 0:
        raise ValueError(f"count cannot be negative; got {count:g}")
    if population is not None and population < 0:
        raise ValueError(f"population cannot be negative; got {population:g}")
    if count is None or population is None or population == 0:
        return None
    return 1000.0 * count / population


def pct_change(current: float | None, previous: float | None) -> float | None:
    """Percentage change from ``previous`` to ``current``, in percent (``12.5`` means +12.5%).

    Returns
    -------
    float or None
        None when either value is missing or ``previous`` is 0 (a change from nothing has
        no percentage; use :func:`change_label`, which says "new").

    Examples
    --------
    >>> pct_change(110, 100)
    10.0
    >>> pct_change(0, 40)
    -100.0
    >>> pct_change(5, 0) is None
    True
    """
    current = _number_or_none(current, "current")
    previous = _number_or_none(previous, "previous")
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100.0


def _signed(text: str, value: float) -> str:
    if value > 0:
        return "+" + text
    if value < 0:
        return MINUS + text
    return text


def format_count(value: float | None, missing: str = "no data") -> str:
    """A count with thousands separators, e.g. ``"12,345"``.

    Parameters
    ----------
    value : int or None
        A whole number (``12.0`` is accepted as 12).
    missing : str, default "no data"
        What to write when ``value`` is None or NaN.

    Raises
    ------
    ValueError
        If ``value`` has a fractional part (a count is a whole number).

    Examples
    --------
    >>> format_count(12345)
    '12,345'
    >>> format_count(-1200)
    '−1,200'
    >>> format_count(None)
    'no data'
    """
    number = _number_or_none(value, "value")
    if number is None:
        return missing
    if number != int(number):
        raise ValueError(f"a count must be a whole number; got {value!r}")
    text = f"{abs(int(number)):,}"
    return MINUS + text if number < 0 else text


def change_label(current: float | None, previous: float | None, missing: str = "no data") -> str:
    """The change from ``previous`` to ``current`` for display: ``"+12 (+4.5%)"``.

    Parameters
    ----------
    current, previous : int or None
        Counts (whole numbers).
    missing : str, default "no data"
        What to write when either count is missing.

    Returns
    -------
    str
        ``"+12 (+4.5%)"``, ``"−3 (−10.0%)"``, ``"0 (0.0%)"``; ``"new (was 0)"`` when
        ``previous`` is 0 and ``current`` is not; ``"0 (was 0)"`` when both are 0. The
        percentage has one decimal place and keeps the sign of the change even when it
        rounds to 0.0.

    Examples
    --------
    >>> change_label(1350, 1200)
    '+150 (+12.5%)'
    >>> change_label(0, 0)
    '0 (was 0)'
    >>> change_label(None, 3)
    'no data'
    """
    now = _number_or_none(current, "current")
    before = _number_or_none(previous, "previous")
    if now is None or before is None:
        return missing
    for number, what in ((now, current), (before, previous)):
        if number != int(number):
            raise ValueError(f"a count must be a whole number; got {what!r}")
    if before == 0:
        return "0 (was 0)" if now == 0 else "new (was 0)"
    difference = now - before
    percent = pct_change(now, before)
    count_text = _signed(f"{abs(int(difference)):,}", difference)
    return f"{count_text} ({_signed(f'{abs(percent):,.1f}%', percent)})"

"""Emerging hot spots: which areas are new, persistent, intensifying, diminishing or sporadic hot
spots over recent monthly time slices.

The method follows the emerging-hot-spot analysis of space-time cube tools (e.g. ArcGIS Pro's
*Emerging Hot Spot Analysis*), on areas rather than cube bins:

1. for every month (time slice) with data, Getis-Ord Gi* of each area's count against the whole
   study area, with each area's own value in its neighbourhood (``esda.G_Local(star=True)``), scored
   analytically (normal approximation; a permutation test per month would take seconds per slice);
   an area is a **hot spot that month** when its Gi* z-score is at or above :data:`HOT_Z`
   (95% confidence, two-sided);
2. the trend of each area's monthly Gi* z-scores, by a Mann-Kendall test (Kendall's tau between
   month and z-score, ``scipy.stats.kendalltau``; exact p-values for short untied series), significant
   at :data:`TREND_ALPHA` (95% confidence, two-sided);
3. a category from how many months were hot, whether the latest month was, and the trend.

Months without data are **gaps, never zeros**: a month whose column is all missing is dropped
before any statistic (the trend uses the months' real order, so a gap neither adds a zero nor moves
the other months). A month with data where an area has no records is a real zero.

Pure functions: no Streamlit, no store.

>>> category(hot=[True] * 12, trend="up")
'Intensifying hot spot'
>>> category(hot=[False] * 11 + [True], trend="none")
'New hot spot'
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "HOT_Z",
    "HOT_CONFIDENCE",
    "TREND_ALPHA",
    "MIN_SLICES",
    "PERSISTENT_SHARE",
    "NEW",
    "INTENSIFYING",
    "PERSISTENT",
    "DIMINISHING",
    "SPORADIC",
    "NO_PATTERN",
    "CATEGORIES",
    "DESCRIPTIONS",
    "monthly_gi_z",
    "mann_kendall",
    "category",
    "emerging_hot_spots",
    "explain",
    "method_statement",
]

HOT_Z = 1.959964  # Gi* z at or above this: a hot spot that month at 95% confidence (two-sided)
HOT_CONFIDENCE = 95
TREND_ALPHA = 0.05  # Mann-Kendall p at or below this: a trend at 95% confidence (two-sided)
MIN_SLICES = 6  # fewer months cannot show a trend at 95% confidence with any pattern
PERSISTENT_SHARE = 0.9  # hot in at least 90% of the months: persistent, intensifying or diminishing

NEW = "New hot spot"
INTENSIFYING = "Intensifying hot spot"
PERSISTENT = "Persistent hot spot"
DIMINISHING = "Diminishing hot spot"
SPORADIC = "Sporadic hot spot"
NO_PATTERN = "No emerging pattern"
CATEGORIES = (NEW, INTENSIFYING, PERSISTENT, DIMINISHING, SPORADIC, NO_PATTERN)


DESCRIPTIONS = {
    NEW: f"a hot spot in the latest month for the first time in the months shown ({HOT_CONFIDENCE}% confidence).",
    INTENSIFYING: (f"a hot spot in at least 90% of the months ({HOT_CONFIDENCE}% confidence each month) and getting "
                   f"hotter (Mann-Kendall trend, {100 - round(TREND_ALPHA * 100)}% confidence)."),
    PERSISTENT: (f"a hot spot in at least 90% of the months ({HOT_CONFIDENCE}% confidence each month), with no clear "
                 "rise or fall."),
    DIMINISHING: (f"a hot spot in at least 90% of the months ({HOT_CONFIDENCE}% confidence each month) but cooling "
                  f"(Mann-Kendall trend, {100 - round(TREND_ALPHA * 100)}% confidence)."),
    SPORADIC: (f"a hot spot in the latest month and on and off before, in fewer than 90% of the months "
               f"({HOT_CONFIDENCE}% confidence each month)."),
    NO_PATTERN: "not a hot spot in the latest month, or not in enough months to be persistent.",
}  # one plain sentence per class, with its confidence


def monthly_gi_z(values, weights) -> np.ndarray:
    """Gi* z-scores of one time slice (analytical, normal approximation).

    Parameters
    ----------
    values : sequence of counts in ``weights.id_order`` (zero or more, no missing values)
    weights : libpysal.weights.W, binary contiguity (not modified; the self-weight is added here)

    Returns
    -------
    numpy.ndarray
        One z-score per area; all zeros when every area has the same value (Gi* is undefined:
        nothing stands out).

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> z = monthly_gi_z([9 if i in (0, 1, 5, 6) else 1 for i in range(25)], lat2W(5, 5, rook=False))
    >>> bool(z[0] > HOT_Z), bool(abs(z[24]) < HOT_Z)
    (True, True)
    """
    import esda
    from libpysal.weights import fill_diagonal

    arr = np.asarray(values, dtype="float64")
    if arr.shape != (weights.n,):
        raise ValueError(f"{arr.size} values for {weights.n} areas")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError("a month with data needs a count of zero or more for every area")
    if np.ptp(arr) == 0:
        return np.zeros(weights.n)
    w_star = fill_diagonal(weights, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # esda's notices about its future p-value defaults
        g = esda.G_Local(arr, w_star, transform="B", permutations=0, star=True)
    return np.nan_to_num(np.asarray(g.Zs, dtype="float64"))


def mann_kendall(times: Sequence, values: Sequence[float]) -> tuple[float, float, str]:
    """Mann-Kendall trend test: Kendall's tau between time and value, its two-sided p-value, and
    ``'up'``, ``'down'`` or ``'none'`` at :data:`TREND_ALPHA`.

    Examples
    --------
    >>> tau, p, trend = mann_kendall(range(8), [1, 2, 3, 4, 5, 6, 7, 8])
    >>> round(tau, 2), p < 0.001, trend
    (1.0, True, 'up')
    >>> mann_kendall(range(8), [3, 1, 4, 1, 5, 9, 2, 6])[2]
    'none'
    """
    from scipy.stats import kendalltau

    t = np.asarray([_ordinal(x) for x in times], dtype="float64")
    v = np.asarray(values, dtype="float64")
    if len(t) != len(v) or len(t) < 3:
        raise ValueError("a trend needs at least 3 time slices, one value each")
    if np.ptp(v) == 0:
        return 0.0, 1.0, "none"
    res = kendalltau(t, v)
    tau, p = float(res.statistic), float(res.pvalue)
    if not (math.isfinite(tau) and math.isfinite(p)):
        return 0.0, 1.0, "none"
    trend = ("up" if tau > 0 else "down") if p <= TREND_ALPHA else "none"
    return tau, p, trend


def _ordinal(x) -> float:
    if isinstance(x, (dt.date, pd.Timestamp)):
        return x.year * 12 + x.month - 1  # months since year 0: gaps keep their real spacing
    return float(x)


def category(hot: Sequence[bool], trend: str) -> str:
    """The emerging-hot-spot category of one area from its hot months (oldest first) and z trend.

    * **Intensifying**: a hot spot in at least 90% of the months, getting hotter (z trend up);
    * **Diminishing**: a hot spot in at least 90% of the months, cooling (z trend down);
    * **Persistent**: a hot spot in at least 90% of the months, no significant trend;
    * **New**: a hot spot in the latest month for the first time;
    * **Sporadic**: a hot spot in the latest month and on and off before (under 90% of months);
    * otherwise no emerging pattern (perhaps hot in some earlier months, but not in the latest).

    Examples
    --------
    >>> category([True] * 11 + [False], "down"), category([False, True] * 6, "none")
    ('Diminishing hot spot', 'Sporadic hot spot')
    >>> category([True] * 6 + [False] * 6, "down")
    'No emerging pattern'
    """
    hot = [bool(h) for h in hot]
    n, k = len(hot), sum(hot)
    if n and k >= math.ceil(PERSISTENT_SHARE * n):
        return {"up": INTENSIFYING, "down": DIMINISHING}.get(trend, PERSISTENT)
    if n and hot[-1]:
        return NEW if k == 1 else SPORADIC
    return NO_PATTERN


def emerging_hot_spots(counts: pd.DataFrame, weights) -> pd.DataFrame:
    """Classify every area from its monthly counts.

    Parameters
    ----------
    counts : pandas.DataFrame
        One row per area (index: area ids, every id of ``weights.id_order``), one column per month
        (dates, any order; they are sorted), values = records. A month whose column is all missing
        (NaN) is a **gap** and is dropped; a month with data must have a count for every area.
    weights : libpysal.weights.W
        Binary contiguity weights of the areas.

    Returns
    -------
    pandas.DataFrame
        One row per area, in ``weights.id_order``: ``area_id``, ``months`` (time slices used),
        ``hot_months``, ``hot_latest``, ``z_latest``, ``z_mean``, ``trend_tau``, ``trend_p``,
        ``trend`` (up / down / none), ``category``, ``first_month``, ``last_month``.

    Raises
    ------
    ValueError
        Fewer than :data:`MIN_SLICES` months with data, a month with data missing some areas, or
        areas without counts.
    """
    ids = [str(i) for i in weights.id_order]
    data = counts.rename(index=str)
    missing = sorted(set(ids) - set(data.index))
    if missing:
        raise ValueError(f"no counts for {len(missing)} area(s), e.g. {missing[:3]}")
    data = data.reindex(ids)
    data = data[sorted(data.columns, key=_ordinal)]
    gaps = [c for c in data.columns if data[c].isna().all()]
    data = data.drop(columns=gaps)
    partial = [c for c in data.columns if data[c].isna().any()]
    if partial:
        raise ValueError(f"month {partial[0]} has data for some areas but not others: a month is either "
                         "loaded (zero where no records) or a gap")
    months = list(data.columns)
    if len(months) < MIN_SLICES:
        raise ValueError(f"at least {MIN_SLICES} months with data are needed to see a trend; "
                         f"there {'is' if len(months) == 1 else 'are'} {len(months)}")
    z = np.column_stack([monthly_gi_z(data[m].to_numpy(), weights) for m in months])
    hot = z >= HOT_Z
    rows = []
    for i, area in enumerate(ids):
        tau, p, trend = mann_kendall(months, z[i])
        rows.append({
            "area_id": area, "months": len(months), "hot_months": int(hot[i].sum()),
            "hot_latest": bool(hot[i, -1]), "z_latest": float(z[i, -1]), "z_mean": float(z[i].mean()),
            "trend_tau": tau, "trend_p": p, "trend": trend, "category": category(hot[i], trend),
            "first_month": months[0], "last_month": months[-1],
        })
    return pd.DataFrame(rows)


def explain(row: dict | pd.Series, month_text=str) -> str:
    """One plain sentence for an area's category, with its confidence.

    ``month_text`` formats a month (e.g. ``analytics.periods.month_label``).

    Examples
    --------
    >>> r = {"category": NEW, "months": 12, "hot_months": 1, "trend_p": 0.4, "last_month": "Dec 2025"}
    >>> explain(r)
    'A hot spot in the latest month (Dec 2025) and in none of the 11 months before it (95% confidence).'
    """
    cat, n, k = row["category"], int(row["months"]), int(row["hot_months"])
    last = month_text(row["last_month"])
    p = float(row["trend_p"])
    if cat == NEW:
        return (f"A hot spot in the latest month ({last}) and in none of the {n - 1} months before it "
                f"({HOT_CONFIDENCE}% confidence).")
    if cat == INTENSIFYING:
        return (f"A hot spot in {k} of {n} months, and getting hotter: its Gi* score rose over the months "
                f"(Mann-Kendall trend, p = {p:.3f}, {100 - round(TREND_ALPHA * 100)}% confidence).")
    if cat == DIMINISHING:
        return (f"A hot spot in {k} of {n} months, but cooling: its Gi* score fell over the months "
                f"(Mann-Kendall trend, p = {p:.3f}, {100 - round(TREND_ALPHA * 100)}% confidence).")
    if cat == PERSISTENT:
        return (f"A hot spot in {k} of {n} months ({HOT_CONFIDENCE}% confidence each month), with no clear "
                f"rise or fall (trend p = {p:.2f}).")
    if cat == SPORADIC:
        return (f"A hot spot in the latest month ({last}) and in {k - 1} of the {n - 1} months before it: on and "
                "off rather than steady.")
    if k:
        return f"A hot spot in {k} of {n} months, but not in the latest ({last})."
    return f"Not a hot spot in any of the {n} months at {HOT_CONFIDENCE}% confidence."


def method_statement(n_months: int, months_label: str, n_areas: int) -> str:
    """What the analysis does and how confident it is, in plain words (shown above its table).

    >>> "gaps, not zeros" in method_statement(12, "Jan 2025 – Dec 2025", 99)
    True
    """
    return (f"Each of the {n_months} months with data ({months_label}) is tested on its own: an area is a hot spot "
            f"that month when it and its neighbours together have clearly more records than the borough average "
            f"(Getis-Ord Gi* z-score of {HOT_Z:.2f} or more, {HOT_CONFIDENCE}% confidence). Whether an area is getting "
            f"hotter or cooling is a Mann-Kendall trend test on its monthly Gi* scores ({100 - round(TREND_ALPHA * 100)}% "
            f"confidence). Months without police.uk data are skipped (gaps, not zeros). Across {n_areas} areas and "
            f"{n_months} months some single-month hot spots are expected by chance, so read a New or Sporadic hot "
            "spot as a prompt to look, not as proof.")

"""Turning the filters into like-for-like month lists, and query results into the
comparison tables pages show. Pure functions over DataFrames (tested without Streamlit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.periods import Period, comparable_months, coverage
from analytics.rates import pct_change
from analytics.significance import compare_counts
from dashboard.filters import FilterContext, Filters

__all__ = ["Comparison", "comparison_for", "headline_table", "type_change_table", "ALL_CRIME",
           "SIGNIFICANCE_NOTE"]

ALL_CRIME = "All crime"
SIGNIFICANCE_NOTE = (
    "Significance: exact conditional (binomial) test for two Poisson counts, two-sided, 5% level, "
    "on the months that have data in both periods. 'No significant change' means the difference is "
    "within normal month-to-month variation."
)


@dataclass(frozen=True)
class Comparison:
    """Which months to count: the period's months with data, and, when comparing, the
    like-for-like months (pairs where both the month and its comparison month have data)."""

    period: Period
    comparison_period: Period | None
    period_months: tuple[dt.date, ...]  # every month of the period that has data
    months: tuple[dt.date, ...]  # current months used for the comparison
    comparison_months: tuple[dt.date, ...]
    note: str

    @property
    def has_data(self) -> bool:
        return bool(self.period_months)

    @property
    def can_compare(self) -> bool:
        return bool(self.comparison_months)

    @property
    def all_months(self) -> list[dt.date]:
        """Every month a page needs to query (the period and its comparison, sorted)."""
        months = set(self.period.months)
        if self.comparison_period is not None:
            months |= set(self.comparison_period.months)
        return sorted(months)


def comparison_for(f: Filters, ctx: FilterContext) -> Comparison:
    cov = coverage(f.period, ctx.present_months)
    if f.comparison_period is None:
        return Comparison(f.period, None, cov.present, cov.present, (), cov.describe())
    cm = comparable_months(f.period, f.comparison_period, ctx.present_months)
    return Comparison(f.period, f.comparison_period, cov.present, cm.current_months, cm.comparison_months,
                      cm.describe())


def _sum(monthly: pd.DataFrame, months, classes) -> int:
    sel = monthly[monthly["month"].isin(list(months)) & monthly["crime_class"].isin(classes)]
    return int(sel["records"].fillna(0).sum())


def headline_table(monthly: pd.DataFrame, cmp: Comparison, classes: tuple[str, ...]) -> pd.DataFrame:
    """One row per measure (All crime = VBC + CAS, then each selected class).

    ``monthly`` is the ``monthly_counts_by_class`` result (month, crime_class, records).

    >>> m = pd.DataFrame({"month": [dt.date(2025, 1, 1), dt.date(2024, 1, 1)] * 2,
    ...                   "crime_class": ["VBC", "VBC", "ASB", "ASB"], "records": [120, 90, 10, 10]})
    >>> c = Comparison(Period(dt.date(2025, 1, 1), dt.date(2025, 1, 1)), Period(dt.date(2024, 1, 1),
    ...     dt.date(2024, 1, 1)), (dt.date(2025, 1, 1),), (dt.date(2025, 1, 1),), (dt.date(2024, 1, 1),), "")
    >>> headline_table(m, c, ("VBC", "ASB"))[["measure", "records", "change", "verdict"]].values.tolist()
    [['All crime', 120, 30, 'Significant increase'], ['VBC', 120, 30, 'Significant increase'], ['ASB', 10, 0, 'No significant change']]
    """
    monthly = monthly.assign(month=pd.to_datetime(monthly["month"]).dt.date)
    measures = []
    crime = tuple(c for c in classes if c in ("VBC", "CAS"))
    if crime:
        measures.append((ALL_CRIME, crime))
    measures += [(c, (c,)) for c in classes]
    rows = []
    for label, cls in measures:
        row = {"measure": label, "records": _sum(monthly, cmp.period_months, cls),
               "months_with_data": len(cmp.period_months)}
        if cmp.can_compare:
            cur, prev = _sum(monthly, cmp.months, cls), _sum(monthly, cmp.comparison_months, cls)
            test = compare_counts(cur, prev, len(cmp.months), len(cmp.comparison_months))
            row.update({"records_compared": cur, "records_comparison": prev, "change": cur - prev,
                        "pct_change": pct_change(cur, prev), "p_value": test.p_value, "verdict": test.verdict,
                        "months_compared": len(cmp.months)})
        rows.append(row)
    return pd.DataFrame(rows)


def type_change_table(by_type: pd.DataFrame) -> pd.DataFrame:
    """Crime-type change, current vs comparison months (Strategic Assessment para 18)."""
    out = by_type.copy()
    out["change"] = out["records"] - out["records_comparison"]
    out["pct_change"] = [pct_change(c, p) for c, p in zip(out["records"], out["records_comparison"])]
    return out.sort_values("change", kind="stable").reset_index(drop=True)

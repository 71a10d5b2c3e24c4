"""Small pure functions for the dashboard's numbers: periods, significance, SPC and rates.

Nothing here touches the store or Streamlit; every function takes plain values, dates
or pandas objects and returns new ones, so each can be tested and reused on its own.

* :mod:`analytics.periods`: months, reporting periods, data coverage, like-for-like pairing;
* :mod:`analytics.significance`: is a change between two counts more than chance?
* :mod:`analytics.spc`: XmR control charts (the partnership's SPC charts) and seasonality;
* :mod:`analytics.rates`: rates per 1,000, percentage changes and display labels.

Missing months (no police.uk data) are gaps, never zeros, throughout.
"""

from analytics.periods import (
    ComparableMonths,
    Coverage,
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
    months_label,
    parse_month,
    previous_period,
    same_months_last_year,
    shift_months,
    total_for_months,
)
from analytics.rates import MINUS, change_label, format_count, pct_change, rate_per_1000
from analytics.significance import ChangeTest, compare_counts
from analytics.spc import (
    MIN_BASELINE_MOVING_RANGES,
    MIN_BASELINE_POINTS,
    RUN_LENGTH,
    TREND_POINTS,
    XMR_LIMIT_FACTOR,
    ControlLimits,
    XmRChart,
    seasonal_table,
    xmr_chart,
)

__all__ = [
    # periods
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
    "monthly_counts",
    "months_label",
    "parse_month",
    "previous_period",
    "same_months_last_year",
    "shift_months",
    "total_for_months",
    # significance
    "ChangeTest",
    "compare_counts",
    # spc
    "MIN_BASELINE_MOVING_RANGES",
    "MIN_BASELINE_POINTS",
    "RUN_LENGTH",
    "TREND_POINTS",
    "XMR_LIMIT_FACTOR",
    "ControlLimits",
    "XmRChart",
    "seasonal_table",
    "xmr_chart",
    # rates
    "MINUS",
    "change_label",
    "format_count",
    "pct_change",
    "rate_per_1000",
]

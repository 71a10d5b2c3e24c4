"""Turning the filters into like-for-like month lists, and query results into the
comparison tables pages show. Pure functions over DataFrames (tested without Streamlit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.periods import Period, comparable_months, coverage, months_label
from analytics.rates import change_label, format_count, pct_change
from analytics.significance import compare_counts
from dashboard.explain import SIGNIFICANCE_METHOD, SIGNIFICANCE_PLAIN
from dashboard.filters import FilterContext, Filters

__all__ = ["Comparison", "comparison_for", "headline_table", "type_change_table", "ALL_CRIME",
           "SIGNIFICANCE_NOTE", "SIGNIFICANCE_METHOD", "Card", "change_text", "headline_cards", "comparison_sentence",
           "period_columns", "headline_display", "aligned_comparison", "left_out_months", "measure_classes",
           "rate_context_table", "rate_context_caption", "period_headings"]

ALL_CRIME = "All crime"
# shown where a change is read (plain words, dashboard.explain); the method goes in the help tooltip
SIGNIFICANCE_NOTE = SIGNIFICANCE_PLAIN


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
    def is_partial(self) -> bool:
        """True when a comparison exists but covers only some of the period's months with data."""
        return self.can_compare and tuple(self.months) != tuple(self.period_months)

    @property
    def period_label(self) -> str:
        """The months of the period that have data, written short ("Jan–Dec 2025")."""
        return months_label(self.period_months) if self.period_months else f"{self.period.label} (no data)"

    @property
    def label(self) -> str:
        """The months a figure and its change count ("Jan–Apr 2025"): the like-for-like months when
        comparing, otherwise the period's months with data."""
        return months_label(self.months if self.can_compare else self.period_months)

    @property
    def comparison_label(self) -> str:
        """The comparison months actually counted ("Jan–Apr 2024"); '' without a comparison."""
        return months_label(self.comparison_months) if self.can_compare else ""

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


def measure_classes(classes: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """The measures every page shows for the selected classes, in order: All crime (VBC + CAS, when
    a crime class is selected), then each class. One list, so cards, tables and per-ward rows agree.

    >>> measure_classes(("VBC", "CAS", "ASB"))
    [('All crime', ('VBC', 'CAS')), ('VBC', ('VBC',)), ('CAS', ('CAS',)), ('ASB', ('ASB',))]
    >>> measure_classes(("ASB",))
    [('ASB', ('ASB',))]
    """
    crime = tuple(c for c in classes if c in ("VBC", "CAS"))
    return ([(ALL_CRIME, crime)] if crime else []) + [(c, (c,)) for c in classes]


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
    rows = []
    for label, cls in measure_classes(classes):
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


# ---------------------------------------------------------------- figures that say their months
def change_text(current: int, previous: int, comparison_label: str) -> str:
    """A change with the months it is measured against: ``"−449 (−9.1%) vs Jan–Apr 2024"``.

    >>> change_text(4499, 4948, "Jan–Apr 2024")
    '−449 (−9.1%) vs Jan–Apr 2024'
    """
    return f"{change_label(current, previous)} vs {comparison_label}"


@dataclass(frozen=True)
class Card:
    """One headline figure as shown: ``heading`` names the measure; ``label`` says the months that
    ``value`` and its change (``delta``, "… vs <comparison months>") both count; ``whole_period`` is
    the period's full total, its own labelled figure, when the comparison covers only part of it."""

    heading: str
    label: str
    value: str
    delta: str | None = None
    change: int | None = None
    verdict: str | None = None
    whole_period: str | None = None


def headline_cards(table: pd.DataFrame, cmp: Comparison, labels: dict[str, str]) -> list[Card]:
    """The cards for :func:`headline_table` rows. With a comparison the value is the like-for-like
    count (the same months as its change); with a partial comparison the whole period's total is a
    separate, labelled figure.

    >>> jan = dt.date(2025, 1, 1)
    >>> c = Comparison(Period(jan, dt.date(2025, 2, 1)), Period(dt.date(2024, 1, 1), dt.date(2024, 2, 1)),
    ...                (jan, dt.date(2025, 2, 1)), (jan,), (dt.date(2024, 1, 1),), "")
    >>> t = pd.DataFrame({"measure": ["ASB"], "records": [30], "records_compared": [12],
    ...                   "records_comparison": [10], "change": [2], "verdict": ["No significant change"]})
    >>> card = headline_cards(t, c, {"ASB": "Anti-social behaviour"})[0]
    >>> card.heading, card.label, card.value, card.delta, card.whole_period
    ('Anti-social behaviour', 'Jan 2025', '12', '+2 (+20.0%) vs Jan 2024', 'Whole period, Jan–Feb 2025: **30**')
    """
    cards = []
    for row in table.itertuples():
        name = labels.get(row.measure, row.measure)
        if cmp.can_compare:
            whole = (f"Whole period, {cmp.period_label}: **{format_count(row.records)}**"
                     if cmp.is_partial else None)
            cards.append(Card(name, cmp.label, format_count(row.records_compared),
                              change_text(row.records_compared, row.records_comparison, cmp.comparison_label),
                              int(row.change), row.verdict, whole))
        else:
            cards.append(Card(name, cmp.period_label, format_count(row.records)))
    return cards


def left_out_months(cmp: Comparison) -> tuple[tuple[dt.date, ...], tuple[dt.date, ...]]:
    """The period's months with data that have no comparison, and their comparison months.

    >>> jan, feb = dt.date(2025, 1, 1), dt.date(2025, 2, 1)
    >>> c = Comparison(Period(jan, feb), Period(dt.date(2024, 1, 1), dt.date(2024, 2, 1)), (jan, feb), (jan,),
    ...                (dt.date(2024, 1, 1),), "")
    >>> left_out_months(c)
    ((datetime.date(2025, 2, 1),), (datetime.date(2024, 2, 1),))
    """
    if cmp.comparison_period is None:
        return (), ()
    pairs = dict(zip(cmp.period.months, cmp.comparison_period.months))
    current = tuple(m for m in cmp.period_months if m not in set(cmp.months))
    return current, tuple(pairs[m] for m in current)


def comparison_sentence(cmp: Comparison) -> str:
    """One plain sentence under the cards: which months the figures and changes count, and why.

    >>> jan, feb = dt.date(2025, 1, 1), dt.date(2025, 2, 1)
    >>> c = Comparison(Period(jan, feb), Period(dt.date(2024, 1, 1), dt.date(2024, 2, 1)), (jan, feb), (jan,),
    ...                (dt.date(2024, 1, 1),), "")
    >>> print(comparison_sentence(c))  # doctest: +NORMALIZE_WHITESPACE
    Each figure and its change count Jan 2025 against Jan 2024, the months with police.uk data in both periods.
    Feb 2025 has no comparison because police.uk has no data for Feb 2024; the whole period's total
    (Jan–Feb 2025) is given as its own, labelled figure.
    """
    if cmp.comparison_period is None:
        return f"Figures count {cmp.period_label}. No comparison is chosen."
    if not cmp.can_compare:
        return f"Figures count {cmp.period_label}. No comparison: {cmp.note}."
    if not cmp.is_partial:
        return (f"Each figure and its change count {cmp.label} against {cmp.comparison_label} "
                f"(all {len(cmp.months)} months have police.uk data in both periods).")
    current, previous = left_out_months(cmp)
    return (f"Each figure and its change count {cmp.label} against {cmp.comparison_label}, the months with "
            f"police.uk data in both periods. {months_label(current)} has no comparison because police.uk has no "
            f"data for {months_label(previous)}; the whole period's total ({cmp.period_label}) is given as "
            "its own, labelled figure.")


def period_columns(cmp: Comparison) -> dict[str, str]:
    """Table headings that say their months: the whole period's count, the like-for-like current and
    comparison months, and the change. ``current`` is '' when it would repeat ``whole``.

    >>> jan, feb = dt.date(2025, 1, 1), dt.date(2025, 2, 1)
    >>> c = Comparison(Period(jan, feb), Period(dt.date(2024, 1, 1), dt.date(2024, 2, 1)), (jan, feb), (jan,),
    ...                (dt.date(2024, 1, 1),), "")
    >>> period_columns(c)
    {'whole': 'Jan–Feb 2025 (whole period)', 'current': 'Jan 2025', 'comparison': 'Jan 2024', 'change': 'Change', 'pct_change': '% change'}
    """
    return {
        "whole": f"{cmp.period_label} (whole period)" if cmp.is_partial else cmp.period_label,
        "current": cmp.label if cmp.is_partial else "",
        "comparison": cmp.comparison_label,
        "change": "Change",
        "pct_change": "% change",
    }


def headline_display(table: pd.DataFrame, cmp: Comparison, labels: dict[str, str]) -> pd.DataFrame:
    """The headline figures as a table whose column headings say their months (also the CSV).

    >>> jan = dt.date(2025, 1, 1)
    >>> c = Comparison(Period(jan, jan), Period(dt.date(2024, 1, 1), dt.date(2024, 1, 1)), (jan,), (jan,),
    ...                (dt.date(2024, 1, 1),), "")
    >>> t = pd.DataFrame({"measure": ["ASB"], "records": [12], "records_compared": [12], "records_comparison": [10],
    ...                   "change": [2], "pct_change": [20.0], "p_value": [0.83], "verdict": ["No significant change"]})
    >>> list(headline_display(t, c, {}).columns)
    ['Measure', 'Jan 2025', 'Jan 2024', 'Change', '% change', 'p-value', 'Significance']
    """
    cols = period_columns(cmp)
    out = pd.DataFrame({"Measure": [labels.get(m, m) for m in table["measure"]]})
    out[cols["whole"]] = table["records"].astype("int64").to_numpy()
    if cmp.can_compare:
        if cols["current"]:
            out[cols["current"]] = table["records_compared"].astype("int64").to_numpy()
        out[cols["comparison"]] = table["records_comparison"].astype("int64").to_numpy()
        out[cols["change"]] = table["change"].astype("int64").to_numpy()
        out[cols["pct_change"]] = table["pct_change"].astype("float64").round(1).to_numpy()
        out["p-value"] = table["p_value"].astype("float64").round(3).to_numpy()
        out["Significance"] = table["verdict"].to_numpy()
    return out


def aligned_comparison(monthly: pd.DataFrame, cmp: Comparison) -> pd.DataFrame:
    """The comparison period's monthly counts placed on the period's months (month *i* of the
    comparison drawn at month *i* of the period), keeping the comparison month for hover and tables.
    Missing months stay missing (NaN), never zero.

    >>> m = pd.DataFrame({"month": [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2025, 1, 1)],
    ...                   "crime_class": ["ASB"] * 3, "records": [10, None, 12], "is_present": [True, False, True]})
    >>> c = Comparison(Period(dt.date(2025, 1, 1), dt.date(2025, 2, 1)),
    ...                Period(dt.date(2024, 1, 1), dt.date(2024, 2, 1)), (dt.date(2025, 1, 1),), (), (), "")
    >>> aligned_comparison(m, c)[["month", "comparison_month", "records"]].values.tolist()
    [[datetime.date(2025, 1, 1), datetime.date(2024, 1, 1), 10.0], [datetime.date(2025, 2, 1), datetime.date(2024, 2, 1), nan]]
    """
    if cmp.comparison_period is None:
        return monthly.iloc[0:0].assign(comparison_month=[])
    to_period = dict(zip(cmp.comparison_period.months, cmp.period.months))
    data = monthly.assign(month=pd.to_datetime(monthly["month"]).dt.date)
    sel = data[data["month"].isin(list(to_period))].copy()
    sel["comparison_month"] = sel["month"]
    sel["month"] = sel["comparison_month"].map(to_period)
    sel["records"] = pd.to_numeric(sel["records"], errors="coerce").astype("float64")
    return sel.sort_values(["month", "crime_class"]).reset_index(drop=True)


# ---------------------------------------------------------------- an area's rate beside the borough's
def rate_context_table(rows: pd.DataFrame, classes: tuple[str, ...], months: str,
                       labels: dict[str, str] | None = None) -> pd.DataFrame:
    """An area's rate per 1,000 residents beside the borough's, per measure, for the same months and
    the same population basis (``rows`` is the ``area_and_borough_by_class`` result).

    >>> r = pd.DataFrame({"crime_class": ["VBC", "ASB"], "area_records": [30, 2], "borough_records": [300, 40],
    ...                   "area_population": [1000] * 2, "borough_population": [20000] * 2})
    >>> t = rate_context_table(r, ("VBC", "ASB"), "Jan–Dec 2025")
    >>> t.values.tolist()
    [['All crime', 30, 30.0, 15.0, '2.0× the borough rate'], ['VBC', 30, 30.0, 15.0, '2.0× the borough rate'], ['ASB', 2, 2.0, 2.0, 'the same as the borough rate']]
    >>> list(t.columns)
    ['Measure', 'Records, Jan–Dec 2025', 'Per 1,000 residents', 'Borough per 1,000 residents', 'Compared with the borough']
    """
    labels = labels or {}
    by_class = rows.set_index("crime_class")
    area_pop = float(rows["area_population"].iloc[0]) if len(rows) else float("nan")
    borough_pop = float(rows["borough_population"].iloc[0]) if len(rows) else float("nan")
    out = []
    for label, cls in measure_classes(tuple(classes)):
        area = int(sum(int(by_class["area_records"].get(c, 0)) for c in cls))
        borough = int(sum(int(by_class["borough_records"].get(c, 0)) for c in cls))
        rate = 1000.0 * area / area_pop if area_pop else float("nan")
        b_rate = 1000.0 * borough / borough_pop if borough_pop else float("nan")
        out.append({"Measure": labels.get(label, label), f"Records, {months}": area,
                    "Per 1,000 residents": round(rate, 1), "Borough per 1,000 residents": round(b_rate, 1),
                    "Compared with the borough": _ratio_text(rate, b_rate)})
    return pd.DataFrame(out)


def _ratio_text(rate: float, borough: float) -> str:
    """``2.4× the borough rate``; within 5% reads 'the same as the borough rate'.

    >>> _ratio_text(24.0, 10.0), _ratio_text(10.2, 10.0), _ratio_text(3.0, 0.0)
    ('2.4× the borough rate', 'the same as the borough rate', 'no borough rate to compare')
    """
    if not borough or borough != borough or rate != rate:
        return "no borough rate to compare"
    ratio = rate / borough
    if abs(ratio - 1) < 0.05:
        return "the same as the borough rate"
    return f"{ratio:.1f}× the borough rate"


def rate_context_caption(rows: pd.DataFrame, area: str, months: str, n_months: int) -> str:
    """What the area-vs-borough rates count: months, residents of each, the population basis.

    >>> r = pd.DataFrame({"area_population": [1000], "borough_population": [187767],
    ...                   "population_basis": ["ONS mid-2024 estimates"]})
    >>> rate_context_caption(r, "High Street ward", "Jan–Dec 2025", 12)  # doctest: +NORMALIZE_WHITESPACE
    'Rates per 1,000 residents over Jan–Dec 2025 (12 months with data, not a yearly rate unless the months make a year):
    High Street ward 1,000 residents, Maidstone borough 187,767, both ONS mid-2024 estimates.'
    """
    basis = rows["population_basis"].iloc[0] if len(rows) else ""
    return (f"Rates per 1,000 residents over {months} ({n_months} months with data, not a yearly rate unless the "
            f"months make a year): {area} {int(rows['area_population'].iloc[0]):,} residents, Maidstone borough "
            f"{int(rows['borough_population'].iloc[0]):,}, both {basis}.")


def period_headings(table: pd.DataFrame, months: str, comparison: str = "") -> pd.DataFrame:
    """Rename a table's generic count columns so each says its months: 'Records' and rates count
    ``months``, 'Comparison' counts ``comparison``.

    >>> t = pd.DataFrame({"Rank": [1], "Records": [9], "Rate per 1,000 residents": [1.5], "Comparison": [4],
    ...                   "Change": [5]})
    >>> list(period_headings(t, "Oct–Dec 2025", "Jul–Sep 2025").columns)
    ['Rank', 'Records, Oct–Dec 2025', 'Per 1,000 residents, Oct–Dec 2025', 'Records, Jul–Sep 2025', 'Change']
    """
    names = {"Records": f"Records, {months}", "Rate per 1,000 residents": f"Per 1,000 residents, {months}"}
    if comparison:
        names["Comparison"] = f"Records, {comparison}"
    return table.rename(columns=names)

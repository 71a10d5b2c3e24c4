"""Data shaping and figures for the Ward map page (pure functions, no Streamlit).

* :func:`ward_table` joins the ``ward_summary`` results (whole period and like-for-like
  months) into one frame; :func:`map_frame` picks the measure the map shows with its hover
  text; :func:`display_ward_table` is the Strategic Assessment Appendix 2 Tables 1 and 2 shape.
* :func:`yearly_table` is the Table 8 shape (records by ward by year, annual change and
  change since the first year, like for like), from ``area_counts_by_year``.
* :func:`overlap_shares`, :func:`overlap_summary`, :func:`successor_ward` and
  :func:`boundary_figure` explain the May 2024 ward change from ``ward_overlap``.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely.geometry

from analytics.periods import calendar_year, comparable_months, months_label
from analytics.rates import change_label
from dashboard import explain, theme, vega
from dashboard.charts import CLASS_COLOURS
from dashboard.vega import VegaFigure
from dashboard.maps import basemap, choropleth, clockwise, fit_extent, vega_choropleth, map_view, subset_geojson  # noqa: F401  (map_view, subset_geojson used here and re-exported)

__all__ = [
    "Measure",
    "MEASURES",
    "BREAKS",
    "POPULATION_BASIS",
    "ALL_CRIME",
    "NO_DATA",
    "describe_months",
    "validate_choice",
    "ward_table",
    "map_figure",
    "map_frame",
    "display_ward_table",
    "ward_table_phone_columns",
    "WARD_ORDERS",
    "ward_orders",
    "order_ward_table",
    "year_coverage",
    "year_change_specs",
    "metric_delta",
    "months_caption",
    "ward_table_caption",
    "like_for_like_years",
    "YearChange",
    "yearly_table",
    "table8_class_options",
    "cluster_text",
    "top_lsoas",
    "top_locations",
    "trend_table",
    "trend_chart",
    "type_mix_figure",
    "overlap_shares",
    "overlap_summary",
    "checked_profile",
    "old_ward_parts",
    "successor_ward",
    "subset_geojson",
    "label_points",
    "map_view",
    "boundary_figure",
    "boundary_figures",
]

NO_DATA = "no data"
ALL_CRIME = "All crime"
POPULATION_BASIS = {"2022": "ONS mid-2022 estimate", "2024": "ONS mid-2024 estimate"}
BREAKS = dict(explain.BREAKS)  # plain labels; the method's name is in the radio's help (dashboard.explain)


@dataclass(frozen=True)
class Measure:
    label: str  # option label on the page
    column: str  # column of :func:`ward_table`
    rank_column: str
    decimals: int
    is_change: bool  # diverging palette, like-for-like months
    legend: str  # legend title on the map


MEASURES = {
    "records": Measure("Records (count)", "records", "rank_records", 0, False, "Records"),
    "rate": Measure("Rate per 1,000 residents", "rate", "rank_rate", 1, False, "Records per 1,000 residents"),
    "change": Measure("Change", "change", "rank_change", 0, True,
                      "Change in records<br>purple = decrease<br>orange = increase"),
    "pct_change": Measure("% change", "pct_change", "rank_pct_change", 1, True,
                          "% change in records<br>purple = decrease<br>orange = increase"),
}


def describe_months(months: Iterable[dt.date]) -> str:
    """Months as short ranges: consecutive months collapse, each year is named once
    (:func:`analytics.periods.months_label`).

    >>> describe_months([dt.date(2024, m, 1) for m in (1, 2, 3, 4)])
    'Jan–Apr 2024'
    >>> describe_months([dt.date(2022, 11, 1), dt.date(2022, 12, 1), dt.date(2023, 1, 1), dt.date(2023, 5, 1)])
    'Nov 2022–Jan 2023, May 2023'
    >>> describe_months([])
    'no months'
    """
    return months_label(months)


def validate_choice(raw: str | None, options: Mapping[str, str], name: str, default: str) -> tuple[str, str | None]:
    """A page URL parameter checked against its options: (value, note when ignored).

    >>> validate_choice("rate", MEASURES, "measure", "records")
    ('rate', None)
    >>> validate_choice("<b>", MEASURES, "measure", "records")[1]
    "Ignored URL parameter measure='<b>': use records, rate, change or pct_change."
    """
    if raw is None or raw in options:
        return (raw or default), None
    shown = str(raw)[:40]
    allowed = list(options)
    listed = ", ".join(allowed[:-1]) + (f" or {allowed[-1]}" if len(allowed) > 1 else allowed[0])
    return default, f"Ignored URL parameter {name}={shown!r}: use {listed}."


def _rank(values: pd.Series) -> pd.Series:
    """1 = highest; ties share the best rank; missing values have no rank."""
    return values.rank(method="min", ascending=False).astype("Int64")


def ward_table(whole: pd.DataFrame, lfl: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per ward: the period's records and rate, and (``lfl`` given) the like-for-like change.

    ``whole`` is ``ward_summary`` over the period's months with data; ``lfl`` is ``ward_summary``
    over the like-for-like months and their comparison months. The same population is used for
    both periods (as the Strategic Assessment does), so the % change of the rate equals the %
    change of the count.

    >>> w = pd.DataFrame({"ward_code": ["A", "B"], "ward_name": ["Ay", "Bee"], "cluster": ["C1", "C2"],
    ...                   "population": [1000, 4000], "records": [50, 80], "records_comparison": [0, 0]})
    >>> l = w.assign(records=[20, 30], records_comparison=[10, 40])
    >>> t = ward_table(w, l)
    >>> t[["ward_code", "records", "rate", "rank_rate", "change", "pct_change", "rank_change"]].values.tolist()
    [['A', 50, 50.0, 1, 10, 100.0, 1], ['B', 80, 20.0, 2, -10, -25.0, 2]]
    """
    out = whole[["ward_code", "ward_name", "cluster", "population", "records"]].copy()
    out["records"] = out["records"].astype("int64")
    out["rate"] = 1000.0 * out["records"] / out["population"]
    out["rank_records"] = _rank(out["records"])
    out["rank_rate"] = _rank(out["rate"])
    if lfl is not None:
        cur = lfl.set_index("ward_code")
        out["records_now"] = out["ward_code"].map(cur["records"]).astype("int64")
        out["records_cmp"] = out["ward_code"].map(cur["records_comparison"]).astype("int64")
        out["change"] = out["records_now"] - out["records_cmp"]
        base = out["records_cmp"].where(out["records_cmp"] > 0)
        out["pct_change"] = (100.0 * out["change"] / base).astype("float64")
        out["rate_now"] = 1000.0 * out["records_now"] / out["population"]
        out["rate_cmp"] = 1000.0 * out["records_cmp"] / out["population"]
        out["rank_change"] = _rank(out["change"])
        out["rank_pct_change"] = _rank(out["pct_change"])
    return out.reset_index(drop=True)


def _fmt_value(value, decimals: int, signed: bool, pct: bool) -> str:
    if value is None or pd.isna(value):
        return NO_DATA
    text = f"{abs(value):,.{decimals}f}" + ("%" if pct else "")
    if signed and value > 0:
        return "+" + text
    return ("−" + text) if value < 0 else text


HOVER = {"ward_name": "Ward", "value_text": None, "rank_text": "Rank (1 = highest)", "population_text": "Population"}


def map_figure(geojson: dict, data: pd.DataFrame, measure: str, scheme: str,
               profile: str = "") -> VegaFigure | go.Figure:
    """The ward choropleth (mapclassify breaks, one legend entry per class, diverging purple/orange for change
    measures; ``data`` from :func:`map_frame`): a Vega-Lite map (:func:`dashboard.maps.vega_choropleth`, light
    and offline), or, when a street basemap is configured, plotly's MapLibre map over its tiles
    (:func:`dashboard.maps.choropleth`)."""
    m = MEASURES[measure]
    hover = {**HOVER, "value_text": m.label}
    args = dict(scheme=scheme, diverging=m.is_change, decimals=m.decimals, highlight=profile or None)
    if basemap() is None:
        return vega_choropleth(geojson, data, "ward_code", "value", m.legend, hover, **args)[0]
    return choropleth(geojson, data, "ward_code", "value", m.legend, hover, **args)[0]


def map_frame(table: pd.DataFrame, measure: str, ward_set: str) -> pd.DataFrame:
    """The columns the choropleth needs: code, value and hover texts (name, value, rank, population).

    >>> t = ward_table(pd.DataFrame({"ward_code": ["A", "B"], "ward_name": ["Ay", "Bee"], "cluster": ["C1", "C2"],
    ...                              "population": [1000, 4000], "records": [50, 80], "records_comparison": 0}))
    >>> map_frame(t, "rate", "2024").iloc[0].tolist()[3:]
    ['50.0', '1 of 2', '1,000 (ONS mid-2024 estimate)']
    """
    m = MEASURES[measure]
    n = len(table)
    out = pd.DataFrame({"ward_code": table["ward_code"], "ward_name": table["ward_name"],
                        "value": table[m.column].astype("float64")})
    out["value_text"] = [_fmt_value(v, m.decimals, m.is_change, measure == "pct_change") for v in out["value"]]
    out["rank_text"] = [NO_DATA if pd.isna(r) else f"{int(r)} of {n}" for r in table[m.rank_column]]
    out["population_text"] = [f"{int(p):,} ({POPULATION_BASIS[ward_set]})" for p in table["population"]]
    return out


def display_ward_table(table: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """Appendix 2 Tables 1 and 2 in one sortable table whose headings say their months.

    ``columns`` is :func:`dashboard.compare.period_columns`: the whole period's count and rate
    (``whole``), then, when comparing, the like-for-like months (``current``, left out when they are
    the whole period), the comparison months and the change, so no heading mixes two periods.

    >>> t = ward_table(pd.DataFrame({"ward_code": ["A"], "ward_name": ["Ay"], "cluster": ["C1"],
    ...     "population": [1000], "records": [50], "records_comparison": [0]}),
    ...     pd.DataFrame({"ward_code": ["A"], "records": [20], "records_comparison": [10]}))
    >>> cols = {"whole": "Jan–Dec 2025 (whole period)", "current": "Jan–Apr 2025", "comparison": "Jan–Apr 2024",
    ...         "change": "Change", "pct_change": "% change"}
    >>> for c in display_ward_table(t, cols).columns:
    ...     print(c)
    Ward
    Records, Jan–Dec 2025 (whole period)
    Per 1,000, Jan–Dec 2025 (whole period)
    Rank
    Records, Jan–Apr 2025
    Records, Jan–Apr 2024
    Change
    Per 1,000, Jan–Apr 2025
    Per 1,000, Jan–Apr 2024
    % change
    Population
    Cluster
    Ward code
    """
    whole = columns["whole"]
    cols = {"ward_name": "Ward", "records": f"Records, {whole}", "rate": f"Per 1,000, {whole}",
            "rank_records": "Rank"}
    if "change" in table:
        current = columns.get("current") or ""
        if current:
            cols["records_now"] = f"Records, {current}"
        cols.update({"records_cmp": f"Records, {columns['comparison']}", "change": columns["change"]})
        if current:
            cols["rate_now"] = f"Per 1,000, {current}"
        cols.update({"rate_cmp": f"Per 1,000, {columns['comparison']}", "pct_change": columns["pct_change"]})
    cols.update({"population": "Population", "cluster": "Cluster", "ward_code": "Ward code"})
    out = table[list(cols)].rename(columns=cols)
    out["Rank"] = out["Rank"].astype("int64")
    out["Population"] = out["Population"].astype("int64")
    first = cols["records"]
    return out.sort_values([first, "Ward"], ascending=[False, True]).reset_index(drop=True)


WARD_ORDERS = {
    "records": "Most records",
    "rate": "Highest rate per 1,000 residents",
    "change": "Largest rise in records",
    "pct_change": "Largest % rise",
    "name": "Ward name (A to Z)",
    "cluster": "Cluster, then most records",
}


def ward_orders(comparing: bool) -> dict[str, str]:
    """The orders the ward table offers (a change only when comparing).

    >>> list(ward_orders(False))
    ['records', 'rate', 'name', 'cluster']
    """
    return {k: label for k, label in WARD_ORDERS.items() if comparing or k not in ("change", "pct_change")}


def order_ward_table(shown: pd.DataFrame, by: str, columns: Mapping[str, str]) -> pd.DataFrame:
    """:func:`display_ward_table` in the order chosen (``WARD_ORDERS``): most first for a number, a missing
    value (a % change from zero) last, ties by ward name. The Rank column always ranks by records.

    >>> t = pd.DataFrame({"Ward": ["B", "A", "C"], "Records, 2025": [5, 9, 5], "Per 1,000, 2025": [2.0, 1.0, 3.0],
    ...                   "Change": [1, -2, 4], "% change": [25.0, -18.2, None], "Cluster": ["C2", "C1", "C1"]})
    >>> cols = {"whole": "2025", "change": "Change", "pct_change": "% change"}
    >>> [order_ward_table(t, by, cols)["Ward"].tolist() for by in ("records", "rate", "change", "pct_change",
    ...                                                              "name", "cluster")]
    [['A', 'B', 'C'], ['C', 'B', 'A'], ['C', 'B', 'A'], ['B', 'A', 'C'], ['A', 'B', 'C'], ['A', 'C', 'B']]
    """
    records, rate = f"Records, {columns['whole']}", f"Per 1,000, {columns['whole']}"
    keys = {"records": [records], "rate": [rate], "change": [columns.get("change", "")],
            "pct_change": [columns.get("pct_change", "")], "name": [], "cluster": ["Cluster", records]}
    if by not in keys or not set(keys[by]) <= set(shown.columns):
        raise ValueError(f"unknown ward table order {by!r}")
    sort = [*keys[by], "Ward"]
    ascending = [c == "Cluster" for c in keys[by]] + [True]
    return shown.sort_values(sort, ascending=ascending, na_position="last", kind="stable").reset_index(drop=True)


def ward_table_phone_columns(columns: Mapping[str, str], comparing: bool, order: str = "records") -> list[str] | None:
    """The ward table's columns on a phone: the ward, then the count its % change is worked from, then the %
    change, so the two numbers side by side always cover the same months; the column the table is ordered by
    (``order``, :data:`WARD_ORDERS`) is added after the ward when it is not one of them. ``None`` when not
    comparing and ordered by records or name (the phone copy then picks the whole period's count as usual).

    >>> cols = {"whole": "Jan–Dec 2025 (whole period)", "current": "Jan–Apr 2025", "comparison": "Jan–Apr 2024",
    ...         "change": "Change", "pct_change": "% change"}
    >>> ward_table_phone_columns(cols, True)
    ['Ward', 'Records, Jan–Apr 2025', '% change']
    >>> ward_table_phone_columns({**cols, "whole": "Jan–Apr 2025", "current": ""}, True)
    ['Ward', 'Records, Jan–Apr 2025', '% change']
    >>> ward_table_phone_columns(cols, False) is None
    True
    >>> ward_table_phone_columns(cols, True, "rate")
    ['Ward', 'Per 1,000, Jan–Dec 2025 (whole period)', 'Records, Jan–Apr 2025', '% change']
    >>> ward_table_phone_columns(cols, False, "cluster")
    ['Ward', 'Cluster', 'Records, Jan–Dec 2025 (whole period)']
    """
    whole = f"Records, {columns['whole']}"
    base = ["Ward", f"Records, {columns.get('current') or columns['whole']}", columns["pct_change"]] if comparing \
        else None
    ordered = {"rate": f"Per 1,000, {columns['whole']}", "change": columns.get("change"), "cluster": "Cluster"}.get(order)
    if not ordered:
        return base
    base = base or ["Ward", whole]
    return base if ordered in base else [base[0], ordered, *base[1:]]


# ---- Table 8: by year ------------------------------------------------------------------------


def year_coverage(years: Iterable[int], present_months: Iterable[dt.date]) -> dict[int, tuple[dt.date, ...]]:
    """The months with data in each calendar year.

    >>> cov = year_coverage([2023, 2024], [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2025, 1, 1)])
    >>> {y: len(m) for y, m in cov.items()}
    {2023: 0, 2024: 2}
    """
    present = set(present_months)
    return {y: tuple(m for m in calendar_year(y).months if m in present) for y in years}


def like_for_like_years(later: int, earlier: int, present_months: Iterable[dt.date]):
    """Months of ``later`` and ``earlier`` to compare like for like (a month kept only when both years have it).

    >>> cur, cmp = like_for_like_years(2025, 2024, [dt.date(2024, 1, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1)])
    >>> cur, cmp
    ((datetime.date(2025, 1, 1),), (datetime.date(2024, 1, 1),))
    """
    cm = comparable_months(calendar_year(later), calendar_year(earlier), list(present_months))
    return cm.current_months, cm.comparison_months


def table8_class_options(classes: Iterable[str]) -> list[str]:
    """Classes the yearly table can show: ASB first (Table 8 is ASB), then VBC, CAS and All crime.

    >>> table8_class_options(("VBC", "CAS", "ASB"))
    ['ASB', 'VBC', 'CAS', 'All crime']
    >>> table8_class_options(("VBC",))
    ['VBC']
    """
    classes = tuple(classes)
    out = [c for c in ("ASB", "VBC", "CAS") if c in classes]
    if "VBC" in classes and "CAS" in classes:
        out.append(ALL_CRIME)
    return out


def _class_set(choice: str) -> tuple[str, ...]:
    return ("VBC", "CAS") if choice == ALL_CRIME else (choice,)


def _by_area_year(by_year: pd.DataFrame, choice: str) -> pd.DataFrame:
    """Wide: one row per area, one column per year; NaN where the year has no data."""
    sel = by_year[by_year["crime_class"].isin(_class_set(choice))].astype({"records": "float64"})
    wide = sel.groupby(["area_code", "area_name", "year"], sort=True)["records"].sum(min_count=1).unstack("year")
    return wide.reindex(columns=sorted(by_year["year"].unique()))


def _year_header(year: int, months: tuple[dt.date, ...]) -> str:
    if not months:
        return f"{year} (no data)"
    if len(months) == 12:
        return str(year)
    return f"{year} ({len(months)} of 12 months: {describe_months(months)})"


@dataclass(frozen=True)
class YearChange:
    """A change column of Table 8: ``later`` vs ``earlier`` over their like-for-like months.

    ``counts`` is ``area_counts_by_year`` over ``months`` (the later year's months compared)
    and the matching months of the earlier year; None when no month has data in both years.
    """

    later: int
    earlier: int
    counts: pd.DataFrame | None
    months: tuple[dt.date, ...] = ()


def yearly_table(by_year: pd.DataFrame, choice: str, coverage: Mapping[int, tuple[dt.date, ...]],
                 annual: YearChange | None = None, since: YearChange | None = None) -> pd.DataFrame:
    """Table 8: records by area and year, with the annual change and the % change since the first year.

    ``by_year`` is ``area_counts_by_year`` over whole calendar years; ``coverage`` maps each year to
    its months with data (a year with none shows "no data"; a partial year's header says how many
    months it covers). The change columns compare like-for-like months only (see :class:`YearChange`).

    >>> rows = [("A", "Ay", y, c, r) for y, c, r in [(2022, "ASB", 10), (2023, "ASB", None), (2024, "ASB", 4),
    ...                                               (2025, "ASB", 12)]]
    >>> by = pd.DataFrame(rows, columns=["area_code", "area_name", "year", "crime_class", "records"])
    >>> cov = {2022: tuple(dt.date(2022, m, 1) for m in range(1, 12)), 2023: (),
    ...        2024: tuple(dt.date(2024, m, 1) for m in range(1, 5)), 2025: calendar_year(2025).months}
    >>> lfl = pd.DataFrame([("A", "Ay", 2024, "ASB", 4), ("A", "Ay", 2025, "ASB", 5)], columns=by.columns)
    >>> jan_apr = tuple(dt.date(2025, m, 1) for m in range(1, 5))
    >>> t = yearly_table(by, "ASB", cov, YearChange(2025, 2024, lfl, jan_apr), YearChange(2025, 2022, None))
    >>> for column in t.columns[1:]:
    ...     print(column)
    2022 (11 of 12 months: Jan–Nov 2022)
    2023 (no data)
    2024 (4 of 12 months: Jan–Apr 2024)
    2025
    Annual change 2025 vs 2024 (Jan–Apr, like for like)
    % change 2025 vs 2022 (no months to compare)
    Ward code
    >>> [str(v) for v in t.iloc[0, 1:]]
    ['10', 'no data', '4', '12', '1', 'no data', 'A']
    """
    wide = _by_area_year(by_year, choice)
    out = pd.DataFrame({"Ward": [name for _, name in wide.index]})
    for year in wide.columns:
        months = coverage.get(year, ())
        values = wide[year].to_numpy()
        out[_year_header(year, months)] = [NO_DATA] * len(out) if not months else pd.array(values, dtype="Int64")
    for spec, kind in ((annual, "annual"), (since, "since")):
        if spec is not None:
            label, values = _change_column(wide.index, spec, choice, kind)
            out[label] = values
    out["Ward code"] = [code for code, _ in wide.index]
    return out


def _change_column(index, spec: YearChange, choice: str, kind: str):
    head = ("Annual change" if kind == "annual" else "% change") + f" {spec.later} vs {spec.earlier}"
    if spec.counts is None or spec.counts.empty:
        return f"{head} (no months to compare)", [NO_DATA] * len(index)
    wide = _by_area_year(spec.counts, choice).reindex(index)
    later, earlier = wide[spec.later].astype("float64"), wide[spec.earlier].astype("float64")
    months = describe_months(spec.months).replace(f" {spec.later}", "")
    label = f"{head} ({months}, like for like)" if spec.months else head
    if kind == "annual":
        return label, pd.array((later - earlier).to_numpy(), dtype="Int64")
    pct = 100.0 * (later - earlier) / earlier.where(earlier > 0)
    return label, pct.to_numpy(dtype="float64")


def year_change_specs(years: list[int], coverage: Mapping[int, tuple[dt.date, ...]]) -> list[tuple[int, int]]:
    """The (later, earlier) year pairs of Table 8's change columns: the last year with data against the
    year before it (the annual change) and against the first year with data (the change since then).

    >>> cov = {2022: (1,), 2023: (), 2024: (1,), 2025: (1,)}
    >>> year_change_specs([2022, 2023, 2024, 2025], cov)
    [(2025, 2024), (2025, 2022)]
    >>> year_change_specs([2022, 2023], cov)
    []
    """
    with_data = [y for y in years if coverage.get(y)]
    if not with_data:
        return []
    last, first = with_data[-1], with_data[0]
    out = [(last, last - 1)] if last - 1 in years else []
    return out + ([(last, first)] if first < last else [])


def metric_delta(current: int, previous: int) -> str:
    """``change_label`` with an ASCII minus, so ``st.metric`` points the arrow down for a fall.

    >>> metric_delta(90, 100), metric_delta(110, 100)
    ('-10 (-10.0%)', '+10 (+10.0%)')
    """
    return change_label(current, previous).replace("\u2212", "-")


def months_caption(is_change: bool, period_months, months, comparison_months, coverage_text: str) -> str:
    """Which months a map measure counts.

    >>> jan = (dt.date(2025, 1, 1),)
    >>> months_caption(True, jan, jan, (dt.date(2024, 1, 1),), "")
    'Change compares Jan 2025 with Jan 2024 (like for like: only months with data in both periods).'
    """
    if is_change:
        return (f"Change compares {describe_months(months)} with {describe_months(comparison_months)} "
                "(like for like: only months with data in both periods).")
    return f"Counts cover {describe_months(period_months)}: {coverage_text}."


def ward_table_caption(period_months, months, comparison_months, ward_set: str) -> str:
    """Which months each group of columns counts, and the population basis.

    >>> ward_table_caption([dt.date(2025, 1, 1)], [], [], "2024")[:40]
    'Each heading names the months it counts.'
    """
    text = "Each heading names the months it counts."
    if comparison_months:
        text += (f" The change compares {describe_months(months)} with {describe_months(comparison_months)}: "
                 "only months with data in both periods (like for like).")
    return text + (f" Per 1,000 residents: {POPULATION_BASIS[ward_set]}, the same for both periods, so the % change "
                   "of the rate equals the % change of the count; a rate over the months shown, not per year. "
                   "Rank 1 = most records.")


# ---- Ward profile -----------------------------------------------------------------------------


def cluster_text(ward_set: str, cluster: str, derivation: str | None = None, low_confidence: bool = False) -> str:
    """How to describe a ward's cluster (May-2024 clusters are derived, not published).

    >>> cluster_text("2022", "Cluster 5")
    'Cluster 5 (as published in the Strategic Assessment).'
    >>> cluster_text("2024", "Cluster 5", "Bridge 56%; Allington 44%", True)[:60]
    'Cluster 5 (derived by this dashboard, not published by the S'
    """
    if ward_set == "2022":
        return f"{cluster} (as published in the Strategic Assessment)."
    text = (f"{cluster} (derived by this dashboard, not published by the SMP: the May-2024 ward takes the "
            "cluster of the old wards most of its residents came from")
    if derivation:
        text += f"; residents from {derivation}"
    text += ")."
    if low_confidence:
        text += " Low confidence: no old cluster supplies a clear majority of its residents."
    return text


def top_lsoas(lsoas: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The LSOAs with most of a ward's records (share of the ward's records).

    >>> df = pd.DataFrame({"lsoa21_code": ["X", "Y"], "lsoa21_name": ["M 1", "M 2"], "ward_name": ["W", "V"],
    ...                    "population": [1000, 2000], "records": [30, 10]})
    >>> top_lsoas(df)["% of ward's records"].tolist()
    [75.0, 25.0]
    """
    df = lsoas[lsoas["records"] > 0].sort_values(["records", "lsoa21_code"], ascending=[False, True])
    total = df["records"].sum()
    out = pd.DataFrame({
        "LSOA": df["lsoa21_name"], "LSOA code": df["lsoa21_code"], "Records": df["records"].astype("int64"),
        "% of ward's records": 100.0 * df["records"] / total if total else np.nan,
        "LSOA best-fit ward": df["ward_name"], "Residents (Census 2021)": df["population"].astype("int64"),
    })
    return out.head(n).reset_index(drop=True)


def top_locations(locations: pd.DataFrame) -> pd.DataFrame:
    """Top police.uk snap points, named as police.uk names them ('On or near …')."""
    return pd.DataFrame({
        "Location (police.uk snap point)": locations["location"],
        "Records": locations["records"].astype("int64"),
        "Months with records": locations["months_with_records"].astype("int64"),
        "Most common type": locations["most_common_type"],
        "Latitude": locations["latitude"].round(5), "Longitude": locations["longitude"].round(5),
    }).reset_index(drop=True)


def trend_table(monthly: pd.DataFrame) -> pd.DataFrame:
    """The trend chart's numbers: one row per month, one column per class (empty = no data)."""
    return monthly.pivot_table(index="month", columns="crime_class", values="records", dropna=False).reset_index()


def trend_chart(monthly: pd.DataFrame) -> VegaFigure:
    """Monthly records by class (``monthly_counts_by_class``) as a Vega-Lite chart: gaps break the lines and
    are shaded "no data"."""
    present = monthly.drop_duplicates("month").sort_values("month")
    chart = vega.trend_chart(monthly, series="crime_class", colours=CLASS_COLOURS,
                             present=(present["month"].tolist(), present["is_present"].astype(bool).tolist()))
    return VegaFigure(chart, description="Line chart of the ward's records per month, one line per crime class; "
                                         "months with no police.uk data are shaded. The table below the chart has "
                                         "every value.")


def type_mix_figure(mix: pd.DataFrame) -> VegaFigure:
    """Horizontal bars of records by crime type (most first), coloured by class, each labelled above its bar
    with its type, class and count (so colour is never the only cue)."""
    rows = mix.sort_values(["records", "crime_type"], ascending=[False, True])
    text = [f"{t} ({c}): {int(n):,}" for t, c, n in zip(rows["crime_type"], rows["crime_class"], rows["records"])]
    chart = vega.hbar_chart(rows, label="crime_type", value="records", text=text, x_title="Records",
                            colours=[CLASS_COLOURS.get(c, theme.AXIS) for c in rows["crime_class"]])
    return VegaFigure(chart, description="Bar chart of the ward's records by crime type, most first. The table "
                                         "below the chart has every value.")


# ---- The May 2024 boundary change -------------------------------------------------------------


def overlap_shares(overlap: pd.DataFrame) -> pd.DataFrame:
    """``ward_overlap`` with each old ward's share of the new ward's residents (estimated), in %.

    >>> ov = pd.DataFrame({"ward_2024_code": ["N", "N"], "ward_2024_name": ["New", "New"],
    ...                    "ward_2022_code": ["a", "b"], "ward_2022_name": ["Aa", "Bb"],
    ...                    "share_of_ward_2022_area": [1.0, 0.2], "share_of_ward_2024_area": [0.7, 0.3],
    ...                    "residents_census2021_areal_est": [300.0, 100.0]})
    >>> overlap_shares(ov)["share_of_new_residents"].tolist()
    [75.0, 25.0]
    """
    out = overlap.copy()
    total = out.groupby("ward_2024_code")["residents_census2021_areal_est"].transform("sum")
    out["share_of_new_residents"] = 100.0 * out["residents_census2021_areal_est"] / total
    return out.sort_values(["ward_2024_name", "share_of_new_residents"], ascending=[True, False]).reset_index(drop=True)


def overlap_summary(shares: pd.DataFrame) -> pd.DataFrame:
    """One row per new ward: 'new ward ← old wards (share of residents)'.

    >>> ov = overlap_shares(pd.DataFrame({"ward_2024_code": ["N", "N"], "ward_2024_name": ["New", "New"],
    ...     "ward_2022_code": ["a", "b"], "ward_2022_name": ["Aa", "Bb"], "share_of_ward_2022_area": [1.0, 0.2],
    ...     "share_of_ward_2024_area": [0.7, 0.3], "residents_census2021_areal_est": [300.0, 100.0]}))
    >>> [str(v) for v in overlap_summary(ov).iloc[0]]
    ['New', 'Aa 75%, Bb 25%', 'Aa 70%, Bb 30%', '2', 'N']
    """
    rows = []
    for (code, name), grp in shares.groupby(["ward_2024_code", "ward_2024_name"], sort=False):
        by_area = grp.sort_values("share_of_ward_2024_area", ascending=False)
        rows.append({
            "New ward (May 2024)": name,
            "← Old wards (share of residents)": ", ".join(
                f"{w} {s:.0f}%" for w, s in zip(grp["ward_2022_name"], grp["share_of_new_residents"])),
            "Old wards (share of area)": ", ".join(
                f"{w} {100 * s:.0f}%" for w, s in zip(by_area["ward_2022_name"], by_area["share_of_ward_2024_area"])),
            "Number of old wards": len(grp),
            "New ward code": code,
        })
    return pd.DataFrame(rows)


def checked_profile(code: str, wards: Mapping[str, str], other_wards: Mapping[str, str], shares: pd.DataFrame,
                    other_set: str, set_label: str) -> tuple[str, str | None]:
    """A profile ward code made valid for the current boundary set: (code or '', message).

    A ward of the other set moves to the ward sharing most of its residents; anything else is refused.

    >>> ov = pd.DataFrame({"ward_2024_code": ["N"], "ward_2022_code": ["a"], "residents_census2021_areal_est": [9.0]})
    >>> checked_profile("a", {"N": "New"}, {"a": "Old"}, ov, "2022", "May-2024 wards")
    ('N', 'The profile of Old was moved to New, the ward sharing most of its residents on the May-2024 wards.')
    >>> checked_profile("zz", {"N": "New"}, {"a": "Old"}, ov, "2022", "May-2024 wards")[1]
    "Ignored URL parameter profile='zz': not a ward code on the May-2024 wards."
    >>> checked_profile("N", {"N": "New"}, {}, ov, "2022", "x"), checked_profile("", {}, {}, ov, "2022", "x")
    (('N', None), ('', None))
    """
    if not code or code in wards:
        return code, None
    new = successor_ward(shares, code, other_set) if code in other_wards else None
    if new in wards:
        return new, (f"The profile of {other_wards[code]} was moved to {wards[new]}, the ward sharing most of its "
                     f"residents on the {set_label}.")
    return "", f"Ignored URL parameter profile={code[:40]!r}: not a ward code on the {set_label}."


def old_ward_parts(shares: pd.DataFrame, new_code: str) -> dict[str, str]:
    """The old wards a new ward was made from, labelled with their share of its residents.

    >>> ov = pd.DataFrame({"ward_2024_code": ["N", "N", "M"], "ward_2022_code": ["a", "b", "a"],
    ...                    "ward_2022_name": ["Aa", "Bb", "Aa"], "share_of_new_residents": [75.0, 25.0, 100.0]})
    >>> old_ward_parts(ov, "N")
    {'a': 'Aa (75%)', 'b': 'Bb (25%)'}
    """
    rows = shares[shares["ward_2024_code"] == new_code]
    return {c: f"{n} ({s:.0f}%)" for c, n, s in zip(rows["ward_2022_code"], rows["ward_2022_name"],
                                                    rows["share_of_new_residents"])}


def boundary_figures(old_geo: dict, new_geo: dict, shares: pd.DataFrame, pick: str) -> tuple[VegaFigure, VegaFigure]:
    """The two boundary maps: old wards (those making up ``pick`` highlighted, with the new ward's
    outline on top) and new wards (``pick`` highlighted); the whole borough when ``pick`` is ''."""
    names = {f["properties"]["code"]: f["properties"]["name"] for f in new_geo["features"]}
    parts, new = old_ward_parts(shares, pick), subset_geojson(new_geo, [pick])
    focus = subset_geojson(old_geo, parts)["features"] + new["features"]  # the same view on both maps
    old = boundary_figure(old_geo, parts, "Old wards (% of the new ward's residents)", new, "New ward boundary",
                          focus=focus)
    return old, boundary_figure(new_geo, {pick: names[pick]} if pick else {}, "Selected new ward", focus=focus)


def successor_ward(overlap: pd.DataFrame, code: str, from_set: str) -> str | None:
    """The ward on the other boundary set sharing most residents with ``code`` (None if unknown).

    >>> ov = pd.DataFrame({"ward_2024_code": ["N", "M"], "ward_2022_code": ["a", "a"],
    ...                    "residents_census2021_areal_est": [10.0, 90.0]})
    >>> successor_ward(ov, "a", "2022"), successor_ward(ov, "N", "2024"), successor_ward(ov, "z", "2022")
    ('M', 'a', None)
    """
    src, dst = ("ward_2022_code", "ward_2024_code") if from_set == "2022" else ("ward_2024_code", "ward_2022_code")
    rows = overlap[overlap[src] == code].sort_values("residents_census2021_areal_est", ascending=False)
    return None if rows.empty else rows[dst].iloc[0]


def label_points(geojson: dict) -> pd.DataFrame:
    """A point inside each feature (for labels): code, name, lon, lat."""
    rows = []
    for feat in geojson["features"]:
        pt = shapely.geometry.shape(feat["geometry"]).representative_point()
        rows.append({"code": feat["properties"]["code"], "name": feat["properties"]["name"], "lon": pt.x, "lat": pt.y})
    return pd.DataFrame(rows)


def _rings(geometry: dict) -> list[list[list[float]]]:
    geom = shapely.geometry.shape(geometry)
    polys = geom.geoms if hasattr(geom, "geoms") else [geom]
    return [list(p.exterior.coords) for p in polys]


def _bounds(features: list[dict]) -> tuple[float, float, float, float]:
    collection = {"type": "GeometryCollection", "geometries": [f["geometry"] for f in features]}
    return shapely.geometry.shape(collection).bounds


def non_overlapping_labels(x: Sequence[float], y: Sequence[float], lines: Sequence[list[str]],
                           sizes: Sequence[float], per_px: float, order: Sequence[int]) -> list[bool]:
    """Which labels to draw so that no two overlap: greedy in ``order``, each label a box centred on its
    point (``lines`` of text at font ``sizes`` px, about 0.6 em a character and 1.25 em a line, plus a
    2 px gap), in map units of ``per_px`` a pixel (``y`` already scaled to the map's aspect). Empty labels
    are never drawn.

    >>> non_overlapping_labels([0, 5, 100], [0, 0, 0], [["Long ward name"], ["Other"], ["Far"]], [10] * 3, 1.0,
    ...                        [0, 1, 2])
    [True, False, True]
    """
    boxes: list[tuple[float, float, float, float]] = []
    keep = [False] * len(x)
    for i in order:
        if not lines[i]:
            continue
        half_w = (0.6 * sizes[i] * max(len(line) for line in lines[i]) / 2 + 2) * per_px
        half_h = (1.25 * sizes[i] * len(lines[i]) / 2 + 2) * per_px
        box = (x[i] - half_w, y[i] - half_h, x[i] + half_w, y[i] + half_h)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes):
            continue
        boxes.append(box)
        keep[i] = True
    return keep


def boundary_figure(geojson: dict, highlight: Mapping[str, str], highlight_label: str,
                    outline: dict | None = None, outline_label: str = "", height: int = 400,
                    min_label_share: float = 0.02, focus: list[dict] | None = None,
                    width_px: int = 420) -> VegaFigure:
    """Ward outlines with their names, as a Vega-Lite map (Mercator, no base map, so it works offline).

    ``highlight`` (code -> label) wards are filled orange, labelled with that text, and the view
    zooms to them and to ``outline`` (GeoJSON from the other boundary set, drawn as a thick black
    line), or to the ``focus`` features when given. Without either the whole borough is shown and wards smaller than
    ``min_label_share`` of its area are left unlabelled. A label that would overlap one already placed (highlighted
    wards first, then larger wards first) is left out at the expected ``width_px`` × ``height``: hover shows every name.
    ``meta``: ``view`` (min lon, max lon, min lat, max lat, or None for the whole borough) and ``labels`` (each
    ward's label as drawn, '' where left out, in :func:`label_points` order).
    """
    import altair as alt  # noqa: PLC0415

    areas = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]).area for f in geojson["features"]}
    total = sum(areas.values()) or 1.0
    shapes = [{"type": "Feature", "geometry": clockwise(f["geometry"]), "properties": {
        "name": highlight.get(f["properties"]["code"], f["properties"]["name"]),
        "group": highlight_label if f["properties"]["code"] in highlight else "Other wards"}}
        for f in geojson["features"]]
    labels = label_points(geojson)
    if focus is None:
        focus = [f for f in geojson["features"] if f["properties"]["code"] in highlight]
        focus += (outline or {}).get("features", [])
    view = None
    if focus:
        x0, y0, x1, y1 = _bounds(focus)
        px, py = 0.25 * (x1 - x0) + 0.005, 0.25 * (y1 - y0) + 0.003
        view = (x0 - px, x1 + px, y0 - py, y1 + py)
        inside = labels["lon"].between(view[0], view[1]) & labels["lat"].between(view[2], view[3])
    else:
        inside = labels["code"].map(lambda c: areas[c] / total >= min_label_share)
    text = [highlight.get(c, n) if keep else "" for c, n, keep in zip(labels["code"], labels["name"], inside)]
    sizes = [12 if c in highlight else 10 for c in labels["code"]]
    bx0, by0, bx1, by1 = _bounds(geojson["features"]) if geojson["features"] else (0.45, 51.1, 0.75, 51.35)
    shown = view or (bx0, bx1, by0, by1)
    if len(labels):
        mid_lat = float(labels["lat"].mean())
        aspect = float(1 / np.cos(np.radians(mid_lat)))
        # the map keeps its aspect ratio: degrees per pixel from the tighter of width and height
        per_px = max((shown[1] - shown[0]) / width_px, aspect * (shown[3] - shown[2]) / height)
        order = sorted(range(len(labels)), key=lambda i: (labels["code"].iloc[i] not in highlight,
                                                          -areas[labels["code"].iloc[i]]))
        wrapped = [textwrap.wrap(t, 16) for t in text]
        keep = non_overlapping_labels(labels["lon"].tolist(), [lat * aspect for lat in labels["lat"]], wrapped,
                                      sizes, per_px, order)
        text = [t if k else "" for t, k in zip(text, keep)]
    groups = [g for g in (highlight_label, "Other wards") if g in {s["properties"]["group"] for s in shapes}]
    colours = {highlight_label: theme.HIGHLIGHT_FILL, "Other wards": theme.DIVERGING_NEUTRAL}
    layers = [alt.Chart(alt.Data(values=shapes), name="wards").mark_geoshape(
        stroke=theme.OUTLINE, strokeWidth=0.8, clip=True).encode(
        color=alt.Color("properties.group:N", title=None, scale=alt.Scale(domain=groups, range=[colours[g] for g in groups]),
                        legend=alt.Legend(orient="bottom", direction="horizontal", columns=1, title=None,
                                          symbolType="square")),
        tooltip=[alt.Tooltip("properties.name:N", title="Ward")])]
    lines = [{"type": "Feature", "properties": {"label": outline_label or "Boundary"}, "geometry": {
        "type": "MultiLineString", "coordinates": [list(map(list, ring)) for ring in _rings(f["geometry"])]}}
        for f in (outline or {}).get("features", [])]
    if lines:
        layers.append(alt.Chart(alt.Data(values=lines), name="outline").mark_geoshape(
            filled=False, strokeWidth=3.5, clip=True, aria=False).encode(
            stroke=alt.Stroke("properties.label:N", title=None, scale=alt.Scale(
                domain=[lines[0]["properties"]["label"]], range=[theme.BLACK]),
                legend=alt.Legend(orient="bottom", title=None, symbolType="stroke", symbolStrokeWidth=3.5))))
    names = pd.DataFrame({"lon": labels["lon"], "lat": labels["lat"], "size": sizes,
                          "text": ["<br>".join(textwrap.wrap(t, 16)) for t in text]}) if len(labels) else pd.DataFrame()
    names = names[names["text"] != ""] if len(names) else names
    if len(names):
        layers.append(alt.Chart(names, name="names").mark_text(color=theme.TEXT, lineBreak="<br>", clip=True,
                                                               aria=False).encode(
            longitude="lon:Q", latitude="lat:Q", text="text:N", size=alt.Size("size:Q", scale=None, legend=None)))
    fit = fit_extent(*shown)
    chart = alt.layer(*layers).project(type="mercator", fit=fit).properties(height=height, width="container")
    named = [t for t in text if t]
    description = (f"Map of the wards{' (' + highlight_label + ' in orange)' if highlight else ''}"
                   f"{', with the ' + outline_label + ' as a thick black line' if lines else ''}; "
                   f"names shown: {', '.join(named) if named else 'none'}. The table beside the map lists them.")
    return VegaFigure(vega.configure(chart), description=description, meta={"view": view, "labels": text})


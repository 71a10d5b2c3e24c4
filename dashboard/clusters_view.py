"""Data shaping for the Ward clusters page: the Strategic Assessment Appendix 2 Tables 3-5
(rows = the eight clusters + Total, columns = years newest first, "Diff +/-" and "% Change
to <first year>"), each ward's share of its cluster, and the cluster map.

Pure functions over DataFrames (no Streamlit), tested in ``tests/test_clusters_view.py``.

Years are compared like for like: police.uk has gaps (no data for Dec 2022 - Dec 2023 and
May - Dec 2024), so a difference between two years only adds up the months of the year
that have data in BOTH years, and the column headings say which months those are. The
year helpers (:func:`year_coverage`, :func:`compare_years`, :func:`months_text`) are
shared with the Town centre page, where the "year" is a window of months.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import altair as alt
import shapely.geometry

from analytics.rates import MINUS, change_label, format_count, pct_change
from dashboard import theme, vega
from dashboard.maps import clockwise, fit_extent
from dashboard.vega import VegaFigure

__all__ = [
    "DEFAULT_CLUSTER",
    "MONTH_ABBR",
    "YearComparison",
    "TablePlan",
    "resolve_cluster",
    "year_coverage",
    "months_text",
    "year_heading",
    "compare_years",
    "plan_table",
    "appendix_numbers",
    "appendix_display",
    "appendix_tables",
    "next_cluster",
    "cluster_heading",
    "cluster_rows",
    "signed_count",
    "signed_pct",
    "ward_shares",
    "derivation_table",
    "cluster_map_figures",
    "map_table",
    "share_figure",
    "trend_figure",
    "metric_delta",
    "key_figures_table",
    "derivation_summary",
    "resolve_view",
    "style_table",
    "tables_caption",
    "PRINT_CSS",
    "PRINT_SCREEN_CSS",
    "PRINT_HELP",
    "print_help",
    "map_caption",
    "cluster_option_label",
    "area_cluster",
    "ward_change_table",
    "ward_change_wide",
    "ward_change_sentences",
]

DEFAULT_CLUSTER = "Cluster 1"
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
NO_DATA = "no data"
NO_COMPARISON = "no comparison"
TOTAL = "Total"
_CLUSTER_TEXT = re.compile(r"^\s*(?:cluster\s*)?(\d{1,2})\s*$", re.IGNORECASE)


# ---------------------------------------------------------------- choosing the cluster
def resolve_cluster(raw: str | None, clusters: Sequence[str], area_type: str = "borough",
                    area_code: str = "") -> tuple[str, str | None]:
    """The cluster to show and, when the URL value was refused, a message saying why.

    The ``cluster`` URL parameter wins when it names a cluster ("Cluster 5", "cluster 5" or
    "5"); otherwise the shared area filter's cluster; otherwise Cluster 1.

    >>> cl = [f"Cluster {i}" for i in range(1, 9)]
    >>> resolve_cluster("5", cl)
    ('Cluster 5', None)
    >>> resolve_cluster(None, cl, "cluster", "Cluster 6")
    ('Cluster 6', None)
    >>> resolve_cluster("Cluster 99", cl, "ward", "E05015603")[0]
    'Cluster 1'
    """
    fallback = area_code if area_type == "cluster" and area_code in clusters else None
    fallback = fallback or (DEFAULT_CLUSTER if DEFAULT_CLUSTER in clusters else clusters[0])
    if raw is None or str(raw).strip() == "":
        return fallback, None
    text = str(raw)[:60]
    match = _CLUSTER_TEXT.match(text)
    candidate = f"Cluster {int(match.group(1))}" if match else text.strip()
    if candidate in clusters:
        return candidate, None
    return fallback, (f"Ignored URL parameter cluster={text!r}: there are {len(clusters)} ward clusters "
                      f"({clusters[0]} to {clusters[-1]}). Showing {fallback}.")


def next_cluster(current: str | None, chosen: str, area: str | None, area_seen: str | None,
                 clusters: Sequence[str]) -> str:
    """The cluster for this run: keep the page's choice, unless there is none yet (then the
    URL / area-filter / default choice) or the shared area filter has just moved to a cluster.

    >>> cl = ["Cluster 1", "Cluster 2"]
    >>> next_cluster(None, "Cluster 2", None, None, cl), next_cluster("Cluster 1", "Cluster 2", None, None, cl)
    ('Cluster 2', 'Cluster 1')
    >>> next_cluster("Cluster 1", "Cluster 1", "Cluster 2", "Cluster 1", cl)
    'Cluster 2'
    """
    if current not in clusters:
        return chosen
    if area and area != area_seen and area in clusters:
        return area
    return current


def cluster_option_label(cluster: str, wards: str, derived: bool = False) -> str:
    """The cluster picker's option: the cluster and its wards, so a reader can find their ward.

    >>> cluster_option_label("Cluster 7", "Fant; South")
    'Cluster 7: Fant, South'
    >>> cluster_option_label("Cluster 7", "Fant & Oakwood; Loose & Linton; Tovil", derived=True)
    'Cluster 7 (derived): Fant & Oakwood, Loose & Linton, Tovil'
    """
    names = ", ".join(w.strip() for w in str(wards or "").split(";") if w.strip())
    return f"{cluster}{' (derived)' if derived else ''}: {names}" if names else cluster


def area_cluster(area_type: str, area_code: str, wards: pd.DataFrame, lsoas: pd.DataFrame | None = None,
                 ward_set: str = "2024") -> str | None:
    """The cluster of the area chosen in the sidebar: itself, a ward's cluster, or the cluster of an
    LSOA's best-fit ward; None for the whole borough.

    >>> w = pd.DataFrame({"ward_code": ["W1"], "cluster": ["Cluster 5"]})
    >>> l = pd.DataFrame({"lsoa21_code": ["L1"], "ward_2024_code": ["W1"], "ward_2022_code": ["X"]})
    >>> area_cluster("ward", "W1", w), area_cluster("lsoa", "L1", w, l), area_cluster("cluster", "Cluster 2", w)
    ('Cluster 5', 'Cluster 5', 'Cluster 2')
    >>> area_cluster("borough", "", w) is None
    True
    """
    if area_type == "cluster":
        return area_code or None
    code = area_code
    if area_type == "lsoa" and lsoas is not None:
        hit = lsoas.loc[lsoas["lsoa21_code"] == area_code, f"ward_{ward_set}_code"]
        code = hit.iloc[0] if len(hit) else None
    elif area_type != "ward":
        return None
    hit = wards.loc[wards["ward_code"] == code, "cluster"]
    return hit.iloc[0] if len(hit) else None


def cluster_heading(info) -> str:
    """The cluster's label, DERIVED when it is a May-2024 cluster, and its wards.

    >>> cluster_heading({"cluster_label": "Cluster 7 (Urban)", "is_derived": True, "n_wards": 2, "wards": "A; B"})
    '**Cluster 7 (Urban)** – **DERIVED** (not published by the SMP) · 2 wards: A; B'
    """
    from dashboard.safe_text import md_escape  # noqa: PLC0415  (names from a data file: shown as written)

    derived = " – **DERIVED** (not published by the SMP)" if info["is_derived"] else ""
    return f"**{md_escape(info['cluster_label'])}**{derived} · {info['n_wards']} wards: {md_escape(info['wards'])}"


# ---------------------------------------------------------------- years and months
def months_text(month_numbers: Iterable[int]) -> str:
    """Month numbers written as ranges: ``"Jan–Apr"``, ``"Jan–Mar, Jun"``.

    >>> months_text([1, 2, 3, 4])
    'Jan–Apr'
    >>> months_text([6, 7, 8, 9, 10, 11])
    'Jun–Nov'
    >>> months_text([1, 2, 3, 6])
    'Jan–Mar, Jun'
    >>> months_text([])
    'no months'
    """
    nums = sorted(set(month_numbers))
    if not nums:
        return "no months"
    runs: list[list[int]] = []
    for n in nums:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(MONTH_ABBR[r[0] - 1] if len(r) == 1 else f"{MONTH_ABBR[r[0] - 1]}–{MONTH_ABBR[r[-1] - 1]}"
                     for r in runs)


def year_coverage(years: Iterable[int], window: Sequence[int],
                  present_months: Iterable[dt.date]) -> dict[int, tuple[int, ...]]:
    """For each year, the months of ``window`` (month numbers) that have data.

    >>> present = [dt.date(2022, m, 1) for m in range(1, 12)] + [dt.date(2024, m, 1) for m in range(1, 5)]
    >>> cov = year_coverage([2022, 2023, 2024], range(1, 13), present)
    >>> cov[2022][-1], cov[2023], cov[2024]
    (11, (), (1, 2, 3, 4))
    """
    present = set(present_months)
    return {y: tuple(m for m in window if dt.date(y, m, 1) in present) for y in years}


def year_heading(year: int, covered: Sequence[int], window: Sequence[int]) -> str:
    """A year column's heading, flagging partial years with the months they cover.

    >>> year_heading(2025, range(1, 13), range(1, 13))
    '2025'
    >>> year_heading(2024, [1, 2, 3, 4], range(1, 13))
    '2024 (Jan–Apr only)'
    >>> year_heading(2023, [], range(1, 13))
    '2023'
    """
    if not covered or len(covered) == len(window):
        return str(year)
    return f"{year} ({months_text(covered)} only)"


@dataclass(frozen=True)
class YearComparison:
    """``later`` against ``earlier``, adding up the same months (``month_numbers``) of both."""

    later: int
    earlier: int
    month_numbers: tuple[int, ...]
    window: tuple[int, ...]

    @property
    def is_whole_window(self) -> bool:
        return len(self.month_numbers) == len(self.window)

    @property
    def months_label(self) -> str:
        return months_text(self.month_numbers)

    def months(self) -> list[dt.date]:
        """The months of both years to count (first of month)."""
        return [dt.date(y, m, 1) for y in (self.earlier, self.later) for m in self.month_numbers]

    def describe(self) -> str:
        """What is compared, in words.

        >>> YearComparison(2025, 2024, (1, 2, 3, 4), tuple(range(1, 13))).describe()
        '2025 vs 2024 compares Jan–Apr of both years only (the months with data in both)'
        """
        if self.is_whole_window:
            return f"{self.later} vs {self.earlier} compares {self.months_label} of both years"
        return (f"{self.later} vs {self.earlier} compares {self.months_label} of both years only "
                "(the months with data in both)")


def compared_columns(numbers: pd.DataFrame, plan: TablePlan, cmp: YearComparison | None,
                     later_col: str, earlier_col: str) -> dict[str, list[str]]:
    """The like-for-like pair a change is worked from, as its own labelled columns, when it covers only
    part of the window: a year's column and the change beside it then count different months, so the
    counts the change does compare are shown too (a year column already covering exactly those months
    is not repeated).

    >>> plan = plan_table([2025, 2024], [dt.date(2025, m, 1) for m in range(1, 13)]
    ...                   + [dt.date(2024, m, 1) for m in range(1, 5)])
    >>> n = pd.DataFrame({"later": [400.0], "earlier": [380.0]})
    >>> compared_columns(n, plan, plan.diff, "later", "earlier")
    {'Jan–Apr 2025': ['400']}
    """
    if cmp is None or cmp.is_whole_window:
        return {}
    out = {f"{cmp.months_label} {cmp.later}": [format_count(v, NO_DATA) for v in numbers[later_col]]}
    if tuple(plan.coverage.get(cmp.earlier, ())) != tuple(cmp.month_numbers):
        out[f"{cmp.months_label} {cmp.earlier}"] = [format_count(v, NO_DATA) for v in numbers[earlier_col]]
    return out


def compare_years(coverage: dict[int, tuple[int, ...]], later: int | None, earlier: int | None,
                  window: Sequence[int]) -> YearComparison | None:
    """Like-for-like comparison of two years: the window months with data in both, or None.

    >>> cov = {2025: tuple(range(1, 13)), 2024: (1, 2, 3, 4)}
    >>> compare_years(cov, 2025, 2024, range(1, 13)).month_numbers
    (1, 2, 3, 4)
    >>> compare_years(cov, 2025, None, range(1, 13)) is None
    True
    """
    if later is None or earlier is None or later == earlier:
        return None
    common = tuple(m for m in window if m in coverage.get(later, ()) and m in coverage.get(earlier, ()))
    return YearComparison(later, earlier, common, tuple(window)) if common else None


@dataclass(frozen=True)
class TablePlan:
    """Which years the Tables 3-5 show (newest first) and what Diff and % change compare."""

    years: tuple[int, ...]
    coverage: dict
    window: tuple[int, ...]
    diff: YearComparison | None  # latest year with data vs the previous year with data
    pct: YearComparison | None  # latest year with data vs the first year with data

    @property
    def years_with_data(self) -> tuple[int, ...]:
        return tuple(y for y in self.years if self.coverage.get(y))

    def heading(self, year: int) -> str:
        return year_heading(year, self.coverage.get(year, ()), self.window)

    @property
    def diff_heading(self) -> str:
        if self.diff is None:
            return "Diff +/-"
        months = "" if self.diff.is_whole_window else f", {self.diff.months_label}"
        return f"Diff +/- ({self.diff.later} vs {self.diff.earlier}{months})"

    @property
    def pct_heading(self) -> str:
        if self.pct is None:
            return "% Change"
        months = "" if self.pct.is_whole_window else f" ({self.pct.months_label})"
        return f"% Change to {self.pct.earlier}{months}"


def plan_table(years: Iterable[int], present_months: Iterable[dt.date],
               window: Sequence[int] = range(1, 13)) -> TablePlan:
    """The years newest first, their coverage, and the like-for-like Diff and % comparisons.

    "Diff +/-" is the latest year with data minus the previous year with data (a year with
    no data at all is skipped, and says "no data" in its column); "% Change" is the latest
    year against the first year with data, as the Strategic Assessment's "% Change to 2021".

    >>> present = ([dt.date(2022, m, 1) for m in range(1, 12)] + [dt.date(2024, m, 1) for m in range(1, 5)]
    ...            + [dt.date(2025, m, 1) for m in range(1, 13)])
    >>> p = plan_table([2022, 2023, 2024, 2025], present)
    >>> p.years, p.diff_heading, p.pct_heading
    ((2025, 2024, 2023, 2022), 'Diff +/- (2025 vs 2024, Jan–Apr)', '% Change to 2022 (Jan–Nov)')
    """
    window = tuple(window)
    ys = tuple(sorted(set(years), reverse=True))
    cov = year_coverage(ys, window, present_months)
    with_data = [y for y in ys if cov[y]]
    latest = with_data[0] if with_data else None
    previous = with_data[1] if len(with_data) > 1 else None
    first = with_data[-1] if len(with_data) > 1 else None
    return TablePlan(ys, cov, window, compare_years(cov, latest, previous, window),
                     compare_years(cov, latest, first, window))


# ---------------------------------------------------------------- Tables 3-5
def _year_counts(rows: pd.DataFrame, crime_class: str) -> dict[tuple[str, int], float]:
    """(area, year) -> records (NaN = no data) from ``area_counts_by_year`` rows."""
    sel = rows[rows["crime_class"] == crime_class]
    values = pd.to_numeric(sel["records"], errors="coerce").astype("float64")
    return {(a, int(y)): v for a, y, v in zip(sel["area_code"], sel["year"], values)}


def _total(values: list[float]) -> float:
    return float("nan") if all(pd.isna(v) for v in values) else float(sum(v for v in values if not pd.isna(v)))


def appendix_numbers(totals: pd.DataFrame, plan: TablePlan, crime_class: str, clusters: Sequence[str],
                     diff_rows: pd.DataFrame | None = None, pct_rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """The numbers of one of Tables 3-5: a row per cluster plus Total.

    ``totals`` is ``area_counts_by_year`` (area_level='cluster') over whole years;
    ``diff_rows`` / ``pct_rows`` are the same query over the like-for-like months of
    ``plan.diff`` / ``plan.pct``. Year columns are named by the year (NaN = no data); the
    comparison columns keep the like-for-like counts they were worked from.

    >>> rows = pd.DataFrame({"area_code": ["Cluster 1"] * 2, "year": [2025, 2024], "crime_class": "VBC",
    ...                      "records": [120, 40]})
    >>> plan = plan_table([2025, 2024], [dt.date(2025, m, 1) for m in range(1, 13)] + [dt.date(2024, 1, 1)])
    >>> lfl = pd.DataFrame({"area_code": ["Cluster 1"] * 2, "year": [2025, 2024], "crime_class": "VBC",
    ...                     "records": [10, 40]})
    >>> n = appendix_numbers(rows, plan, "VBC", ["Cluster 1"], lfl, lfl)
    >>> n[["area", "2025", "2024", "diff", "pct_change"]].values.tolist()
    [['Cluster 1', 120.0, 40.0, -30.0, -75.0], ['Total', 120.0, 40.0, -30.0, -75.0]]
    """
    counts = _year_counts(totals, crime_class)
    diff_counts = _year_counts(diff_rows, crime_class) if diff_rows is not None and plan.diff else {}
    pct_counts = _year_counts(pct_rows, crime_class) if pct_rows is not None and plan.pct else {}
    out = []
    for area in [*clusters, TOTAL]:
        members = list(clusters) if area == TOTAL else [area]

        def get(table, year, members=members):
            return _total([table.get((a, year), float("nan")) for a in members])

        row = {"area": area}
        for y in plan.years:
            row[str(y)] = get(counts, y)
        for key, cmp, table in (("diff", plan.diff, diff_counts), ("pct", plan.pct, pct_counts)):
            later = get(table, cmp.later) if cmp else float("nan")
            earlier = get(table, cmp.earlier) if cmp else float("nan")
            row[f"{key}_later_lfl"], row[f"{key}_earlier_lfl"] = later, earlier
        row["diff"] = row["diff_later_lfl"] - row["diff_earlier_lfl"]
        pc = pct_change(row["pct_later_lfl"], row["pct_earlier_lfl"])
        row["pct_change"] = float("nan") if pc is None else pc
        out.append(row)
    cols = ["area", *[str(y) for y in plan.years], "diff", "pct_change",
            "diff_later_lfl", "diff_earlier_lfl", "pct_later_lfl", "pct_earlier_lfl"]
    return pd.DataFrame(out)[cols]


def appendix_tables(totals: pd.DataFrame, plan: TablePlan, classes: Sequence[str], clusters: Sequence[str],
                    diff_rows: pd.DataFrame | None, pct_rows: pd.DataFrame | None) -> tuple[dict, dict]:
    """Tables 3-5 for each class: ``({class: numbers}, {class: display table})``."""
    numbers = {c: appendix_numbers(totals, plan, c, clusters, diff_rows, pct_rows) for c in classes}
    return numbers, {c: appendix_display(n, plan, c) for c, n in numbers.items()}


def signed_count(value) -> str:
    """``+131``, ``−85``, ``0``; ``no comparison`` when missing.

    >>> signed_count(131), signed_count(-85.0), signed_count(None)
    ('+131', '−85', 'no comparison')
    """
    if value is None or pd.isna(value):
        return NO_COMPARISON
    return ("+" if value > 0 else "") + format_count(int(value))


def signed_pct(value) -> str:
    """``+6.5%``, ``−33.0%``; ``no comparison`` when missing (e.g. a change from 0).

    >>> signed_pct(6.54), signed_pct(-33.0), signed_pct(float("nan"))
    ('+6.5%', '−33.0%', 'no comparison')
    """
    if value is None or pd.isna(value):
        return NO_COMPARISON
    text = f"{abs(value):.1f}%"
    return "+" + text if value > 0 else (MINUS + text if value < 0 else text)


def appendix_display(numbers: pd.DataFrame, plan: TablePlan, first_col: str) -> pd.DataFrame:
    """Tables 3-5 as shown: thousands separators, "no data" for years without data, headings
    that flag partial years and the like-for-like months of the comparisons.

    >>> plan = plan_table([2025, 2023], [dt.date(2025, m, 1) for m in range(1, 13)])
    >>> n = pd.DataFrame({"area": ["Total"], "2025": [1234.0], "2023": [float("nan")], "diff": [float("nan")],
    ...                   "pct_change": [float("nan")]})
    >>> appendix_display(n, plan, "VBC").values.tolist()
    [['Total', '1,234', 'no data', 'no comparison', 'no comparison']]
    """
    out = pd.DataFrame({first_col: numbers["area"]})
    for y in plan.years:
        out[plan.heading(y)] = [format_count(v, NO_DATA) for v in numbers[str(y)]]
    if "diff_later_lfl" in numbers:
        for heading, values in compared_columns(numbers, plan, plan.diff, "diff_later_lfl",
                                                "diff_earlier_lfl").items():
            out[heading] = values
    out[plan.diff_heading] = [signed_count(v) for v in numbers["diff"]]
    if "pct_later_lfl" in numbers:
        for heading, values in compared_columns(numbers, plan, plan.pct, "pct_later_lfl",
                                                "pct_earlier_lfl").items():
            if heading not in out:
                out[heading] = values
    out[plan.pct_heading] = [signed_pct(v) for v in numbers["pct_change"]]
    return out


def cluster_rows(displays: dict[str, pd.DataFrame], cluster: str) -> pd.DataFrame:
    """One cluster's row from each class table (the print summary's compact table).

    >>> d = {"VBC": pd.DataFrame({"VBC": ["Cluster 1", "Total"], "2025": ["5", "9"]})}
    >>> cluster_rows(d, "Cluster 1").values.tolist()
    [['VBC', '5']]
    """
    rows = []
    for cls, table in displays.items():
        row = table[table.iloc[:, 0] == cluster].iloc[0].tolist()
        rows.append([cls, *row[1:]])
    cols = ["Class", *list(next(iter(displays.values())).columns[1:])] if displays else ["Class"]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------- ward shares
def ward_shares(ward_rows: pd.DataFrame, wards: pd.DataFrame, cluster: str, classes: Sequence[str]) -> pd.DataFrame:
    """Each ward's records in the cluster and its % share, by class (and all crime = VBC + CAS).

    ``ward_rows`` is ``area_counts_by_year`` (area_level='ward') for the period; ``wards``
    is the ``wards`` query (ward_code, ward_name, cluster, cluster_sub_group). Sub-groups
    (Cluster 6's (A)/(B)) get a subtotal row each; the last row is the cluster total.

    >>> w = pd.DataFrame({"ward_code": ["a", "b", "c"], "ward_name": ["A", "B", "C"],
    ...                   "cluster": ["Cluster 1", "Cluster 1", "Cluster 2"], "cluster_sub_group": [None] * 3})
    >>> r = pd.DataFrame({"area_code": ["a", "b", "c", "a"], "year": [2025] * 4,
    ...                   "crime_class": ["VBC", "VBC", "VBC", "ASB"], "records": [30, 10, 99, 5]})
    >>> ward_shares(r, w, "Cluster 1", ["VBC", "ASB"])[["Ward", "VBC", "VBC %", "ASB %"]].values.tolist()
    [['A', 30, 75.0, 100.0], ['B', 10, 25.0, 0.0], ['Cluster 1 total', 40, 100.0, 100.0]]
    """
    members = wards[wards["cluster"] == cluster].copy()
    rows = ward_rows.assign(records=pd.to_numeric(ward_rows["records"], errors="coerce"))
    sums = rows.groupby(["area_code", "crime_class"])["records"].sum(min_count=1).unstack()
    measures = list(classes)
    if {"VBC", "CAS"} & set(classes) and len(classes) > 1:
        crime = [c for c in ("VBC", "CAS") if c in classes]
        sums["All crime"] = sums[[c for c in crime if c in sums]].sum(axis=1, min_count=1) if len(sums) else []
        measures = ["All crime", *measures]
    table = pd.DataFrame({"Ward": members["ward_name"].values,
                          "Sub-group": members["cluster_sub_group"].fillna("").values})
    for m in measures:
        col = sums[m] if m in sums else pd.Series(dtype="float64")
        table[m] = [int(v) if pd.notna(v := col.get(code)) else 0 for code in members["ward_code"]]
    groups = sorted(g for g in table["Sub-group"].unique() if g)
    extra = [pd.DataFrame([{"Ward": f"Sub-group ({g}) total", "Sub-group": g,
                            **table[table["Sub-group"] == g][measures].sum().to_dict()}]) for g in groups]
    total = pd.DataFrame([{"Ward": f"{cluster} total", "Sub-group": "", **table[measures].sum().to_dict()}])
    out = pd.concat([table.sort_values("Ward"), *extra, total], ignore_index=True)
    for m in measures:
        denom = float(total[m].iloc[0])
        out[f"{m} %"] = [100.0 * v / denom if denom else float("nan") for v in out[m]]
        out[m] = out[m].astype("int64")
    ordered = ["Ward", "Sub-group"] + [c for m in measures for c in (m, f"{m} %")]
    out = out[ordered]
    return out if groups else out.drop(columns="Sub-group")


def derivation_table(derivation: pd.DataFrame, cluster: str) -> pd.DataFrame:
    """How each May-2024 ward of ``cluster`` was placed in it (``wards_2024_derivation`` rows).

    >>> d = pd.DataFrame({"ward_2024_name": ["X"], "cluster_2024": ["Cluster 5"], "cluster_sub_group": [None],
    ...                   "cluster_share_of_residents": [0.518], "cluster_is_low_confidence": [True],
    ...                   "cluster_derivation": ["East 41%; Boxley 33%"]})
    >>> derivation_table(d, "Cluster 5").astype(str).iloc[0].tolist()
    ['X', '', '51.8', 'Low (under 60%)', 'East 41%; Boxley 33%']
    """
    sel = derivation[derivation["cluster_2024"] == cluster]
    return pd.DataFrame({
        "May-2024 ward": sel["ward_2024_name"].values,
        "Sub-group": sel["cluster_sub_group"].fillna("").values,
        "Residents from the cluster's old wards %": (100 * sel["cluster_share_of_residents"]).round(1).values,
        "Confidence": ["Low (under 60%)" if low else "Good"
                       for low in sel["cluster_is_low_confidence"]],
        "Where its residents lived before May 2024 (pre-2024 wards)": sel["cluster_derivation"].values,
    })


# ---------------------------------------------------------------- map
SUB_GROUP_COLOURS, OTHER_WARD_COLOUR = theme.SUB_GROUP_COLOURS, theme.OTHER_WARD_COLOUR  # Okabe-Ito; grey


def map_table(geojson: dict, wards: pd.DataFrame, cluster: str) -> pd.DataFrame:
    """Every ward of the boundary set: in the cluster or not, and its sub-group."""
    names = {f["properties"]["code"]: f["properties"]["name"] for f in geojson["features"]}
    info = wards.set_index("ward_code")
    rows = []
    for code, name in names.items():
        in_cluster = code in info.index and info.loc[code, "cluster"] == cluster
        sub = info.loc[code, "cluster_sub_group"] if code in info.index else None
        rows.append({"ward_code": code, "ward_name": name,
                     "cluster": info.loc[code, "cluster"] if code in info.index else "",
                     "in_selected_cluster": bool(in_cluster),
                     "sub_group": sub if isinstance(sub, str) and in_cluster else ""})
    return pd.DataFrame(rows).sort_values(["in_selected_cluster", "ward_name"], ascending=[False, True],
                                          ignore_index=True)


def _label_points(geojson: dict, codes: set[str]) -> pd.DataFrame:
    pts = []
    for f in geojson["features"]:
        if f["properties"]["code"] in codes:
            p = shapely.geometry.shape(f["geometry"]).representative_point()
            pts.append({"code": f["properties"]["code"], "name": f["properties"]["name"], "lon": p.x, "lat": p.y})
    return pd.DataFrame(pts, columns=["code", "name", "lon", "lat"])


def cluster_map_figures(geojson: dict, table: pd.DataFrame, cluster: str, height: int = 460,
                        zoom_below: float = 0.45) -> tuple[VegaFigure, VegaFigure | None]:
    """The borough's wards with the cluster's wards coloured (by sub-group when it has them) and named, as a
    Vega-Lite map (Mercator, fitted to the area: no web map tiles, works offline), and, when the cluster
    is smaller than ``zoom_below`` of the borough's width and height, the map zoomed on the cluster with a
    second, small map of the whole borough with the zoomed area boxed (the page draws it above the map). ``meta``: the group of each ward (``groups``) and the area shown (``extent``)."""
    info = table.set_index("ward_code")
    features, groups = [], {}
    for feat in geojson["features"]:
        code, name = feat["properties"]["code"], feat["properties"]["name"]
        inside = bool(info["in_selected_cluster"].get(code, False))
        sub = info["sub_group"].get(code, "") if inside else ""
        label = "Other wards" if not inside else (f"{cluster} wards" if not sub else f"{cluster} sub-group ({sub})")
        groups[label] = SUB_GROUP_COLOURS.get(sub, SUB_GROUP_COLOURS[""]) if inside else OTHER_WARD_COLOUR
        features.append({"type": "Feature", "geometry": clockwise(feat["geometry"]), "properties": {
            "code": code, "name": name, "cluster": info["cluster"].get(code, "") or "no cluster",
            "group": label, "inside": inside}})
    features.sort(key=lambda f: f["properties"]["inside"])  # cluster wards drawn last (on top)
    order = sorted(groups, key=lambda g: (g != "Other wards", g))
    scale = alt.Scale(domain=order, range=[groups[g] for g in order])
    colour = alt.Color("properties.group:N", title=None, scale=scale,
                       legend=alt.Legend(orient="bottom", direction="vertical", title=None))
    shapes = [shapely.geometry.shape(f["geometry"]) for f in features]
    bx0, by0, bx1, by1 = shapely.geometry.GeometryCollection(shapes).bounds
    ins = [s for s, f in zip(shapes, features) if f["properties"]["inside"]]
    cx0, cy0, cx1, cy1 = shapely.geometry.GeometryCollection(ins).bounds if ins else (bx0, by0, bx1, by1)
    zoomed = bool(ins) and (cx1 - cx0) < zoom_below * (bx1 - bx0) and (cy1 - cy0) < zoom_below * (by1 - by0)
    pad_x, pad_y = (0.2 * (cx1 - cx0) + 0.004, 0.2 * (cy1 - cy0) + 0.003) if zoomed else (0.0, 0.0)
    extent = (cx0 - pad_x, cx1 + pad_x, cy0 - pad_y, cy1 + pad_y) if zoomed else (bx0, bx1, by0, by1)

    def wards(inside: bool, thin: bool = False) -> alt.Chart:
        sel = [f for f in features if f["properties"]["inside"] == inside]
        return alt.Chart(alt.Data(values=sel), name="cluster_wards" if inside else "other_wards").mark_geoshape(
            stroke=theme.OUTLINE if inside else theme.OTHER_WARD_LINE,
            strokeWidth=0.5 if thin else (1.6 if inside else 0.7), clip=True).encode(
            color=colour, tooltip=[alt.Tooltip("properties.name:N", title="Ward"),
                                   alt.Tooltip("properties.cluster:N", title="Cluster")])

    layers = [wards(False)] + ([wards(True)] if ins else [])
    pts = _label_points(geojson, set(table.loc[table["in_selected_cluster"], "ward_code"]))
    if not pts.empty:
        layers.append(alt.Chart(pts, name="ward_names").mark_text(fontSize=12, color=theme.BLACK, clip=True).encode(
            longitude="lon:Q", latitude="lat:Q", text="name:N"))
    main = alt.layer(*layers).project(type="mercator", fit=fit_extent(*extent)).properties(height=height, width="container")
    names = ", ".join(pts["name"]) if not pts.empty else "none"
    description = (f"Map of the borough's wards with {cluster}'s wards in colour ({names})"
                   + (", zoomed in on the cluster; a small map above it shows the whole borough." if zoomed else ".")
                   + " The table below the map lists every ward and its cluster.")
    fig = VegaFigure(vega.configure(main), description=description,
                     meta={"groups": {f["properties"]["code"]: f["properties"]["group"] for f in features},
                           "extent": extent, "zoomed": zoomed})
    if not zoomed:
        return fig, None
    edges = pd.DataFrame({"lon": [extent[0], extent[1], extent[1], extent[0]],
                          "lat": [extent[2], extent[2], extent[3], extent[3]],
                          "lon2": [extent[1], extent[1], extent[0], extent[0]],
                          "lat2": [extent[2], extent[3], extent[3], extent[2]]})
    outline = alt.Chart(edges, name="zoom_box").mark_rule(color=theme.BLACK, strokeWidth=1.5).encode(
        longitude="lon:Q", latitude="lat:Q", longitude2="lon2:Q", latitude2="lat2:Q")
    no_legend = alt.Color("properties.group:N", scale=scale, legend=None)
    areas = alt.Chart(alt.Data(values=inset_areas(shapes, features, max(bx1 - bx0, by1 - by0))),
                      name="inset_areas").mark_geoshape(stroke=theme.OUTLINE, strokeWidth=0.6).encode(color=no_legend)
    inset = alt.layer(areas, outline).project(type="mercator", fit=fit_extent(bx0, bx1, by0, by1)).properties(
        height=max(90, int(height * 0.3)), width="container")
    return fig, VegaFigure(vega.configure(inset), description=f"Small map of the whole borough with a box round "
                                                              f"the area the map of {cluster} shows.",
                           meta={"extent": (bx0, bx1, by0, by1)})


def inset_areas(shapes: list, features: list[dict], span: float) -> list[dict]:
    """The small whole-borough map's areas: the wards of each group (other wards, the cluster or each of its
    sub-groups) merged into one shape and simplified to about 1/500 of the borough's ``span`` (under a pixel of
    the small map), the cluster's drawn last. A few kB instead of every ward's boundary a second time.

    >>> from shapely.geometry import box
    >>> fs = [{"properties": {"group": g, "inside": g != "Other wards"}} for g in ("Other wards", "C", "Other wards")]
    >>> out = inset_areas([box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], fs, 3.0)
    >>> [(f["properties"]["group"], f["geometry"]["type"]) for f in out]
    [('Other wards', 'MultiPolygon'), ('C', 'Polygon')]
    >>> speck = inset_areas([box(0, 0, 3, 3).difference(box(1, 1, 1.01, 1.01))], fs[:1], 3.0)[0]["geometry"]
    >>> len(speck["coordinates"])  # the outline only: the sliver is filled
    1
    """
    from shapely.ops import unary_union  # noqa: PLC0415

    groups: dict[str, list] = {}
    for shape, feat in zip(shapes, features):
        groups.setdefault(feat["properties"]["group"], []).append(shape)
    def solid(parts):  # no holes: slivers between generalised ward boundaries would show as specks (and the
        # cluster's hole in the other wards is covered by the cluster, drawn on top)
        merged = unary_union(parts)
        polys = getattr(merged, "geoms", [merged])
        return shapely.geometry.MultiPolygon([shapely.geometry.Polygon(p.exterior) for p in polys
                                              if isinstance(p, shapely.geometry.Polygon)])

    out = [{"type": "Feature", "properties": {"group": g, "inside": g != "Other wards"},
            "geometry": clockwise(shapely.geometry.mapping(solid(parts).simplify(span / 500, preserve_topology=True)))}
           for g, parts in groups.items()]
    return sorted(out, key=lambda f: f["properties"]["inside"])


WARD_PALETTE = theme.WARD_PALETTE  # Okabe-Ito, the map's colours last


def metric_delta(change) -> dict:
    """``st.metric`` colour and arrow for a change: orange up for more records, purple down for fewer.

    (Streamlit reads a delta's sign from a leading ASCII "-", which the typographic minus
    is not, so the arrow is set explicitly; orange/purple follow the dashboard's palette.)

    >>> metric_delta(5), metric_delta(-3)
    ({'delta_color': 'orange', 'delta_arrow': 'up'}, {'delta_color': 'violet', 'delta_arrow': 'down'})
    >>> metric_delta(0)
    {'delta_color': 'gray', 'delta_arrow': 'off'}
    """
    if change is None or pd.isna(change) or change == 0:
        return {"delta_color": "gray", "delta_arrow": "off"}
    return {"delta_color": "orange", "delta_arrow": "up"} if change > 0 else {"delta_color": "violet",
                                                                             "delta_arrow": "down"}


def key_figures_table(headlines: pd.DataFrame, cmp, labels: dict) -> pd.DataFrame:
    """The key figures as a small table (the print summary) whose headings say their months.

    ``headlines`` is ``dashboard.compare.headline_table`` output, ``cmp`` its ``Comparison``.

    >>> from analytics.periods import Period
    >>> from dashboard.compare import Comparison
    >>> jan, feb = dt.date(2025, 1, 1), dt.date(2025, 2, 1)
    >>> c = Comparison(Period(jan, feb), Period(dt.date(2024, 1, 1), dt.date(2024, 2, 1)), (jan, feb), (jan,),
    ...                (dt.date(2024, 1, 1),), "")
    >>> h = pd.DataFrame({"measure": ["VBC"], "records": [1200], "records_compared": [400],
    ...                   "records_comparison": [500], "change": [-100], "verdict": ["Significant decrease"]})
    >>> t = key_figures_table(h, c, {"VBC": "Victim-based crime"})
    >>> list(t.columns)
    ['Measure', 'Jan 2025', 'Jan 2024', 'Change', 'Verdict', 'Jan–Feb 2025 (whole period)']
    >>> t.values.tolist()
    [['Victim-based crime', '400', '500', '−100 (−20.0%)', 'Significant decrease', '1,200']]
    """
    out = pd.DataFrame({"Measure": [labels.get(m, m) for m in headlines["measure"]]})
    if cmp.can_compare:
        out[cmp.label] = [format_count(r) for r in headlines["records_compared"]]
        out[cmp.comparison_label] = [format_count(r) for r in headlines["records_comparison"]]
        out["Change"] = [change_label(a, b) for a, b in
                         zip(headlines["records_compared"], headlines["records_comparison"])]
        out["Verdict"] = headlines["verdict"].values
        if cmp.is_partial:
            out[f"{cmp.period_label} (whole period)"] = [format_count(r) for r in headlines["records"]]
    else:
        out[cmp.period_label] = [format_count(r) for r in headlines["records"]]
    return out


# ---------------------------------------------------------------- which ward drove the change
def ward_change_table(rows: pd.DataFrame, wards: pd.DataFrame, cluster: str, classes: Sequence[str],
                      current: str, comparison: str, labels: dict | None = None) -> pd.DataFrame:
    """Each ward's records in the like-for-like months and the comparison months, and the change,
    per measure (the same measures as the cluster's key figures), with the cluster total last in each
    measure: the ward rows add up to it.

    ``rows`` is ``ward_counts_by_class_two_periods`` for the cluster; ``wards`` the ``wards`` query.

    >>> w = pd.DataFrame({"ward_code": ["a", "b", "c"], "ward_name": ["A", "B", "C"],
    ...                   "cluster": ["Cluster 1", "Cluster 1", "Cluster 2"]})
    >>> r = pd.DataFrame({"ward_code": ["a", "a", "b"], "crime_class": ["VBC", "ASB", "VBC"],
    ...                   "records": [30, 5, 10], "records_comparison": [20, 5, 14]})
    >>> t = ward_change_table(r, w, "Cluster 1", ["VBC", "ASB"], "Jan 2025", "Jan 2024")
    >>> t[t["Measure"] == "VBC"].values.tolist()
    [['VBC', 'A', 30, 20, 10, 50.0], ['VBC', 'B', 10, 14, -4, -28.6], ['VBC', 'Cluster 1 total', 40, 34, 6, 17.6]]
    >>> list(t.columns)
    ['Measure', 'Ward', 'Jan 2025', 'Jan 2024', 'Change', '% change']
    """
    from dashboard.compare import measure_classes  # noqa: PLC0415

    labels = labels or {}
    members = wards[wards["cluster"] == cluster].sort_values("ward_name")
    data = rows.assign(records=pd.to_numeric(rows["records"]).fillna(0).astype("int64"),
                       records_comparison=pd.to_numeric(rows["records_comparison"]).fillna(0).astype("int64"))
    out = []
    for measure, cls in measure_classes(tuple(classes)):
        sel = data[data["crime_class"].isin(cls)].groupby("ward_code")[["records", "records_comparison"]].sum()
        now_total = prev_total = 0
        for code, name in zip(members["ward_code"], members["ward_name"]):
            now = int(sel["records"].get(code, 0))
            prev = int(sel["records_comparison"].get(code, 0))
            now_total, prev_total = now_total + now, prev_total + prev
            out.append((labels.get(measure, measure), name, now, prev))
        out.append((labels.get(measure, measure), f"{cluster} total", now_total, prev_total))
    table = pd.DataFrame(out, columns=["Measure", "Ward", current, comparison])
    table["Change"] = (table[current] - table[comparison]).astype("int64")
    table["% change"] = [round(100.0 * (a - b) / b, 1) if b else float("nan")
                         for a, b in zip(table[current], table[comparison])]
    return table


def ward_change_wide(table: pd.DataFrame) -> pd.DataFrame:
    """The per-ward change as a compact table: one row per ward (cluster total last), one column per
    measure, each cell "−12 (−5.0%)" (the print summary and the page).

    >>> t = pd.DataFrame({"Measure": ["VBC", "VBC"], "Ward": ["A", "Cluster 1 total"], "Jan 2025": [30, 30],
    ...                   "Jan 2024": [20, 20], "Change": [10, 10], "% change": [50.0, 50.0]})
    >>> ward_change_wide(t).values.tolist()
    [['A', '+10 (+50.0%)'], ['Cluster 1 total', '+10 (+50.0%)']]
    """
    now, before = table.columns[2], table.columns[3]
    text = [change_label(a, b) for a, b in zip(table[now], table[before])]
    wide = table.assign(text=text).pivot(index="Ward", columns="Measure", values="text")
    measures = list(dict.fromkeys(table["Measure"]))
    wards = list(dict.fromkeys(table["Ward"]))
    return wide.reindex(index=wards, columns=measures).reset_index().rename_axis(columns=None)


def ward_change_sentences(table: pd.DataFrame, cluster: str) -> list[str]:
    """Per measure, the cluster's change and the ward that drove it (the largest change in the same
    direction), in words.

    >>> t = pd.DataFrame({"Measure": ["VBC"] * 3, "Ward": ["A", "B", "Cluster 1 total"], "Jan 2025": [30, 10, 40],
    ...                   "Jan 2024": [20, 14, 34], "Change": [10, -4, 6], "% change": [50.0, -28.6, 17.6]})
    >>> ward_change_sentences(t, "Cluster 1")
    ['VBC: Cluster 1 +6 (+17.6%); most of it in A (+10).']
    """
    out = []
    now, before = table.columns[2], table.columns[3]
    for measure, grp in table.groupby("Measure", sort=False):
        total = grp[grp["Ward"] == f"{cluster} total"].iloc[0]
        wards = grp[grp["Ward"] != f"{cluster} total"]
        change = int(total["Change"])
        head = f"{measure}: {cluster} {change_label(int(total[now]), int(total[before]))}"
        if change == 0 or wards.empty:
            biggest = wards.loc[wards["Change"].abs().idxmax()] if len(wards) else None
            tail = (f"; no change overall (largest ward change: {biggest['Ward']} {signed_count(biggest['Change'])})."
                    if biggest is not None and biggest["Change"] else "; no ward changed.")
            out.append(head + tail)
            continue
        same = wards[wards["Change"] * change > 0]
        top = same.loc[same["Change"].abs().idxmax()]
        share = "most of it" if abs(top["Change"]) > abs(change) / 2 else "the largest part"
        out.append(f"{head}; {share} in {top['Ward']} ({signed_count(top['Change'])}).")
    return out


def _ink(colour: str) -> str:
    """Black or white, whichever contrasts more with ``colour`` (WCAG relative luminance).

    >>> _ink("#0072B2"), _ink("#F0E442"), _ink("#009E73")
    ('#FFFFFF', '#000000', '#000000')
    """
    lin = [(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
           for c in (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return theme.WHITE if (1.05 / (lum + 0.05)) > ((lum + 0.05) / 0.05) else theme.BLACK


def share_figure(shares: pd.DataFrame, cluster: str, palette: Sequence[str] = WARD_PALETTE) -> VegaFigure:
    """100% stacked bars: for each measure, each ward's share of the cluster's records (a Vega-Lite chart,
    each measure's name written above its bar so that it reads on a phone; shares of 6% or more written in
    their segment; the wards in the legend in the bars' order)."""
    wards = shares[~shares["Ward"].str.endswith(" total")]
    measures = [c[:-2] for c in shares.columns if c.endswith(" %")]
    names = wards["Ward"].astype(str).tolist()
    colours = {n: palette[i % len(palette)] for i, n in enumerate(names)}
    rows = []
    for m in measures:
        start = 0.0
        for order, (_, r) in enumerate(wards.iterrows()):
            share = float(r[f"{m} %"]) if pd.notna(r[f"{m} %"]) else 0.0
            rows.append({"measure": m, "ward": str(r["Ward"]), "order": order, "start": start, "end": start + share,
                         "mid": start + share / 2, "share": share, "records": int(r[m]),
                         "text": f"{share:.0f}%" if share >= 6 else "", "ink": _ink(colours[str(r["Ward"])])})
            start += share
    df = pd.DataFrame(rows)
    y = alt.Y("measure:N", sort=measures, axis=None, scale=alt.Scale(paddingInner=0, paddingOuter=0))
    base = alt.Chart(df).encode(y=y)
    bars = base.mark_bar(size=vega.BAR_PX + 8).encode(
        x=alt.X("start:Q", title=f"Share of {cluster}'s records", scale=alt.Scale(domain=[0, 100]),
                axis=alt.Axis(format="d", labelExpr="datum.label + '%'", grid=True)),
        x2="end:Q",
        color=alt.Color("ward:N", scale=alt.Scale(domain=names, range=[colours[n] for n in names]),
                        legend=alt.Legend(title=None, orient="top", direction="horizontal", columns=0)),
        order="order:Q",
        tooltip=[alt.Tooltip("ward:N", title="Ward"), alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("records:Q", title="Records", format=","),
                 alt.Tooltip("share:Q", title="Share %", format=".1f")])
    inside = base.mark_text(fontSize=13).encode(x="mid:Q", text="text:N",
                                                color=alt.Color("ink:N", scale=None, legend=None))
    heads = alt.Chart(pd.DataFrame({"measure": measures})).mark_text(
        align="left", baseline="bottom", dy=-((vega.BAR_PX + 8) / 2 + vega.LABEL_GAP_PX), fontSize=13,
        color=theme.TEXT).encode(y=y, x=alt.value(0), text="measure:N")
    chart = alt.layer(bars, inside, heads).properties(height=alt.Step(vega.ROW_PX + 8), width="container")
    return VegaFigure(vega.configure(chart), description=(
        f"Stacked bar chart: each ward's share of {cluster}'s records for {', '.join(measures)}; "
        "the table below the chart has every value."))


def trend_figure(data: pd.DataFrame, cluster: str, height: int = 380) -> VegaFigure:
    """The cluster's records per month by crime class (Vega-Lite), missing months shaded "no data" and never
    drawn as zero."""
    present = data.drop_duplicates("month").sort_values("month")
    chart = vega.trend_chart(data, series="crime_class", colours=theme.CLASS_COLOURS, height=height,
                             present=(present["month"].tolist(), present["is_present"].astype(bool).tolist()))
    title = f"{cluster}: records per month"
    return VegaFigure(chart, title, None, f"Line chart: {title}, one line per crime class; months with no "
                                          "police.uk data are shaded. The table below the chart has every value.")


# ---------------------------------------------------------------- page texts and styles
VIEWS = ("full", "print")

TREND_CAPTION = "Every month loaded. Shaded bands are months with no police.uk data: gaps, not zeros."
PRINT_HELP = ("To print: open the **Print summary**, then use your browser's print command "
              "(**Ctrl+P**, or **⌘+P** on a Mac; landscape fits best). The sidebar, buttons and "
              "table expanders are left out of the printout.")


def print_help(view: str) -> str:
    """How to print, worded for the page the reader is on.

    >>> print_help("print").startswith("Print this summary")
    True
    """
    if view == "print":
        return ("Print this summary with your browser's print command (**Ctrl+P**, or **⌘+P** on a Mac; "
                "landscape, one page). Buttons, the sidebar and table expanders are left out of the printout.")
    return PRINT_HELP


def map_caption(table: pd.DataFrame, cluster: str) -> str:
    """What the map's colours mean.

    >>> map_caption(pd.DataFrame({"sub_group": ["", "A"]}), "Cluster 6").split("; ")[1]
    'sky blue = sub-group (A), orange = sub-group (B).'

    """
    subs = "; sky blue = sub-group (A), orange = sub-group (B)." if table["sub_group"].ne("").any() else "."
    return f"{cluster}'s wards in colour within the borough (grey: other wards){subs}"

PRINT_CSS, PRINT_SCREEN_CSS = theme.PRINT_CSS, theme.PRINT_SCREEN_CSS  # print view CSS: dashboard/theme.py


def resolve_view(raw: str | None) -> tuple[str, str | None]:
    """``full`` or ``print`` from the ``view`` URL parameter, with a message for anything else.

    >>> resolve_view("print"), resolve_view(None)
    (('print', None), ('full', None))
    >>> resolve_view("<b>")[1]
    "Ignored URL parameter view='<b>': use view=print for the print summary."
    """
    if raw is None or str(raw).strip() in ("", "full"):
        return "full", None
    if str(raw).strip().lower() == "print":
        return "print", None
    return "full", f"Ignored URL parameter view={str(raw)[:60]!r}: use view=print for the print summary."


def style_table(table: pd.DataFrame, cluster: str):
    """A static table (prints well): the selected cluster's row shaded and bold, numbers right-aligned."""
    def shade(row):
        hit = row.iloc[0] == cluster
        return [theme.HIGHLIGHT_ROW_CSS if hit else
                ("font-weight: bold" if row.iloc[0] == TOTAL else "") for _ in row]

    return (table.style.apply(shade, axis=1).hide(axis="index")
            .set_properties(subset=list(table.columns[1:]), **{"text-align": "right"}))


def tables_caption(plan: TablePlan, ward_set: str, crime_types: Sequence[str] = (), priority: str = "",
                   short: bool = False) -> str:
    """What the Tables 3-5 compare and why they differ from the published report.

    >>> p = plan_table([2025, 2024], [dt.date(2025, m, 1) for m in range(1, 13)] + [dt.date(2024, 1, 1)])
    >>> "2025 vs 2024 compares Jan of both years only" in tables_caption(p, "2022")
    True
    """
    parts = [] if short else ["Calendar years, newest first. Years with no police.uk data say “no data”; "
                              "a year with missing months says which months it covers."]
    if short:
        parts += [f"{what}: {c.months_label} of {c.earlier} and {c.later} only (months with data in both)."
                  for what, c in (("Diff", plan.diff), ("% change", plan.pct)) if c]
    else:
        if plan.diff:
            parts.append(f"Diff +/-: {plan.diff.describe()}.")
        if plan.pct and plan.pct != plan.diff:
            parts.append(f"% Change: {plan.pct.describe()}.")
    if not plan.diff:
        parts.append("There are not two years with data in the same months, so there is no comparison.")
    parts.append("Computed from police.uk street-level data; will differ from the published Strategic Assessment."
                 if short else
                 "Numbers are computed by this dashboard from police.uk street-level data (records placed in "
                 "wards by their location) and will differ from the published Strategic Assessment, whose "
                 "Tables 3-5 come from Kent Police's own extracts and contain arithmetic errors in some "
                 "differences and percentages; the dashboard computes its own.")
    if ward_set == "2024" and not short:
        parts.append("May-2024 clusters are DERIVED by this dashboard, not published by the SMP.")
    if crime_types or priority:
        parts.append("Filtered by the sidebar's crime type / priority selection.")
    return " ".join(parts)


def derivation_summary(derivation: pd.DataFrame, cluster: str) -> str:
    """One sentence: how the derived cluster was made and which of its wards are low confidence.

    >>> d = pd.DataFrame({"ward_2024_name": ["X", "Y"], "cluster_2024": ["Cluster 5"] * 2,
    ...                   "cluster_share_of_residents": [0.518, 1.0], "cluster_is_low_confidence": [True, False]})
    >>> print(derivation_summary(d, "Cluster 5"))  # doctest: +NORMALIZE_WHITESPACE
    Derived: each May-2024 ward joins the pre-2024 cluster that supplied most of its residents (X 52%, Y 100%).
    Low confidence (under 60%): X.
    """
    sel = derivation[derivation["cluster_2024"] == cluster]
    shares = ", ".join(f"{n} {s:.0%}" for n, s in zip(sel["ward_2024_name"], sel["cluster_share_of_residents"]))
    low = [n for n, flag in zip(sel["ward_2024_name"], sel["cluster_is_low_confidence"]) if flag]
    text = ("Derived: each May-2024 ward joins the pre-2024 cluster that supplied most of its residents "
            f"({shares}).")
    return text + (f" Low confidence (under 60%): {', '.join(low)}." if low else " No ward is low confidence.")

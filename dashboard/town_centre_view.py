"""Data shaping for the Town centre page: High Street ward against the rest of the borough
for a window of months in each year (Strategic Assessment para 64: June to December), its
share of the borough's records, and the monthly trend with the Town Centre Task Force start.

Pure functions over DataFrames (no Streamlit), tested in ``tests/test_town_centre_view.py``.
Years are compared like for like with the helpers of :mod:`dashboard.clusters_view`: a
difference only adds up the window months that have data in both years, and says which.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import pandas as pd

from analytics.rates import format_count
from dashboard import theme, vega
from dashboard.vega import VegaFigure
from dashboard.clusters_view import MONTH_ABBR, TablePlan, compared_columns, plan_table, signed_count, signed_pct

__all__ = [
    "DEFAULT_WINDOW",
    "MEASURES",
    "AREAS",
    "TASK_FORCE_START",
    "parse_window",
    "window_param",
    "window_label",
    "window_months",
    "town_plan",
    "town_numbers",
    "town_display",
    "share_table",
    "monthly_split",
    "trend_with_marker",
    "boundary_note",
    "HIGH_STREET",
    "PUBLISHED_MEASURES",
    "PUBLISHED_AREAS",
    "PUBLISHED_WINDOW",
    "DIFFERENCES_MD",
    "published_years",
    "published_table",
    "published_notes",
    "published_flags",
    "shared_row_notes",
    "police_coverage",
    "police_heading",
    "side_by_side",
    "per_month_comparison",
]

DEFAULT_WINDOW = (6, 12)  # June to December, as the Strategic Assessment's para 64 table
HIGH_STREET = "High Street"
AREAS = ("High Street", "Rest of borough")
# the town_centre_by_year measures, in para 64's order, with the labels the table uses
MEASURES = {
    "All crime (VBC + CAS)": "All crime",
    "Victim-based crime (VBC)": "VBC",
    "Crimes against society (CAS)": "CAS",
    "Anti-social behaviour (ASB)": "ASB",
    "Shoplifting": "Shoplifting",
}
TASK_FORCE_START = dt.date(2022, 6, 1)  # Town Centre Task Force launched June 2022 (SA para 61)
NO_DATA = "no data"
_WINDOW = re.compile(r"^\s*(\d{1,2})\s*[-–:]\s*(\d{1,2})\s*$")


def parse_window(raw: str | None) -> tuple[tuple[int, int], str | None]:
    """The window ``(first month, last month)`` from the ``window`` URL parameter, and a
    message when it was refused (the default, June-December, is used instead).

    >>> parse_window("6-12"), parse_window(None)
    (((6, 12), None), ((6, 12), None))
    >>> parse_window("1-4")[0]
    (1, 4)
    >>> print(parse_window("13-2")[1])  # doctest: +NORMALIZE_WHITESPACE
    Ignored URL parameter window='13-2': use two month numbers 1-12, first no later than last (e.g. window=6-12).
    Showing Jun–Dec.
    """
    if raw is None or str(raw).strip() == "":
        return DEFAULT_WINDOW, None
    text = str(raw)[:60]
    match = _WINDOW.match(text)
    if match:
        start, end = int(match.group(1)), int(match.group(2))
        if 1 <= start <= end <= 12:
            return (start, end), None
    return DEFAULT_WINDOW, (f"Ignored URL parameter window={text!r}: use two month numbers 1-12, first no later "
                            f"than last (e.g. window=6-12). Showing {window_label(*DEFAULT_WINDOW)}.")


def window_param(start: int, end: int) -> str:
    """The ``window`` URL parameter for a window.

    >>> window_param(6, 12)
    '6-12'
    """
    return f"{start}-{end}"


def window_label(start: int, end: int) -> str:
    """``"Jun–Dec"``; a single month is its name.

    >>> window_label(6, 12), window_label(3, 3)
    ('Jun–Dec', 'Mar')
    """
    return MONTH_ABBR[start - 1] if start == end else f"{MONTH_ABBR[start - 1]}–{MONTH_ABBR[end - 1]}"


def window_months(years: Iterable[int], start: int, end: int) -> list[dt.date]:
    """Every month of the window in every year (the ``$months`` of ``town_centre_by_year``).

    >>> [m.isoformat() for m in window_months([2024, 2025], 11, 12)]
    ['2024-11-01', '2024-12-01', '2025-11-01', '2025-12-01']
    """
    return [dt.date(y, m, 1) for y in sorted(years) for m in range(start, end + 1)]


def town_plan(years: Iterable[int], present_months: Iterable[dt.date], start: int, end: int) -> TablePlan:
    """Years newest first with the window months each has data for; ``.pct`` is the like-for-like
    comparison of the latest year with data against the first (para 64's "since 2021").

    >>> present = [dt.date(2022, m, 1) for m in range(1, 12)] + [dt.date(2025, m, 1) for m in range(1, 13)]
    >>> p = town_plan([2022, 2023, 2024, 2025], present, 6, 12)
    >>> p.heading(2022), p.heading(2024), p.pct.months_label
    ('2022 (Jun–Nov only)', '2024', 'Jun–Nov')
    """
    return plan_table(years, present_months, range(start, end + 1))


def _counts(rows: pd.DataFrame | None) -> dict[tuple[str, str, int], float]:
    if rows is None:
        return {}
    values = pd.to_numeric(rows["records"], errors="coerce").astype("float64")
    return {(m, a, int(y)): v for m, a, y, v in zip(rows["measure"], rows["area"], rows["year"], values)}


def town_numbers(by_year: pd.DataFrame, plan: TablePlan, lfl_rows: pd.DataFrame | None) -> pd.DataFrame:
    """One row per measure and area (para 64's rows): year columns (NaN = no data), then the
    difference and % change of the latest year against the first, like for like.

    ``by_year`` is ``town_centre_by_year`` over the window of every year; ``lfl_rows`` the
    same query over ``plan.pct.months()``.

    >>> rows = pd.DataFrame({"measure": "Shoplifting", "area": "High Street", "year": [2025, 2022],
    ...                      "records": [300, 200]})
    >>> plan = town_plan([2025, 2022], [dt.date(y, m, 1) for y in (2022, 2025) for m in (6, 7)], 6, 7)
    >>> n = town_numbers(rows, plan, rows)
    >>> n.loc[(n["area"] == "High Street") & (n["measure"] == "Shoplifting"),
    ...       ["2025", "2022", "diff", "pct_change"]].values.tolist()
    [[300.0, 200.0, 100.0, 50.0]]
    """
    counts, lfl = _counts(by_year), _counts(lfl_rows)
    cmp = plan.pct
    out = []
    for measure, short in MEASURES.items():
        for area in AREAS:
            row = {"measure": short, "area": area}
            for y in plan.years:
                row[str(y)] = counts.get((measure, area, y), float("nan"))
            later = lfl.get((measure, area, cmp.later), float("nan")) if cmp else float("nan")
            earlier = lfl.get((measure, area, cmp.earlier), float("nan")) if cmp else float("nan")
            row.update({"later_lfl": later, "earlier_lfl": earlier, "diff": later - earlier,
                        "pct_change": 100.0 * (later - earlier) / earlier if earlier and earlier == earlier
                        else float("nan")})
            out.append(row)
    return pd.DataFrame(out)


def _row_label(measure: str, area: str) -> str:
    return f"{measure} – {'High Street' if area == HIGH_STREET else 'rest of borough'}"


def town_display(numbers: pd.DataFrame, plan: TablePlan, start: int, end: int) -> pd.DataFrame:
    """Para 64's table as shown: "no data" for a window without data, partial windows flagged,
    differences labelled with the years and months they compare.

    >>> plan = town_plan([2025, 2024], [dt.date(2025, m, 1) for m in range(6, 13)], 6, 12)
    >>> n = pd.DataFrame({"measure": ["ASB"], "area": ["High Street"], "2025": [365.0], "2024": [float("nan")],
    ...                   "diff": [float("nan")], "pct_change": [float("nan")]})
    >>> town_display(n, plan, 6, 12).values.tolist()
    [['ASB – High Street', '365', 'no data', 'no comparison', 'no comparison']]
    """
    first = f"Reported ({window_label(start, end)})"
    out = pd.DataFrame({first: [_row_label(m, a) for m, a in zip(numbers["measure"], numbers["area"])]})
    for y in plan.years:
        out[plan.heading(y)] = [format_count(v, NO_DATA) for v in numbers[str(y)]]
    cmp = plan.pct
    if "later_lfl" in numbers:
        for heading, values in compared_columns(numbers, plan, cmp, "later_lfl", "earlier_lfl").items():
            out[heading] = values
    since = f"since {cmp.earlier}" + ("" if cmp.is_whole_window else f", {cmp.months_label} only") if cmp else ""
    out[f"Diff ({since})" if cmp else "Diff"] = [signed_count(v) for v in numbers["diff"]]
    out[f"% Change ({since})" if cmp else "% Change"] = [signed_pct(v) for v in numbers["pct_change"]]
    return out


def share_table(by_year: pd.DataFrame, plan: TablePlan) -> pd.DataFrame:
    """High Street's share of the borough's records (%), per measure and year; NaN = no data.

    >>> rows = pd.DataFrame({"measure": ["Shoplifting"] * 2, "area": list(AREAS), "year": [2025] * 2,
    ...                      "records": [25, 75]})
    >>> plan = town_plan([2025], [dt.date(2025, 6, 1)], 6, 6)
    >>> share_table(rows, plan).loc[4].astype(str).tolist()
    ['Shoplifting', '25.0']
    """
    counts = _counts(by_year)
    out = []
    for measure, short in MEASURES.items():
        row = {"Measure": short}
        for y in plan.years:
            hs = counts.get((measure, AREAS[0], y), float("nan"))
            rest = counts.get((measure, AREAS[1], y), float("nan"))
            total = hs + rest
            row[plan.heading(y)] = 100.0 * hs / total if total and total == total else float("nan")
        out.append(row)
    return pd.DataFrame(out)


def monthly_split(borough: pd.DataFrame, high_street: pd.DataFrame) -> pd.DataFrame:
    """Monthly all crime (VBC + CAS) and ASB for High Street and the rest of the borough.

    Both inputs are ``monthly_counts_by_class`` rows (month, crime_class, is_present,
    records); a month with no data stays NaN (a gap), never 0.

    >>> m = [dt.date(2025, 1, 1), dt.date(2025, 2, 1)]
    >>> b = pd.DataFrame({"month": m * 2, "crime_class": ["VBC", "VBC", "ASB", "ASB"],
    ...                   "is_present": [True, False] * 2, "records": [10, None, 4, None]})
    >>> h = b.assign(records=[3, None, 1, None])
    >>> out = monthly_split(b, h)
    >>> out[out["month"] == m[0]][["measure", "area", "records"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['All crime', 'High Street', 3.0], ['All crime', 'Rest of borough', 7.0],
     ['ASB', 'High Street', 1.0], ['ASB', 'Rest of borough', 3.0]]
    >>> bool(out[out["month"] == m[1]]["records"].isna().all())
    True
    """
    def by_measure(df: pd.DataFrame) -> pd.DataFrame:
        d = df.assign(records=pd.to_numeric(df["records"], errors="coerce").astype("float64"),
                      measure=df["crime_class"].map({"VBC": "All crime", "CAS": "All crime", "ASB": "ASB"}))
        return d.groupby(["month", "measure"], as_index=False).agg(
            records=("records", lambda s: s.sum(min_count=1)), is_present=("is_present", "max"))

    b, h = by_measure(borough), by_measure(high_street)
    merged = b.merge(h, on=["month", "measure"], suffixes=("_borough", "_hs"))
    rows = []
    for r in merged.itertuples(index=False):
        rows.append({"month": r.month, "measure": r.measure, "area": AREAS[0], "records": r.records_hs,
                     "is_present": bool(r.is_present_borough)})
        rows.append({"month": r.month, "measure": r.measure, "area": AREAS[1],
                     "records": r.records_borough - r.records_hs, "is_present": bool(r.is_present_borough)})
    out = pd.DataFrame(rows)
    order = {"All crime": 0, "ASB": 1}
    return out.sort_values(["month", "measure", "area"], key=lambda s: s.map(order) if s.name == "measure" else s,
                           ignore_index=True)


def trend_with_marker(part: pd.DataFrame, title: str, when: dt.date = TASK_FORCE_START,
                      text: str = "Town Centre Task Force starts (Jun 2022)") -> VegaFigure:
    """High Street and the rest of the borough per month (one measure of :func:`monthly_split`), months with
    no data shaded "no data" (no line crosses them), and a dotted line at ``when`` labelled above the plot
    area (so the label never hides data or the "no data" bands)."""
    present = part.drop_duplicates("month").sort_values("month")
    chart = vega.trend_chart(part, series="area", colours=theme.AREA_COLOURS, marker=(when, text),
                             present=(present["month"].tolist(), present["is_present"].astype(bool).tolist()))
    return VegaFigure(chart, title, None, f"Line chart: {title}, High Street ward and the rest of the borough, "
                                          f"with a dotted line where the {text[0].lower()}{text[1:]}. The table "
                                          "below the chart has every value.")


def boundary_note(overlap: pd.DataFrame, ward_set: str) -> str:
    """How High Street ward changed in May 2024, from the ONS ward overlap (residents).

    >>> ov = pd.DataFrame({"ward_2024_name": ["High Street", "High Street", "Tovil"],
    ...                    "ward_2022_name": ["High Street", "East", "High Street"],
    ...                    "residents_census2021_areal_est": [900.0, 100.0, 300.0]})
    >>> print(boundary_note(ov, "2024"))  # doctest: +NORMALIZE_WHITESPACE
    The May-2024 High Street ward took 90% of its residents from the old High Street ward (East 10%);
    75% of the old ward's residents are in the new one (Tovil 25%). This page uses the May-2024 High Street
    ward for every year (each record is placed by its location), so the years compare like with like.
    """
    pop = "residents_census2021_areal_est"
    new = overlap[overlap["ward_2024_name"] == HIGH_STREET]
    old = overlap[overlap["ward_2022_name"] == HIGH_STREET]
    same_new = new.loc[new["ward_2022_name"] == HIGH_STREET, pop].sum() / new[pop].sum()
    same_old = old.loc[old["ward_2024_name"] == HIGH_STREET, pop].sum() / old[pop].sum()
    others_new = ", ".join(f"{r.ward_2022_name} {getattr(r, pop) / new[pop].sum():.0%}"
                           for r in new[new["ward_2022_name"] != HIGH_STREET].itertuples())
    moved = old[old["ward_2024_name"] != HIGH_STREET].sort_values(pop, ascending=False)
    others_old = ", ".join(f"{r.ward_2024_name} {getattr(r, pop) / old[pop].sum():.0%}" for r in moved.itertuples())
    which = "May-2024" if ward_set == "2024" else "pre-May-2024"
    return (f"The May-2024 High Street ward took {same_new:.0%} of its residents from the old High Street ward"
            f"{f' ({others_new})' if others_new else ''}; {same_old:.0%} of the old ward's residents are in the "
            f"new one{f' ({others_old})' if others_old else ''}. This page uses the {which} High Street ward for "
            "every year (each record is placed by its location), so the years compare like with like.")


# --- the published para 64 table beside police.uk ---------------------------------------------------

# (partner indicator id, row label, town_centre_by_year measure or None when police.uk cannot count it)
PUBLISHED_MEASURES = (
    ("tc_all_crime", "All crime (VBC + CAS)", "All crime (VBC + CAS)"),
    ("tc_vbc", "VBC", "Victim-based crime (VBC)"),
    ("tc_cas", "CAS", "Crimes against society (CAS)"),
    ("tc_asb", "ASB", "Anti-social behaviour (ASB)"),
    ("tc_shoplifting", "Shoplifting", "Shoplifting"),
    ("tc_da", "Domestic abuse", None),
)
# (partner area_type, published area name, police.uk area in town_centre_by_year)
PUBLISHED_AREAS = (("ward_2022", "High Street", "High Street"), ("borough", "Rest of Borough", "Rest of borough"))
PUBLISHED_WINDOW = (6, 12)  # para 64: June to December (DA June to November)
NOT_IN_STORE = "not in the store (no data)"
NO_DA_FLAG = "police.uk has no DA flag"
DIFFERENCES_MD = """
- **Different sources.** The published table is Kent Police recorded crime (extracted for the report); police.uk is
  the public street-level extract of the same force's records. police.uk leaves out crimes it cannot place on the
  map and some offences (fraud, for example), and each monthly file is extracted at its own date, so later
  reclassifications and cancelled crimes differ.
- **Different months.** The store has no police.uk data for 2021 or 2023, nor for December 2022: only June to
  November 2022 can be set beside the published June to December 2022 (one month fewer; see the per-month table).
- **Locations are snap points.** police.uk moves each record to an anonymised point, so a crime near the ward edge
  can fall on the other side of it; police.uk records with no location cannot be placed and are not counted.
- **Same ward.** Both use High Street ward as it was before May 2024 (the published table predates the new wards).
- **Domestic abuse** cannot be counted from police.uk (it has no domestic-abuse flag).
- **The published figures are kept as printed**, including the Rest of Borough shoplifting figure for Jun–Dec 2023
  that the report itself cannot reconcile (see the warning above).
"""


def _published_row_label(label: str, area: str) -> str:
    return f"{label} – {area}"


def _rows_for(published: pd.DataFrame, indicator_id: str, area_type: str, area_name: str) -> pd.DataFrame:
    return published[(published["indicator_id"] == indicator_id) & (published["area_type"] == area_type)
                     & (published["area_name"] == area_name)]


def _start_year(value) -> int:
    return pd.Timestamp(value).year


def published_years(published: pd.DataFrame) -> list[int]:
    """The years of the para 64 count rows, oldest first.

    >>> published_years(pd.DataFrame({"indicator_id": ["tc_asb", "tc_asb_diff_since_2021"],
    ...                               "period_start": [dt.date(2022, 6, 1), dt.date(2023, 6, 1)]}))
    [2022]
    """
    ids = [i for i, _, _ in PUBLISHED_MEASURES]
    return sorted({_start_year(s) for i, s in zip(published["indicator_id"], published["period_start"]) if i in ids})


def published_table(published: pd.DataFrame) -> pd.DataFrame:
    """Para 64 exactly as published: one row per measure and area, the months each row covers, one column
    per year, the published Diff and % change since the first year, and each row's own note.

    ``published`` holds the ``safe_town_centre`` partner rows (``partner.by_theme``).

    >>> from dashboard.partner_indicators_view import period_kind
    >>> rows = pd.DataFrame({"indicator_id": ["tc_asb", "tc_asb_diff_since_2021"], "area_type": "ward_2022",
    ...     "area_name": "High Street", "period_type": "custom", "period_start": [dt.date(2023, 6, 1)] * 2,
    ...     "period_end": [dt.date(2023, 12, 31)] * 2, "value": [286.0, -125.0], "unit": ["count"] * 2,
    ...     "note": [None, "since 2021"]})
    >>> published_table(rows).iloc[0].tolist()
    ['ASB – High Street', 'Jun–Dec (7 months)', '286', '−125', 'not published', '']
    """
    from dashboard.partner_indicators_view import format_value, period_kind, split_notes  # noqa: PLC0415

    years = published_years(published)
    out = []
    for indicator_id, label, _ in PUBLISHED_MEASURES:
        for area_type, area, _ in PUBLISHED_AREAS:
            base = _rows_for(published, indicator_id, area_type, area)
            if base.empty:
                continue
            row = {"Published row (para 64)": _published_row_label(label, area),
                   "Months": period_kind(base["period_type"].iloc[0], base["period_start"].iloc[0],
                                         base["period_end"].iloc[0])}
            by_year = {_start_year(s): v for s, v in zip(base["period_start"], base["value"])}
            for y in years:
                row[str(y)] = format_value(by_year.get(y), "count")
            for suffix, heading, unit in (("_diff_since_2021", "Diff since 2021 (as published)", "count"),
                                          ("_pct_change_since_2021", "% change since 2021 (as published)",
                                           "percent")):
                change = _rows_for(published, indicator_id + suffix, area_type, area)
                row[heading] = format_value(change["value"].iloc[0] if len(change) else None, unit, signed=True)
            parts: list[str] = []
            for n in base.sort_values("period_start")["note"]:
                parts += [p for p in split_notes(n) if p not in parts]
            row["Note"] = parts
            out.append(row)
    table = pd.DataFrame(out)
    if table.empty:
        return table
    shared = shared_row_notes(table["Note"])
    table["Note"] = ["; ".join(p for p in parts if p not in shared) for parts in table["Note"]]
    return table


def shared_row_notes(notes: Iterable[list[str]]) -> list[str]:
    """Note parts that several rows share (said once under the table, not on every row).

    >>> shared_row_notes([["a", "b"], ["a"], []])
    ['a']
    """
    counts: dict[str, int] = {}
    for parts in notes:
        for part in dict.fromkeys(parts):
            counts[part] = counts.get(part, 0) + 1
    return [p for p, n in counts.items() if n > 1]


def published_notes(published: pd.DataFrame) -> list[str]:
    """The notes several rows of the para 64 table share (e.g. what "Rest of Borough" means).

    >>> rows = pd.DataFrame({"indicator_id": ["tc_asb", "tc_cas"], "area_type": "borough",
    ...     "area_name": "Rest of Borough", "period_type": "custom", "period_start": [dt.date(2023, 6, 1)] * 2,
    ...     "period_end": [dt.date(2023, 12, 31)] * 2, "value": [1.0, 2.0], "unit": "count",
    ...     "note": ["Rest = borough less High Street"] * 2})
    >>> published_notes(rows)
    ['Rest = borough less High Street']
    """
    from dashboard.partner_indicators_view import split_notes  # noqa: PLC0415

    notes = []
    for indicator_id, _, _ in PUBLISHED_MEASURES:
        for area_type, area, _ in PUBLISHED_AREAS:
            base = _rows_for(published, indicator_id, area_type, area)
            if len(base):
                parts: list[str] = []
                for n in base["note"]:
                    parts += [p for p in split_notes(n) if p not in parts]
                notes.append(parts)
    return shared_row_notes(notes)


def published_flags(published: pd.DataFrame) -> list[str]:
    """The report's own inconsistencies in para 64, from the notes (values kept as published).

    >>> rows = pd.DataFrame({"indicator_id": ["tc_shoplifting", "tc_da_share_pct"], "area_type": "borough",
    ...     "area_name": "Rest of Borough", "period_start": [dt.date(2023, 6, 1)] * 2,
    ...     "note": ["Rest = borough less High Street; 954 is about three times 2022", "9% is not 16.8%"]})
    >>> published_flags(rows)  # doctest: +NORMALIZE_WHITESPACE
    ['**Rest of Borough shoplifting, Jun–Dec 2023:** 954 is about three times 2022',
     '**High Street share of domestic abuse (para 64 text):** 9% is not 16.8%']
    """
    from dashboard.partner_indicators_view import split_notes  # noqa: PLC0415
    from dashboard.safe_text import md_escape  # noqa: PLC0415  (notes are partner text: shown as written)

    out = []
    shop = published[(published["indicator_id"] == "tc_shoplifting") & (published["area_name"] == "Rest of Borough")]
    for start, note in zip(shop["period_start"], shop["note"]):
        parts = [p for p in split_notes(note) if p[:1].isdigit()]  # the figure's own caveat, not the definition
        if parts:
            out.append(f"**Rest of Borough shoplifting, Jun–Dec {_start_year(start)}:** {md_escape('; '.join(parts))}")
    share = published[published["indicator_id"] == "tc_da_share_pct"]
    out += [f"**High Street share of domestic abuse (para 64 text):** {md_escape(n)}" for n in share["note"] if n]
    return out


def _months_label(months: list[int]) -> str:
    if not months:
        return ""
    if months == list(range(months[0], months[-1] + 1)):
        return window_label(months[0], months[-1])
    return ", ".join(MONTH_ABBR[m - 1] for m in months)


def police_coverage(years: Iterable[int], present_months: Iterable[dt.date],
                    window: tuple[int, int] = PUBLISHED_WINDOW) -> dict[int, tuple[list[int], list[int]]]:
    """For each year: (window months police.uk has, window months it has not).

    >>> present = [dt.date(2022, m, 1) for m in range(1, 12)]
    >>> police_coverage([2021, 2022], present)[2022]
    ([6, 7, 8, 9, 10, 11], [12])
    >>> police_coverage([2021], present)[2021][0]
    []
    """
    have = set(present_months)
    out = {}
    for y in years:
        months = list(range(window[0], window[1] + 1))
        out[y] = ([m for m in months if dt.date(y, m, 1) in have], [m for m in months if dt.date(y, m, 1) not in have])
    return out


def police_heading(year: int, coverage: tuple[list[int], list[int]]) -> str:
    """The police.uk column heading for a year: the months it counts, and the months with no data.

    >>> police_heading(2022, ([6, 7, 8, 9, 10, 11], [12]))
    'police.uk Jun–Nov 2022 (Dec 2022: no data)'
    >>> police_heading(2021, ([], list(range(6, 13))))
    'police.uk Jun–Dec 2021'
    """
    have, missing = coverage
    if not have:
        return f"police.uk {window_label(*PUBLISHED_WINDOW)} {year}"
    text = f"police.uk {_months_label(have)} {year}"
    return text + (f" ({_months_label(missing)} {year}: no data)" if missing else "")


def _police_counts(police: pd.DataFrame) -> dict[tuple[str, str, int], float]:
    values = pd.to_numeric(police["records"], errors="coerce").astype("float64")
    return {(m, a, int(y)): v for m, a, y, v in zip(police["measure"], police["area"], police["year"], values)}


def _published_counts(published: pd.DataFrame) -> dict[tuple[str, str, int], float]:
    out = {}
    for indicator_id, _, _ in PUBLISHED_MEASURES:
        for area_type, area, _ in PUBLISHED_AREAS:
            base = _rows_for(published, indicator_id, area_type, area)
            out.update({(indicator_id, area, _start_year(s)): float(v)
                        for s, v in zip(base["period_start"], base["value"])})
    return out


def side_by_side(published: pd.DataFrame, police: pd.DataFrame,
                 present_months: Iterable[dt.date]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published figure and the police.uk count for the same year side by side (pre-May-2024
    High Street ward), as text, plus the same numbers as numbers (NaN = no figure) for the download.

    ``police`` is ``town_centre_by_year`` over June-December of the published years with
    ``ward_set='2022'``. A year police.uk does not cover says so; domestic abuse cannot be counted.
    """
    years = published_years(published)
    coverage = police_coverage(years, present_months)
    pub, pol = _published_counts(published), _police_counts(police)
    text_rows, number_rows = [], []
    for indicator_id, label, measure in PUBLISHED_MEASURES:
        for _, area, police_area in PUBLISHED_AREAS:
            if not any((indicator_id, area, y) in pub for y in years):
                continue
            row_label = _published_row_label(label, area)
            text, numbers = {"Row": row_label}, {"Row": row_label}
            for y in years:
                published_value = pub.get((indicator_id, area, y), float("nan"))
                cell = format_count(published_value, "not published")
                text[f"Published {window_label(*PUBLISHED_WINDOW)} {y}"] = (
                    f"{cell} (Jun–Nov)" if indicator_id == "tc_da" and published_value == published_value else cell)
                numbers[f"published_{y}"] = published_value
                heading = police_heading(y, coverage[y])
                if measure is None:
                    text[heading], value = NO_DA_FLAG, float("nan")
                elif not coverage[y][0]:
                    text[heading], value = NOT_IN_STORE, float("nan")
                else:
                    value = pol.get((measure, police_area, y), float("nan"))
                    text[heading] = format_count(value, NOT_IN_STORE)
                numbers[f"police_uk_{y}"] = value
                numbers[f"police_uk_{y}_months"] = len(coverage[y][0])
                numbers[f"police_uk_{y}_months_label"] = _months_label(coverage[y][0])
            text_rows.append(text)
            number_rows.append(numbers)
    return pd.DataFrame(text_rows), pd.DataFrame(number_rows)


def per_month_comparison(numbers: pd.DataFrame, year: int, published_months: int = 7) -> pd.DataFrame:
    """Like for like for one year: the published Jun–Dec count and the police.uk count over the months
    it has, each divided by its own number of months, and police.uk's monthly average as a % of the
    published one. Rows police.uk cannot count (domestic abuse) are left out.

    >>> n = pd.DataFrame({"Row": ["ASB – High Street"], "published_2022": [298.0], "police_uk_2022": [240.0],
    ...                   "police_uk_2022_months": [6]})
    >>> per_month_comparison(n, 2022).iloc[0].tolist()
    ['ASB – High Street', '298', '240', '42.6', '40.0', '94%']
    """
    col, months_col = f"police_uk_{year}", f"police_uk_{year}_months"
    rows = numbers[numbers[col].notna() & numbers[f"published_{year}"].notna()]
    out = []
    for r in rows.itertuples(index=False):
        r = r._asdict()
        n = int(r[months_col])
        pub_avg, pol_avg = r[f"published_{year}"] / published_months, r[col] / n
        out.append({
            "Row": r["Row"],
            f"Published Jun–Dec {year} ({published_months} months)": format_count(r[f"published_{year}"]),
            f"police.uk {r.get(months_col + '_label') or ''} {year} ({n} months)".replace("  ", " "):
                format_count(r[col]),
            "Published, per month": f"{pub_avg:,.1f}",
            "police.uk, per month": f"{pol_avg:,.1f}",
            "police.uk per month as % of published per month": f"{100 * pol_avg / pub_avg:.0f}%" if pub_avg else "—",
        })
    return pd.DataFrame(out)

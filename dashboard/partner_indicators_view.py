"""Partner indicators (SMP Strategic Assessment 2024/25) shaped for display: pure functions, no Streamlit.

The rows come from the public partner queries (``partner.*``: the store's published partner files
plus uploads marked public) in the long format of ``shared/data/partner/README.md``. Rules kept here:

* **As published.** Values are shown exactly as transcribed; a row's ``note`` (the source's own caveats
  and inconsistencies) is always shown with it. Nothing is corrected, summed across nested categories or
  added to police.uk counts.
* **Periods as published.** A December-November year is written "Dec 2022 – Nov 2023", never "2023";
  a financial year "2022/23 (financial year)"; an empty ``period_end`` is open-ended ("since Feb 2023
  (open-ended, as published)").
* **Units.** Counts get thousands separators; percents, rates per 1,000, ranks, hours and £ are written
  as such and never summed.

>>> import datetime as dt
>>> period_text("custom", dt.date(2022, 12, 1), dt.date(2023, 11, 30))
'Dec 2022 – Nov 2023'
>>> format_value(1119.59, "gbp")
'£1,119.59'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

import pandas as pd

from dashboard import theme
from dashboard.partner_view import as_date, period_label

__all__ = [
    "SOURCE",
    "PUBLISHED_FILES",
    "NOT_PUBLISHED",
    "provider",
    "source_label",
    "period_text",
    "period_kind",
    "format_value",
    "is_change_indicator",
    "split_notes",
    "common_notes",
    "inconsistencies",
    "figures_table",
    "notes_list",
    "select",
    "period_columns",
    "period_pivot",
    "numeric_pivot",
    "published_changes",
    "DA_ROWS",
    "da_ward_table",
    "ward_map_data",
    "monthly_values",
    "top_locations",
    "ranking_table",
    "maidstone_rank_table",
    "RANK_BANDS",
    "RANK_MEASURES",
    "rows_note",
    "source_caption",
    "area_pivot",
    "bar_by_period",
    "rank_dot_figure",
]

SOURCE = "SMP Strategic Assessment 2024/25"
PUBLISHED_FILES = frozenset({
    "community_protection_warnings_notices.csv", "cpt_service_requests.csv", "domestic_abuse.csv",
    "hate_crime.csv", "kent_rankings.csv", "mental_health.csv", "missing_children.csv", "needle_finds.csv",
    "other_partner_figures.csv", "substance_misuse.csv", "surveys.csv", "town_centre.csv", "youth_hub.csv",
    "youth_justice.csv",
})
NOT_PUBLISHED = "not published"
# The original provider, only where the partner README (or the published row label) names one.
_PROVIDERS = (
    ("asvc_rank_", "Kent and Medway Violence Reduction Unit (VRU) Strategic Needs Assessment"),
    ("msvc_rank_", "Kent and Medway Violence Reduction Unit (VRU) Strategic Needs Assessment"),
    ("needle_finds", "Maidstone Borough Council waste team removals and external needle bins"),
    ("cpt_service_requests_", "Maidstone Borough Council Community Protection Team (CPT)"),
    ("hospital_admissions_", "NHS (Hospital Episode Statistics)"),
    ("drug_offences", "Kent Police recorded crime"),
    ("tc_", "Kent Police recorded crime"),
)
_UNIT_WORDS = {"count": "count", "percent": "%", "per_1000_population": "per 1,000 people", "rank": "rank",
               "hours": "hours", "gbp": "£"}


def provider(indicator_id: str) -> str:
    """The original data provider where the partner README names one, else "".

    >>> provider("asvc_rank_all_count")[:24], provider("marac_cases")
    ('Kent and Medway Violence', '')
    """
    return next((name for prefix, name in _PROVIDERS if str(indicator_id).startswith(prefix)), "")


def source_label(indicator_id: str, loaded_from: str) -> str:
    """Where a figure comes from: the Strategic Assessment (and its provider), or a public partner upload.

    >>> source_label("needle_finds", "needle_finds.csv")
    'SMP Strategic Assessment 2024/25; original data: Maidstone Borough Council waste team removals and external needle bins'
    >>> source_label("marac_cases", "domestic_abuse.csv")
    'SMP Strategic Assessment 2024/25'
    >>> source_label("needle_finds", "my_upload.csv")
    'Partner upload (my_upload.csv), public'
    """
    if loaded_from not in PUBLISHED_FILES:
        return f"Partner upload ({loaded_from}), public"
    name = provider(indicator_id)
    return SOURCE + (f"; original data: {name}" if name else "")


def _months(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def period_text(period_type: str, start, end) -> str:
    """A period exactly as published, saying what kind of period it is.

    >>> d = dt.date
    >>> period_text("financial_year", d(2022, 4, 1), d(2023, 3, 31))
    '2022/23 (financial year)'
    >>> period_text("calendar_year", d(2023, 1, 1), d(2023, 12, 31))
    'calendar year 2023'
    >>> period_text("month", d(2021, 4, 1), d(2021, 4, 30))
    'Apr 2021'
    >>> period_text("custom", d(2023, 2, 1), None)
    'since Feb 2023 (open-ended, as published)'
    >>> period_text("custom", d(2022, 7, 1), d(2023, 6, 30))
    'Jul 2022 – Jun 2023'
    """
    label = period_label(period_type, start, end)
    if not label:
        return "period not stated"
    if as_date(end) is None:
        return f"{label} (open-ended, as published)"
    if period_type == "financial_year":
        return f"{label} (financial year)"
    if period_type == "calendar_year":
        return f"calendar year {label}"
    return label


def period_kind(period_type: str, start, end) -> str:
    """The kind of period in words (the "period type" column).

    >>> d = dt.date
    >>> period_kind("custom", d(2022, 12, 1), d(2023, 11, 30))
    'Dec–Nov year (12 months, not a calendar year)'
    >>> period_kind("custom", d(2023, 6, 1), d(2023, 12, 31))
    'Jun–Dec (7 months)'
    >>> period_kind("custom", d(2023, 2, 1), None), period_kind("financial_year", d(2022, 4, 1), d(2023, 3, 31))
    ('open-ended (no end date published)', 'financial year (Apr–Mar)')
    """
    s, e = as_date(start), as_date(end)
    if period_type == "month":
        return "month"
    if period_type == "calendar_year":
        return "calendar year (Jan–Dec)"
    if period_type == "financial_year":
        return "financial year (Apr–Mar)"
    if s is None:
        return "period not stated"
    if e is None:
        return "open-ended (no end date published)"
    n = _months(s, e)
    if n == 12 and s.month != 1:
        return f"{s:%b}–{e:%b} year (12 months, not a calendar year)"
    return f"{s:%b}–{e:%b} ({n} month{'s' if n != 1 else ''})"


def is_change_indicator(indicator_id: str) -> bool:
    """True for a published change (difference or % change) row, shown with its sign.

    >>> is_change_indicator("tc_asb_diff_since_2021"), is_change_indicator("da_crimes_pct_change")
    (True, True)
    >>> is_change_indicator("da_crimes_vap_share_pct")
    False
    """
    text = str(indicator_id)
    return bool(re.search(r"(_change|_diff)(_|$)", text))


def _decimals(value: float) -> int:
    text = f"{abs(value):.6f}".rstrip("0")
    return min(len(text.split(".")[1]), 2) if "." in text else 0


def format_value(value, unit: str, signed: bool = False, missing: str = NOT_PUBLISHED) -> str:
    """A published value in its unit: decimals as printed (up to 2), thousands separators.

    >>> format_value(2706.0, "count"), format_value(-6.25, "percent", signed=True), format_value(54, "percent", True)
    ('2,706', '−6.25%', '+54%')
    >>> format_value(35.2, "per_1000_population"), format_value(4, "rank"), format_value(13.5, "hours")
    ('35.2 per 1,000', 'rank 4', '13.5 hours')
    >>> format_value(565877, "gbp"), format_value(None, "count")
    ('£565,877', 'not published')
    """
    if value is None or pd.isna(value):
        return missing
    v = float(value)
    sign = "\u2212" if v < 0 else ("+" if signed and v > 0 else "")
    number = f"{abs(v):,.{_decimals(v)}f}"
    if unit == "percent":
        return f"{sign}{number}%"
    if unit == "per_1000_population":
        return f"{sign}{number} per 1,000"
    if unit == "rank":
        return f"rank {number}"
    if unit == "hours":
        return f"{sign}{number} hours"
    if unit == "gbp":
        return f"{sign}£{number}"
    return f"{sign}{number}"


def split_notes(note) -> list[str]:
    """A note's parts, split at "; " outside brackets (so a bracketed aside stays whole).

    >>> split_notes("read as 2023 (see para 1; not dated); 82 of 298 = 27.5%")
    ['read as 2023 (see para 1; not dated)', '82 of 298 = 27.5%']
    >>> split_notes(None)
    []
    """
    if note is None or (isinstance(note, float) and note != note) or not str(note).strip():
        return []
    parts, depth, current = [], 0, []
    text = str(note)
    i = 0
    while i < len(text):
        ch = text[i]
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if ch == ";" and depth == 0 and text[i + 1:i + 2] == " ":
            parts.append("".join(current).strip())
            current, i = [], i + 2
            continue
        current.append(ch)
        i += 1
    parts.append("".join(current).strip())
    return [p for p in parts if p]


_INCONSISTENT = re.compile(r"not consistent|inconsistent|does not equal|does not match|not equal|cannot match|"
                           r"contradict|\bsays\b.*\bbut\b", re.IGNORECASE)


def inconsistencies(note) -> str:
    """Only the parts of a note that say the source contradicts itself (for a warning).

    >>> inconsistencies("published as 'Barming'; Change -43 does not equal 169 - 204")
    'Change -43 does not equal 169 - 204'
    """
    return "; ".join(p for p in split_notes(note) if _INCONSISTENT.search(p))


def common_notes(notes: Iterable) -> tuple[list[str], list[str]]:
    """Split notes into the parts every row shares (said once) and each row's own remainder.

    >>> common_notes(["as read; North is odd", "as read", "as read"])
    (['as read'], ['North is odd', '', ''])
    >>> common_notes(["a", None])
    ([], ['a', ''])
    """
    split = [split_notes(n) for n in notes]
    if not split or any(not parts for parts in split):
        return [], ["; ".join(parts) for parts in split]
    shared = [p for p in split[0] if all(p in parts for parts in split[1:])]
    if len(split) == 1:
        shared = []
    return shared, ["; ".join(p for p in parts if p not in shared) for parts in split]


def select(df: pd.DataFrame, ids: Iterable[str] | None = None, area_type: str | None = None,
           prefix: str | None = None, period_type: str | None = None) -> pd.DataFrame:
    """Rows of some indicators (ids, in that order; or an id prefix), one area type, one period type.

    >>> df = pd.DataFrame({"indicator_id": ["a", "a", "ab"], "area_type": ["borough", "ward_2022", "borough"],
    ...                    "period_type": ["custom"] * 3})
    >>> len(select(df, ["a"], "borough")), len(select(df, prefix="a"))
    (1, 3)
    """
    keep = pd.Series(True, index=df.index)
    ids = list(ids) if ids is not None else None
    if ids is not None:
        keep &= df["indicator_id"].isin(ids)
    if prefix is not None:
        keep &= df["indicator_id"].str.startswith(prefix)
    if area_type is not None:
        keep &= df["area_type"] == area_type
    if period_type is not None:
        keep &= df["period_type"] == period_type
    out = df[keep]
    if ids is not None and len(out):  # in the order asked for, then oldest period first
        rank = {i: n for n, i in enumerate(ids)}
        by = ["_order"] + (["period_start"] if "period_start" in out else [])
        out = out.assign(_order=out["indicator_id"].map(rank)).sort_values(by, kind="stable").drop(columns="_order")
    return out


def figures_table(df: pd.DataFrame) -> pd.DataFrame:
    """Every partner row as shown: indicator, area, period and its type, value in its unit, source,
    the report's table or paragraph, and the note (never dropped).

    >>> row = pd.DataFrame({"indicator_id": ["youth_hub_visits"], "indicator": ["Visits"], "area_name": ["Maidstone"],
    ...     "period_type": ["custom"], "period_start": [dt.date(2023, 2, 1)], "period_end": [None],
    ...     "value": [3800.0], "unit": ["count"], "source_table": ["para 73 text"], "note": ["over 3800"],
    ...     "loaded_from": ["youth_hub.csv"]})
    >>> figures_table(row).iloc[0][["Period", "Value", "Note"]].tolist()
    ['since Feb 2023 (open-ended, as published)', '3,800', 'over 3800']
    """
    cols = ["Indicator", "Area", "Period", "Period type", "Value", "Unit", "Source", "Source table", "Note"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame({
        "Indicator": df["indicator"].tolist(),
        "Area": df["area_name"].tolist(),
        "Period": [period_text(t, s, e) for t, s, e in zip(df["period_type"], df["period_start"], df["period_end"])],
        "Period type": [period_kind(t, s, e) for t, s, e in zip(df["period_type"], df["period_start"],
                                                               df["period_end"])],
        "Value": [format_value(v, u, is_change_indicator(i)) for v, u, i in zip(df["value"], df["unit"],
                                                                                df["indicator_id"])],
        "Unit": [_UNIT_WORDS.get(u, u) for u in df["unit"]],
        "Source": [source_label(i, f) for i, f in zip(df["indicator_id"], df["loaded_from"])],
        "Source table": df["source_table"].tolist(),
        "Note": ["" if n is None or (isinstance(n, float) and n != n) else str(n) for n in df["note"]],
    })
    return out[cols]


def notes_list(df: pd.DataFrame) -> list[str]:
    """Distinct notes as "indicator (period): note" lines, in row order (for a notes expander).

    >>> df = pd.DataFrame({"indicator": ["A", "A"], "period_type": ["calendar_year"] * 2,
    ...                    "period_start": [dt.date(2022, 1, 1), dt.date(2023, 1, 1)],
    ...                    "period_end": [dt.date(2022, 12, 31), dt.date(2023, 12, 31)], "note": ["x", None]})
    >>> notes_list(df)
    ['A (calendar year 2022): x']
    """
    out, seen = [], set()
    for r in df.itertuples(index=False):
        note = r.note
        if note is None or (isinstance(note, float) and note != note) or not str(note).strip():
            continue
        line = f"{r.indicator} ({period_text(r.period_type, r.period_start, r.period_end)}): {note}"
        if line not in seen:
            seen.add(line)
            out.append(line)
    return out


def rows_note(df: pd.DataFrame, indicator_id: str, year: int | None = None, area_type: str | None = None) -> str:
    """The note of one published row (by indicator, the year its period starts in, area type); "" if none.

    >>> df = pd.DataFrame({"indicator_id": ["cpw_issued"], "area_type": ["borough"],
    ...                    "period_start": [dt.date(2023, 1, 1)], "note": ["59 vs 58"]})
    >>> rows_note(df, "cpw_issued", 2023), rows_note(df, "cpw_issued", 2022)
    ('59 vs 58', '')
    """
    sel = df[df["indicator_id"] == indicator_id]
    if area_type is not None:
        sel = sel[sel["area_type"] == area_type]
    if year is not None:
        sel = sel[[(as_date(s) or dt.date(1, 1, 1)).year == year for s in sel["period_start"]]]
    notes = [str(n) for n in sel["note"] if n is not None and not (isinstance(n, float) and n != n) and str(n)]
    return notes[0] if notes else ""


# --- tables by period ----------------------------------------------------------------------------

def _keys(df: pd.DataFrame) -> list[tuple]:
    return [(t, as_date(s), as_date(e)) for t, s, e in zip(df["period_type"], df["period_start"], df["period_end"])]


def period_columns(df: pd.DataFrame) -> list[tuple]:
    """The distinct (period_type, start, end) of some rows, oldest first."""
    return sorted(set(_keys(df)), key=lambda k: (k[1] or dt.date.min, k[2] or dt.date.max))


def numeric_pivot(df: pd.DataFrame, rows: Sequence[tuple[str, str]], first_col: str = "Measure") -> pd.DataFrame:
    """One row per (indicator_id, label), one numeric column per period (labelled by :func:`period_text`);
    NaN where the report publishes no figure. Values are never added up here.

    >>> df = pd.DataFrame({"indicator_id": ["a", "a", "b"], "period_type": ["financial_year"] * 3,
    ...     "period_start": [dt.date(2021, 4, 1), dt.date(2022, 4, 1), dt.date(2022, 4, 1)],
    ...     "period_end": [dt.date(2022, 3, 31), dt.date(2023, 3, 31), dt.date(2023, 3, 31)],
    ...     "value": [1.0, 2.0, 3.0]})
    >>> numeric_pivot(df, [("a", "A"), ("b", "B")]).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'Measure': ['A', 'B'], '2021/22 (financial year)': [1.0, nan], '2022/23 (financial year)': [2.0, 3.0]}
    """
    ids = [i for i, _ in rows]
    sel = df[df["indicator_id"].isin(ids)]
    found = {(i, k): float(v) for i, k, v in zip(sel["indicator_id"], _keys(sel), sel["value"])}
    out = {first_col: [label for _, label in rows]}
    for key in period_columns(sel):
        out[period_text(*key)] = [found.get((i, key), float("nan")) for i, _ in rows]
    return pd.DataFrame(out)


def period_pivot(df: pd.DataFrame, rows: Sequence[tuple[str, str]], first_col: str = "Measure") -> pd.DataFrame:
    """:func:`numeric_pivot` as text in each row's unit ("not published" where there is no figure).

    >>> df = pd.DataFrame({"indicator_id": ["p"], "unit": ["percent"], "period_type": ["calendar_year"],
    ...     "period_start": [dt.date(2023, 1, 1)], "period_end": [dt.date(2023, 12, 31)], "value": [64.0]})
    >>> period_pivot(df, [("p", "Repeat rate")]).values.tolist()
    [['Repeat rate', '64%']]
    """
    numbers = numeric_pivot(df, rows, first_col)
    units = dict(zip(df["indicator_id"], df["unit"]))
    out = numbers.copy()
    for col in numbers.columns[1:]:
        out[col] = [format_value(v, units.get(i, "count"), is_change_indicator(i))
                    for (i, _), v in zip(rows, numbers[col])]
    return out


def published_changes(df: pd.DataFrame, base_ids: Sequence[str], diff: str = "_diff",
                      pct: str = "_pct_change") -> tuple[list[str], list[str]]:
    """The report's own "Diff" and "% change" cells for each base indicator (as published, with sign).

    >>> df = pd.DataFrame({"indicator_id": ["r_diff", "r_pct_change"], "unit": ["count", "percent"],
    ...                    "value": [99.0, -16.0]})
    >>> published_changes(df, ["r", "s"])
    (['+99', 'not published'], ['−16%', 'not published'])
    """
    def cell(indicator_id: str) -> str:
        hit = df[df["indicator_id"] == indicator_id]
        return format_value(hit["value"].iloc[0], hit["unit"].iloc[0], signed=True) if len(hit) else NOT_PUBLISHED

    return [cell(b + diff) for b in base_ids], [cell(b + pct) for b in base_ids]


# --- domestic abuse -----------------------------------------------------------------------------

# para 53 table rows: (indicator_id, label); "↳" rows are included in the row above them (never added)
DA_ROWS = (
    ("da_crimes_vap", "Violence against the person (VAP)"),
    ("da_crimes_stalking_harassment", "↳ of which stalking and harassment (in VAP)"),
    ("da_crimes_coercion_control", "↳ of which coercion and control (in VAP)"),
    ("da_crimes_sexual_offences", "Sexual offences"),
    ("da_crimes_rape", "↳ of which rape (in sexual offences)"),
    ("da_crimes_other", "Other crimes"),
    ("da_crimes", "Total (as published) = VAP + sexual offences + other"),
)


def _ward_values(df: pd.DataFrame, indicator_id: str) -> dict[tuple[str, dt.date], float]:
    sel = df[(df["indicator_id"] == indicator_id) & (df["area_type"] == "ward_2022")]
    return {(c, as_date(s)): float(v) for c, s, v in zip(sel["area_code"], sel["period_start"], sel["value"])}


def da_ward_table(df: pd.DataFrame, ward_names: dict[str, str] | None = None,
                  clusters: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Tables 6 and 7 by ward (pre-May-2024 wards): counts, published change, rates per 1,000 and
    published % change for the two Dec–Nov years, with each ward's own note; and the notes every
    ward shares (said once).

    ``df`` holds the domestic-abuse rows; ``ward_names``/``clusters`` map ward codes to the store's
    names and 2022 clusters. Returns (numeric table, shared notes).
    """
    wards = df[(df["area_type"] == "ward_2022") & df["indicator_id"].isin(
        ["da_crimes", "da_crimes_change", "da_crimes_per_1000", "da_crimes_pct_change"])]
    if wards.empty:
        return pd.DataFrame(), []
    counts = wards[wards["indicator_id"] == "da_crimes"]
    years = sorted({as_date(s) for s in counts["period_start"]})
    ends = {(as_date(s)): as_date(e) for s, e in zip(counts["period_start"], counts["period_end"])}
    last, this = (years[-2], years[-1]) if len(years) >= 2 else (None, years[-1])
    label = {y: period_text("custom", y, ends[y]) for y in years}
    codes = list(dict.fromkeys(wards.sort_values("area_name")["area_code"]))
    published = dict(zip(wards["area_code"], wards["area_name"]))
    values = {i: _ward_values(df, i) for i in ("da_crimes", "da_crimes_change", "da_crimes_per_1000",
                                                "da_crimes_pct_change")}
    raw_notes = []
    for code in codes:
        parts: list[str] = []
        for n in wards.loc[wards["area_code"] == code, "note"]:
            parts += [p for p in split_notes(n) if p not in parts]
        raw_notes.append("; ".join(parts))
    shared, own = common_notes(raw_notes)
    nan = float("nan")
    rows = []
    for code, note in zip(codes, own):
        name = (ward_names or {}).get(code, published[code])
        rows.append({
            "ward_2022_code": code,
            "Ward (pre-May-2024)": name,
            "Cluster (2022)": (clusters or {}).get(code, ""),
            f"DA crimes, {label[last]}" if last else "last year": values["da_crimes"].get((code, last), nan),
            f"DA crimes, {label[this]}": values["da_crimes"].get((code, this), nan),
            "Change in crimes (published)": values["da_crimes_change"].get((code, this), nan),
            f"Per 1,000 people, {label[last]}" if last else "per 1,000 last year":
                values["da_crimes_per_1000"].get((code, last), nan),
            f"Per 1,000 people, {label[this]}": values["da_crimes_per_1000"].get((code, this), nan),
            "% change (published)": values["da_crimes_pct_change"].get((code, this), nan),
            "Note": note,
        })
    return pd.DataFrame(rows), shared


def ward_map_data(table: pd.DataFrame, value_col: str) -> pd.DataFrame:
    """The map's rows: code, ward, value, hover texts and a flag where the ward has its own note.

    >>> t = pd.DataFrame({"ward_2022_code": ["E1"], "Ward (pre-May-2024)": ["North"],
    ...                   "Cluster (2022)": ["Cluster 1"], "v": [3.8], "Note": ["inconsistent"]})
    >>> ward_map_data(t, "v").iloc[0][["value_text", "flag"]].tolist()
    ['3.8', 'yes: inconsistent']
    """
    out = pd.DataFrame({
        "ward_2022_code": table["ward_2022_code"],
        "ward": table["Ward (pre-May-2024)"],
        "cluster": table["Cluster (2022)"],
        "value": pd.to_numeric(table[value_col], errors="coerce"),
    })
    out["value_text"] = [("no data" if pd.isna(v) else f"{v:,.{_decimals(v)}f}") for v in out["value"]]
    out["flag"] = [f"yes: {n}" if n else "no" for n in table["Note"]]
    return out


# --- needle finds --------------------------------------------------------------------------------

def monthly_values(series: pd.DataFrame, area_type: str = "borough") -> pd.Series:
    """A ``partner.monthly_series`` result as a monthly Series (index = first-of-month dates); NaN for a
    month with no published figure (a gap, never 0).

    >>> s = pd.DataFrame({"area_type": "borough", "month": [dt.date(2021, 3, 1), dt.date(2021, 4, 1)],
    ...                   "value": [38.0, None]})
    >>> monthly_values(s).tolist()
    [38.0, nan]
    """
    sel = series[series["area_type"] == area_type]
    months = [m.date() if isinstance(m, pd.Timestamp) else m for m in sel["month"]]
    return pd.Series(pd.to_numeric(sel["value"], errors="coerce").astype("float64").to_numpy(),
                     index=pd.Index(months, dtype=object, name="month"), name="value")


_RANK = re.compile(r"rank (\d+) of the top")


def top_locations(df: pd.DataFrame, indicator_id: str = "needle_finds") -> dict[str, pd.DataFrame]:
    """Top locations per published period: {period text: table of rank, location (as published), finds}.

    The rank is the published one (from the note); rows without it are ordered by value.

    >>> df = pd.DataFrame({"indicator_id": "needle_finds", "area_type": "location", "area_name": ["A", "B"],
    ...     "period_type": "calendar_year", "period_start": [dt.date(2023, 1, 1)] * 2,
    ...     "period_end": [dt.date(2023, 12, 31)] * 2, "value": [5.0, 9.0], "note": ["rank 2 of the top 5", "rank 1 of the top 5"]})
    >>> top_locations(df)["calendar year 2023"].values.tolist()
    [[1, 'B', 9], [2, 'A', 5]]
    """
    sel = df[(df["indicator_id"] == indicator_id) & (df["area_type"] == "location")]
    out = {}
    for key in period_columns(sel):
        part = sel[[k == key for k in _keys(sel)]]
        ranks = [int(m.group(1)) if (m := _RANK.search(str(n or ""))) else None for n in part["note"]]
        table = pd.DataFrame({"published_rank": ranks, "Location (as published)": part["area_name"].tolist(),
                              "Needle finds": part["value"].astype(int).tolist()})
        table = table.sort_values(["published_rank", "Needle finds"], ascending=[True, False], na_position="last")
        table.insert(0, "Rank", range(1, len(table) + 1))
        out[period_text(*key)] = table.drop(columns="published_rank").reset_index(drop=True)
    return out


# --- Kent and Medway VRU rankings ---------------------------------------------------------------

RANK_BANDS = (("all", "All"), ("u18", "U18"), ("u25", "U25"), ("25_plus", "25+"))
RANK_MEASURES = (("count", "Count"), ("harm", "Harm"), ("per_1000", "Per 1,000"))


def _rank_id(family: str, band: str, measure: str) -> str:
    return f"{family}_rank_{band}_{measure}"


def ranking_table(df: pd.DataFrame, family: str) -> pd.DataFrame:
    """One row per district, one column per age band × measure (rank, 1 = highest), for ``family``
    'asvc' or 'msvc'; Maidstone flagged; rows in order of the All-ages count rank.

    >>> df = pd.DataFrame({"indicator_id": ["asvc_rank_all_count"] * 2, "area_type": "kent_district",
    ...     "area_code": ["E07000110", "X"], "area_name": ["Maidstone", "Medway"], "value": [4.0, 1.0]})
    >>> t = ranking_table(df, "asvc")
    >>> t[["District", "All · Count", "is_maidstone"]].values.tolist()
    [['Medway', 1, False], ['Maidstone', 4, True]]
    """
    sel = df[(df["area_type"] == "kent_district") & df["indicator_id"].str.startswith(f"{family}_rank_")]
    names = dict(zip(sel["area_code"], sel["area_name"]))
    out = pd.DataFrame({"District": list(names.values()), "area_code": list(names.keys())})
    for band, band_label in RANK_BANDS:
        for measure, measure_label in RANK_MEASURES:
            part = sel[sel["indicator_id"] == _rank_id(family, band, measure)]
            ranks = dict(zip(part["area_code"], part["value"]))
            out[f"{band_label} · {measure_label}"] = pd.array(
                [None if pd.isna(ranks.get(c)) else int(ranks[c]) for c in out["area_code"]], dtype="Int64")
    out["is_maidstone"] = out["area_code"] == "E07000110"
    sort_col = "All · Count"
    out = out.sort_values([sort_col, "District"], na_position="last").reset_index(drop=True)
    return out


def maidstone_rank_table(ranks: pd.DataFrame) -> pd.DataFrame:
    """Maidstone's ranks (``partner.maidstone_ranks``) as family, band, measure, rank, districts ranked.

    >>> r = pd.DataFrame({"indicator_id": ["msvc_rank_u18_per_1000", "asvc_rank_all_count"],
    ...                   "value": [13.0, 4.0], "districts_ranked": [13, 13]})
    >>> maidstone_rank_table(r).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['ASVC', 'All', 'Count', 'All · Count', 4, 13], ['MSVC', 'U18', 'Per 1,000', 'U18 · Per 1,000', 13, 13]]
    """
    rows = []
    for family in ("asvc", "msvc"):
        for band, band_label in RANK_BANDS:
            for measure, measure_label in RANK_MEASURES:
                hit = ranks[ranks["indicator_id"] == _rank_id(family, band, measure)]
                if len(hit):
                    rows.append({"Family": family.upper(), "Age band": band_label, "Measure": measure_label,
                                 "Band · measure": f"{band_label} · {measure_label}",
                                 "Maidstone rank": int(hit["value"].iloc[0]),
                                 "Districts ranked": int(hit["districts_ranked"].iloc[0])})
    return pd.DataFrame(rows, columns=["Family", "Age band", "Measure", "Band · measure", "Maidstone rank",
                                       "Districts ranked"])


# --- captions and figures -----------------------------------------------------------------------

def source_caption(df: pd.DataFrame) -> str:
    """"Source: …" for a table or chart: the report (and provider), the report's tables or paragraphs,
    and the kinds of period, all as published.

    >>> df = pd.DataFrame({"indicator_id": ["da_crimes"] * 2, "loaded_from": ["domestic_abuse.csv"] * 2,
    ...     "source_table": ["para 53 DA crimes table"] * 2, "period_type": ["custom"] * 2,
    ...     "period_start": [dt.date(2021, 12, 1), dt.date(2022, 12, 1)],
    ...     "period_end": [dt.date(2022, 11, 30), dt.date(2023, 11, 30)]})
    >>> print(source_caption(df))
    Source: SMP Strategic Assessment 2024/25 (para 53 DA crimes table). Periods: Dec–Nov year (12 months, not a calendar year), as published.
    """
    if df.empty:
        return ""
    sources = list(dict.fromkeys(source_label(i, f) for i, f in zip(df["indicator_id"], df["loaded_from"])))
    tables = list(dict.fromkeys(str(t) for t in df["source_table"] if t))
    kinds = list(dict.fromkeys(period_kind(t, s, e) for t, s, e in
                               zip(df["period_type"], df["period_start"], df["period_end"])))
    text = "; ".join(sources)
    if tables:
        text = text.replace(SOURCE, f"{SOURCE} ({'; '.join(tables)})", 1) if SOURCE in text else \
            f"{text} ({'; '.join(tables)})"
    return f"Source: {text}. Periods: {', '.join(kinds)}, as published."


def _legend_rows(names: Sequence[str], width_px: float) -> int:
    """About how many rows a horizontal legend takes: plotly gives every entry the widest entry's width
    (about 6 px a character plus the symbol).

    >>> _legend_rows(["ASB", "Noise"], 800), _legend_rows(["x" * 55] * 6, 800)
    (1, 3)
    """
    if not names:
        return 1
    per_row = max(1, int(width_px // (6.2 * max(len(str(n)) for n in names) + 40)))
    return -(-len(names) // per_row)


def bar_by_period(table: pd.DataFrame, title: str, y_title: str, stacked: bool = False,
                  totals: Sequence[float] | None = None, colours: Sequence[str] | None = None,
                  width_px: float = 800):
    """Bars from a :func:`numeric_pivot` table: one trace per row, periods (as published) along x.

    ``stacked`` only for rows that add up (never nested categories); ``totals`` (the published totals)
    are written above the stacks.

    >>> t = pd.DataFrame({"Measure": ["A", "B"], "2021/22 (financial year)": [1.0, 2.0]})
    >>> [tr.name for tr in bar_by_period(t, "t", "Count").data]
    ['A', 'B']
    """
    import plotly.graph_objects as go  # noqa: PLC0415

    from dashboard.charts import OKABE_ITO, base_layout  # noqa: PLC0415

    palette = list(colours or OKABE_ITO)
    periods = list(table.columns[1:])
    ticks = [p.replace(" – ", " –<br>").replace(" (", "<br>(").replace("calendar year ", "calendar year<br>")
             for p in periods]  # two lines: no slanted labels
    fig = go.Figure()
    for i, row in table.reset_index(drop=True).iterrows():
        fig.add_trace(go.Bar(x=periods, y=[row[p] for p in periods], name=str(row.iloc[0]),
                             marker_color=palette[i % len(palette)],
                             hovertemplate="%{x}: %{y:,}<extra>%{fullData.name}</extra>"))
    values = table[periods].apply(pd.to_numeric, errors="coerce")
    top = values.sum().max() if stacked else values.max().max()
    if totals is not None:
        fig.add_trace(go.Scatter(x=periods, y=list(totals), mode="text", name="Total (as published)",
                                 text=[f"{v:,.0f}" if v == v else "" for v in totals], textposition="top center",
                                 textfont=dict(size=13, color=theme.TEXT), hoverinfo="skip", showlegend=False))
        top = max(top, max((v for v in totals if v == v), default=0))
    rows = _legend_rows([str(n) for n in table.iloc[:, 0]], width_px)
    base_layout(fig, title, height=400 + 22 * rows, y_title=y_title)
    # the legend sits at the foot of the figure (container), in a margin kept for it: it never covers the
    # axis labels, even when the chart is first drawn in a hidden tab
    fig.update_layout(barmode="stack" if stacked else "group",
                      legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", xanchor="left", x=0),
                      margin=dict(b=55 + 22 * rows))
    fig.update_xaxes(type="category", tickmode="array", tickvals=periods, ticktext=ticks, tickangle=0)
    if top == top and top > 0:
        fig.update_yaxes(range=[0, top * 1.15])
    return fig


def rank_dot_figure(ranks: pd.DataFrame, title: str):
    """Maidstone's rank (1 = highest of the districts ranked) for each age band × measure, ASVC and MSVC
    side by side; the axis runs from 1 (left) to the number of districts.

    >>> r = pd.DataFrame({"Family": ["ASVC", "MSVC"], "Band · measure": ["All · Count"] * 2,
    ...                   "Maidstone rank": [4, 7], "Districts ranked": [13, 13]})
    >>> [tr.name for tr in rank_dot_figure(r, "t").data]
    ['ASVC (all serious violent crime)', 'MSVC (most serious violent crime)']
    """
    import plotly.graph_objects as go  # noqa: PLC0415

    from dashboard.charts import base_layout  # noqa: PLC0415

    names = {"ASVC": "ASVC (all serious violent crime)", "MSVC": "MSVC (most serious violent crime)"}
    styles = {"ASVC": (theme.OKABE_ITO[0], "circle"), "MSVC": (theme.OKABE_ITO[1], "diamond")}  # blue / orange
    order = list(dict.fromkeys(ranks["Band · measure"]))
    position = {label: len(order) - 1 - i for i, label in enumerate(order)}  # first row on top
    offsets = {"ASVC": 0.2, "MSVC": -0.2}  # side by side, so equal ranks never hide each other
    fig = go.Figure()
    for family, part in ranks.groupby("Family", sort=True):
        colour, symbol = styles.get(family, (theme.BLACK, "square"))
        fig.add_trace(go.Scatter(
            x=part["Maidstone rank"], y=[position[b] + offsets.get(family, 0) for b in part["Band · measure"]],
            mode="markers", name=names.get(family, family), customdata=part["Band · measure"],
            marker=dict(size=12, color=colour, symbol=symbol, line=dict(color=theme.WHITE, width=1)),
            hovertemplate="%{customdata}: rank %{x}<extra>%{fullData.name}</extra>"))
    n = int(ranks["Districts ranked"].max()) if len(ranks) else 13
    base_layout(fig, title, height=580)
    fig.update_xaxes(range=[0.5, n + 0.5], dtick=1, title=f"Rank among {n} districts (1 = highest)", showgrid=True,
                     gridcolor=theme.GRID)
    fig.update_yaxes(tickmode="array", tickvals=list(position.values()), ticktext=list(position.keys()),
                     range=[-0.6, len(order) - 0.4], title=None, tickformat=None, rangemode="normal", showgrid=False)
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", xanchor="left", x=0),
                      margin=dict(b=110))
    return fig


def area_pivot(df: pd.DataFrame, rows: Sequence[tuple[str, str]], first_col: str = "Area") -> pd.DataFrame:
    """One row per area (as published, in order of appearance), one column per indicator, as text in its
    unit; for figures of the same period compared across areas (never added up).

    >>> df = pd.DataFrame({"indicator_id": ["r", "r", "i"], "area_name": ["Maidstone", "West Kent", "Maidstone"],
    ...                    "unit": "count", "value": [348.0, 972.0, 167.0]})
    >>> area_pivot(df, [("r", "Reports"), ("i", "Individuals")]).values.tolist()
    [['Maidstone', '348', '167'], ['West Kent', '972', 'not published']]
    """
    sel = df[df["indicator_id"].isin([i for i, _ in rows])]
    areas = list(dict.fromkeys(sel["area_name"]))
    found = {(i, a): (v, u) for i, a, v, u in zip(sel["indicator_id"], sel["area_name"], sel["value"], sel["unit"])}
    out = {first_col: areas}
    for i, label in rows:
        out[label] = [format_value(*found[(i, a)]) if (i, a) in found else NOT_PUBLISHED for a in areas]
    return pd.DataFrame(out)

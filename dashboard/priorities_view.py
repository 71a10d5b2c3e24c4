"""Data shaping and figures for the SMP priorities page: pure functions, no Streamlit.

The page shows one section per SMP priority and cross-cutting theme. For the ones police.uk
can measure (``measurable`` 'yes' or 'partial') each section has a monthly series (the
priority's police.uk crime types, and for the town centre only High Street ward), an XmR
(SPC) chart of it, and the same months side by side across years (seasonality).

Choices made here, and why:

* **Series over every loaded month**, whatever period is selected: control limits need
  enough points (at least 6 months with data and 5 moving ranges, and fewer than 12 makes
  them provisional), and a three-month period would give none. The selected period is
  used for the counts, the comparison and the "latest month" signal.
* **Default SPC baseline: every month with data.** The store has 27 months in three
  blocks (Jan–Nov 2022, Jan–Apr 2024, all of 2025); the "first 12 months with data" would
  be 11 months of 2022 plus Jan 2024 across a 13-month gap, while all months give 24
  moving ranges. A narrower baseline can be chosen to judge later months against it.

>>> import datetime as dt
>>> parse_baseline("2025-01:2025-06", [dt.date(2025, m, 1) for m in range(1, 13)])[0].label
'Jan 2025 – Jun 2025'
>>> parse_baseline("garbage", [dt.date(2025, 1, 1)])[1][:40]
"Ignored URL parameter baseline='garbage'"
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import altair as alt
import pandas as pd

from analytics.periods import Period, format_month, month_label, parse_month, shift_months
from analytics.rates import pct_change
from analytics.significance import compare_counts
from analytics.spc import MIN_BASELINE_MOVING_RANGES, MIN_BASELINE_POINTS, XmRChart, seasonal_table, xmr_chart
from dashboard import explain, theme
from dashboard.charts import (  # noqa: F401  (delta_style re-exported for the page)
    CLASS_COLOURS,
    DECREASE,
    INCREASE,
    OKABE_ITO,
    delta_style,
)
from dashboard.vega import (
    DASH_ARRAYS,
    MONTH_FORMAT,
    VegaFigure,
    band_layer,
    configure,
    gap_layer,
    segments,
    trend_chart,
    utc,
)

__all__ = [
    "PRIORITY_ORDER",
    "SHORT_NAMES",
    "WOULD_MEASURE",
    "MEASURABLE_LABELS",
    "SIGNAL_KINDS",
    "ordered_priorities",
    "parse_view",
    "parse_baseline",
    "baseline_problem",
    "baseline_param",
    "default_baseline",
    "effective_types",
    "measure_label",
    "priority_series",
    "components_long",
    "period_figures",
    "spc_for",
    "latest_signal",
    "summary_table",
    "xmr_display_table",
    "signal_points",
    "seasonal_display_table",
    "spc_figure",
    "seasonal_figure",
    "components_figure",
    "context_figure",
    "months_between",
    "has_records",
    "section_data",
    "all_sections",
    "SPC_HOW",
    "baseline_help",
    "can_cannot_blocks",
    "delta_style",
]

PRIORITY_ORDER = (
    "serious_violence_organised_crime",
    "domestic_abuse",
    "safe_town_centre",
    "children_young_people",
    "asb",
    "substance_misuse",
    "public_perception",
    "public_health",
    "mental_health",
    "reoffending",
)
SHORT_NAMES = {
    "serious_violence_organised_crime": "Serious violence & organised crime",
    "domestic_abuse": "Domestic abuse",
    "safe_town_centre": "Safe town centre",
    "children_young_people": "Children & young people",
    "asb": "Anti-social behaviour",
    "substance_misuse": "Substance misuse",
    "public_perception": "Public perception",
    "public_health": "Public health",
    "mental_health": "Mental health",
    "reoffending": "Reoffending",
}
# What would measure each one: the partner data the Strategic Assessment 2024/25 uses.
WOULD_MEASURE = {
    "serious_violence_organised_crime": "Kent and Medway Violence Reduction Unit rankings of serious violence "
    "(count, harm and rate), hospital admissions for assault, hate crime and serious organised crime panel "
    "intelligence.",
    "domestic_abuse": "Kent Police domestic-abuse crime figures (borough and ward, Strategic Assessment "
    "Tables 6 and 7), MARAC cases and repeat cases, children living in MARAC households and sanctuary referrals.",
    "safe_town_centre": "The Town Centre Task Force figures (Strategic Assessment para 64), Best Bar None "
    "venues and the 326 Youth Hub.",
    "children_young_people": "Missing children and exploitation (M-CET) figures, youth justice (youth offences "
    "and offenders), the Child Centred Policing Team and the 326 Youth Hub.",
    "asb": "Council Community Protection Team service requests, community protection warnings and notices "
    "(CPWs and CPNs) and ASB case reviews.",
    "substance_misuse": "Needle finds, drug and alcohol treatment figures and hospital admissions.",
    "public_perception": "The partnership's public, residents' and youth safety surveys (feeling safe, "
    "confidence that ASB and crime are dealt with).",
    "public_health": "Hospital admissions (for assault, self-harm and substance misuse) and other NHS and "
    "public-health data.",
    "mental_health": "Mental-health referrals, uses of Mental Health Act section 136 and Community Safety and "
    "Vulnerability Group (CSVG) referrals.",
    "reoffending": "Offender-level data: the Integrated Offender Management (IOM) cohort and probation "
    "reoffending rates (only national figures are published).",
}
MEASURABLE_LABELS = {"yes": "Yes", "partial": "Partly", "no": "No"}
KIND_LABELS = {"priority": "SMP priority", "theme": "Cross-cutting theme"}

# (flag column, legend text, marker symbol, colour): shape says which rule, colour which direction
# (orange = up/above, purple = down/below). When a month meets several rules the first listed wins.
SIGNAL_KINDS = (
    ("above_ucl", "Above the usual range", "diamond", INCREASE),
    ("below_lcl", "Below the usual range", "diamond", DECREASE),
    ("run_above", "7+ months in a row above average", "square", INCREASE),
    ("run_below", "7+ months in a row below average", "square", DECREASE),
    ("trend_up", "Rising 6+ months in a row", "triangle-up", INCREASE),
    ("trend_down", "Falling 6+ months in a row", "triangle-down", DECREASE),
)
SIGNAL_COLUMN = "Latest month unusual?"  # the SPC signal, in the summary table
VALUE_COLOUR, BASELINE_COLOUR, PERIOD_FILL = theme.VALUE_COLOUR, theme.BASELINE_COLOUR, theme.PERIOD_FILL
_MAX_PARAM = 40


# --- priorities and URL parameters -------------------------------------------------------------

def ordered_priorities(prios: pd.DataFrame) -> pd.DataFrame:
    """The ``priorities`` query result in page order (priorities, then themes), with ``short_name``.

    >>> df = pd.DataFrame({"priority_id": ["asb", "domestic_abuse", "new_one"], "name": ["A", "D", "N"]})
    >>> ordered_priorities(df)[["priority_id", "short_name"]].values.tolist()
    [['domestic_abuse', 'Domestic abuse'], ['asb', 'Anti-social behaviour'], ['new_one', 'N']]
    """
    rank = {pid: i for i, pid in enumerate(PRIORITY_ORDER)}
    out = prios.assign(_rank=[rank.get(p, len(rank)) for p in prios["priority_id"]])
    out = out.sort_values(["_rank", "priority_id"], kind="stable").drop(columns="_rank").reset_index(drop=True)
    out["short_name"] = [SHORT_NAMES.get(p, n) for p, n in zip(out["priority_id"], out["name"])]
    return out


def _ignored(key: str, raw: object, why: str) -> str:
    shown = str(raw)[:_MAX_PARAM] + ("…" if len(str(raw)) > _MAX_PARAM else "")
    return f"Ignored URL parameter {key}={shown!r}: {why}."


def parse_view(raw: object, ids: Sequence[str]) -> tuple[str | None, str | None]:
    """Validate ``view=<priority_id>``: (the id or None, a message when it was refused).

    >>> parse_view("asb", ["asb", "domestic_abuse"])
    ('asb', None)
    >>> parse_view("<b>", ["asb"])[1]
    "Ignored URL parameter view='<b>': not a priority or theme; use one of: asb."
    """
    if raw is None or str(raw).strip() == "":
        return None, None
    value = str(raw).strip()
    if value in ids:
        return value, None
    return None, _ignored("view", raw, f"not a priority or theme; use one of: {', '.join(ids)}")


def default_baseline(present_months: Iterable[dt.date]) -> Period:
    """Every month from the first to the last with data (the SPC default)."""
    months = sorted(present_months)
    return Period(months[0], months[-1])


def baseline_problem(period: Period, present_months: Iterable[dt.date]) -> str | None:
    """Why ``period`` cannot set control limits (too few months or moving ranges), or None.

    Mirrors :func:`analytics.spc.xmr_chart`: a moving range needs two consecutive months
    with data, both in the baseline.

    >>> present = [dt.date(2024, m, 1) for m in range(1, 5)]
    >>> baseline_problem(Period(dt.date(2024, 1, 1), dt.date(2024, 12, 1)), present)
    'the baseline Jan 2024 – Dec 2024 has 4 month(s) with data; at least 6 are needed'
    """
    have = set(present_months)
    points = [m for m in period.months if m in have]
    ranges = [m for m in points if shift_months(m, -1) in have and shift_months(m, -1) in period]
    if len(points) < MIN_BASELINE_POINTS:
        return (f"the baseline {period.label} has {len(points)} month(s) with data; "
                f"at least {MIN_BASELINE_POINTS} are needed")
    if len(ranges) < MIN_BASELINE_MOVING_RANGES:
        return (f"the baseline {period.label} has {len(ranges)} pair(s) of consecutive months with data; "
                f"at least {MIN_BASELINE_MOVING_RANGES} are needed (moving ranges never span a gap)")
    return None


def parse_baseline(raw: object, present_months: Iterable[dt.date]) -> tuple[Period | None, str | None]:
    """Validate ``baseline=YYYY-MM:YYYY-MM``: (the period or None for the default, a message).

    The period must lie within the loaded months and give enough data for control limits.

    >>> present = [dt.date(2025, m, 1) for m in range(1, 13)]
    >>> parse_baseline(None, present)
    (None, None)
    >>> parse_baseline("2025-06:2025-01", present)[1]
    "Ignored URL parameter baseline='2025-06:2025-01': the baseline ends before it starts."
    >>> "2 month(s) with data" in parse_baseline("2025-01:2025-02", present)[1]
    True
    """
    if raw is None or str(raw).strip() == "":
        return None, None
    text = str(raw).strip()
    if len(text) > _MAX_PARAM:
        return None, _ignored("baseline", raw, "it is too long")
    start_text, sep, end_text = text.partition(":")
    if not sep:
        return None, _ignored("baseline", raw, "use two months as YYYY-MM:YYYY-MM, e.g. 2025-01:2025-06")
    try:
        start, end = parse_month(start_text), parse_month(end_text)
    except ValueError as exc:
        return None, _ignored("baseline", raw, str(exc))
    if end < start:
        return None, _ignored("baseline", raw, "the baseline ends before it starts")
    have = sorted(present_months)
    if not have:
        return None, _ignored("baseline", raw, "there is no data")
    if start < have[0] or end > have[-1]:
        return None, _ignored("baseline", raw,
                              f"the data covers {month_label(have[0])} to {month_label(have[-1])} only")
    period = Period(start, end)
    problem = baseline_problem(period, have)
    if problem:
        return None, _ignored("baseline", raw, problem)
    return period, None


def baseline_param(period: Period, default: Period) -> str | None:
    """The URL value for a baseline; None when it is the default (kept out of the URL).

    >>> default = Period(dt.date(2022, 1, 1), dt.date(2025, 12, 1))
    >>> baseline_param(Period(dt.date(2025, 1, 1), dt.date(2025, 6, 1)), default)
    '2025-01:2025-06'
    """
    if period == default:
        return None
    return f"{format_month(period.start)}:{format_month(period.end)}"


# --- series ---------------------------------------------------------------------------------------

def effective_types(measure_types: Iterable[str], classes: Iterable[str], crime_types: Iterable[str],
                    type_classes: dict[str, str]) -> tuple[str, ...]:
    """The priority's crime types that the shared class and type filters let through.

    >>> tc = {"Drugs": "CAS", "Robbery": "VBC", "Anti-social behaviour": "ASB"}
    >>> effective_types(["Drugs", "Robbery"], ["VBC", "ASB"], [], tc)
    ('Robbery',)
    >>> effective_types(["Drugs", "Robbery"], ["VBC", "CAS"], ["Drugs"], tc)
    ('Drugs',)
    """
    classes, chosen = set(classes), set(crime_types)
    return tuple(t for t in measure_types
                 if type_classes.get(t) in classes and (not chosen or t in chosen))


def measure_label(priority: dict, types: Sequence[str]) -> str:
    """What the police.uk series counts, in words (names the ward for an area rule).

    >>> measure_label({"measure_types": ["Drugs"], "area_rule": ""}, ["Drugs"])
    'Drugs'
    >>> measure_label({"measure_types": ["A", "B"], "area_rule": "ward:High Street"}, ["A", "B"])
    'All police.uk crime and ASB records in High Street ward'
    >>> measure_label({"measure_types": ["A", "B"], "area_rule": ""}, ["B"])
    'B (only these types: the crime class/type filters leave out A)'
    """
    all_types = list(priority["measure_types"])
    area = str(priority.get("area_rule") or "")
    ward = area.replace("ward:", "") if area.startswith("ward:") else ""
    if ward and list(types) == all_types:
        return f"All police.uk crime and ASB records in {ward} ward"
    text = ", ".join(types)
    if ward:
        text += f" in {ward} ward"
    left_out = [t for t in all_types if t not in types]
    if left_out:
        text += f" (only these types: the crime class/type filters leave out {', '.join(left_out)})"
    return text


def _float_records(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64")


def priority_series(monthly: pd.DataFrame, priority_id: str, months: Sequence[dt.date],
                    role: str = "measure") -> pd.Series:
    """Monthly total of a priority's types over ``months``: NaN for a month with no data.

    ``monthly`` is the ``priority_monthly_by_type`` result (month, priority_id, crime_type,
    role, records with NULL for missing months).

    >>> m = [dt.date(2022, 1, 1), dt.date(2022, 2, 1)]
    >>> df = pd.DataFrame({"month": m * 2, "priority_id": "p", "role": "measure",
    ...                    "crime_type": ["A", "A", "B", "B"], "records": pd.array([3, None, 4, None], dtype="Int64")})
    >>> priority_series(df, "p", m).tolist()
    [7.0, nan]
    """
    sel = monthly[(monthly["priority_id"] == priority_id) & (monthly["role"] == role)]
    totals = sel.assign(records=_float_records(sel["records"])).groupby("month")["records"].sum(min_count=1)
    index = pd.Index(list(months), dtype=object, name="month")
    return totals.reindex(index).rename("records")


def components_long(monthly: pd.DataFrame, priority_id: str, months: Sequence[dt.date], by: str) -> pd.DataFrame:
    """Monthly records per ``by`` ('crime_type' or 'crime_class') for the breakdown chart; NaN = gap.

    >>> m = [dt.date(2022, 1, 1)]
    >>> df = pd.DataFrame({"month": m * 2, "priority_id": "p", "role": "measure", "crime_type": ["A", "B"],
    ...                    "crime_class": ["VBC", "VBC"], "records": pd.array([3, 4], dtype="Int64")})
    >>> components_long(df, "p", m, "crime_class")[["component", "records"]].values.tolist()
    [['VBC', 7.0]]
    """
    sel = monthly[(monthly["priority_id"] == priority_id) & (monthly["role"] == "measure")
                  & monthly["month"].isin(list(months))]
    sel = sel.assign(records=_float_records(sel["records"]))
    out = sel.groupby([by, "month"], sort=True)["records"].sum(min_count=1).reset_index()
    return out.rename(columns={by: "component"})[["month", "component", "records"]]


# --- numbers --------------------------------------------------------------------------------------

def period_figures(series: pd.Series, period_months: Sequence[dt.date], months: Sequence[dt.date],
                   comparison_months: Sequence[dt.date]) -> dict:
    """Records in the period's months with data, and the like-for-like change with its exact test.

    >>> s = pd.Series({dt.date(2024, 1, 1): 90.0, dt.date(2025, 1, 1): 120.0})
    >>> r = period_figures(s, [dt.date(2025, 1, 1)], [dt.date(2025, 1, 1)], [dt.date(2024, 1, 1)])
    >>> r["records"], r["change"], r["verdict"], round(r["p_value"], 3)
    (120, 30, 'Significant increase', 0.045)
    """
    def total(ms):
        return int(series.reindex(list(ms)).fillna(0).sum())

    out = {"records": total(period_months), "months_with_data": len(period_months)}
    if comparison_months:
        cur, prev = total(months), total(comparison_months)
        test = compare_counts(cur, prev, len(months), len(comparison_months))
        out.update({"records_compared": cur, "records_comparison": prev, "change": cur - prev,
                    "pct_change": pct_change(cur, prev), "p_value": test.p_value, "verdict": test.verdict})
    return out


def spc_for(series: pd.Series, baseline: Period | None) -> tuple[XmRChart | None, str | None]:
    """The XmR chart over the months from the first to the last with data; (None, why) if impossible.

    A baseline that does not suit this series falls back to the default (all months),
    and the message says so.
    """
    present = series.dropna()
    if present.empty:
        return None, "There is no month with data, so there is nothing to chart."
    trimmed = series.loc[present.index[0]:present.index[-1]]
    try:
        return xmr_chart(trimmed, baseline=baseline), None
    except ValueError as exc:
        if baseline is None:
            return None, f"No SPC chart: {exc}"
        why = str(exc)
    try:
        return xmr_chart(trimmed), f"The chosen baseline cannot be used here, so all months are used: {why}"
    except ValueError as exc:
        return None, f"No SPC chart: {exc}"


def latest_signal(chart: XmRChart | None, period_months: Sequence[dt.date]) -> tuple[dt.date | None, str]:
    """The SPC signal (rules met, in words) in the latest month of the period that has data.

    >>> latest_signal(None, [])
    (None, '—')
    """
    if chart is None or not period_months:
        return None, "—"
    month = max(period_months)
    row = chart.table[chart.table["month"] == month]
    if row.empty or bool(row["is_missing"].iloc[0]):
        return month, "—"
    text = str(row["signal"].iloc[0])
    return month, explain.signal_words(text) if text else "No signal"


def summary_table(prios: pd.DataFrame, sections: dict[str, dict], periods: dict[str, str] | None = None) -> pd.DataFrame:
    """The summary table: one row per priority/theme (``prios`` ordered by :func:`ordered_priorities`).

    ``sections[priority_id]`` is the :func:`section_data` result: ``measure`` (words), and for
    measured ones ``figures`` (:func:`period_figures`) and ``signal``. Unmeasurable ones
    have no counts (never a zero, never a proxy's count).

    >>> p = ordered_priorities(pd.DataFrame({"priority_id": ["asb", "reoffending"], "name": ["A", "R"],
    ...                                      "kind": ["theme", "theme"], "measurable": ["yes", "no"]}))
    >>> t = summary_table(p, {"asb": {"measure": "ASB", "figures": {"records": 5}, "signal": "No signal"},
    ...                       "reoffending": {"measure": "Not measurable"}})
    >>> t["Records"].tolist(), t["Significance"].tolist(), t[SIGNAL_COLUMN].tolist()
    ([5, <NA>], ['No comparison', '—'], ['No signal', '—'])
    """
    out = []
    for p in prios.itertuples():
        r = sections.get(p.priority_id, {})
        fig = r.get("figures") or {}
        out.append({
            "Priority or theme": p.short_name,
            "Measurable from police.uk": MEASURABLE_LABELS.get(p.measurable, p.measurable),
            "Records": fig.get("records"),
            "Change": fig.get("change"),
            "% change": fig.get("pct_change"),
            "Significance": fig.get("verdict", "No comparison" if "records" in fig else "—"),
            SIGNAL_COLUMN: r.get("signal", "—"),
            "Records (months compared)": fig.get("records_compared"),
            "Comparison records": fig.get("records_comparison"),
            "p-value": fig.get("p_value"),
            "Type": KIND_LABELS.get(p.kind, p.kind),
            "police.uk measure": r.get("measure", "Not measurable from police.uk: partner data needed"),
        })
    table = pd.DataFrame(out)
    for col in ("Records", "Records (months compared)", "Comparison records", "Change"):
        table[col] = _int_or_na(table[col])
    for col in ("% change", "p-value"):
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("float64")
    return table if periods is None else _with_months(table, periods)


def _with_months(table: pd.DataFrame, periods: dict[str, str]) -> pd.DataFrame:
    """The summary with headings that say their months (``dashboard.compare.period_columns``): the
    like-for-like months, their comparison and the change first (the figure pair), then the whole
    period's records.

    >>> t = pd.DataFrame({"Priority or theme": ["ASB"], "Measurable from police.uk": ["Yes"], "Records": [30],
    ...     "Change": [2], "% change": [20.0], "Significance": ["n"], SIGNAL_COLUMN: ["No signal"],
    ...     "Records (months compared)": [12], "Comparison records": [10], "p-value": [0.8], "Type": ["Theme"],
    ...     "police.uk measure": ["ASB"]})
    >>> list(_with_months(t, {"whole": "Jan–Dec 2025 (whole period)", "current": "Jan–Apr 2025",
    ...                       "comparison": "Jan–Apr 2024"}).columns)[:7]
    ['Priority or theme', 'Records, Jan–Apr 2025', 'Records, Jan–Apr 2024', 'Change', '% change', 'Significance', 'Records, Jan–Dec 2025 (whole period)']
    """
    names = {"Records": f"Records, {periods['whole']}"}
    drop = []
    if periods.get("current"):
        names["Records (months compared)"] = f"Records, {periods['current']}"
    else:
        drop.append("Records (months compared)")
    if periods.get("comparison"):
        names["Comparison records"] = f"Records, {periods['comparison']}"
    else:
        drop += ["Comparison records", "Change", "% change", "p-value"]
    first = "Records (months compared)" if periods.get("current") else "Records"  # the value the change is of
    order = ["Priority or theme", first, "Comparison records", "Change", "% change", "Significance", "Records",
             SIGNAL_COLUMN, "Measurable from police.uk", "p-value", "Type", "police.uk measure"]
    order = list(dict.fromkeys(order))
    return table[[c for c in order if c not in drop]].rename(columns=names)


# --- tables ---------------------------------------------------------------------------------------

def _int_or_na(values: Iterable[float]) -> pd.arrays.IntegerArray:
    return pd.array([None if pd.isna(v) else int(round(v)) for v in values], dtype="Int64")


def xmr_display_table(chart: XmRChart) -> pd.DataFrame:
    """The XmR table as shown and downloaded: one row per month, gaps included ("no data").

    >>> s = pd.Series([10, 12, 11, 13, 12, 11, 10], index=[dt.date(2024, m, 1) for m in range(1, 8)])
    >>> t = xmr_display_table(xmr_chart(s))
    >>> list(t.columns)[:4], t["records"].tolist()[:2], t["moving range"].tolist()[:2]
    (['month', 'records', 'in baseline', 'centre line'], [10, 12], [<NA>, 2])
    """
    t = chart.table
    signal = [("no data (gap)" if miss else (s or "")) for miss, s in zip(t["is_missing"], t["signal"])]
    return pd.DataFrame({
        "month": list(t["month"]),
        "records": _int_or_na(t["value"]),
        "in baseline": ["yes" if b else "" for b in t["in_baseline"]],
        "centre line": t["centre"].round(1),
        "upper control limit": t["ucl"].round(1),
        "lower control limit": t["lcl"].round(1),
        "moving range": _int_or_na(t["moving_range"]),
        "signal": signal,
    })


def signal_points(chart: XmRChart) -> pd.DataFrame:
    """One row per month with a signal: month, value, ``kind`` (the marker's rule) and ``signal`` (all rules).

    >>> s = pd.Series([10, 12, 11, 13, 12, 11, 10, 12, 11, 13, 40, 12],
    ...               index=[dt.date(2024, m, 1) for m in range(1, 13)])
    >>> chart = xmr_chart(s, Period(dt.date(2024, 1, 1), dt.date(2024, 10, 1)))
    >>> signal_points(chart)[["value", "kind"]].values.tolist()
    [[40.0, 'above_ucl']]
    """
    t = chart.table[chart.table["is_signal"]]
    kinds = [next(k for k, *_ in SIGNAL_KINDS if row[k]) for _, row in t.iterrows()]
    return pd.DataFrame({"month": list(t["month"]), "value": list(t["value"]), "kind": kinds,
                         "signal": list(t["signal"])})


def seasonal_display_table(series: pd.Series) -> pd.DataFrame:
    """Jan–Dec rows, one column per year (as text), whole numbers; NA where a month has no data.

    >>> s = pd.Series([4.0, 5.0], index=[dt.date(2023, 12, 1), dt.date(2024, 1, 1)])
    >>> t = seasonal_display_table(s)
    >>> list(t.columns), int(t.loc[0, "2024"]), int(t.loc[11, "2023"]), t.loc[0, "2023"]
    (['month', '2023', '2024'], 5, 4, <NA>)
    """
    table = seasonal_table(series)
    out = pd.DataFrame({"month": list(table.index)})
    for year in table.columns:
        out[str(year)] = _int_or_na(table[year])
    return out


# --- figures --------------------------------------------------------------------------------------

SIGNAL_SHAPES = {"diamond": "diamond", "square": "square", "triangle-up": "triangle-up",
                 "triangle-down": "triangle-down"}  # Plotly's marker names -> Vega's symbol shapes (the same here)
SPC_HEIGHT = 360  # the plot; each legend row adds 22 px


def _legend_scales(entries: list[tuple[str, str, str, list[int]]]) -> dict:
    """One legend for several layers: (name, colour, shape, dash) per entry -> the colour, shape and dash
    scales every layer encodes with the field ``series`` (Vega-Lite merges them into one legend)."""
    names = [e[0] for e in entries]
    return {"color": alt.Scale(domain=names, range=[e[1] for e in entries]),
            "shape": alt.Scale(domain=names, range=[e[2] for e in entries]),
            "strokeDash": alt.Scale(domain=names, range=[e[3] for e in entries])}


def _legend_encoding(scales: dict) -> dict:
    legend = alt.Legend(title=None, symbolStrokeWidth=2.5, symbolSize=160, symbolOpacity=1, columns=1)  # a phone
    return {"color": alt.Color("series:N", scale=scales["color"], legend=legend),
            "shape": alt.Shape("series:N", scale=scales["shape"], legend=legend),
            "strokeDash": alt.StrokeDash("series:N", scale=scales["strokeDash"], legend=legend)}


def spc_figure(chart: XmRChart, title: str, y_title: str, period: Period | None = None,
               show_baseline: bool = True, value_name: str = "Monthly records") -> VegaFigure:
    """XmR chart (Vega-Lite): the monthly line (broken at gaps), centre line, control limits (dashed), signal
    markers (a shape per kind, as well as a colour), missing months shaded "no data".

    ``period`` (the selected period) is shaded orange; the baseline is a light-blue bar along the foot when
    ``show_baseline`` (leave it out when the baseline is every month). ``value_name`` names the monthly line
    in the legend (e.g. "Monthly needle finds").

    >>> s = pd.Series([10, 12, 11, 13, 12, 11, 10, 12, 11, 13, 40, 12],
    ...               index=[dt.date(2024, m, 1) for m in range(1, 13)])
    >>> fig = spc_figure(xmr_chart(s, Period(dt.date(2024, 1, 1), dt.date(2024, 10, 1))), "t", "Records")
    >>> fig.meta["legend"]
    ['Monthly records', 'Average of the baseline months', 'Usual range (dashed)', 'Above the usual range']
    """
    t, lim = chart.table, chart.limits
    months = list(t["month"])
    points = signal_points(chart)
    kinds = [k for k in SIGNAL_KINDS if (points["kind"] == k[0]).any()]
    entries = [(value_name, VALUE_COLOUR, "stroke", DASH_ARRAYS["solid"]),
               ("Average of the baseline months", theme.BLACK, "stroke", DASH_ARRAYS["solid"]),
               ("Usual range (dashed)", theme.AXIS, "stroke", DASH_ARRAYS["dash"])]
    entries += [(label, colour, SIGNAL_SHAPES[symbol], DASH_ARRAYS["solid"]) for _, label, symbol, colour in kinds]
    enc = _legend_encoding(_legend_scales(entries))
    half = pd.Timedelta(days=15)  # half a month either side, so the bands of the first and last months fit
    x = alt.X("month:T", title=None, scale=alt.Scale(type="utc", domain=[(utc([months[0]])[0] - half).isoformat(),
                                                                         (utc([months[-1]])[0] + half).isoformat()]),
              axis=alt.Axis(format=MONTH_FORMAT, labelAngle=0, labelOverlap=True, grid=False))
    y = alt.Y("value:Q", title=y_title, axis=alt.Axis(format=",d", tickMinStep=1), scale=alt.Scale(zero=True))
    layers = []
    if period is not None:
        layers.append(band_layer(period.start, period.end, "selected period"))
    if (gaps := gap_layer(months, list(~t["is_missing"]))) is not None:
        layers.append(gaps)
    if show_baseline:  # a bar along the foot of the chart, so it never blends with the shaded bands
        base = pd.DataFrame({"from": utc([pd.Timestamp(lim.baseline.start) - pd.Timedelta(days=15)]),
                             "to": utc([pd.Timestamp(lim.baseline.end) + pd.Timedelta(days=15)]),
                             "label": ["baseline"]})
        foot = alt.datum(0)  # the y axis starts at zero: the plot's foot
        layers.append(alt.Chart(base).mark_rule(color=BASELINE_COLOUR, strokeWidth=8, yOffset=-4).encode(
            x="from:T", x2="to:T", y=foot))
        layers.append(alt.Chart(base).mark_text(align="left", baseline="bottom", dy=-10, fontSize=12,
                                                color=theme.OUTLINE).encode(x="from:T", y=foot, text="label:N"))
    ends = utc([months[0], months[-1]])
    rules = pd.DataFrame({"month": list(ends) * 3, "value": [lim.centre] * 2 + [lim.ucl] * 2 + [lim.lcl] * 2,
                          "series": ["Average of the baseline months"] * 2 + ["Usual range (dashed)"] * 4,
                          "line": ["centre"] * 2 + ["ucl"] * 2 + ["lcl"] * 2,
                          "what": ["Centre line"] * 2 + ["Upper control limit"] * 2 + ["Lower control limit"] * 2})
    layers.append(alt.Chart(rules).mark_line(strokeWidth=1.5).encode(
        x=x, y=y, detail="line:N", **enc,
        tooltip=[alt.Tooltip("what:N", title="Line"), alt.Tooltip("value:Q", title=y_title, format=",.1f")]))
    line = segments(pd.DataFrame({"series": value_name, "month": months, "value": t["value"].astype("float64")}),
                    "series", "month", "value")
    line = line.assign(month=utc(line["month"]), month_label=[month_label(m) for m in line["month"]])
    tips = [alt.Tooltip("month_label:N", title="Month"), alt.Tooltip("value:Q", title=y_title, format=",")]
    layers.append(alt.Chart(line).mark_line(strokeWidth=2.5).encode(x=x, y=y, detail="segment:N", **enc,
                                                                    tooltip=tips))
    layers.append(alt.Chart(line).mark_point(size=40, filled=True, opacity=1).encode(
        x=x, y=y, color=enc["color"], tooltip=tips))
    if kinds:
        marks = points.merge(pd.DataFrame([(k, label) for k, label, *_ in kinds], columns=["kind", "series"]))
        marks = marks.assign(month_label=[month_label(m) for m in marks["month"]], month=utc(marks["month"]))
        layers.append(alt.Chart(marks).mark_point(size=170, filled=True, opacity=1, stroke=theme.WHITE,
                                                  strokeWidth=1.5).encode(
            x=x, y=y, color=enc["color"], shape=enc["shape"],
            tooltip=[*tips, alt.Tooltip("signal:N", title="Why unusual")]))
    # the legend (one entry per row, so that a phone shows every entry) shares the chart's height
    fig = configure(alt.layer(*layers).properties(height=SPC_HEIGHT + 22 * len(entries), width="container"))
    return VegaFigure(fig, title=title, description=f"{title}: control chart of {value_name.lower()} by month.",
                      meta={"legend": [e[0] for e in entries]})


def seasonal_figure(table: pd.DataFrame, title: str, y_title: str) -> VegaFigure:
    """One line per year over Jan–Dec (from :func:`seasonal_display_table`), the latest solid and thickest, a
    dash pattern per earlier year; gaps break the lines. Years with no data at all are left out (the caption
    says which).

    >>> s = pd.Series([4.0, None, 6.0], index=[dt.date(2022, 1, 1), dt.date(2023, 1, 1), dt.date(2024, 1, 1)])
    >>> seasonal_figure(seasonal_display_table(s), "t", "Records").meta["years"]
    ['2022', '2024']
    """
    years = [c for c in table.columns if c != "month" and table[c].notna().any()]
    dashes = ("dot", "dash", "dashdot", "solid")
    long = pd.DataFrame({"month": [m for _ in years for m in table["month"]],
                         "year": [y for y in years for _ in table["month"]],
                         "value": [v for y in years for v in table[y].astype("float64")]})
    order = {m: i for i, m in enumerate(table["month"])}
    pts = segments(long.assign(pos=[order[m] for m in long["month"]]), "year", "pos", "value")
    last = years[-1] if years else None
    pts = pts.assign(latest=[y == last for y in pts["year"]])
    colour = alt.Scale(domain=years, range=[theme.OKABE_ITO[i % len(theme.OKABE_ITO)] for i in range(len(years))])
    dash = alt.Scale(domain=years, range=[DASH_ARRAYS["solid" if y == last else dashes[i % len(dashes)]]
                                          for i, y in enumerate(years)])
    legend = alt.Legend(title=None, symbolType="stroke", symbolStrokeWidth=2.5, symbolSize=400, symbolOpacity=1)
    base = alt.Chart(pts).encode(
        x=alt.X("month:O", sort=list(table["month"]), title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=",d", tickMinStep=1), scale=alt.Scale(zero=True)),
        color=alt.Color("year:N", scale=colour, legend=legend),
        tooltip=[alt.Tooltip("year:N", title="Year"), alt.Tooltip("month:N", title="Month"),
                 alt.Tooltip("value:Q", title=y_title, format=",")])
    lines = base.mark_line().encode(detail="segment:N", strokeDash=alt.StrokeDash("year:N", scale=dash, legend=legend),
                                    strokeWidth=alt.condition("datum.latest", alt.value(3), alt.value(2)))
    dots = base.mark_point(filled=True, size=45, opacity=1)
    fig = configure(alt.layer(lines, dots).properties(height=380, width="container"))
    return VegaFigure(fig, title=title, description=f"{title}: one line per calendar year.", meta={"years": years})


def components_figure(long: pd.DataFrame, months: Sequence[dt.date], present: Sequence[bool],
                      period: Period, title: str) -> VegaFigure:
    """What makes up the series: one line per crime type (or class), gaps shaded, selected period marked."""
    chart = trend_chart(long, series="component", colours=CLASS_COLOURS, present=(list(months), list(present)),
                        shade=(period.start, period.end, "selected period"), height=400, legend_columns=1)
    return VegaFigure(chart, title=title, description=f"{title}: one line per part.")


def context_figure(series: pd.Series, title: str, y_title: str) -> VegaFigure:
    """A context-only monthly line (e.g. all violence for domestic abuse), grey, gaps shaded."""
    df = pd.DataFrame({"month": list(series.index), "records": series.to_numpy(dtype="float64"),
                       "series": y_title})
    chart = trend_chart(df, series="series", colours={y_title: theme.AXIS}, y_title="Records",
                        present=(list(series.index), list(series.notna())), legend_columns=1)
    return VegaFigure(chart, title=title, description=f"{title}: a context line, by month.")


def months_between(months: Sequence[dt.date], first: dt.date, last: dt.date) -> list[dt.date]:
    """``months`` from ``first`` to ``last`` inclusive (helper for the series range)."""
    return [m for m in months if first <= m <= last]


def has_records(series: pd.Series) -> bool:
    """True when the series has at least one record in a month with data.

    >>> has_records(pd.Series([0.0, float('nan')])), has_records(pd.Series([0.0, 2.0]))
    (False, True)
    """
    return bool(series.fillna(0).sum() > 0)


def section_data(priority: dict, monthly: pd.DataFrame, months: Sequence[dt.date], classes: Iterable[str],
                 crime_types: Iterable[str], type_classes: dict[str, str], baseline: Period | None,
                 period_months: Sequence[dt.date], compared: Sequence[dt.date],
                 comparison: Sequence[dt.date]) -> dict:
    """Everything one measurable section and its summary row need.

    Returns a dict with ``types`` (measure types left by the filters), ``measure`` (words),
    ``series`` (monthly totals over ``months``, NaN = gap), ``has_records``, ``chart`` and
    ``spc_note`` (:func:`spc_for`), ``figures`` (:func:`period_figures`, empty when the
    period has no month with data), ``signal_month`` and ``signal`` (:func:`latest_signal`).
    Unmeasurable priorities (``measurable == 'no'``) get only ``measure``.
    """
    if priority["measurable"] == "no":
        return {"measure": "Not measurable from police.uk: partner data needed"}
    types = effective_types(priority["measure_types"], classes, crime_types, type_classes)
    out: dict = {"types": types, "measure": measure_label(priority, types) if types else
                 "Left out by the crime class/type filters", "figures": {}, "chart": None, "spc_note": None,
                 "signal_month": None, "signal": "—", "has_records": False}
    if not types:
        return out
    series = priority_series(monthly, priority["priority_id"], months)
    out.update(series=series, has_records=has_records(series))
    if period_months:
        out["figures"] = period_figures(series, period_months, compared, comparison)
    if out["has_records"]:
        out["chart"], out["spc_note"] = spc_for(series, baseline)
        out["signal_month"], out["signal"] = latest_signal(out["chart"], period_months)
    return out


def all_sections(prios: pd.DataFrame, monthly: pd.DataFrame, months: Sequence[dt.date], classes: tuple,
                 crime_types: tuple, type_classes: dict[str, str], baseline: Period | None,
                 period_months: tuple, compared: tuple, comparison: tuple) -> dict[str, dict]:
    """:func:`section_data` for every priority (rows of the ``priorities`` query), by priority id: one call,
    so that the page can keep the result by its inputs (``charts.cached_figure``) and a warm visit does not
    work out ten SPC charts again. The result is shared: read it, never change it."""
    return {p["priority_id"]: section_data(p, monthly, months, classes, crime_types, type_classes, baseline,
                                           period_months, compared, comparison)
            for p in prios.to_dict("records")}


# --- words ----------------------------------------------------------------------------------------

SPC_HOW = (
    "How to read it: the blue line is the monthly count (broken where there is no data: grey bands). The black "
    "line is the centre line, the mean of the baseline months (sky-blue bar along the foot, shown when it is not "
    "every month); the orange band is the selected period. The dashed lines are the control limits: centre "
    "± 2.66 × the mean moving range (the average change from one month to the next, never taken across a gap). "
    "Months inside the limits are normal variation. Markers flag signals of a real change: diamond = beyond a "
    "control limit; square = in a run of 7 or more months on one side of the centre line; triangle = in 6 or "
    "more months each higher (▲) or lower (▼) than the last. Orange = upwards, purple = downwards. A gap ends "
    "runs and trends. (SMP Partnership Plan 2017-18, Appendix 1; rule sizes as NHS 'Making Data Count'.)"
)


def baseline_help(default: Period) -> str:
    """The caption beside the baseline pickers: what the default is and why."""
    return (f"The usual range is worked out from these months. Default: every month with data ({default.label}). "
            "The data has two long gaps, and 'the first 12 months with data' would straddle the 13-month gap "
            "after Nov 2022. Pick a shorter run of months (e.g. Jan–Nov 2022) to judge later months against it.")


def can_cannot_blocks(p) -> list[tuple[str, str]]:
    """What police.uk can and cannot measure, as (Streamlit element, text) pairs, said first in a section.

    >>> from types import SimpleNamespace as NS
    >>> blocks = can_cannot_blocks(NS(priority_id="domestic_abuse", measurable="no", what_it_cannot="No flag.",
    ...                               what_police_uk_measures="Nothing."))
    >>> [kind for kind, _ in blocks], blocks[0][1]
    (['warning', 'markdown'], '**Not measurable from police.uk.** No flag.')
    """
    would = WOULD_MEASURE.get(p.priority_id, "")
    if p.measurable == "no":
        return [("warning", f"**Not measurable from police.uk.** {p.what_it_cannot}"),
                ("markdown", f"**What police.uk has:** {p.what_police_uk_measures}\n\n"
                             f"**What would measure it (partner data):** {would}")]
    part = " (in part)" if p.measurable == "partial" else ""
    return [("info", f"**What police.uk measures{part}:** {p.what_police_uk_measures}"),
            ("warning", f"**What police.uk cannot measure:** {p.what_it_cannot}"),
            ("markdown", f"**Partner data that fills the gap:** {would}")]



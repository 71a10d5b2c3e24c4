"""The shared filters as a plain value, and their round trip to and from the URL.

Pure functions, no Streamlit: :func:`parse_query_params` turns (possibly hostile) URL
query parameters into a valid :class:`Filters`, replacing anything it cannot use by the
default and saying so; :func:`to_query_params` writes the filters back so any view can be
bookmarked and shared.

URL parameters: ``from``/``to`` (YYYY-MM), ``cmp`` (last_year | previous | none),
``wards`` (2022 | 2024), ``area`` (borough | cluster:Cluster 5 | ward:<code> | lsoa:<code>),
``class`` (comma list of VBC,CAS,ASB), ``type`` (comma list of police.uk crime types),
``priority`` (a priority id).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Mapping

from analytics.lsoa import LsoaLookup
from analytics.periods import (
    Period,
    calendar_year,
    coverage,
    financial_year,
    last_n_months,
    month_label,
    parse_month,
    previous_period,
    same_months_last_year,
)
from dashboard.safe_text import one_line, shorten

__all__ = [
    "CLASSES",
    "CLASS_LABELS",
    "COMPARISONS",
    "WARD_SET_LABELS",
    "AREA_TYPES",
    "FilterContext",
    "Filters",
    "default_filters",
    "parse_query_params",
    "to_query_params",
    "period_presets",
    "SHARED_PARAMS",
    "PAGE_PARAMS",
]

CLASSES = ("VBC", "CAS", "ASB")
CLASS_LABELS = {
    "VBC": "Victim-based crime (VBC)",
    "CAS": "Crimes against society (CAS)",
    "ASB": "Anti-social behaviour (ASB)",
}
COMPARISONS = {
    "last_year": "Same months a year earlier",
    "previous": "Previous period of the same length",
    "none": "No comparison",
}
WARD_SET_LABELS = {
    "2024": "May-2024 wards (22)",
    "2022": "Pre-May-2024 wards (26)",
}
AREA_TYPES = {"borough": "Whole borough", "cluster": "Ward cluster", "ward": "Ward", "lsoa": "LSOA"}
MAX_PARAM_LENGTH = 400  # longer values are refused outright
SHARED_PARAMS = ("from", "to", "cmp", "wards", "area", "class", "type", "priority")
# page-level parameters (each page validates its own); anything else is noted and ignored
PAGE_PARAMS = ("profile", "measure", "breaks", "recent", "baseline", "window", "view", "cluster", "cols", "top", "map",
               "q", "find", "radius")  # q/find/radius: Find my area (pages/search.py validates them)


@dataclass(frozen=True)
class FilterContext:
    """What the store holds, for validating filters: built once from the store."""

    months: tuple[dt.date, ...]  # every month from first to last loaded (present or not)
    present_months: frozenset[dt.date]
    wards: Mapping[str, Mapping[str, str]]  # ward_set -> {code: name}
    clusters: Mapping[str, tuple[str, ...]]  # ward_set -> cluster names
    lsoas: Mapping[str, str]  # code -> name
    crime_types: Mapping[str, str]  # type -> class
    priorities: Mapping[str, str]  # priority_id -> name (only those police.uk can filter)
    lsoa_lookup: LsoaLookup | None = None  # 2011 -> 2021 LSOA codes (a 2011 code in a URL is resolved)
    cluster_wards: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # ward_set -> {cluster: wards}

    @property
    def last_month(self) -> dt.date:
        return max(self.present_months)

    @property
    def first_month(self) -> dt.date:
        return min(self.present_months)


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    comparison: str = "last_year"
    ward_set: str = "2024"
    area_type: str = "borough"
    area_code: str = ""
    classes: tuple[str, ...] = CLASSES
    crime_types: tuple[str, ...] = ()
    priority: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)  # what was changed while parsing

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def comparison_period(self) -> Period | None:
        if self.comparison == "last_year":
            return same_months_last_year(self.period)
        if self.comparison == "previous":
            return previous_period(self.period)
        return None

    def query_args(self) -> dict:
        """The parameters every filtered query takes (besides its months)."""
        return {
            "ward_set": self.ward_set,
            "area_type": self.area_type,
            "area_code": self.area_code,
            "classes": list(self.classes),
            "crime_types": list(self.crime_types),
            "priority": self.priority,
        }

    def area_label(self, ctx: FilterContext) -> str:
        if self.area_type == "borough":
            return "Maidstone borough"
        if self.area_type == "cluster":
            derived = " (derived)" if self.ward_set == "2024" else ""
            return f"{self.area_code}{derived}"
        if self.area_type == "ward":
            return f"{ctx.wards[self.ward_set].get(self.area_code, self.area_code)} ward"
        return f"LSOA {ctx.lsoas.get(self.area_code, '')} ({self.area_code})"


def default_filters(ctx: FilterContext) -> Filters:
    period = last_n_months(ctx.last_month, 12)
    return Filters(start=period.start, end=period.end)


def period_presets(ctx: FilterContext) -> dict[str, Period]:
    """Named periods offered in the filter bar, newest first."""
    presets = {
        "Last 12 months": last_n_months(ctx.last_month, 12),
        "Last 3 months": last_n_months(ctx.last_month, 3),
    }
    years = sorted({m.year for m in ctx.present_months}, reverse=True)
    for y in years:
        presets[f"Calendar year {y}"] = calendar_year(y)
    for y in years:
        fy = financial_year(y)
        if coverage(fy, ctx.present_months).present:
            presets[f"Financial year {y}/{str(y + 1)[2:]}"] = fy
    return presets


def _single(qp: Mapping, key: str) -> str | None:
    value = qp.get(key)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if value is None:
        return None
    value = str(value)
    if len(value) > MAX_PARAM_LENGTH:
        raise ValueError("is too long")
    return value.strip()


def parse_query_params(qp: Mapping, ctx: FilterContext) -> Filters:
    """Build valid filters from URL parameters; every ignored parameter is noted.

    Nothing from the URL reaches SQL except as a value checked against the store's own
    lists (months, ward codes, cluster names, LSOA codes, crime types, priority ids).
    """
    base = default_filters(ctx)
    values: dict = {}
    notes: list[str] = []

    def note(key: str, raw, why: str):
        # key and value are untrusted: one line each, shortened (the message is shown escaped: dashboard.safe_text)
        shown = shorten(one_line(raw), 60)
        notes.append(f"Ignored URL parameter {shorten(one_line(key), 30)}={shown!r}: {why}.")

    def read(key: str):
        try:
            return _single(qp, key)
        except ValueError as exc:
            note(key, qp.get(key), str(exc))
            return None

    start_raw, end_raw = read("from"), read("to")
    start, end = base.start, base.end
    try:
        if start_raw:
            start = parse_month(start_raw)
        if end_raw:
            end = parse_month(end_raw)
        if start_raw and not end_raw:
            end = max(start, min(base.end, ctx.last_month))
        if start > end:
            raise ValueError("the start month is after the end month")
        first, last = ctx.months[0], ctx.months[-1]
        if end < first or start > last:
            raise ValueError(f"the data covers {month_label(first)} to {month_label(last)} only")
        values["start"], values["end"] = max(start, first), min(end, last)
        if (start, end) != (values["start"], values["end"]):
            notes.append(
                f"The period was trimmed to the months the store holds ({month_label(first)} – {month_label(last)})."
            )
    except (ValueError, TypeError) as exc:
        if start_raw or end_raw:
            note("from/to", f"{start_raw}..{end_raw}", str(exc))

    cmp_raw = read("cmp")
    if cmp_raw:
        if cmp_raw in COMPARISONS:
            values["comparison"] = cmp_raw
        else:
            note("cmp", cmp_raw, "use last_year, previous or none")

    ward_set = base.ward_set
    set_raw = read("wards")
    if set_raw:
        if set_raw in WARD_SET_LABELS:
            ward_set = set_raw
            values["ward_set"] = set_raw
        else:
            note("wards", set_raw, "use 2022 (pre-May-2024 wards) or 2024 (May-2024 wards)")

    area_raw = read("area")
    if area_raw and area_raw != "borough":
        kind, _, code = area_raw.partition(":")
        valid = {
            "cluster": set(ctx.clusters.get(ward_set, ())),
            "ward": set(ctx.wards.get(ward_set, {})),
            "lsoa": set(ctx.lsoas),
        }.get(kind)
        if valid is None:
            note("area", area_raw, "use borough, cluster:<name>, ward:<code> or lsoa:<code>")
        elif kind == "lsoa" and code not in valid and _lsoa_2011(code, ctx) is not None:
            values["area_type"], values["area_code"], message = "lsoa", *_lsoa_2011(code, ctx)
            notes.append(message)
        elif code not in valid:
            what = {"cluster": "a ward cluster", "ward": f"a ward on the {WARD_SET_LABELS[ward_set]}",
                    "lsoa": "a Maidstone LSOA (2021 or 2011 code)"}[kind]
            note("area", area_raw, f"{code!r} is not {what}")
        else:
            values["area_type"], values["area_code"] = kind, code

    class_raw = read("class")
    if class_raw is not None:
        parts = [p.strip().upper() for p in class_raw.split(",") if p.strip()]
        good = tuple(c for c in CLASSES if c in parts)
        bad = [p for p in parts if p not in CLASSES]
        if bad:
            note("class", ",".join(bad), "classes are VBC, CAS and ASB")
        if good:
            values["classes"] = good
        elif parts:
            notes.append("No valid crime class was given, so all three are shown.")

    type_raw = read("type")
    if type_raw:
        parts = [p.strip() for p in type_raw.split(",") if p.strip()]
        good = tuple(sorted(p for p in set(parts) if p in ctx.crime_types))
        bad = [p for p in parts if p not in ctx.crime_types]
        if bad:
            note("type", ",".join(bad), "not a police.uk crime type")
        if good:
            values["crime_types"] = good

    prio_raw = read("priority")
    if prio_raw:
        if prio_raw in ctx.priorities:
            values["priority"] = prio_raw
        else:
            note("priority", prio_raw, "not an SMP priority or theme that police.uk data can filter")

    unknown = sorted(set(qp) - set(SHARED_PARAMS) - set(PAGE_PARAMS))
    for key in unknown[:5]:
        note(key, qp.get(key), "not a dashboard parameter")
    return replace(base, **values, notes=tuple(notes))


def _lsoa_2011(code: str, ctx: FilterContext) -> tuple[str, str] | None:
    """A 2011 LSOA code (as older reports and police.uk files before 2023 use) resolved to the 2021 LSOA
    the area filter shows, and the sentence saying what it became; None when it is not one.

    >>> from analytics.lsoa import LsoaLookup
    >>> lk = LsoaLookup.from_rows([("E01033090", "E01034991", "S"), ("E01033090", "E01034992", "S")])
    >>> ctx = FilterContext((), frozenset(), {}, {}, {"E01034991": "Maidstone 004H", "E01034992": "Maidstone 004I"},
    ...                     {}, {}, lsoa_lookup=lk)
    >>> code, message = _lsoa_2011("e01033090", ctx)
    >>> code
    'E01034991'
    >>> print(message)  # doctest: +NORMALIZE_WHITESPACE
    E01033090 is a 2011 LSOA code; in 2021 it was split into Maidstone 004H (E01034991) and Maidstone 004I
    (E01034992). Showing Maidstone 004H (E01034991); the other is in the sidebar's LSOA list (it finds 2011 codes too).
    """
    if ctx.lsoa_lookup is None:
        return None
    found = ctx.lsoa_lookup.resolve(code)
    targets = [c for c in found.successors if c in ctx.lsoas]
    if not targets or found.kind == "current":
        return None
    first = targets[0]
    text = found.describe(ctx.lsoas)
    if len(targets) > 1:
        text += (f" Showing {ctx.lsoas[first]} ({first}); the other{'s are' if len(targets) > 2 else ' is'} in the "
                 "sidebar's LSOA list (it finds 2011 codes too).")
    else:
        text += f" Showing {ctx.lsoas[first]} ({first})."
    return first, text


def to_query_params(f: Filters, ctx: FilterContext) -> dict[str, str]:
    """The URL form of the filters; defaults are left out to keep links short."""
    base = default_filters(ctx)
    out: dict[str, str] = {}
    if (f.start, f.end) != (base.start, base.end):
        out["from"], out["to"] = f"{f.start:%Y-%m}", f"{f.end:%Y-%m}"
    if f.comparison != base.comparison:
        out["cmp"] = f.comparison
    if f.ward_set != base.ward_set:
        out["wards"] = f.ward_set
    if f.area_type != "borough":
        out["area"] = f"{f.area_type}:{f.area_code}"
    if tuple(f.classes) != CLASSES:
        out["class"] = ",".join(f.classes)
    if f.crime_types:
        out["type"] = ",".join(f.crime_types)
    if f.priority:
        out["priority"] = f.priority
    return out

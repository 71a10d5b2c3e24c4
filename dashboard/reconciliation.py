"""The dashboard against the Strategic Assessment 2024/25: each published figure that police.uk does
not reproduce, the dashboard's figure for the same months, the ratio and the reason found.

The published figures, their sources and the reasons are in ``dashboard/reference/`` (transcribed from
the report; the reasons were found by SQL on the store and the source files, and the tests check every
number they quote). The dashboard's figures come from named queries (``reconcile_counts``,
``district_summary``) over the months of the published period that have police.uk data. Pure functions
here; the About page runs the queries.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from analytics.lsoa import LsoaLookup
from analytics.periods import Period, months_label, parse_month

__all__ = ["REFERENCE", "load_checks", "load_ward_tables", "load_hotspot_lsoas", "published_months",
           "dashboard_figure", "ward_ratios", "reconciliation_table", "reconciliation_display", "reasons",
           "hotspot_lsoa_table", "CAPTION"]

REFERENCE = Path(__file__).resolve().parent / "reference"
CAPTION = (
    "police.uk here has Jan–Nov 2022 (the archive has no December 2022 file) against the report's full year, so "
    "about 11/12 = 0.92 is expected from the months alone. Ratio = dashboard ÷ published. Published figures as "
    "printed in the SMP Strategic Assessment 2024/25; dashboard figures from police.uk street-level data placed "
    "in the pre-May-2024 wards by snap point, for the months of the published period that have data. Sources: "
    "dashboard/reference/sa_reconciliation.csv and sa_ward_tables_2022.csv; queries reconcile_counts and "
    "district_summary.")


def load_checks(path: Path = REFERENCE / "sa_reconciliation.csv") -> pd.DataFrame:
    """The published figures to reconcile (one row each), with the parameters of the dashboard figure.

    >>> checks = load_checks()
    >>> row = checks.loc["fant_all_crime"]
    >>> float(row["published"]), row["ward_2022_code"], row["classes"]
    (1069.0, 'E05004992', ('VBC', 'CAS'))
    """
    df = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id")
    df["published"] = df["published"].astype(float)
    for col in ("classes", "crime_types"):
        df[col] = [tuple(p for p in v.split(";") if p) for v in df[col]]
    return df


def load_ward_tables(path: Path = REFERENCE / "sa_ward_tables_2022.csv") -> pd.DataFrame:
    """Appendix 2 Table 1 (all crime) and Table 8 (ASB), 2022, for the 26 pre-May-2024 wards.

    >>> t = load_ward_tables()
    >>> len(t), int(t["all_crime_2022"].sum()), int(t["asb_2022"].sum())
    (26, 15745, 2425)
    """
    return pd.read_csv(path, dtype={"ward_2022_code": str, "ward_name": str})


def load_hotspot_lsoas(path: Path = REFERENCE / "sa_hotspot_lsoas.csv") -> pd.DataFrame:
    """The LSOAs the report names (paras 35-37), with its 2011 codes."""
    return pd.read_csv(path, dtype=str)


def published_months(spec: str, present: Iterable[dt.date]) -> tuple[tuple[dt.date, ...], tuple[dt.date, ...]]:
    """(months of the published period, those with police.uk data) from ``"2022-01:2022-12"``.

    >>> allm, have = published_months("2022-01:2022-12", [dt.date(2022, m, 1) for m in range(1, 12)])
    >>> len(allm), months_label(have)
    (12, 'Jan–Nov 2022')
    """
    start, end = (parse_month(p) for p in spec.split(":"))
    months = Period(start, end).months
    have = set(present)
    return months, tuple(m for m in months if m in have)


def ward_ratios(wards: pd.DataFrame, counts: pd.DataFrame, column: str) -> pd.DataFrame:
    """Each ward's dashboard count beside the published one, and the ratio (dashboard ÷ published).

    >>> w = pd.DataFrame({"ward_2022_code": ["a", "b"], "ward_name": ["A", "B"], "all_crime_2022": [100, 50]})
    >>> c = pd.DataFrame({"ward_code": ["", "a"], "records": [99, 92]})
    >>> ward_ratios(w, c, "all_crime_2022")[["ward_name", "dashboard", "ratio"]].values.tolist()
    [['A', 92, 0.92], ['B', 0, 0.0]]
    """
    got = dict(zip(counts["ward_code"], counts["records"]))
    out = wards[["ward_2022_code", "ward_name", column]].rename(columns={column: "published"})
    out["dashboard"] = [int(got.get(code, 0)) for code in out["ward_2022_code"]]
    out["ratio"] = (out["dashboard"] / out["published"]).round(2)
    return out


def _ward_detail(ratios: pd.DataFrame, lowest: bool) -> str:
    """A sentence on the ward-by-ward ratios.

    >>> r = pd.DataFrame({"ward_name": list("ABCDE"), "ratio": [0.8, 0.9, 0.92, 0.95, 1.2]})
    >>> _ward_detail(r, True)
    'Ward ratios: median 0.92; 4 of 5 between 0.80 and 1.05; lowest A 0.80, B 0.90, C 0.92.'
    """
    med = statistics.median(ratios["ratio"])
    near = int(ratios["ratio"].between(0.80, 1.05).sum())
    ordered = ratios.sort_values("ratio", ascending=lowest, kind="stable").head(3)
    which = "lowest" if lowest else "highest"
    listed = ", ".join(f"{n} {r:.2f}" for n, r in zip(ordered["ward_name"], ordered["ratio"]))
    return f"Ward ratios: median {med:.2f}; {near} of {len(ratios)} between 0.80 and 1.05; {which} {listed}."


def dashboard_figure(check: pd.Series, months: tuple[dt.date, ...], run: Callable[..., pd.DataFrame],
                     wards: pd.DataFrame | None = None) -> tuple[float, str]:
    """The dashboard's figure for one check and any detail computed with it.

    ``run(name, **params)`` runs a named query (``dashboard.data.query`` on the page, a direct runner in
    tests). Counts come from ``reconcile_counts``; the Kent rate and rank from ``district_summary``.
    """
    classes, types = list(check["classes"]), list(check["crime_types"])
    measure = check["measure"]
    if measure in ("kent_rate", "kent_rank"):
        kent = run("district_summary", months=list(months), comparison_months=[], classes=classes,
                   crime_types=types, population_basis=check["population_basis"])
        row = kent[kent["district_name"] == "Maidstone"].iloc[0]
        if measure == "kent_rank":
            return float(row["rank_by_rate"]), ""
        return round(float(row["rate_per_1000_residents"]), 1), ""
    counts = run("reconcile_counts", months=list(months), classes=classes, crime_types=types)
    if measure in ("wards_all_crime", "wards_asb"):
        column = "all_crime_2022" if measure == "wards_all_crime" else "asb_2022"
        ratios = ward_ratios(wards, counts, column)
        return float(ratios["dashboard"].sum()), _ward_detail(ratios, lowest=measure == "wards_all_crime")
    got = dict(zip(counts["ward_code"], counts["records"]))
    return float(got.get(check["ward_2022_code"] or "", 0)), ""


def _fmt(value: float, unit: str) -> str:
    """A figure as printed: a count, a rate to one decimal or a rank.

    >>> _fmt(1069.0, "count"), _fmt(90.6, "rate"), _fmt(7.0, "rank")
    ('1,069', '90.6', '7th')
    """
    if unit == "rank":
        n = int(value)
        return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
    if unit == "rate":
        return f"{value:,.1f}"
    return f"{int(value):,}"


def reconciliation_table(checks: pd.DataFrame, figures: dict[str, tuple[float, str]], months_text: str,
                         published_text: dict[str, str]) -> pd.DataFrame:
    """The table shown on About the data: one row per published figure.

    >>> checks = pd.DataFrame({"what": ["X"], "published": [100.0], "unit": ["count"], "source": ["Table 1"],
    ...                        "reason": ["Because."]}, index=["x"])
    >>> t = reconciliation_table(checks, {"x": (92.0, "Detail.")}, "Jan–Nov 2022", {"x": "Jan–Dec 2022"})
    >>> t.iloc[0].tolist()
    ['X', 'Table 1', 'Jan–Dec 2022', '100', 'Jan–Nov 2022', '92', '0.92', 'Because. Detail.']
    """
    rows = []
    for key, check in checks.iterrows():
        value, detail = figures[key]
        ratio = "—" if check["unit"] == "rank" or not check["published"] else f"{value / check['published']:.2f}"
        rows.append({
            "Figure": check["what"],
            "Published in (Strategic Assessment 2024/25)": check["source"],
            "Published months": published_text.get(key, ""),
            "Published": _fmt(check["published"], check["unit"]),
            "Dashboard months": months_text,
            "Dashboard (police.uk)": _fmt(value, check["unit"]),
            "Ratio": ratio,
            "Reason found": f"{check['reason']} {detail}".strip(),
        })
    return pd.DataFrame(rows)


def reconciliation_display(table: pd.DataFrame) -> pd.DataFrame:
    """The compact table for the page: the months go into the headings (when every row shares them) and the
    reasons are listed below it (:func:`reasons`).

    >>> t = pd.DataFrame({"Figure": ["X"], "Published in (Strategic Assessment 2024/25)": ["Table 1"],
    ...     "Published months": ["Jan–Dec 2022"], "Published": ["100"], "Dashboard months": ["Jan–Nov 2022"],
    ...     "Dashboard (police.uk)": ["92"], "Ratio": ["0.92"], "Reason found": ["Because."]})
    >>> list(reconciliation_display(t).columns)
    ['Figure', 'Published in (Strategic Assessment 2024/25)', 'Published, Jan–Dec 2022', 'Dashboard (police.uk), Jan–Nov 2022', 'Ratio']
    """
    out = table.drop(columns=["Reason found"])
    for months, value in (("Published months", "Published"), ("Dashboard months", "Dashboard (police.uk)")):
        if out[months].nunique() == 1:
            out = out.rename(columns={value: f"{value}, {out[months].iloc[0]}"}).drop(columns=[months])
    return out


def reasons(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(heading, reason) per row: "High Street ward: shoplifting, 2022: 296 published, 382 police.uk (1.29)".

    >>> t = pd.DataFrame({"Figure": ["X"], "Published": ["100"], "Dashboard (police.uk)": ["92"], "Ratio": ["0.92"],
    ...                   "Reason found": ["Because."]})
    >>> reasons(t)
    [('X: 100 published, 92 police.uk (ratio 0.92)', 'Because.')]
    """
    out = []
    for r in table.to_dict("records"):
        ratio = f" (ratio {r['Ratio']})" if r["Ratio"] != "—" else ""
        out.append((f"{r['Figure']}: {r['Published']} published, {r['Dashboard (police.uk)']} police.uk{ratio}",
                    r["Reason found"]))
    return out


def hotspot_lsoa_table(lsoas: pd.DataFrame, lookup: LsoaLookup, names: dict[str, str],
                       wards: dict[str, str]) -> pd.DataFrame:
    """The report's hotspot LSOAs (2011 codes) with the 2021 LSOAs they became and their ward.

    >>> lk = LsoaLookup.from_rows([("E01033090", "E01034991", "S"), ("E01033090", "E01034992", "S")])
    >>> t = hotspot_lsoa_table(pd.DataFrame({"lsoa11_code": ["E01033090"], "source": ["Para 35"],
    ...     "ward_named": ["High Street"]}), lk, {"E01034991": "Maidstone 004H"}, {"E01034991": "High Street"})
    >>> t.iloc[0].tolist()
    ['E01033090', 'Para 35', 'High Street', 'split', 'Maidstone 004H (E01034991), E01034992', 'High Street']
    """
    rows = []
    for r in lsoas.itertuples():
        found = lookup.resolve(r.lsoa11_code)
        rows.append({
            "2011 code (as in the report)": r.lsoa11_code,
            "Where": r.source,
            "Ward named in the report": r.ward_named,
            "In 2021": "unchanged" if found.kind == "current" else found.kind,
            "2021 LSOA(s) in this dashboard": ", ".join(f"{names[c]} ({c})" if c in names else c
                                                      for c in found.successors),
            "May-2024 ward (best fit)": ", ".join(dict.fromkeys(wards[c] for c in found.successors if c in wards)),
        })
    return pd.DataFrame(rows)

"""Pure helpers for the "About the data" page: the month grid, missing-month runs, the
per-file reconciliation, the build metadata and the other tables the page shows.

No Streamlit here: every function takes the data frames the named queries return and gives
back a frame, a figure or a sentence, so the page only draws.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.safe_text import md_escape

from analytics.periods import month_label
from dashboard import theme, vega
from dashboard.vega import VegaFigure

__all__ = [
    "MONTH_NAMES",
    "LOW_CONFIDENCE_SHARE",
    "PRESENT_COLOUR",
    "MISSING_COLOUR",
    "missing_runs",
    "describe_missing",
    "month_grid",
    "month_grid_table",
    "month_grid_figure",
    "months_table",
    "reconciliation_table",
    "reconciliation_totals",
    "metadata_table",
    "derivation_table",
    "population_table",
    "unmeasurable_table",
    "lsoa_vintage_table",
    "derivation_note",
    "display_strings",
    "RECONCILIATION_LABELS",
    "locations_md",
    "placement_md",
    "lsoa_md",
    "SOURCES_MD",
    "POLICE_UK_MD",
    "ACCESSIBILITY_MD",
]

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PRESENT_COLOUR, MISSING_COLOUR = theme.PRESENT_COLOUR, theme.MISSING_COLOUR  # blue (white text 5.1:1); grey "no data"
NO_DATA = "no data"
# the build's threshold (boundaries.clusters.LOW_CONFIDENCE_SHARE; a test keeps them equal; importing
# boundaries here would load geopandas into the app)
LOW_CONFIDENCE_SHARE = 0.6

_METADATA_LABELS = {
    "built_at_utc": "Built at (UTC)",
    "build_seconds": "Build time (seconds)",
    "code_version": "Code version",
    "duckdb": "DuckDB version",
    "python": "Python version",
    "mode": "Build mode",
    "source": "Source",
    "force": "Police forces loaded (--force)",
    "first_month": "First month",
    "last_month": "Last month",
    "rows_records": "Records loaded (every force in the store)",
    "rows_maidstone": "Records in Maidstone (every force in the store)",
    "rows_rejected": "Rows rejected",
    "store_version": "Store version (changes with every build, update or refresh)",
    "refreshed_at_utc": "Last refresh from police.uk (UTC)",
    "refresh_archive": "Last refresh: archive",
    "refresh_summary": "Last refresh: months",
}
_AREA_TYPES = {
    "ward_2022": "Pre-May-2024 wards",
    "ward_2024": "May-2024 wards",
    "lsoa21": "LSOAs (2021)",
    "district": "Kent districts and Medway",
}
_BASES = {
    "mid2022": "ONS mid-2022 estimate",
    "mid2024": "ONS mid-2024 estimate",
    "mid2020": "ONS mid-2020 estimate",
    "census2021": "Census 2021",
    "census2021_bestfit": "Census 2021 (LSOAs summed by best-fit ward; approximate)",
}
_MEASURABLE = {"yes": "Yes", "partial": "Partly", "no": "No"}


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def missing_runs(months: pd.DataFrame) -> list[tuple[dt.date, dt.date, int]]:
    """Runs of consecutive missing months as (first, last, number of months).

    ``months`` has the columns of the ``months_loaded`` query: ``month`` and ``is_present``.

    >>> df = pd.DataFrame({"month": [dt.date(2022, m, 1) for m in range(1, 7)],
    ...                    "is_present": [True, False, False, True, False, True]})
    >>> [(str(a), str(b), n) for a, b, n in missing_runs(df)]
    [('2022-02-01', '2022-03-01', 2), ('2022-05-01', '2022-05-01', 1)]
    """
    runs: list[tuple[dt.date, dt.date, int]] = []
    first = last = None
    n = 0
    for month, present in zip(months["month"], months["is_present"]):
        month = _as_date(month)
        if not present:
            first, last, n = (first or month), month, n + 1
        elif first is not None:
            runs.append((first, last, n))
            first, last, n = None, None, 0
    if first is not None:
        runs.append((first, last, n))
    return runs


def describe_missing(months: pd.DataFrame) -> str:
    """The missing months in words (the text alternative to the month grid).

    >>> df = pd.DataFrame({"month": [dt.date(2022, m, 1) for m in range(1, 5)],
    ...                    "is_present": [True, False, False, True]})
    >>> describe_missing(df)
    '2 months missing: Feb 2022 – Mar 2022 (2 months).'
    >>> describe_missing(df.assign(is_present=True))
    'No months are missing between the first and the last month loaded.'
    """
    runs = missing_runs(months)
    if not runs:
        return "No months are missing between the first and the last month loaded."
    total = sum(n for _, _, n in runs)
    parts = [
        month_label(a) if n == 1 else f"{month_label(a)} – {month_label(b)} ({n} months)" for a, b, n in runs
    ]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{total} month{'s' if total != 1 else ''} missing: {joined}."


def month_grid(months: pd.DataFrame) -> pd.DataFrame:
    """One row per calendar month of every year loaded: year, month number, status, rows.

    Months before the first or after the last month loaded are ``'not covered'``.

    >>> df = pd.DataFrame({"month": [dt.date(2022, 11, 1), dt.date(2022, 12, 1)],
    ...                    "rows": [10, None], "is_present": [True, False]})
    >>> g = month_grid(df)
    >>> len(g), g.loc[g.month_number == 11, "status"].item(), g.loc[g.month_number == 12, "status"].item()
    (12, 'data', 'no data')
    >>> g.loc[g.month_number == 1, "status"].item()
    'not covered'
    """
    by_month = {_as_date(m): (p, r) for m, r, p in zip(months["month"], months["rows"], months["is_present"])}
    years = sorted({m.year for m in by_month})
    rows = []
    for year in years:
        for number in range(1, 13):
            present, count = by_month.get(dt.date(year, number, 1), (None, None))
            status = "not covered" if present is None else ("data" if present else NO_DATA)
            rows.append({
                "year": year, "month_number": number, "month_name": MONTH_NAMES[number - 1], "status": status,
                "rows": int(count) if present and pd.notna(count) else None,
            })
    return pd.DataFrame(rows, columns=["year", "month_number", "month_name", "status", "rows"])


def _cell_text(status: str, rows) -> str:
    if status == "data":
        return f"{int(rows):,}"
    return NO_DATA if status == NO_DATA else ""


def month_grid_table(grid: pd.DataFrame) -> pd.DataFrame:
    """Year x month table of the grid: rows loaded, 'no data' or blank (not covered).

    >>> df = pd.DataFrame({"month": [dt.date(2022, 1, 1), dt.date(2022, 2, 1)],
    ...                    "rows": [16338, None], "is_present": [True, False]})
    >>> t = month_grid_table(month_grid(df))
    >>> t.loc[0, ["Year", "Jan", "Feb", "Mar"]].tolist()
    ['2022', '16,338', 'no data', '']
    """
    table = grid.assign(text=[_cell_text(s, r) for s, r in zip(grid["status"], grid["rows"])])
    wide = table.pivot(index="year", columns="month_name", values="text")[list(MONTH_NAMES)].reset_index()
    wide.columns.name = None
    return wide.rename(columns={"year": "Year"}).astype({"Year": str})


def month_grid_figure(grid: pd.DataFrame) -> VegaFigure:
    """A month x year grid: blue cells = month loaded (with its row count), grey 'no data' = missing, blank =
    outside the months covered. Each cell says what it is in words too (never colour alone)."""
    text = [_cell_text(s, r) for s, r in zip(grid["status"], grid["rows"])]
    chart = vega.month_grid_chart(grid, months=MONTH_NAMES, text=text,
                                  colours={"data": PRESENT_COLOUR, NO_DATA: MISSING_COLOUR},
                                  text_colours={"data": theme.WHITE, NO_DATA: theme.TEXT})
    return VegaFigure(chart, "Months loaded (blue, with Kent Police rows) and missing (grey, 'no data')", None,
                      "Grid of months by years: each month loaded shows its number of Kent Police rows, each month "
                      "missing says 'no data'. The table below the grid has the same cells.")


def months_table(months: pd.DataFrame) -> pd.DataFrame:
    """The ``months_loaded`` rows for display: month label, rows or 'no data'.

    >>> df = pd.DataFrame({"month": [dt.date(2022, 12, 1)], "rows": [None], "is_present": [False]})
    >>> months_table(df).iloc[0].tolist()
    ['Dec 2022', 'no data', 'missing']
    """
    return pd.DataFrame({
        "Month": [month_label(_as_date(m)) for m in months["month"]],
        "Kent Police rows loaded": [
            f"{int(r):,}" if p else NO_DATA for r, p in zip(months["rows"], months["is_present"])
        ],
        "Status": ["loaded" if p else "missing" for p in months["is_present"]],
    })


def reconciliation_table(files: pd.DataFrame) -> pd.DataFrame:
    """Per-file reconciliation with a check column: rows read = rows loaded + rows rejected.

    >>> df = pd.DataFrame({"source_file": ["a.csv", "b.csv"], "month": [None, None], "force": ["kent"] * 2,
    ...                    "rows_read": [10, 5], "rows_loaded": [10, 4], "rows_rejected": [0, 0],
    ...                    "rows_maidstone": [1, 1]})
    >>> reconciliation_table(df)["reconciles"].tolist()
    [True, False]
    """
    out = files.drop(columns=["month", "force"], errors="ignore").copy()
    out["reconciles"] = out["rows_read"] == out["rows_loaded"] + out["rows_rejected"]
    return out


RECONCILIATION_LABELS = {
    "source_file": "File", "rows_read": "Rows read", "rows_loaded": "Rows loaded", "rows_rejected": "Rows rejected",
    "rows_maidstone": "Maidstone rows", "reconciles": "Read = loaded + rejected",
}


def reconciliation_totals(files: pd.DataFrame) -> dict[str, int]:
    """Totals over every file: read, loaded, rejected, Maidstone, and the number of files.

    >>> df = pd.DataFrame({"rows_read": [10, 5], "rows_loaded": [10, 4], "rows_rejected": [0, 1],
    ...                    "rows_maidstone": [1, 2]})
    >>> reconciliation_totals(df)
    {'files': 2, 'rows_read': 15, 'rows_loaded': 14, 'rows_rejected': 1, 'rows_maidstone': 3}
    """
    totals = {"files": int(len(files))}
    for col in ("rows_read", "rows_loaded", "rows_rejected", "rows_maidstone"):
        totals[col] = int(files[col].sum())
    return totals


def metadata_table(meta: pd.DataFrame) -> pd.DataFrame:
    """Build metadata with readable labels; whole numbers get thousands separators.

    >>> df = pd.DataFrame({"key": ["rows_records", "mode", "extra"], "value": ["426012", "full", "x"]})
    >>> metadata_table(df).values.tolist()
    [['Build mode', 'full'], ['Records loaded (every force in the store)', '426,012'], ['extra', 'x']]
    """
    order = list(_METADATA_LABELS)
    rows = []
    for key, value in zip(meta["key"], meta["value"]):
        text = str(value) if value is not None else ""
        if key.startswith("rows_") and text.isdigit():
            text = f"{int(text):,}"
        rows.append((order.index(key) if key in order else len(order), _METADATA_LABELS.get(key, key), text))
    rows.sort(key=lambda r: (r[0], r[1]))
    return pd.DataFrame([r[1:] for r in rows], columns=["Item", "Value"])


MONTH_CHANGES_MD = (
    "police.uk re-publishes months: outcomes are updated as investigations end, and records are added or "
    "withdrawn. Each monthly refresh adds the new month and replaces every revised month in place; months "
    "police.uk no longer publishes (it keeps 36) stay in this store. The table lists, for each month a refresh "
    "changed, how many rows it had before and has now, the rows added and removed (compared by their published "
    "fields) and the crimes whose last outcome changed (matched by Crime ID; ASB incidents have none)."
)

_CHANGE_LABELS = {"new": "New month", "revised": "Revised"}


def month_changes_table(changes: pd.DataFrame) -> pd.DataFrame:
    """The refresh change report for display: readable month and change, counts as whole numbers.

    >>> df = pd.DataFrame({"refreshed_at_utc": [pd.Timestamp("2026-01-20 04:31:02")], "archive": ["x/2025-12.zip"],
    ...     "month": [dt.date(2025, 6, 1)], "force": ["kent"], "change": ["revised"], "rows_before": [14201],
    ...     "rows_after": [14200], "rows_added": [1], "rows_removed": [2], "outcomes_revised": [5],
    ...     "rejected_before": [0], "rejected_after": [0]})
    >>> month_changes_table(df).iloc[0].tolist()
    ['2026-01-20 04:31', 'Jun 2025', 'kent', 'Revised', '14,201', '14,200', '1', '2', '5', 'x/2025-12.zip']
    """
    def count(value) -> str:
        return "" if value is None or pd.isna(value) else f"{int(value):,}"

    return pd.DataFrame({
        "Refreshed (UTC)": [pd.Timestamp(t).strftime("%Y-%m-%d %H:%M") for t in changes["refreshed_at_utc"]],
        "Month": [_as_date(m).strftime("%b %Y") for m in changes["month"]],
        "Force": changes["force"].astype(str).tolist(),
        "Change": [_CHANGE_LABELS.get(c, c) for c in changes["change"]],
        "Rows before": [count(v) for v in changes["rows_before"]],
        "Rows now": [count(v) for v in changes["rows_after"]],
        "Rows added": [count(v) for v in changes["rows_added"]],
        "Rows removed": [count(v) for v in changes["rows_removed"]],
        "Outcomes revised": [count(v) for v in changes["outcomes_revised"]],
        "Archive": changes["archive"].astype(str).tolist(),
    })


def derivation_table(deriv: pd.DataFrame) -> pd.DataFrame:
    """The May-2024 ward -> cluster derivation for display, low-confidence rows flagged.

    >>> df = pd.DataFrame({"ward_2024_code": ["E1"], "ward_2024_name": ["X"], "cluster_2024": ["Cluster 5"],
    ...                    "cluster_sub_group": [None], "cluster_share_of_residents": [0.561],
    ...                    "cluster_is_low_confidence": [True], "cluster_derivation": ["Bridge 56%"]})
    >>> derivation_table(df).astype(str).iloc[0].tolist()
    ['X', 'E1', 'Cluster 5 (derived)', '56.1', 'Low: check locally', 'Bridge 56%']
    """
    def cluster(c, sub):
        return f"{c}{f' ({sub})' if isinstance(sub, str) and sub else ''} (derived)"

    return pd.DataFrame({
        "May-2024 ward": deriv["ward_2024_name"],
        "Ward code": deriv["ward_2024_code"],
        "Cluster": [cluster(c, s) for c, s in zip(deriv["cluster_2024"], deriv["cluster_sub_group"])],
        "% of residents from that cluster": (deriv["cluster_share_of_residents"] * 100).round(1),
        "Confidence": ["Low: check locally" if low else "Clear" for low in deriv["cluster_is_low_confidence"]],
        "Residents came from (pre-2024 wards)": deriv["cluster_derivation"],
    })


def population_table(pops: pd.DataFrame) -> pd.DataFrame:
    """Population bases in the store, with readable names and which one rates use.

    >>> df = pd.DataFrame({"area_type": ["ward_2024"], "basis": ["mid2024"], "is_rate_default": [True],
    ...                    "areas": [22], "residents": [187767]})
    >>> population_table(df).astype(str).iloc[0].tolist()
    ['May-2024 wards', 'ONS mid-2024 estimate', 'Yes', '22', '187767']
    """
    return pd.DataFrame({
        "Areas": [_AREA_TYPES.get(a, a) for a in pops["area_type"]],
        "Population basis": [_BASES.get(b, b) for b in pops["basis"]],
        "Used for rates": ["Yes" if d else "Alternative" for d in pops["is_rate_default"]],
        "Number of areas": pops["areas"].astype("int64"),
        "Residents (total)": pops["residents"].astype("int64"),
    })


def unmeasurable_table(priorities: pd.DataFrame) -> pd.DataFrame:
    """Priorities and themes police.uk cannot (fully) measure: measurable 'no' or 'partial'.

    >>> df = pd.DataFrame({"name": ["A", "B", "C"], "kind": ["priority", "theme", "theme"],
    ...                    "measurable": ["yes", "no", "partial"], "what_it_cannot": ["-", "x", "y"]})
    >>> unmeasurable_table(df)[["Priority or theme", "Measurable from police.uk"]].values.tolist()
    [['B', 'No'], ['C', 'Partly']]
    """
    rows = priorities[priorities["measurable"].isin(["no", "partial"])]
    rows = rows.assign(_order=rows["measurable"].map({"no": 0, "partial": 1})).sort_values(["_order", "name"])
    return pd.DataFrame({
        "Priority or theme": rows["name"],
        "Kind": rows["kind"].map({"priority": "Priority", "theme": "Cross-cutting theme"}).fillna(rows["kind"]),
        "Measurable from police.uk": rows["measurable"].map(_MEASURABLE),
        "What police.uk cannot show": rows["what_it_cannot"],
    }).reset_index(drop=True)


def lsoa_vintage_table(vintage: pd.DataFrame) -> pd.DataFrame:
    """Maidstone records by year and how their LSOA code was read, for display.

    >>> df = pd.DataFrame({"year": [2022], "uses_2011_codes": [True],
    ...                    "how_placed": ["2011 code, merged in 2021"], "records": [76], "records_recoded": [76]})
    >>> lsoa_vintage_table(df).astype(str).iloc[0].tolist()
    ['2022', 'LSOA 2011', '2011 code, merged in 2021', '76', '76']
    """
    return pd.DataFrame({
        "Year of file": vintage["year"].astype(str),
        "LSOA codes in the file": ["LSOA 2011" if old else "LSOA 2021" for old in vintage["uses_2011_codes"]],
        "How the LSOA 2021 code was found": vintage["how_placed"],
        "Maidstone records": vintage["records"].astype("int64"),
        "Given a new code": vintage["records_recoded"].astype("int64"),
    })


# ---- the page's wording (plain English; numbers come from the store) --------------------------------------

_SOURCE_ROWS = (
    ("Street-level crime and anti-social behaviour (ASB), Kent Police force files",
     "police.uk (data.police.uk), Home Office", "Open Government Licence v3.0"),
    ("Ward, LSOA and district boundaries; ward, LSOA and district populations",
     "Office for National Statistics (ONS)", "Open Government Licence v3.0"),
    ("Postcodes and their grid positions (search), Code-Point Open 2025.4",
     "Ordnance Survey (OS Code-Point Open)", "Open Government Licence v3.0 (OS OpenData)"),
    ("Partner figures (needle finds, domestic abuse, MARAC, youth justice, surveys and others)",
     "Safer Maidstone Partnership, Strategic Assessment 2024/25", "As published by the partnership"),
)
SOURCES_MD = "\n| Data | Publisher | Licence |\n|---|---|---|\n" + "".join(
    f"| {data} | {publisher} | {licence} |\n" for data, publisher, licence in _SOURCE_ROWS) + """

Attribution: *Contains public sector information licensed under the Open Government Licence v3.0.
Source: Office for National Statistics licensed under the Open Government Licence v.3.0.
Contains OS data © Crown copyright and database right 2013–2025.*
Postcodes: *Contains OS data © Crown copyright and database right 2025. Contains Royal Mail data © Royal Mail
copyright and database right 2025. Contains National Statistics data © Crown copyright and database right 2025.*
Partner figures are transcribed as published in the SMP Strategic Assessment 2024/25; where the report
contradicts itself the figure carries a note. They are not police.uk data and are never added to police.uk counts.
"""

POLICE_UK_MD = """
- **Locations are anonymised.** police.uk moves every crime to the nearest of a fixed set of "snap points"
  (the centre of a street, a public place or a building). A location such as *"On or near Week Street"* is an
  anonymised map point, **not an address**, and several incidents at different places share one point.
- **ASB incidents are not crimes.** Anti-social behaviour is recorded as incidents; they have no crime reference
  and no outcome. "All crime" in this dashboard is victim-based crime plus crimes against society, as in the
  Strategic Assessment; ASB is always shown separately.
- **Outcomes are a snapshot.** The "last outcome" of a crime is as it stood when each monthly file was downloaded;
  later outcomes are not shown.
- **police.uk is not the police recorded crime series.** police.uk leaves out crimes it cannot place on the map
  and some offences (fraud, for example, is recorded by Action Fraud), groups offences into 14 broad types and is
  not revised in the same way. Its counts therefore differ from the Kent Police recorded crime figures in the
  Strategic Assessment: use this dashboard for patterns and trends, and the Strategic Assessment for official totals.
"""

ACCESSIBILITY_MD = """
This dashboard aims to meet the **Web Content Accessibility Guidelines (WCAG) 2.2 at level AA**.

- **Colour.** Charts and maps use colour-blind-safe palettes (Okabe–Ito, single-hue blues, purple–orange for
  change). Colour is never the only signal: increases and decreases are also written as signed numbers, missing
  months are labelled "no data", and the meaning of every colour is given in the legend or caption.
- **Every chart has a table.** Each chart and map has a table of exactly the plotted numbers and a CSV download,
  under "Table and download" below it. **Open every table** in the sidebar opens them all at once (for a screen
  reader, or to print a page with its tables).
- **Keyboard.** All filters and controls are standard Streamlit widgets that can be reached and used with the
  keyboard (Tab, arrow keys, Enter). The link, button or tab that has the keyboard focus shows a dark blue ring,
  which differs from the highlight of the page you are on. Charts have no toolbar, so they add no extra stops
  when you Tab through a page.
- **Text.** Body text and captions are dark on white or light grey with a contrast ratio of at least 4.5:1;
  numbers use thousands separators. Statistical terms are explained in plain words where they are used.
- **Phones.** On a narrow screen the filters are behind the **Filters** button at the top left, tables show each
  row's name and its main numbers (the CSV download has every column), and maps are drawn to the screen's width
  with their legend underneath.
- **How it is checked.** Every page and every SMP priority section is tested automatically in a real browser at
  desktop (1366 × 900) and phone (390 × 844) sizes with axe-core 4.14.1 against the WCAG 2.0, 2.1 and 2.2 A and
  AA rules; a failure stops a release. On the last check no page had a failure.

**Streamlit's own markup.** The dashboard is built with Streamlit, whose page furniture (menu, sidebar, widgets)
the dashboard does not write. Two problems in it are worked around here: Streamlit draws a menu with named
sections as a list containing non-list items (axe-core rules *list* and *listitem*), so the menu is one plain
list of pages; and Streamlit fades some captions to about 3:1 contrast, so the dashboard's captions are drawn at
full strength. What automatic tests cannot settle: the interactive tables are drawn on a canvas by Streamlit's
data grid, which screen readers read less well than plain tables (the CSV download and the printable summaries
carry the same figures), and the maps' hover detail needs a mouse.

**Known limitations.** Some detail on the maps appears only when hovering with a mouse; the same figures are
always in the table under each map. Screen readers read chart titles and captions, not the plotted shapes: use
the tables.

**Feedback and contact.** If something is hard to use or you need the data in another format, contact the
Safer Maidstone Partnership, Maidstone Borough Council.
"""


def locations_md(loc: dict) -> str:
    """What the store says about locations: snap points, records with no location.

    >>> print(locations_md({"records": 100, "records_on_or_near": 90, "records_no_location": 10,
    ...                     "asb_no_location": 1, "records_no_district": 11, "records_maidstone": 5,
    ...                     "forces": "Kent Police"}))
    ... # doctest: +NORMALIZE_WHITESPACE
    Of the 100 Kent Police records loaded, 90 have an "On or near …" snap point and 10 have no location at all
    (1 of them ASB). Records that cannot be placed in a district (11 in all, including those with no location)
    are counted in no Kent district, ward or LSOA, so they are left out of every Maidstone figure. 5 records are
    in Maidstone.
    """
    return (
        f"Of the {loc['records']:,} {md_escape(loc.get('forces') or 'Kent Police')} records loaded, "
        f"{loc['records_on_or_near']:,} have an "
        f"\"On or near …\" snap point and {loc['records_no_location']:,} have no location at all "
        f"({loc['asb_no_location']:,} of them ASB). Records that cannot be placed in a district "
        f"({loc['records_no_district']:,} in all, including those with no location) are counted in no Kent "
        "district, ward or LSOA, so they are left out of every Maidstone figure. "
        f"{loc['records_maidstone']:,} records are in Maidstone."
    )


def placement_md(methods: pd.DataFrame, n_wards: dict[str, int]) -> str:
    """How records were placed in wards, with the point / LSOA-fallback counts.

    >>> m = pd.DataFrame({"location_method": ["point", "lsoa_lookup"], "records": [990, 10], "forces": "Kent Police"})
    >>> print(placement_md(m, {"2022": 26, "2024": 22}))  # doctest: +ELLIPSIS
    Maidstone has two ward boundary sets: the **26 wards in force until May 2024** ...
    """
    counts = dict(zip(methods["location_method"], methods["records"].astype(int)))
    total = sum(counts.values())
    forces = md_escape(methods["forces"].iloc[0] if "forces" in methods and len(methods) else "Kent Police")
    point, fallback, none = counts.get("point", 0), counts.get("lsoa_lookup", 0), counts.get("none", 0)
    text = (
        f"Maidstone has two ward boundary sets: the **{n_wards['2022']} wards in force until May 2024** (used by the "
        f"Strategic Assessment 2024/25) and the **{n_wards['2024']} wards from May 2024**. Every record is placed "
        "in a ward of **both** sets by its point (point-in-polygon on the ONS boundaries), so any period can be "
        "shown on either set.\n\n"
        f"Of {total:,} {forces} records in Maidstone, **{point:,}** were placed by their point. **{fallback:,}** had a point "
        "outside every ward polygon (the ONS boundaries are generalised, so a snap point on the borough edge can "
        "fall just outside) and were placed by their LSOA's ward instead (ONS best-fit for May-2024 wards; "
        "area-majority for pre-2024 wards)."
    )
    if none:
        text += f" {none:,} could not be placed in a ward at all."
    return text


def lsoa_md(vintage: pd.DataFrame) -> str:
    """The LSOA vintage sentence, with the number of records whose 2011 LSOA was split.

    >>> v = pd.DataFrame({"year": [2022], "uses_2011_codes": [True], "how_placed": [
    ...     "2011 code, split in 2021 (resolved by the point)"], "records": [35], "records_recoded": [35]})
    >>> "35 records" in lsoa_md(v)
    True
    """
    split = int(vintage.loc[vintage["how_placed"].str.contains("split"), "records"].sum())
    old_years = sorted({str(y) for y, old in zip(vintage["year"], vintage["uses_2011_codes"]) if old})
    new_years = sorted({str(y) for y, old in zip(vintage["year"], vintage["uses_2011_codes"]) if not old})
    return (
        f"police.uk files for {', '.join(old_years) or 'no year'} use **2011 LSOA codes**; files for "
        f"{', '.join(new_years) or 'no year'} use **2021 LSOA codes**. This dashboard shows everything on the 2021 "
        "LSOAs, using the ONS LSOA 2011 → 2021 lookup: unchanged and merged LSOAs map one to one; where a 2011 LSOA "
        f"was split in 2021 ({split:,} records) the record's point decides which new LSOA it is in (or the nearest "
        "new LSOA if the point falls in neither)."
    )


def display_strings(df: pd.DataFrame) -> pd.DataFrame:
    """A frame as display text for a static table: thousands separators for whole numbers, one decimal
    for other numbers, blank for missing values.

    >>> display_strings(pd.DataFrame({"n": [1234, 5], "x": [0.56, None], "t": ["a", None]})).values.tolist()
    [['1,234', '0.6', 'a'], ['5', '', '']]
    """
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        values = df[col]
        if pd.api.types.is_bool_dtype(values):
            out[col] = values.map({True: "Yes", False: "No"})
        elif pd.api.types.is_integer_dtype(values):
            out[col] = values.map(lambda n: f"{n:,}")
        elif pd.api.types.is_float_dtype(values):
            out[col] = values.map(lambda x: "" if pd.isna(x) else f"{x:,.1f}")
        else:
            out[col] = values.map(lambda x: "" if x is None or (isinstance(x, float) and pd.isna(x)) else str(x))
    return out


def derivation_note(note: str) -> str:
    """The store's derivation note for readers: the method, without the "Derived by ..." lead-in
    (the page says that already) or the maintainer's editing hint.

    >>> derivation_note("Derived by this project (not published by the SMP): each ward joins the cluster "
    ...                 "that supplied most residents. Edit boundaries/data/clusters_2024.csv to change.")
    'Each ward joins the cluster that supplied most residents.'
    """
    text = note.split("): ", 1)[-1] if note.startswith("Derived") else note
    sentences = [s for s in text.split(". ") if s and not s.startswith("Edit ")]
    out = ". ".join(sentences).strip()
    out = out[:1].upper() + out[1:]
    return out if out.endswith(".") else out + "."


def forces_table(forces: pd.DataFrame) -> pd.DataFrame:
    """The ``forces_summary`` rows for display: which forces the store holds and where their records are.

    >>> df = pd.DataFrame({"force": ["kent", "btp"], "force_name": ["Kent Police", "British Transport Police"],
    ...                    "records": [100, 7], "records_kent": [99, 5], "records_maidstone": [9, 1],
    ...                    "records_no_district": [1, 0], "first_month": [None, None], "last_month": [None, None],
    ...                    "months_present": [4, 4], "months_missing": [0, 0]})
    >>> forces_table(df).iloc[1].tolist()
    ['British Transport Police', 'btp', '7', '5', '1', '0', '4', '0', 'added only when chosen in the filters']
    """
    return pd.DataFrame({
        "Police force": forces["force_name"],
        "Slug": forces["force"],
        "Records": [f"{int(v):,}" for v in forces["records"]],
        "In Kent and Medway districts": [f"{int(v):,}" for v in forces["records_kent"]],
        "In Maidstone": [f"{int(v):,}" for v in forces["records_maidstone"]],
        "No location (no district)": [f"{int(v):,}" for v in forces["records_no_district"]],
        "Months loaded": [f"{int(v):,}" for v in forces["months_present"]],
        "Months missing": [f"{int(v):,}" for v in forces["months_missing"]],
        "In the dashboard's figures": ["always (the default)" if f == "kent" else "added only when chosen in the filters"
                                       for f in forces["force"]],
    })


FORCES_MD = (
    "Figures count **Kent Police** records, as the Strategic Assessment does. police.uk also publishes records of "
    "other forces whose snap point lies in Maidstone: British Transport Police records incidents at railway "
    "stations and on trains, and a neighbouring force may record an incident just over its border. When the store "
    "holds such records, the filter bar offers to add them to the Maidstone figures; every figure then says which "
    "forces it counts, and a month missing for any of those forces is a gap."
)

"""Pure display helpers for the partner pages (no Streamlit, no store)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd

__all__ = ["VISIBILITY", "RESTRICTED_LABEL", "PUBLIC_LABEL", "THEME_LABELS", "preview_table", "reconciliation_line",
           "rejects_table", "rejects_csv", "access_label", "theme_label", "indicator_table", "uploads_table",
           "period_label"]

RESTRICTED_LABEL = "🔒 Restricted"
PUBLIC_LABEL = "Public"
# the uploader's choice; restricted is first, so it is the default
VISIBILITY = {
    "restricted": "Restricted: signed-in partners only (default)",
    "public": "Public: shown on the public dashboard to everyone",
}


def preview_table(content: bytes, rows: int = 20) -> pd.DataFrame:
    """The first ``rows`` data rows of an uploaded CSV, as text, exactly as written.

    >>> preview_table(b"a,b\\n1,x\\n2,y\\n", rows=1)
       a  b
    0  1  x
    """
    # read lazily: only the header and the first rows are decoded, whatever the file's size
    text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return pd.DataFrame()
    body = []
    try:
        for row in reader:
            if len(body) >= rows:
                break
            body.append((row + [""] * len(header))[: len(header)] if len(header) else row)
    except csv.Error:
        pass
    names = [h or f"column {i + 1}" for i, h in enumerate(header)]
    return pd.DataFrame(body, columns=names)


def reconciliation_line(rows_read: int, rows_loaded: int, rows_rejected: int) -> str:
    """
    >>> reconciliation_line(5, 4, 1)
    'Rows read 5 = would load 4 + rejected 1.'
    """
    return f"Rows read {rows_read:,} = would load {rows_loaded:,} + rejected {rows_rejected:,}."


def rejects_table(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows for display: line, reason, the row as written.

    >>> rejects_table(pd.DataFrame({"source_file": ["f"], "line": [3], "reason": ["bad"], "raw": ["x,y"]}))
       Line Reason Row as written
    0     3    bad            x,y
    """
    out = rejects[["line", "reason", "raw"]].copy()
    out.columns = ["Line", "Reason", "Row as written"]
    return out.reset_index(drop=True)


def rejects_csv(rejects: pd.DataFrame) -> bytes:
    """The rejected rows as a CSV, formula-like text neutralised (the rows are the uploader's own text).

    >>> rejects_csv(pd.DataFrame({"source_file": ["f.csv"], "line": [3], "reason": ["bad"], "raw": ["=cmd"]}))
    b"\\xef\\xbb\\xbfsource_file,line,reason,raw\\r\\nf.csv,3,bad,'=cmd\\r\\n"
    """
    from dashboard.downloads import csv_bytes  # noqa: PLC0415

    return csv_bytes(rejects[["source_file", "line", "reason", "raw"]])


THEME_LABELS = {
    "serious_violence_organised_crime": "Serious violence and organised crime",
    "domestic_abuse": "Domestic abuse",
    "safe_town_centre": "Safe town centre",
    "children_young_people": "Children and young people",
    "asb": "Anti-social behaviour (ASB)",
    "substance_misuse": "Substance misuse",
    "mental_health": "Mental health",
    "reoffending": "Reoffending",
    "public_perception": "Public perception",
}


def theme_label(theme: str) -> str:
    """
    >>> theme_label("asb"), theme_label("new_theme")
    ('Anti-social behaviour (ASB)', 'New theme')
    """
    return THEME_LABELS.get(theme, str(theme).replace("_", " ").capitalize())


def access_label(is_restricted) -> str:
    """
    >>> access_label(True), access_label(False)
    ('🔒 Restricted', 'Public')
    """
    return RESTRICTED_LABEL if bool(is_restricted) else PUBLIC_LABEL


def as_date(value) -> dt.date | None:
    """A stored period date as a plain date; None for a missing one (NULL, NaN, NaT).

    >>> as_date(pd.Timestamp("2023-02-01")), as_date(None), as_date(float("nan"))
    (datetime.date(2023, 2, 1), None, None)
    """
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def period_label(period_type: str, start, end) -> str:
    """A readable period; an empty end is open-ended ("since ...").

    >>> period_label("financial_year", dt.date(2022, 4, 1), dt.date(2023, 3, 31))
    '2022/23'
    >>> period_label("calendar_year", dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    '2023'
    >>> period_label("month", dt.date(2023, 11, 1), dt.date(2023, 11, 30))
    'Nov 2023'
    >>> period_label("custom", dt.date(2023, 2, 1), None)
    'since Feb 2023'
    >>> period_label("custom", dt.date(2022, 12, 1), dt.date(2023, 11, 30))
    'Dec 2022 – Nov 2023'
    """
    s, e = as_date(start), as_date(end)
    if s is None:
        return ""
    if e is None:
        return f"since {s:%b %Y}"
    if period_type == "financial_year":
        return f"{s.year}/{str(s.year + 1)[-2:]}"
    if period_type == "calendar_year":
        return str(s.year)
    if period_type == "month":
        return f"{s:%b %Y}"
    return f"{s:%b %Y} – {e:%b %Y}"


def indicator_table(df: pd.DataFrame) -> pd.DataFrame:
    """Partner rows for the partner data page: access first, a readable period, who/when for uploads."""
    if df.empty:
        return pd.DataFrame(columns=["Access", "Indicator", "Area", "Period", "Value", "Unit", "Source",
                                     "Note", "Loaded from", "Uploaded by", "Uploaded at"])
    out = pd.DataFrame({
        "Access": df["is_restricted"].map(access_label),
        "Indicator": df["indicator"],
        "Area": df["area_name"],
        "Period": [period_label(t, s, e) for t, s, e in zip(df["period_type"], df["period_start"], df["period_end"])],
        "Value": df["value"],
        "Unit": df["unit"],
        "Source": df["source_table"],
        "Note": df["note"],
        "Loaded from": df["loaded_from"],
        "Uploaded by": df.get("uploaded_by"),
        "Uploaded at": df.get("uploaded_at"),
    })
    return out.reset_index(drop=True)


def uploads_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per upload: when, who, file, rows and access."""
    cols = ["Uploaded at (UTC)", "Uploaded by", "File", "Rows", "Access", "Themes", "Upload id"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    access = [
        RESTRICTED_LABEL if r == n else PUBLIC_LABEL if r == 0 else f"{RESTRICTED_LABEL} ({r} of {n} rows)"
        for r, n in zip(df["restricted_rows"], df["rows"])
    ]
    out = pd.DataFrame({
        "Uploaded at (UTC)": df["uploaded_at"], "Uploaded by": df["uploaded_by"], "File": df["loaded_from"],
        "Rows": df["rows"], "Access": access, "Themes": df["themes"], "Upload id": df["upload_id"],
    })
    return out[cols].reset_index(drop=True)

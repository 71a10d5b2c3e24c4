"""CSV downloads: safe for spreadsheets, rounded sensibly, named by view, area and period, and saying
what they contain.

Pure functions (no Streamlit); :func:`dashboard.charts.download_csv` puts them together for every
download button of the dashboard.

* **Formula neutralisation** (OWASP "CSV Injection"): a text cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return (or a line feed) is prefixed with a single quote, so a
  spreadsheet shows it as text instead of running it; the csv writer quotes cells with quotes,
  commas or line breaks. Numbers stay numbers: numeric columns are never touched, and a text cell
  that is just a number (``-12``, ``-9.1%``, ``+1,234``) is not a formula and is left alone.
* **Rounding**: whole-number floats (counts with gaps) are written as integers, with gaps empty;
  other floats to 2 decimals, 4 significant figures below 1 (proportions, p-values), 5 decimals
  for coordinates.
* **Name**: ``<page>_<view>_<area>_<period>.csv`` in lower-case ASCII with hyphens.
* **Preamble**: lines starting with ``#`` above the header say the dashboard, page and view, the area,
  period and filters, the link to the view and the source. Spreadsheets show them as the first rows;
  ``pandas.read_csv(path, comment="#")`` or ``skiprows`` reads past them.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = ["FORMULA_START", "neutralise_cell", "neutralise_frame", "round_for_csv", "slug", "csv_filename",
           "csv_bytes"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"^[+\-−]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\s?%?$")
_COORDINATE = re.compile(r"(?i)^(lon|lat|longitude|latitude|x|y)(_|$)")


def neutralise_cell(value):
    """A cell as a spreadsheet should show it: text that could start a formula gets a leading quote.

    >>> [neutralise_cell(v) for v in ["=1+1", "+44 20", "-1+cmd|' /C calc'!A0", "@SUM(A1)", "\\tx", "\\rx"]]
    ["'=1+1", "'+44 20", "'-1+cmd|' /C calc'!A0", "'@SUM(A1)", "'\\tx", "'\\rx"]
    >>> [neutralise_cell(v) for v in [-44.86, -12, "-12", "-9.1%", "+1,234", "Shoplifting", None]]
    [-44.86, -12, '-12', '-9.1%', '+1,234', 'Shoplifting', None]
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every text cell and column label neutralised; numeric columns untouched.

    >>> out = neutralise_frame(pd.DataFrame({"=x": ["=HYPERLINK(1)", "ok"], "n": [-1, 2]}))
    >>> out.columns.tolist(), out["'=x"].tolist(), out["n"].tolist()
    (["'=x", 'n'], ["'=HYPERLINK(1)", 'ok'], [-1, 2])
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_cell).astype(object)
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def _rounded(name: object, values: pd.Series) -> pd.Series:
    if _COORDINATE.match(str(name)):
        return values.round(5)
    finite = values[np.isfinite(values.to_numpy(dtype="float64", na_value=np.nan))]
    if len(finite) and finite.abs().max() < 1:  # proportions, p-values: 4 significant figures
        return values.map(lambda v: v if not math.isfinite(v) else float(f"{v:.4g}"))
    return values.round(2)


def round_for_csv(df: pd.DataFrame) -> pd.DataFrame:
    """Floats rounded for reading: whole numbers as integers (gaps stay empty), else 2 decimals
    (4 significant figures when every value is below 1, e.g. p-values; 5 decimals for coordinates).

    >>> df = pd.DataFrame({"change_pct": [-44.85981308411215, 3.0], "records": [12.0, float("nan")],
    ...                    "p_value": [0.000123456, 0.5], "lon": [0.5212345678, 0.6]})
    >>> round_for_csv(df).to_dict("list")
    {'change_pct': [-44.86, 3.0], 'records': [12, None], 'p_value': [0.0001235, 0.5], 'lon': [0.52123, 0.6]}
    """
    out = df.copy()
    for col in out.columns:
        values = out[col]
        if not pd.api.types.is_float_dtype(values):
            continue
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        finite = arr[np.isfinite(arr)]
        if len(finite) and np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2**53):
            out[col] = pd.array([None if not math.isfinite(v) else int(v) for v in arr], dtype="Int64")
        else:
            out[col] = _rounded(col, values.astype("float64"))
    return out


def slug(text: object, limit: int = 40) -> str:
    """Lower-case ASCII words joined by hyphens (for file names).

    >>> slug("Cluster 5 (derived)"), slug("Jan 2025 – Dec 2025"), slug("Bearsted & Thurnham ward"), slug("<b>")
    ('cluster-5-derived', 'jan-2025-dec-2025', 'bearsted-thurnham-ward', 'b')
    """
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:limit].strip("-")


def csv_filename(page: str, view: str, area: str | None = None, period: str | None = None) -> str:
    """``page_view_area_period.csv``: the view from the helper's own file name, the area and period
    of the figures (left out for tables that do not depend on them).

    >>> csv_filename("overview", "monthly_trend.csv", "Maidstone borough", "2025-01 to 2025-12")
    'overview_monthly-trend_maidstone-borough_2025-01-to-2025-12.csv'
    >>> csv_filename("priorities", "needle_finds_xmr.csv")
    'priorities_needle-finds-xmr.csv'
    """
    stem = view[:-4] if view.lower().endswith(".csv") else view
    parts = [slug(page) or "dashboard", slug(stem, 60) or "table"]
    parts += [s for s in (slug(area or ""), slug(period or "")) if s]
    name = "_".join(parts)
    return name[:150] + ".csv"


def _preamble_cell(line: str) -> str:
    return "# " + " ".join(str(line).split())  # one line each


def csv_bytes(df: pd.DataFrame, preamble: Sequence[str] | Iterable[str] = ()) -> bytes:
    """The CSV a download button serves: preamble lines (``# ...``), the header and the rows, rounded
    and neutralised, UTF-8 with a byte-order mark (so spreadsheet programs read ``–`` and ``£`` right).

    >>> print(csv_bytes(pd.DataFrame({"type": ["=cmd", "Burglary"], "change": [-3.14159, 2.0]}),
    ...                 ["Area: Maidstone borough"]).decode("utf-8-sig").replace("\\r\\n", "\\n"), end="")
    # Area: Maidstone borough
    type,change
    '=cmd,-3.14
    Burglary,2.0
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; a cell holding CR or LF is then quoted
    for line in preamble:
        writer.writerow([neutralise_cell(_preamble_cell(line))])
    body = neutralise_frame(round_for_csv(df))
    body.to_csv(buf, index=False, lineterminator="\r\n")
    return buf.getvalue().encode("utf-8-sig")

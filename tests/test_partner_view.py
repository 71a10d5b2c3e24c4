"""Pure helpers of the partner pages (dashboard/partner_view.py): doctests plus table shaping."""

import datetime as dt
import doctest

import pandas as pd

from dashboard import partner_view as pv


def test_doctests():
    result = doctest.testmod(pv)
    assert result.attempted >= 8 and result.failed == 0


def test_preview_keeps_text_as_written_and_pads_short_rows():
    table = pv.preview_table(b"\xef\xbb\xbfa,b,c\n1,002,x\n3\n", rows=5)
    assert list(table.columns) == ["a", "b", "c"]
    assert table.values.tolist() == [["1", "002", "x"], ["3", "", ""]]


def test_indicator_table_marks_restricted_rows_and_open_ended_periods():
    df = pd.DataFrame({
        "is_restricted": [True, False], "indicator": ["A", "B"], "area_name": ["Maidstone", "High Street"],
        "period_type": ["custom", "calendar_year"], "period_start": [dt.date(2023, 2, 1), dt.date(2023, 1, 1)],
        "period_end": [None, dt.date(2023, 12, 31)], "value": [1.0, 2.0], "unit": ["count", "count"],
        "source_table": ["s", "t"], "note": [None, "n"], "loaded_from": ["up.csv", "pub.csv"],
        "uploaded_by": ["jo", None], "uploaded_at": [pd.Timestamp("2026-01-02 03:04"), pd.NaT],
    })
    out = pv.indicator_table(df)
    assert out["Access"].tolist() == ["🔒 Restricted", "Public"]
    assert out["Period"].tolist() == ["since Feb 2023", "2023"]
    assert out["Uploaded by"].tolist()[0] == "jo"


def test_uploads_table_says_which_uploads_are_restricted():
    df = pd.DataFrame({"upload_id": ["u1", "u2", "u3"], "loaded_from": ["a.csv", "b.csv", "c.csv"],
                       "uploaded_by": ["jo"] * 3, "uploaded_at": [pd.Timestamp("2026-01-01")] * 3,
                       "rows": [3, 2, 4], "restricted_rows": [3, 0, 1], "indicators": [1, 1, 1],
                       "themes": ["asb"] * 3})
    assert pv.uploads_table(df)["Access"].tolist() == ["🔒 Restricted", "Public", "🔒 Restricted (1 of 4 rows)"]
    assert pv.uploads_table(df.iloc[0:0]).empty

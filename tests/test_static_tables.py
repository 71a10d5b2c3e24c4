"""Static tables (``safe_text.table_html`` / ``charts.static_table``) and the phone copy of ``show_table``:
what the page sends, how numbers read, and that no data grid is sent where a static table will do.

A data grid (``st.dataframe``) loads and paints a canvas on every visit, even when CSS hides it (the phone
copy on a wide screen); ``bench/browser.py`` measured 0.2-0.4 s of a warm visit per page for them.
"""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard.charts import shown_numbers
from tests.apptest_helpers import parse_table, read_numbers, shown_tables


def _app(kind: str) -> AppTest:
    def script():
        import pandas as pd
        import streamlit as st

        from dashboard import charts

        wide = pd.DataFrame({
            "Ward": ["Barming Heath & Teston", "High Street", "<b>Bold</b> Ward"],
            "Records, Jan–Dec 2025": pd.array([1234, 56, None], "Int64"),
            "Per 1,000 residents, Jan–Dec 2025": [12.345, 3.0, None],
            "% change since the comparison months": [-5.04, 12.0, None],
            "Records, Jan–Dec 2024": pd.array([1300, 50, 7], "Int64"),
            "Comparison per 1,000 residents": [13.0, 2.5, 1.25],
            "Ward code": ["E05015594", "E05015603", "E05015999"],
        })
        kind = st.session_state.get("kind")
        if kind == "static":
            charts.static_table(wide, "t", "t.csv")
        else:
            charts.show_table(wide, "t", "t.csv")

    at = AppTest.from_function(script, default_timeout=60)
    at.session_state["kind"] = kind
    return at.run()


def test_show_table_sends_one_data_grid_and_a_static_phone_copy():
    at = _app("grid")
    assert not at.exception
    assert len(at.dataframe) == 1  # the wide copy only: the phone copy is not a second grid
    (phone,) = shown_tables(at, "tbln_t")
    assert list(phone.columns)[0] == "Ward" and 2 <= len(phone.columns) < 7  # fewer columns than the grid
    assert phone["Ward"].tolist() == ["Barming Heath & Teston", "High Street", "<b>Bold</b> Ward"]  # as written
    assert phone["Records, Jan–Dec 2025"].tolist() == ["1,234", "56", "no data"]  # a gap reads "no data"


def test_static_table_sends_no_data_grid_and_reads_as_the_numbers():
    at = _app("static")
    assert not at.exception
    assert not at.dataframe
    (table,) = shown_tables(at, "tbl_t")
    assert len(table.columns) == 7
    got = read_numbers(table).set_index("Ward")
    assert got.loc["High Street", "Records, Jan–Dec 2025"] == 56
    assert got.loc["Barming Heath & Teston", "Per 1,000 residents, Jan–Dec 2025"] == 12.3  # one decimal
    assert table.set_index("Ward").loc["Barming Heath & Teston", "% change since the comparison months"] == "-5.0%"
    assert table.set_index("Ward").loc["<b>Bold</b> Ward", "Records, Jan–Dec 2025"] == "no data"
    assert [b.label for b in at.get("download_button")] == ["Download CSV"]  # the same rows as a CSV


def test_shown_numbers_follow_the_grid_formats():
    df = pd.DataFrame({"n": pd.array([1234567, None], "Int64"), "rate": [0.05, 10.0], "pct change": [1.25, -3.0],
                       "when": [pd.Timestamp("2025-01-01"), pd.NaT], "text": ["a", None]})
    shown = shown_numbers(df, "—")
    assert shown.values.tolist() == [["1,234,567", "0.1", "1.2%", "Jan 2025", "a"],
                                     ["—", "10.0", "-3.0%", "—", "—"]]


def test_a_table_body_parses_back_to_what_was_sent():
    from dashboard.safe_text import table_html

    df = pd.DataFrame({"Place": ["On or near A & B", 'Say "hi"'], "n": [1, 22]})
    assert parse_table(table_html(df)).values.tolist() == [["On or near A & B", "1"], ['Say "hi"', "22"]]


def test_kept_tables_follow_their_content(monkeypatch):
    """``safe_table`` and ``styled_table`` keep the HTML of a table they drew; a table that differs in one value,
    a heading, a type, or the styler's argument gets its own HTML, and an identical one is not laid out again."""
    import streamlit as st

    from dashboard import safe_text
    from dashboard.clusters_view import style_table

    sent, built = [], []
    real = safe_text.table_html
    monkeypatch.setattr(st, "html", sent.append)
    monkeypatch.setattr(safe_text, "table_html", lambda *a, **k: built.append(1) or real(*a, **k))
    monkeypatch.setattr(safe_text, "_KEPT", type(safe_text._KEPT)())
    a = pd.DataFrame({"Cluster": ["Cluster 1", "Cluster 2"], "n": [1, 2]})
    variants = [a, a.assign(n=[1, 3]), a.rename(columns={"n": "m"}), a.astype({"n": object}).assign(n=["1", "2"])]
    for df in variants:
        safe_text.safe_table(df)
    safe_text.safe_table(a.copy())
    assert len(set(sent[:3])) == 3 and sent[4] == sent[0]
    assert len(built) == 4  # the text "1" is laid out apart from the number 1; the copy of the first is not
    sent.clear()
    for cluster in ("Cluster 1", "Cluster 2", "Cluster 1"):
        safe_text.styled_table(style_table, a, cluster)
    one, two, again = (parse_table(h) for h in sent)
    assert sent[0] != sent[1] and sent[2] == sent[0] and len(built) == 6
    assert one.equals(two) and one.equals(again)  # the same text, a different row shaded
    assert "font-weight: bold" in sent[0] and sent[0].index("Cluster 1") < sent[0].index("Cluster 2")

"""Untrusted text is text (issue 8, item 6): URL parameter values and partner-upload text are shown as
written, never as Markdown or HTML; over-long keys and values are cut in messages; CSV downloads
neutralise formula-like cells without turning numbers into text.

The pure helpers are checked here (and by their doctests); ``tests/test_browser.py`` checks the rendered
pages in Chromium (no link, image or bold element comes out of a hostile URL or upload).
"""

from __future__ import annotations

import csv
import io
import re

import duckdb
import pandas as pd
import pytest

from dashboard.downloads import FORMULA_START, csv_bytes, csv_filename, neutralise_cell
from dashboard.safe_text import WORD_JOINER, md_escape, plotly_text, sanitize_figure, table_html
from smp_data import partner, uploads
from smp_data.partner import LONG_COLUMNS
from tests.apptest_helpers import open_page, parse_table, texts

LINK = "[Sign in here](https://evil.example/login)"
IMAGE = "![x](http://evil.example/x.png)"
HTML = "<b>x</b><img src=x onerror=alert(1)>"
BOLD = "**bold** __also__"
FORMULA = '=HYPERLINK("http://evil.example","click")'
PAYLOADS = [LINK, IMAGE, HTML, BOLD, FORMULA, "www.evil.example", "someone@evil.example", "<https://evil.example>",
            ":red[coloured] :material/home: $x^2$", "# heading\n- item\n> quote\n1. one\n---", "`code` ~~del~~ | a |",
            "&lt;b&gt; &#91;x&#93;(http://e.x)", "back\\slash \\[ stays"]

# what a Markdown renderer (CommonMark + GFM + Streamlit's directives) would turn into markup
_UNESCAPED = re.compile(r"(?<!\\)[\[\]<>*_`~$|]")
_AUTOLINK = re.compile(r"(?i)[a-z]+://|www\.|\w@\w")


def _unescape(text: str) -> str:
    """What a CommonMark renderer shows for escaped text (backslash escapes resolved)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_escape_leaves_no_markup_and_shows_the_same_characters(payload):
    out = md_escape(payload)
    assert not _UNESCAPED.search(out.replace("\\\\", "")), out
    assert not _AUTOLINK.search(out.replace(WORD_JOINER, "\x00")), out  # GFM's own link finder sees no URL
    assert not re.search(r"(?m)^\s*(#|>|-|\+|=|\d+[.)])", out), out  # no line opens a block
    assert _unescape(out).replace(WORD_JOINER, "") == payload  # nothing lost: the reader sees what was sent


TABLE_TAGS = {"div", "style", "table", "thead", "tbody", "tr", "th", "td"}  # all a static table's HTML may hold


def _tags(html_body: str) -> set[str]:
    """Every element the browser would build from ``html_body``."""
    from html.parser import HTMLParser

    found = set()

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.add(tag)

    Tags().feed(html_body)
    return found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_static_table_shows_hostile_text_as_written_and_keeps_the_styles(payload):
    df = pd.DataFrame({"Ward": [payload, "Maidstone"], "n": [1234, 2]}, index=pd.Index([payload, "x"], name="Area"))
    styler = df.reset_index().style.hide(axis="index").apply(
        lambda r: ["font-weight: bold" if r["Ward"] == "Maidstone" else "" for _ in r], axis=1)
    for data in (df, styler):
        out = table_html(data)
        assert _tags(out) <= TABLE_TAGS, _tags(out) - TABLE_TAGS  # no element comes out of the data
        shown = parse_table(out)
        assert shown["Ward"].tolist() == [payload.strip(), "Maidstone"]  # read exactly as written
        assert shown["Area"].tolist() == [payload.strip(), "x"]  # a named index is shown, escaped too
        assert shown["n"].tolist() == ["1,234", "2"]
    assert "font-weight: bold" in table_html(styler)  # the style still matched the raw value
    assert table_html(styler) == table_html(styler)  # a (cached) Styler drawn again is escaped once, not twice


def test_plotly_labels_cannot_carry_plotly_html():
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=[HTML, '<a href="https://evil.example">x</a>'], y=[1, 2], name="<b>n</b>",
                           customdata=[["<i>c</i>"], ["ok"]], hovertemplate="%{customdata[0]}"))
    sanitize_figure(fig)
    shown = [*fig.data[0].x, fig.data[0].name, *[r[0] for r in fig.data[0].customdata]]
    assert not any(re.search(r"<(?!br)", s) for s in shown), shown
    assert plotly_text("a<br>b") == "a<br>b"  # the dashboard's own line breaks stay


def _read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_neutralises_formula_cells_and_keeps_numbers_numbers():
    df = pd.DataFrame({
        "location": [FORMULA, "+44 1622 602000", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\tTAB", "\rCR", "On or near X"],
        "change": [-44.85981308411215, -3.0, 1.5, 0.0, -0.25, 2.0, -1.0],
        "records": [12, -3, 0, 7, 8, 9, 10],
        "label": ["-12", "-9.1%", "+1,234", "−449 (−9.1 %)", "x", "y", "z"],
    })
    rows = _read_csv(csv_bytes(df, ["Area: Maidstone borough"]))
    assert rows[0] == ["# Area: Maidstone borough"]
    header, body = rows[1], rows[2:]
    assert header == ["location", "change", "records", "label"]
    for raw, shown in zip(df["location"], (r[0] for r in body)):
        if raw.startswith(FORMULA_START):
            assert shown == "'" + raw
        else:
            assert shown == raw
    # numbers stay numbers, rounded: negatives are never prefixed
    assert [r[1] for r in body] == ["-44.86", "-3.0", "1.5", "0.0", "-0.25", "2.0", "-1.0"]
    assert [r[2] for r in body] == ["12", "-3", "0", "7", "8", "9", "10"]
    assert [r[3] for r in body] == ["-12", "-9.1%", "+1,234", "−449 (−9.1 %)", "x", "y", "z"]


def test_csv_counts_with_gaps_are_whole_numbers_and_gaps_stay_empty():
    rows = _read_csv(csv_bytes(pd.DataFrame({"month": ["2025-01", "2025-02"], "ASB": [120.0, float("nan")]})))
    assert rows == [["month", "ASB"], ["2025-01", "120"], ["2025-02", ""]]


def test_formula_like_text_is_neutralised_only_when_it_is_not_a_number():
    assert neutralise_cell("-5") == "-5" and neutralise_cell(-5) == -5
    assert neutralise_cell("-5-5") == "'-5-5"
    assert neutralise_cell("=5") == "'=5"


def test_csv_file_names_say_page_view_area_and_period():
    assert csv_filename("hotspots", "top_lsoas.csv", "High Street ward", "2025-01 to 2025-12") == \
        "hotspots_top-lsoas_high-street-ward_2025-01-to-2025-12.csv"
    hostile = csv_filename("overview", "x.csv", LINK, "../../etc/passwd")
    assert re.fullmatch(r"[a-z0-9_\-]+\.csv", hostile), hostile


# ---- the pages ----------------------------------------------------------------------------------------------

def _markdown_bodies(at) -> list[str]:
    """Everything the page hands to Streamlit's Markdown renderer (text elements)."""
    return texts(at).split("\n")


def _table_tags(at) -> set[str]:
    """Every element the page's static tables would build in the browser."""
    return set().union(*(_tags(h.value) for h in at.get("html") if 'class="smp-table"' in h.value))


def _raw_markup(parts: list[str]) -> list[str]:
    """Parts that still carry hostile markup a renderer would act on."""
    bad = []
    for p in parts:
        plain = p.replace("\\\\", "")
        if re.search(r"(?<!\\)\[(Sign in here|x|file)\\?\]|(?<!\\)<(b|img|https)|(?<!\\)\*\*bold", plain) or _AUTOLINK.search(plain.replace(WORD_JOINER, "\x00")) and "evil" in plain:
            bad.append(p)
    return bad


def test_hostile_url_parameters_are_shown_as_text_and_cut_short(full_store):
    long_key = "k" * 500 + LINK
    at = open_page("pages/overview.py", full_store, query_params={
        "wards": LINK, "cmp": IMAGE, "class": HTML, "priority": BOLD, long_key: LINK * 20})
    assert not at.exception
    notes = [i.body for i in at.info if "Ignored URL parameter" in i.body]
    assert len(notes) >= 5, notes
    assert not _raw_markup(notes), notes
    assert all(len(n) < 300 for n in notes), [len(n) for n in notes]  # a 500-character key is cut
    assert any(md_escape("[Sign in here]") in n for n in notes)  # quoted, escaped: readable, not a link


@pytest.mark.parametrize("page, params", [
    ("pages/hotspots.py", {"recent": LINK, "measure": IMAGE}),
    ("pages/priorities.py", {"view": LINK, "baseline": HTML}),
    ("pages/clusters.py", {"cluster": LINK}),
    ("pages/town_centre.py", {"window": IMAGE}),
    ("pages/ward_map.py", {"measure": LINK, "breaks": HTML}),
])
def test_page_parameter_messages_are_plain_text(full_store, page, params):
    at = open_page(page, full_store, query_params=params)
    assert not at.exception
    shown = [w.body for w in at.warning if "Ignored URL parameter" in w.body]
    assert len(shown) >= 1, texts(at)
    assert not _raw_markup(shown), shown


HOSTILE_FILE = "[file](https://evil.example) <b>x</b>.csv"


def hostile_rows() -> list[dict]:
    """Public partner rows whose text fields carry the payloads, on figures the ASB section draws with
    captions, note lists and static tables (CPWs by year; other ASB figures)."""
    base = dict(theme="asb", area_type="borough", area_code="E07000110", area_name="Maidstone",
                period_type="calendar_year", period_start="2024-01-01", period_end="2024-12-31", unit="count")
    return [
        {**base, "indicator_id": "cpw_issued", "indicator": LINK, "value": "5", "source_table": IMAGE,
         "note": f"{HTML} {BOLD}"},
        {**base, "indicator_id": "community_triggers_requested", "indicator": HTML, "value": "3",
         "source_table": LINK, "note": f"{LINK} {IMAGE}"},
    ]


def write_hostile_upload(store, root) -> None:
    """Record :func:`hostile_rows` as a PUBLIC upload in the uploads folder ``root``."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=LONG_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(hostile_rows())
    con = duckdb.connect(str(store), read_only=True)
    try:
        wards, districts = partner.reference_codes(con)
        known = partner.existing_keys(con)
    finally:
        con.close()
    v = partner.validate_partner_csv(buf.getvalue().encode(), HOSTILE_FILE, wards, districts, existing_keys=known)
    assert (v.rows_loaded, v.rows_rejected) == (2, 0), v.rejects
    uploads.record_upload(v, "tester", is_public=True, root=root)


def test_public_partner_upload_text_is_shown_as_written(full_store, tmp_path, monkeypatch):
    root = tmp_path / "uploads"
    write_hostile_upload(full_store, root)
    monkeypatch.setenv("SMP_UPLOADS", str(root))
    at = open_page("pages/priorities.py", full_store, query_params={"view": "asb"})
    assert not at.exception
    parts = _markdown_bodies(at)
    joined = "\n".join(parts)
    assert md_escape("[Sign in here]") in joined  # the uploaded label is shown (escaped), so this test can fail
    assert md_escape("[file]") in joined  # the uploaded file's name, in a source caption
    assert not _raw_markup(parts), _raw_markup(parts)
    assert _table_tags(at) <= TABLE_TAGS, _table_tags(at) - TABLE_TAGS

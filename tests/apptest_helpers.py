"""Helpers for Streamlit AppTest page tests: run a page of the real app against a store.

Every run goes through app.py (the router), as in the browser. Usage::

    at = open_page("pages/ward_map.py", store, query_params={"wards": "2022"})
    assert not at.exception
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import streamlit.testing.v1.app_test as _app_test_module
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from smp_data.settings import REPO_ROOT
from dashboard.charts import TABLES_OPEN_KEY

APP = str(REPO_ROOT / "app.py")
TIMEOUT = 120


class _RouterPagesManager(PagesManager):
    """Run app.py (the router) on every AppTest run, as a browser session does.

    AppTest re-detects the ``pages/`` folder before each run and then runs a page file on
    its own (Streamlit's pages-folder mode), skipping the router: no filter bar, title or
    attribution, and a rerun would not resend the router's widgets. In a real server
    ``st.navigation`` switches that mode off for the whole process once the router has
    run (and a deep link before then is sent through the router by
    ``dashboard.state.current_filters``).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


_app_test_module.PagesManager = _RouterPagesManager


@contextmanager
def store_env(store: Path):
    old = os.environ.get("SMP_DB")
    os.environ["SMP_DB"] = str(store)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SMP_DB", None)
        else:
            os.environ["SMP_DB"] = old


def open_page(page: str | None, store: Path, query_params: dict | None = None, *,
              tables_open: bool = True, session_state: dict | None = None) -> AppTest:
    """Run app.py (the router) on ``page`` with ``SMP_DB`` pointing at ``store``.

    ``tables_open``: the sidebar's "Open every table" switched on (the default here, so that page tests see
    each chart's table alternative, which is otherwise built only once opened; ``tests/test_lazy_tables.py``
    covers the closed default). ``session_state``: values set before the first run (e.g. the open tab of a
    lazy ``st.tabs`` by its key, as a reader's click would)."""
    with store_env(store):
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        if tables_open:
            at.session_state[TABLES_OPEN_KEY] = True
        for k, v in (session_state or {}).items():
            at.session_state[k] = v
        for k, v in (query_params or {}).items():
            at.query_params[k] = v
        at.run()
        if page is not None and page != "pages/overview.py":
            at.switch_page(page)
            at.run()
    return at


def rerun(at: AppTest, store: Path) -> AppTest:
    """Rerun after changing a widget (keeps SMP_DB pointing at the test store)."""
    with store_env(store):
        at.run()
    return at


def sql(store: Path, statement: str, params: dict | None = None):
    """A direct SQL answer from the same store, to check the numbers the page shows."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(statement, params or {}).fetchall()
    finally:
        con.close()


def texts(at: AppTest) -> str:
    """All text the page shows (markdown, captions, info/warning/error boxes, metrics), joined."""
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader"):
        parts += [getattr(e, "body", getattr(e, "value", "")) for e in getattr(at, kind)]
    parts += [f"{m.label}: {m.value} {m.delta}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


def vega_charts(at: AppTest) -> list[tuple[dict, dict]]:
    """Each Vega-Lite chart of the page as the browser gets it: (spec, {dataset name: DataFrame})."""
    import json  # noqa: PLC0415

    import pyarrow as pa  # noqa: PLC0415

    out = []
    for chart in at.get("vega_lite_chart"):
        data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets}
        out.append((json.loads(chart.proto.spec), data))
    return out


class _TableParser(HTMLParser):
    """The header and body cells of the ``<table class="smp-table">`` in a ``safe_table`` body, as text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.head: list[str] = []
        self.rows: list[list[str]] = []
        self._section = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr" and self._section == "tbody":
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            text = "".join(self._cell).strip()
            (self.head if self._section == "thead" else self.rows[-1]).append(text)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse_table(body: str) -> pd.DataFrame:
    """A ``safe_table`` HTML body as the reader sees it: a DataFrame of cell text (entities decoded)."""
    parser = _TableParser()
    parser.feed(body)
    return pd.DataFrame(parser.rows, columns=parser.head, dtype=object)


def shown_tables(node, key: str | None = None, phone: bool = True) -> list[pd.DataFrame]:
    """Each static table (``dashboard.safe_text.safe_table``) in a page or block, in page order, as cell text;
    with ``key``, only the tables drawn with that key (``static_table(..., key)`` draws ``tbl_<key>`` and, on
    a phone, ``tbln_<key>``); ``phone=False`` leaves out the phone copies (``tbln_``) of wide tables."""
    mark = f'data-table="{key}"' if key else 'class="smp-table"'
    return [parse_table(h.value) for h in node.get("html") if 'class="smp-table"' in h.value and mark in h.value
            and (phone or 'data-table="tbln_' not in h.value)]


def as_number(text: str):
    """A number shown in a table ("1,234", "−5", "12.5") as a number; blank is None.

    >>> [as_number(t) for t in ("1,234", "-5", "−5", "12.5", "")]
    [1234, -5, -5, 12.5, None]
    """
    text = text.replace(",", "").replace("\u2212", "-").strip()
    if not text:
        return None
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def read_numbers(table: pd.DataFrame, gaps: tuple = ("", "no data", "—")) -> pd.DataFrame:
    """A static table as read, each column of numbers ("1,234", "+22", "−7", "12.5%") as numbers (a gap word
    as None); columns of text stay text."""
    out = table.copy()
    for col in out.columns:
        try:
            numbers = out[col].map(lambda x: None if x in gaps else as_number(x.rstrip("%")))
        except ValueError:  # a column of text
            continue
        if numbers.notna().any():
            out[col] = numbers
    return out

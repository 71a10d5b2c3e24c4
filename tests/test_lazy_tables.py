"""Each chart's and map's table alternative is built only once a reader opens it (a lazy expander), its CSV
only once it is downloaded, and the sidebar's "Open every table" opens them all (for a screen reader or a
print-out). Page tests elsewhere open pages with every table open (``tests.apptest_helpers.open_page``);
these tests cover the default, closed state, and the browser path: open one table, download its CSV."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from dashboard.charts import TABLE_LABEL, TABLES_OPEN_KEY
from tests.apptest_helpers import open_page, rerun, sql
from tests.test_browser import (  # noqa: F401  (the browser test's server fixture and helpers)
    CHROMIUM,
    CHROMIUM_ARGS,
    app_server,
    exceptions,
    in_own_thread,
    open_url,
    wait_idle,
)

TREND_KEY = "x_trend_0"  # the Overview trend chart's table expander, closed (the key says so: _0)


def _tables_with(at, column: str) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if column in d.value.columns]


@pytest.fixture(scope="module")
def closed(full_store):
    return open_page(None, full_store, tables_open=False)


def test_closed_tables_are_not_built_or_sent(closed):
    labels = [e.label for e in closed.expander]
    assert labels.count(TABLE_LABEL) >= 3, labels  # trend, change by type, the two Kent charts
    assert "Table and download for the headline figures" in labels
    assert not closed.dataframe  # the Overview's only tables are its charts' alternatives
    assert not closed.get("download_button")
    assert not closed.exception


def test_opening_one_table_builds_that_table_only_with_the_sql_numbers(full_store):
    at = open_page(None, full_store, tables_open=False)
    at.session_state[TREND_KEY] = True  # what a click on the expander does
    rerun(at, full_store)
    assert not at.exception
    trend = _tables_with(at, "Month")
    assert trend, "the trend table did not appear"
    assert not _tables_with(at, "Crime type") and not _tables_with(at, "Rank by rate")  # the others stay closed
    table = trend[0]
    shown = table.dropna(subset=["ASB"])
    months = [pd.Timestamp(m).date().replace(day=1) for m in shown["Month"]]
    (expected,), = sql(full_store, "select count(*) from crime_records where district = 'Maidstone' "
                                   "and crime_class = 'ASB' and month in (select unnest($months))",
                       {"months": months})
    assert int(shown["ASB"].sum()) == expected
    assert len(at.get("download_button")) == 1  # that table's CSV only


def test_open_every_table_opens_them_all(full_store):
    at = open_page(None, full_store, tables_open=False)
    at.sidebar.toggle(key=TABLES_OPEN_KEY).set_value(True)
    rerun(at, full_store)
    assert not at.exception
    n_expanders = sum(e.label.startswith("Table and download") for e in at.expander)
    assert len(at.get("download_button")) == n_expanders  # one CSV per open table
    assert _tables_with(at, "Month") and _tables_with(at, "Crime type") and _tables_with(at, "Rank by rate")


def test_a_csv_is_written_when_its_button_is_clicked_not_on_every_run(closed, full_store):
    at = open_page(None, full_store)
    buttons = at.get("download_button")
    assert buttons and all(b.proto.deferred_file_id for b in buttons)  # a callable, run on click
    assert not any(b.proto.url for b in buttons)  # no file made in advance


@pytest.mark.browser
@pytest.mark.integration
def test_in_the_browser_a_closed_table_opens_and_its_csv_downloads(app_server, full_store):
    (expected,), = sql(full_store, "select count(*) from crime_records where district = 'Maidstone' and "
                                   "crime_class = 'ASB' and month between $a and $b",
                       {"a": dt.date(2025, 1, 1), "b": dt.date(2025, 4, 1)})
    got: dict = {}

    def flow():  # its own Playwright in its own thread (see tests.test_browser.in_own_thread)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                pg = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True).new_page()
                open_url(pg, f"{app_server.url}/")
                box = pg.locator('[data-testid="stExpander"]', has_text="Table and download for the headline figures")
                got["before"] = box.locator('[data-testid="stDataFrame"]').count()
                box.locator("summary").click()
                box.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
                wait_idle(pg)
                got["exceptions"] = exceptions(pg)
                with pg.expect_download(timeout=60_000) as info:
                    box.get_by_role("button", name="Download CSV").click()
                got["csv"] = Path(info.value.path()).read_bytes().decode("utf-8-sig")
            finally:
                browser.close()

    in_own_thread(flow)
    assert got["before"] == 0  # closed: not built, not sent
    assert not got["exceptions"], got["exceptions"]
    text = got["csv"]
    assert text.startswith("# ")  # the area, period and filters come first
    body = pd.read_csv(io.StringIO(text), comment="#")
    asb = body[body["Measure"].astype(str).str.contains("ASB")].iloc[0]
    # the like-for-like months of the default card: Jan-Apr 2025 (the comparison year has only Jan-Apr)
    assert expected in {int(v) for v in pd.to_numeric(asb.drop("Measure"), errors="coerce").dropna()}, asb

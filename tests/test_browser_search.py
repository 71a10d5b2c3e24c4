"""Browser test for Find my area (Debian chromium through Playwright) on the full store, at 390×844 (phone)
and 1366×900 (desktop): type a postcode on the landing page and press Enter, land on the area's figures
(checked against SQL); the same for a street name with a typo; hostile text stays text; the ward
choropleth carries ward names. Screenshots go to ``test-artifacts/screenshots/search_*.png``.

Run: ``pytest -m browser -k search``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import threading

import pytest

from dashboard.search_view import BOX_LABEL
from tests.apptest_helpers import sql
from tests.test_browser import (  # noqa: F401  (the app server fixture and helpers of the main browser test)
    CHROMIUM,
    CHROMIUM_ARGS,
    SHOTS,
    app_server,
    exceptions,
    open_url,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
FANT_OAKWOOD = "E05015599"


def _in_browser(size: str, flow, *args) -> None:
    """Run ``flow(page, *args)`` in its own Chromium, in its own thread (Playwright's sync API cannot start
    inside the event loop of another browser test's session Playwright); re-raise what it raised."""
    from playwright.sync_api import sync_playwright

    errors: list[BaseException] = []

    def run():
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    flow(browser.new_context(viewport=SIZES[size]).new_page(), *args)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test's thread)
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


def _shot(pg, name: str) -> None:
    """A full-page screenshot at the page's own width (Streamlit scrolls inside its main container)."""
    size = pg.viewport_size
    height = int(pg.evaluate("""() => Math.max(document.body.scrollHeight,
        ...[...document.querySelectorAll('[data-testid="stMain"]')].map(e => e.scrollHeight))"""))
    pg.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 12000)})
    wait_idle(pg, timeout=60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    pg.set_viewport_size(size)


def _close_sidebar_on_a_phone(kind: str, pg) -> None:
    """On a phone the sidebar opens over the page: close it as a reader would (its collapse button is
    shown only while it is open)."""
    if kind == "phone":
        button = pg.locator('[data-testid="stSidebarCollapseButton"] button')
        if button.count() and button.first.is_visible():
            button.first.click()
            pg.wait_for_timeout(600)
            wait_idle(pg)


def _type_and_enter(pg, text: str) -> None:
    box = pg.get_by_role("textbox", name=BOX_LABEL).first
    box.wait_for(state="visible", timeout=60_000)
    box.fill(text)
    box.press("Enter")


def _query(pg) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(pg.url).query).items()}


@pytest.mark.parametrize("kind", list(SIZES))
def test_a_postcode_typed_on_the_landing_page_lands_on_its_figures(app_server, full_store, kind):
    _in_browser(kind, _postcode_flow, app_server.url, full_store, kind)


def _postcode_flow(pg, url, full_store, kind):
    open_url(pg, f"{url}/?cmp=none")  # no comparison: each card counts the whole period
    _close_sidebar_on_a_phone(kind, pg)
    _type_and_enter(pg, "me16 8hb")
    pg.wait_for_url(lambda u: "find=postcode" in u, timeout=90_000)
    wait_idle(pg)
    assert not exceptions(pg), exceptions(pg)
    main = pg.locator('[data-testid="stMain"]')
    main.get_by_role("heading", name="ME16 8HB").first.wait_for(state="visible", timeout=30_000)
    assert main.get_by_text("Fant & Oakwood", exact=True).first.is_visible()
    (n,), = sql(full_store, f"select count(*) from crime_records where ward_2024_code = '{FANT_OAKWOOD}' and "
                            "crime_class in ('VBC', 'CAS') and year(month) = 2025")
    first = main.locator('[data-testid="stMetricValue"]').first
    assert first.inner_text().strip() == f"{n:,}"
    assert _query(pg)["find"] == "postcode:ME16 8HB"
    _close_sidebar_on_a_phone(kind, pg)  # a page switch opens it again
    _shot(pg, f"search_postcode_{kind}")


@pytest.mark.parametrize("kind", list(SIZES))
def test_a_street_with_a_typo_lands_on_the_street(app_server, full_store, kind):
    _in_browser(kind, _street_flow, app_server.url, full_store, kind)


def _street_flow(pg, url, full_store, kind):
    open_url(pg, f"{url}/search")
    _close_sidebar_on_a_phone(kind, pg)
    _type_and_enter(pg, "lose rd")
    pg.wait_for_url(lambda u: "find=street" in u, timeout=90_000)
    wait_idle(pg)
    assert not exceptions(pg), exceptions(pg)
    main = pg.locator('[data-testid="stMain"]')
    assert main.locator("h2", has_text="Loose Road").first.is_visible()
    wards = {w for (w,) in sql(full_store, "select distinct ward_2024_name from crime_records "
                                           "where location = 'On or near Loose Road' and district = 'Maidstone'")}
    passes = main.get_by_text("passes through", exact=False).first.inner_text()
    assert all(w in passes for w in wards)
    assert main.get_by_text("not addresses", exact=False).first.is_visible()
    _close_sidebar_on_a_phone(kind, pg)
    _shot(pg, f"search_street_{kind}")


def test_hostile_text_stays_text(app_server):
    _in_browser("desktop", _hostile_flow, app_server.url)


def _hostile_flow(pg, url):
    open_url(pg, f"{url}/search")
    _type_and_enter(pg, "<img src=x onerror=\"window.__pwned=1\"> **bold** 🙂")
    pg.wait_for_function("() => document.body.innerText.includes('You searched for')", timeout=60_000)
    wait_idle(pg)
    assert not exceptions(pg)
    assert pg.evaluate("() => window.__pwned") is None
    main = pg.locator('[data-testid="stMain"]')
    assert main.locator("img[src='x']").count() == 0 and main.locator("strong", has_text="bold").count() == 0
    assert main.get_by_text("<img src=x", exact=False).first.is_visible()  # shown as the characters typed


@pytest.mark.parametrize("kind", list(SIZES))
def test_the_ward_map_names_the_wards(app_server, full_store, kind):
    _in_browser(kind, _ward_map_flow, app_server.url, full_store, kind)


def _ward_map_flow(pg, url, full_store, kind):
    open_url(pg, f"{url}/ward_map")
    _close_sidebar_on_a_phone(kind, pg)
    assert not exceptions(pg)
    labels = pg.locator('[data-testid="stVegaLiteChart"] g.names_marks text')  # the ward map is a Vega-Lite map
    labels.first.wait_for(state="attached", timeout=60_000)
    names = {t.strip() for t in labels.all_text_contents() if t.strip()}
    wards = {w for (w,) in sql(full_store, "select ward_2024_name from wards_2024")}
    shown = {w for w in wards if w.replace(" ", "") in {n.replace(" ", "") for n in names}}
    assert len(shown) >= 6, names  # names on the default view (those that would overlap are left for hover)
    _shot(pg, f"search_ward_map_labels_{kind}")

"""Browser test: the real app (``streamlit run app.py``) on the full store, driven by Debian Chromium
through Playwright.

* every page in ``dashboard.layout.PAGE_FILES`` is opened by its URL and must render without a Streamlit
  exception, show its title (and, on the police.uk pages, the "Data as of" line); a full-page screenshot
  of each goes to ``test-artifacts/screenshots/<page>.png`` with an ``index.txt`` listing them;
* the sidebar "Area" filter changed by hand gives the ASB number a direct SQL count gives, the same URL
  opened directly gives it again (bookmarkable), and the filters stay in the URL after moving to another
  page with the sidebar navigation;
* a page URL is the first request a freshly started server gets (a bookmark after a restart).

Run: ``pytest -m browser`` (needs ``/usr/bin/chromium``: ``apt-get install chromium``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from streamlit.source_util import page_icon_and_name

import dashboard.layout as layout
from dashboard.layout import ATTRIBUTION, PAGE_FILES
from smp_data.settings import REPO_ROOT
from tests.apptest_helpers import sql

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}
SHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
START_TIMEOUT = 120  # seconds for the server to answer /_stcore/health
IDLE_TIMEOUT = 240  # seconds for a page to finish (cold caches on a 2-core machine are slow)
DEFAULT_PAGE = next(iter(PAGE_FILES))  # dashboard/layout.py makes the first page the default, served at "/"
PARTNER_PAGES = frozenset(getattr(layout, "PARTNER_PAGE_FILES", ()))  # no filter bar, no "Data as of" line
HIGH_STREET = "E05015603"  # High Street ward, May-2024 boundaries
ASB_LABEL = "Anti-social behaviour (ASB)"
END_MARK = ATTRIBUTION[-60:]  # app.py writes the attribution after the page: the run has finished


def url_path(page_file: str) -> str:
    """The URL path st.navigation gives a page file (Streamlit's own rule: the file name), '' for the default."""
    return "" if page_file == DEFAULT_PAGE else page_icon_and_name(Path(page_file))[1]


# ---- the server ---------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """``python -m streamlit run app.py`` on a free port with SMP_DB set; stopped by :meth:`stop`."""

    def __init__(self, store: Path, log_dir: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"streamlit-{self.port}.log"
        env = {**os.environ, "SMP_DB": str(store)}
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
               "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]
        self._log_file = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"streamlit exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        pytest.fail(f"streamlit did not become healthy in {START_TIMEOUT} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self._log_file.close()


def in_own_thread(fn, *args) -> None:
    """Run a browser flow in a fresh thread and re-raise what it raised: Playwright's sync API refuses to start
    in a thread that already runs an asyncio loop (this module's session-wide Playwright, when both run in one
    pytest process)."""
    errors: list[BaseException] = []

    def target():
        try:
            fn(*args)
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test's thread)
            errors.append(exc)

    worker = threading.Thread(target=target, name="browser-flow")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Debian chromium not found at {CHROMIUM}: apt-get install chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def app_server(full_store, tmp_path_factory):
    server = AppServer(full_store, tmp_path_factory.mktemp("streamlit"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:  # Playwright gives each launch a fresh temporary profile
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    yield pg
    context.close()


# ---- waiting and reading ------------------------------------------------------------------------------------

_STATE_JS = """(endMark) => {
    const app = document.querySelector('[data-testid="stApp"]');
    return {
        app: !!app,
        script: app ? app.dataset.testScriptState : null,          // initial | running | notRunning | ...
        connection: app ? app.dataset.testConnectionState : null,  // CONNECTED when the websocket is up
        status_widget: !!document.querySelector('[data-testid="stStatusWidget"]'),
        skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
        stale: document.querySelectorAll('[data-stale="true"]').length,
        exception: !!document.querySelector('[data-testid="stException"]'),
        finished: document.body.innerText.includes(endMark),
        elements: document.querySelectorAll('[data-testid]').length,
    };
}"""


def wait_idle(pg, timeout: float = IDLE_TIMEOUT) -> dict:
    """Wait until the app has finished its run and drawn it: stApp connected and its script state
    'notRunning', no running indicator (stStatusWidget), no loading skeletons (lazy element code) or
    stale elements, and the element count unchanged for 2 s. Returns the last state (``finished`` says
    whether the router's attribution, written after the page, is shown); raises TimeoutError with it."""
    deadline = time.monotonic() + timeout
    stable, last = 0, None
    while time.monotonic() < deadline:
        state = pg.evaluate(_STATE_JS, END_MARK)
        idle = (state["app"] and state["connection"] == "CONNECTED" and state["script"] == "notRunning"
                and not state["status_widget"] and not state["skeletons"] and not state["stale"])
        stable = stable + 1 if idle and last is not None and state["elements"] == last["elements"] else 0
        last = state
        if stable >= 4:
            return state
        time.sleep(0.5)
    raise TimeoutError(f"the app did not become idle in {timeout:.0f} s; last state {last}")


def open_url(pg, url: str) -> dict:
    """Open ``url`` and wait for the app; one reload if the first load is slow (cold caches, JS chunks)."""
    pg.goto(url, wait_until="domcontentloaded")
    try:
        return wait_idle(pg)
    except TimeoutError:
        pg.reload(wait_until="domcontentloaded")
        return wait_idle(pg)


def exceptions(pg) -> list[str]:
    return [e.inner_text() for e in pg.query_selector_all('[data-testid="stException"]')]


def full_page_screenshot(pg, path: Path) -> None:
    """Streamlit scrolls inside its main container, so grow the viewport to the content, then shoot."""
    height_js = """() => Math.max(document.body.scrollHeight,
        ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebarContent"]')]
            .map(e => e.scrollHeight))"""
    try:
        for _ in range(4):
            height = int(pg.evaluate(height_js))
            pg.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), 16000)})
            wait_idle(pg, timeout=60)
            if int(pg.evaluate(height_js)) <= height:
                break
        path.parent.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(path), full_page=True)
    finally:
        pg.set_viewport_size(VIEWPORT)


def card_value(pg, heading: str):
    """The value of the Overview headline card headed ``heading`` (a column: heading, then the metric)."""
    return pg.locator('[data-testid="stColumn"]').filter(
        has=pg.locator('[data-testid="stMarkdownContainer"] strong', has_text=heading)).locator(
        '[data-testid="stMetricValue"]').first


def metric_value(pg, label: str) -> str:
    return card_value(pg, label).inner_text().strip()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def asb_count_sql(store: Path, area_sql: str = "district = 'Maidstone'") -> int:
    """ASB in Jan-Apr 2025: the default card's months (2025 against 2024, where only Jan-Apr 2024 has data,
    so the card shows the like-for-like months)."""
    (n,), = sql(store, f"select count(*) from crime_records where {area_sql} and crime_class = 'ASB' "
                       "and month between '2025-01-01' and '2025-04-01'")
    return n


# ---- tests --------------------------------------------------------------------------------------------------

_visited: list[str] = []


@pytest.mark.parametrize("page_file", list(PAGE_FILES), ids=lambda p: Path(p).stem)
def test_every_page_renders_without_an_exception(app_server, page, page_file):
    title = PAGE_FILES[page_file][0]
    name = Path(page_file).stem
    open_url(page, f"{app_server.url}/{url_path(page_file)}")
    shot = SHOTS / f"{name}.png"
    full_page_screenshot(page, shot)
    errors = exceptions(page)
    _visited.append(f"{name}\t{url_path(page_file) or '/'}\t{shot.relative_to(REPO_ROOT)}\t"
                    f"{'EXCEPTION' if errors else 'ok'}")
    _write_index()
    assert not errors, f"{page_file} shows a Streamlit exception:\n" + "\n---\n".join(errors)
    heading = page.locator('[data-testid="stMain"] h1', has_text=title)
    assert heading.first.is_visible(), f"{page_file}: title {title!r} not visible"
    if page_file not in PARTNER_PAGES:  # the partner pages are not police.uk views (no filter bar, no data line)
        assert page.get_by_text("Data as of", exact=False).first.is_visible(), f"{page_file}: no 'Data as of' line"


PRIORITY_SECTIONS = ("serious_violence_organised_crime", "domestic_abuse", "safe_town_centre",
                     "children_young_people", "asb", "substance_misuse", "public_perception", "public_health",
                     "mental_health", "reoffending")


@pytest.mark.parametrize("priority_id", PRIORITY_SECTIONS)
def test_every_priority_section_renders_its_partner_indicators(app_server, page, full_store, priority_id):
    """Each section opened by its link (?view=...), as a reader following a shared link would: no exception,
    its heading and its partner-indicator block visible (tab content is drawn only when shown)."""
    (name,), = sql(full_store, "select name from priorities where priority_id = $p", {"p": priority_id})
    open_url(page, f"{app_server.url}/{url_path('pages/priorities.py')}?view={priority_id}")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("heading", name=name).first.wait_for(state="visible", timeout=30_000)
    shot = SHOTS / f"priorities_{priority_id}.png"
    full_page_screenshot(page, shot)
    errors = exceptions(page)
    _visited.append(f"priorities_{priority_id}\tpriorities?view={priority_id}\t{shot.relative_to(REPO_ROOT)}\t"
                    f"{'EXCEPTION' if errors else 'ok'}")
    _write_index()
    assert not errors, f"section {priority_id} shows a Streamlit exception:\n" + "\n---\n".join(errors)
    partner = main.locator(":is(h1,h2,h3,h4):visible", has_text="Partner indicators")
    assert partner.count() == 1, "the open section shows one partner-indicators block"


def test_clicking_a_priority_tab_draws_that_section_and_puts_it_in_the_url(app_server, page, full_store):
    """The sections are lazy tabs: a click reruns the page with that section drawn, and the address
    gains ?view= so the section can be bookmarked."""
    (name,), = sql(full_store, "select name from priorities where priority_id = 'domestic_abuse'")
    open_url(page, f"{app_server.url}/{url_path('pages/priorities.py')}")
    main = page.locator('[data-testid="stMain"]')
    assert not main.get_by_role("heading", name=name).count()  # not drawn before it is opened
    main.get_by_role("tab", name="Domestic abuse", exact=True).click()
    main.get_by_role("heading", name=name).first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)
    assert query_of(page.url).get("view") == "domestic_abuse"
    assert not exceptions(page)


def _write_index() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "index.txt").write_text("page\turl\tscreenshot\tstatus\n" + "\n".join(_visited) + "\n")


def test_area_filter_in_the_sidebar_gives_the_sql_count_and_persists_across_pages(app_server, page, full_store):
    open_url(page, f"{app_server.url}/")
    before = metric_value(page, ASB_LABEL)
    assert before == f"{asb_count_sql(full_store):,}"
    sidebar = page.locator('[data-testid="stSidebar"]')
    _choose(page, sidebar, "Area", "Ward")
    _choose(page, sidebar, "Ward", "High Street")
    page.wait_for_function(f"() => window.location.search.includes('{HIGH_STREET}')", timeout=60_000)
    wait_idle(page)
    expected = f"{asb_count_sql(full_store, f'ward_2024_code = {HIGH_STREET!r}'):,}"
    _expect_metric(page, ASB_LABEL, expected)
    assert expected != before
    assert query_of(page.url).get("area") == f"ward:{HIGH_STREET}"
    # to another page by the sidebar navigation: the filters stay in the URL and in the widgets
    sidebar.locator('[data-testid="stSidebarNavLink"]', has_text="Ward map").click()
    page.wait_for_url(lambda u: urlparse(u).path.rstrip("/").endswith("ward_map"), timeout=60_000)
    wait_idle(page)
    assert not exceptions(page), exceptions(page)
    assert query_of(page.url).get("area") == f"ward:{HIGH_STREET}", page.url
    assert _selected(sidebar, "Ward") == "High Street"


def test_a_bookmarked_filter_url_gives_the_same_number(app_server, page, full_store):
    open_url(page, f"{app_server.url}/?area=ward:{HIGH_STREET}")
    assert not exceptions(page), exceptions(page)
    _expect_metric(page, ASB_LABEL, f"{asb_count_sql(full_store, f'ward_2024_code = {HIGH_STREET!r}'):,}")
    assert _selected(page.locator('[data-testid="stSidebar"]'), "Ward") == "High Street"


def test_every_pages_own_nav_link_opens_that_page_cleanly_in_a_fresh_tab(app_server, browser):
    """Each link of the sidebar navigation, opened as a bookmark or "open in new tab" would (a new browser
    context: no session, no history), shows that page with its title and no "Page not found" dialog; the
    Overview's link once led to /overview and showed that dialog over the page."""
    home = browser.new_context(viewport=VIEWPORT)
    try:
        pg = home.new_page()
        open_url(pg, app_server.url)
        links = pg.locator('[data-testid="stSidebar"] a[data-testid="stSidebarNavLink"]')
        # a link's text is its material icon's name, then its title
        found = [(links.nth(i).inner_text().strip().splitlines()[-1].strip(), links.nth(i).get_attribute("href"))
                 for i in range(links.count())]
    finally:
        home.close()
    public_titles = [PAGE_FILES[p][0] for p in PAGE_FILES if p not in PARTNER_PAGES]
    assert [t for t, _ in found][:len(public_titles)] == public_titles, found
    for title, href in found:
        tab = browser.new_context(viewport=VIEWPORT)
        try:
            pg = tab.new_page()
            open_url(pg, href if "://" in href else app_server.url.rstrip("/") + "/" + href.lstrip("/"))
            body = pg.locator("body").inner_text()
            assert "Page not found" not in body, f"{title} ({href}) in a fresh tab: 'Page not found'"
            assert not pg.locator('[role="dialog"]').count(), f"{title} ({href}) in a fresh tab opens a dialog"
            assert not exceptions(pg), (title, href, exceptions(pg))
            assert pg.locator('[data-testid="stMain"] h1', has_text=title).first.is_visible(), (
                f"{title} ({href}) in a fresh tab does not show its own page")
        finally:
            tab.close()


@pytest.mark.parametrize("page_file", [p for p in PAGE_FILES if p != DEFAULT_PAGE], ids=lambda p: Path(p).stem)
def test_a_page_url_is_served_by_the_router_on_a_freshly_started_server(full_store, page, tmp_path, page_file):
    """A bookmark to a page (not the home page) must work as the very first request after a restart.

    Until st.navigation has run once in the server process, Streamlit treats the ``pages/`` folder next to
    app.py as an old-style multipage app and runs the page file on its own, without the router.
    """
    server = AppServer(full_store, tmp_path)
    try:
        state = open_url(page, f"{server.url}/{url_path(page_file)}")
        errors = exceptions(page)
        assert not errors, f"first request for {page_file} on a fresh server:\n" + "\n---\n".join(errors)
        assert page.locator('[data-testid="stMain"] h1', has_text=PAGE_FILES[page_file][0]).first.is_visible(), (
            f"{page_file} on a fresh server has no title: it ran without the router (app.py)")
        if page_file not in PARTNER_PAGES:
            assert state["finished"], f"{page_file} on a fresh server: no attribution, the router did not run"
            assert page.get_by_text("Data as of", exact=False).first.is_visible()
    finally:
        server.stop()


# ---- widget helpers -----------------------------------------------------------------------------------------

def _combobox(scope, label: str):
    """A Streamlit selectbox: a combobox whose accessible name is its label."""
    return scope.get_by_role("combobox", name=label, exact=True).first


def _selected(scope, label: str) -> str:
    return _combobox(scope, label).input_value()


def _choose(pg, scope, label: str, option: str) -> None:
    """Open a selectbox by its label and click the option (retried once if the list re-renders)."""
    for attempt in range(2):
        box = _combobox(scope, label)
        box.wait_for(state="visible", timeout=60_000)
        box.click()
        try:
            pg.get_by_role("option", name=option, exact=True).first.click(timeout=15_000)
            break
        except Exception:
            if attempt:
                raise
            pg.keyboard.press("Escape")
    wait_idle(pg)
    assert _selected(scope, label) == option


def _expect_metric(pg, label: str, expected: str) -> None:
    from playwright.sync_api import expect

    expect(card_value(pg, label)).to_have_text(expected, timeout=60_000)

"""Accessibility and phone layout in a real browser (issue 8, items 4 and 7).

Every page and every SMP priority section is opened by its URL in Debian Chromium (Playwright) at
1366×900 (desktop) and 390×844 (phone), and:

* axe-core, from the npm package pinned in ``package.json``/``package-lock.json`` (``npm ci`` is run by the
  ``axe_script`` fixture when ``node_modules`` is missing), runs inside the page with the WCAG 2.2 AA tags
  (wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa): any violation fails the test. Nothing is excluded: the two
  failures that came from Streamlit's own markup (the sectioned sidebar menu's ``list``/``listitem``, the 60 %
  caption fade) are avoided by the app (a flat page list, the theme's caption colour at full opacity). The
  counts per page and size go to ``test-artifacts/axe/<state>-<size>.json`` and ``test-artifacts/axe/counts.tsv``;
* on both sizes: no horizontal overflow of the page, no chart, map or table wider than the screen, no Plotly
  toolbar (so no extra tab stops per chart), no map legend over its map;
* on the phone: the sidebar is closed on arrival and the "Filters" button that opens it is visible; on the
  desktop it is open (layout unchanged);
* a full-page screenshot of each goes to ``test-artifacts/screenshots/a11y/<state>-<size>.png``.

Each test starts its own Playwright in a fresh thread (``in_own_thread``): Playwright's sync API refuses to
start inside the event loop of the session-wide browser of ``tests/test_browser.py``.

Run: ``pytest -m browser -k a11y``.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from dashboard.layout import PAGE_FILES
from smp_data.settings import REPO_ROOT
from tests.test_browser import (  # noqa: F401  (app_server is a fixture)
    CHROMIUM,
    CHROMIUM_ARGS,
    PRIORITY_SECTIONS,
    SHOTS,
    app_server,
    exceptions,
    in_own_thread,
    open_url,
    url_path,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_DIR = REPO_ROOT / "test-artifacts" / "axe"
A11Y_SHOTS = SHOTS / "a11y"
STATES = {Path(p).stem: url_path(p) for p in PAGE_FILES}
STATES.update({f"priorities_{v}": f"{url_path('pages/priorities.py')}?view={v}" for v in PRIORITY_SECTIONS})


# ---- axe-core from the pinned npm package --------------------------------------------------------------------

def _pinned_axe_version() -> str:
    return json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]["axe-core"]


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """``node_modules/axe-core/axe.min.js`` at the version pinned in package.json; ``npm ci`` (from the
    lockfile) installs it first when it is missing or another version (one installer at a time)."""
    script = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
    installed = REPO_ROOT / "node_modules" / "axe-core" / "package.json"
    pinned = _pinned_axe_version()

    def ok() -> bool:
        return script.is_file() and installed.is_file() and json.loads(installed.read_text())["version"] == pinned

    with open(Path(tempfile.gettempdir()) / f"smp-npm-ci-{abs(hash(str(REPO_ROOT)))}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ok():
            npm = shutil.which("npm")
            if npm is None:
                pytest.fail("npm not found: the accessibility tests need Node.js/npm to install the pinned "
                            "axe-core (apt-get install npm), then `npm ci` in the repository")
            run = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=REPO_ROOT, capture_output=True,
                                 text=True, timeout=600)
            if run.returncode or not ok():
                pytest.fail(f"npm ci failed to install axe-core {pinned}:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    return script


def run_axe(pg, script: Path) -> list[dict]:
    """axe-core's violations for the whole document, WCAG 2.2 AA tags, as plain dicts."""
    pg.add_script_tag(path=str(script))
    result = pg.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return {version: axe.version, violations: r.violations.map(v => ({id: v.id, impact: v.impact,
            help: v.help, nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 300),
            summary: (n.failureSummary || '').slice(0, 400)}))}))};
    }""", AXE_TAGS)
    assert result["version"] == _pinned_axe_version(), result["version"]
    return result["violations"]


def _record(state: str, size: str, violations: list[dict]) -> None:
    AXE_DIR.mkdir(parents=True, exist_ok=True)
    (AXE_DIR / f"{state}-{size}.json").write_text(json.dumps(violations, indent=1))
    with open(AXE_DIR / "counts.tsv", "a") as out:  # one line per run of a test (append: xdist workers share it)
        fcntl.flock(out, fcntl.LOCK_EX)
        rules = ",".join(f"{v['id']}×{len(v['nodes'])}" for v in violations) or "-"
        out.write(f"{state}\t{size}\t{sum(len(v['nodes']) for v in violations)}\t{rules}\n")


# ---- layout checks (in the page) ----------------------------------------------------------------------------

_LAYOUT_JS = """() => {
    const vw = document.documentElement.clientWidth;
    const visible = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
    const name = e => (e.getAttribute('data-testid') || e.className.toString()).slice(0, 40) + ' ' +
        ((e.closest('[class*="st-key-"]') || {}).className || '').toString().match(/st-key-[\\w-]+/g)?.join(' ');
    const main = document.querySelector('[data-testid="stMain"]');
    const wide = [];
    for (const e of document.querySelectorAll('[data-testid="stMain"] :is(.stPlotlyChart, ' +
            '[data-testid="stDataFrame"], .smp-table-wrap, [data-testid="stDeckGlJsonChart"], ' +
            '[data-testid="stVegaLiteChart"], [data-testid="stImage"], table)')) {
        if (!visible(e)) continue;
        if (e.matches('.smp-scroll table')) continue;  // scrolls inside its box, which must fit (checked here)
        const r = e.getBoundingClientRect();
        if (r.left < -1 || r.right > vw + 1) wide.push(`${name(e)}: ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
    // a static table must show all its columns: no sideways scrolling inside it either (except one drawn to
    // scroll with its first columns pinned, the patrol sheet: tests/test_browser_patrol.py checks those)
    for (const e of document.querySelectorAll('[data-testid="stMain"] .smp-table-wrap:not(.smp-scroll)')) {
        if (visible(e) && e.scrollWidth > e.clientWidth + 1) wide.push(`${name(e)} scrolls: ${e.scrollWidth} > ${e.clientWidth}`);
    }
    const maps = [];
    for (const gd of document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')) {
        if (!visible(gd) || !gd._fullLayout) continue;
        const fl = gd._fullLayout;
        const area = gd.querySelector('.maplibregl-canvas, .mapboxgl-canvas') ||
            (fl.xaxis && fl.yaxis && !fl.xaxis.visible && !fl.yaxis.visible ? gd.querySelector('.nsewdrag') : null);
        const legend = gd.querySelector('g.legend rect.bg');
        if (!area || !legend) continue;
        const a = area.getBoundingClientRect(), l = legend.getBoundingClientRect();
        const w = Math.min(a.right, l.right) - Math.max(a.left, l.left);
        const h = Math.min(a.bottom, l.bottom) - Math.max(a.top, l.top);
        maps.push({overlap: w > 1 && h > 1 ? Math.round(w * h) : 0, title: (fl.title && fl.title.text) || ''});
    }
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    const sb = sidebar ? sidebar.getBoundingClientRect() : null;
    const opener = document.querySelector('[data-testid="stExpandSidebarButton"]');
    return {
        viewport: vw,
        page_width: document.documentElement.scrollWidth,
        main_overflow: main ? main.scrollWidth - main.clientWidth : 0,
        wide, maps,
        modebar_buttons: document.querySelectorAll('.modebar-btn').length,
        sidebar_collapsed: sidebar ? sidebar.getAttribute('data-collapsed') : null,
        sidebar_visible_px: sb ? Math.max(0, Math.min(sb.right, vw) - Math.max(sb.left, 0)) : 0,
        filters_button: !!(opener && visible(opener)),
    };
}"""


def _shot(pg, path: Path) -> None:
    """A full-page screenshot at the page's own width (Streamlit scrolls inside its main container)."""
    size = pg.viewport_size
    height = int(pg.evaluate("""() => Math.max(document.body.scrollHeight,
        ...[...document.querySelectorAll('[data-testid="stMain"]')].map(e => e.scrollHeight))"""))
    try:
        pg.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 16000)})
        wait_idle(pg, timeout=60)
        path.parent.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(path), full_page=True)
    finally:
        pg.set_viewport_size(size)


# ---- the test -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("state", list(STATES))
def test_a11y_axe_finds_nothing_and_the_page_fits_the_screen(app_server, axe_script, state, size):
    from playwright.sync_api import sync_playwright

    found: dict = {}

    def flow() -> None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                pg = browser.new_context(viewport=SIZES[size]).new_page()
                open_url(pg, f"{app_server.url}/{STATES[state]}")
                found["errors"] = exceptions(pg)
                found["layout"] = pg.evaluate(_LAYOUT_JS)  # on arrival, before anything is clicked
                found["violations"] = run_axe(pg, axe_script)
                _shot(pg, A11Y_SHOTS / f"{state}-{size}.png")
            finally:
                browser.close()

    in_own_thread(flow)
    violations, layout = found["violations"], found["layout"]
    _record(state, size, violations)
    assert not found["errors"], f"{state} ({size}) shows an exception:\n" + "\n---\n".join(found["errors"])
    assert not violations, f"{state} ({size}): axe-core violations:\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(
            f"{n['target']}: {n['summary'][:200]}" for n in v["nodes"][:5]) for v in violations)
    assert layout["page_width"] <= layout["viewport"], f"{state} ({size}): the page scrolls sideways: {layout}"
    assert layout["main_overflow"] <= 1, f"{state} ({size}): the main column scrolls sideways: {layout}"
    assert not layout["wide"], f"{state} ({size}): wider than the screen: {layout['wide']}"
    assert layout["modebar_buttons"] == 0, f"{state} ({size}): a Plotly toolbar is drawn ({layout['modebar_buttons']} buttons)"
    assert all(m["overlap"] == 0 for m in layout["maps"]), f"{state} ({size}): a legend covers its map: {layout['maps']}"
    if size == "phone":
        assert layout["sidebar_collapsed"] == "true" and layout["sidebar_visible_px"] == 0, (
            f"{state}: the sidebar is open on arrival on a phone: {layout}")
        assert layout["filters_button"], f"{state}: no visible button to open the filters on a phone"
    else:  # desktop layout unchanged: the filters are in view on arrival
        assert layout["sidebar_collapsed"] == "false" and layout["sidebar_visible_px"] > 200, (
            f"{state}: the sidebar is not open on arrival on a desktop: {layout}")


REFLOW = {"width": 320, "height": 640}  # WCAG 1.4.10: 1280 px at 400 % zoom, or the smallest phones


def test_a11y_every_page_reflows_at_320_px(app_server):
    """At 320 CSS px wide (WCAG 2.2 reflow, 1.4.10) no page scrolls sideways and nothing is wider than the
    screen: text, static tables (Markdown ones included), charts and maps all fit."""
    from playwright.sync_api import sync_playwright

    found: dict = {}

    def flow() -> None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for state, url in STATES.items():
                    pg = browser.new_context(viewport=REFLOW).new_page()
                    open_url(pg, f"{app_server.url}/{url}")
                    found[state] = (pg.evaluate(_LAYOUT_JS), exceptions(pg))
                    pg.context.close()
            finally:
                browser.close()

    in_own_thread(flow)
    assert set(found) == set(STATES)
    problems = {state: {"page_width": lay["page_width"], "main_overflow": lay["main_overflow"], "wide": lay["wide"],
                        "errors": errors}
                for state, (lay, errors) in found.items()
                if lay["page_width"] > lay["viewport"] or lay["main_overflow"] > 1 or lay["wide"] or errors}
    assert not problems, f"pages that do not fit 320 px: {problems}"


def test_a11y_keyboard_focus_on_a_nav_link_is_visible_and_differs_from_the_current_page(app_server):
    """Tab from the top of the page to the sidebar menu: the focused link has the theme's focus ring
    (3 px, ``theme.FOCUS``); the current page's link, unfocused, has none (WCAG 2.4.7, 2.4.11)."""
    from playwright.sync_api import sync_playwright

    from dashboard.theme import FOCUS

    found: dict = {}

    def flow() -> None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                pg = browser.new_context(viewport=SIZES["desktop"]).new_page()
                open_url(pg, f"{app_server.url}/{url_path('pages/about.py')}")
                style = """(e) => { const s = getComputedStyle(e);
                    return {testid: e.getAttribute('data-testid'), text: e.innerText.trim(), style: s.outlineStyle,
                            width: s.outlineWidth, color: s.outlineColor, background: s.backgroundColor}; }"""
                for _ in range(40):
                    pg.keyboard.press("Tab")
                    if pg.evaluate("() => !!document.activeElement.closest('[data-testid=\"stSidebarNavLink\"]')"):
                        break
                link = pg.locator(':focus').first
                found["focused"] = link.evaluate(style)
                current = pg.locator('[data-testid="stSidebarNavLink"]', has_text="About the data").first
                found["current"] = current.evaluate(style)
            finally:
                browser.close()

    in_own_thread(flow)
    focused, current = found["focused"], found["current"]
    rgb = "rgb({}, {}, {})".format(*(int(FOCUS[i:i + 2], 16) for i in (1, 3, 5)))
    assert focused["testid"] == "stSidebarNavLink", f"Tab never reached a menu link: {focused}"
    assert focused["style"] == "solid" and focused["width"] == "3px" and focused["color"] == rgb, focused
    assert focused["text"] != current["text"], "the first menu link reached should not be the current page"
    assert current["style"] == "none" or current["width"] == "0px", f"the current page's link looks focused: {current}"

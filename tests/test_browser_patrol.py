"""Browser test of the patrol sheet: the real app in Debian Chromium (Playwright). The print view of the
largest sheet the page offers (20 locations, 4 columns) prints on ONE A4 page (Chromium's own PDF, page
count read from the file), with the sidebar and controls left out; the full view and the print view are
screenshotted at desktop and phone widths.

Artifacts: test-artifacts/patrol_sheet.pdf, test-artifacts/screenshots/patrol_*.png.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from smp_data.settings import REPO_ROOT
from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SHOTS,
    AppServer,
    exceptions,
    in_own_thread,
    open_url,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HIGH_STREET = "E05015603"
COLS = ("type:Violence and sexual offences,type:Shoplifting,type:Anti-social behaviour,"
        "priority:serious_violence_organised_crime")
SHEET = f"patrol?area=ward:{HIGH_STREET}&cols={COLS}&top=20"
PDF = REPO_ROOT / "test-artifacts" / "patrol_sheet.pdf"


def screenshot(pg, path) -> None:
    """Streamlit scrolls inside its main container: grow the viewport to the content (same width), shoot."""
    size = dict(pg.viewport_size)
    height = int(pg.evaluate("""() => Math.max(document.body.scrollHeight,
        ...[...document.querySelectorAll('[data-testid="stMain"]')].map(e => e.scrollHeight))"""))
    try:
        pg.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 12000)})
        wait_idle(pg, timeout=60)
        path.parent.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(path), full_page=True)
    finally:
        pg.set_viewport_size(size)


def pdf_page_count(data: bytes) -> int:
    """Pages in a PDF: the /Type /Page objects (not /Pages), checked against the page tree's /Count."""
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    counts = [int(c) for c in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data, flags=re.S)]
    counts += [int(c) for c in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data, flags=re.S)]
    assert not counts or max(counts) == pages, (pages, counts)
    return pages


NUMBERED_CIRCLES_JS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .filter(chart => chart.offsetParent)
    .flatMap(chart => [...chart.querySelectorAll('g.numbers_marks path')].map(p => {
        const r = p.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2, r.width]; }))"""


def overlapping_numbers(pg) -> list:
    """Pairs of the map's numbered circles, as drawn, that cover each other (centres closer than a
    circle's width, 1 px allowed for anti-aliasing)."""
    circles = pg.evaluate(NUMBERED_CIRCLES_JS)
    assert len(circles) >= 10, f"only {len(circles)} numbered circles found on the map"
    return [(a, b) for i, a in enumerate(circles) for b in circles[i + 1:]
            if ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 < min(a[2], b[2]) - 1]


@pytest.fixture(scope="module")
def server(full_store, tmp_path_factory):
    app = AppServer(full_store, tmp_path_factory.mktemp("patrol"))
    yield app
    app.stop()


@contextmanager
def chromium_page(**context_args):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(**context_args).new_page()
        finally:
            browser.close()


DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def test_the_print_view_prints_on_one_a4_page(server):
    def flow():
        with chromium_page(**DESKTOP) as desktop:
            open_url(desktop, f"{server.url}/{SHEET}&view=print")
            assert not exceptions(desktop), exceptions(desktop)
            main = desktop.locator('[data-testid="stMain"]')
            assert main.get_by_text("Patrol sheet: High Street ward (town centre)", exact=False).first.is_visible()
            assert main.locator("table tbody tr").count() == 20
            assert not overlapping_numbers(desktop), overlapping_numbers(desktop)
            screenshot(desktop, SHOTS / "patrol_print.png")
            desktop.emulate_media(media="print")
            assert desktop.locator('[data-testid="stSidebar"]').first.is_hidden()
            assert desktop.get_by_role("button", name="Back to the full page").is_hidden()
            assert desktop.get_by_text("Print with your browser's print command", exact=False).first.is_hidden()
            assert desktop.get_by_text("Counts are police.uk records", exact=False).first.is_visible()
            PDF.parent.mkdir(parents=True, exist_ok=True)
            data = desktop.pdf(path=str(PDF), format="A4", landscape=True, prefer_css_page_size=True,
                               print_background=True)
            assert data[:5] == b"%PDF-"
            assert pdf_page_count(data) == 1, f"the patrol sheet printed on {pdf_page_count(data)} pages ({PDF})"

    in_own_thread(flow)


def test_the_full_view_on_desktop_and_phone(server):
    def flow():
        for args, name in ((DESKTOP, "patrol"), (PHONE, "patrol_phone")):
            with chromium_page(**args) as pg:
                open_url(pg, f"{server.url}/{SHEET}")
                assert not exceptions(pg), exceptions(pg)
                collapse = pg.locator('[data-testid="stSidebarCollapseButton"] button')
                if pg.viewport_size["width"] < 600 and collapse.count() and collapse.first.is_visible():
                    collapse.first.click()  # a phone reader closes the filters to read the sheet
                    wait_idle(pg)
                assert pg.get_by_role("button", name="Download this sheet (CSV)").is_visible()
                assert not overlapping_numbers(pg), (name, overlapping_numbers(pg))
                shown = pg.locator('[data-table="tbln_patrol"]' if name == "patrol_phone" else '[data-table="tbl_patrol"]')
                assert shown.is_visible() and shown.locator("tbody tr").count() == 20
                if name == "patrol_phone":  # every count on screen: the phone copy does not scroll sideways
                    assert shown.evaluate("e => e.scrollWidth <= e.clientWidth + 1 && "
                                          "e.getBoundingClientRect().right <= document.documentElement.clientWidth")
                screenshot(pg, SHOTS / f"{name}.png")
        with chromium_page(viewport={"width": 720, "height": 900}) as pg:  # a narrow window: the full sheet
            open_url(pg, f"{server.url}/{SHEET}")
            assert pinned_after_swipe(pg) == {"No.": True, "Place (on or near)": True, "last column": True}

    in_own_thread(flow)


SWIPE_JS = """() => {
    const wrap = document.querySelector('[data-table="tbl_patrol"]');
    const box = () => wrap.getBoundingClientRect();
    const heads = () => Object.fromEntries([...wrap.querySelectorAll('thead th')].map(
        th => [th.textContent.trim(), th.getBoundingClientRect()]));
    const wider = wrap.scrollWidth > wrap.clientWidth + 1;
    const lastHidden = Object.values(heads()).at(-1).right > box().right + 1;
    wrap.scrollLeft = wrap.scrollWidth;  // swipe to the last column
    const h = heads(), b = box();
    const inView = r => r.left >= b.left - 1 && r.right <= b.right + 1;
    return {wider, lastHidden, no: inView(h['No.']) && h['No.'].left <= b.left + 2,
            place: inView(h['Place (on or near)']), last: inView(Object.values(h).at(-1))};
}"""


def pinned_after_swipe(pg) -> dict:
    """In a narrow window the full sheet is wider than its box and scrolls sideways inside it; after a swipe to
    its last column, the number and the place are still in view (pinned) and so is the last column."""
    r = pg.evaluate(SWIPE_JS)
    assert r["wider"] and r["lastHidden"], f"the sheet should be wider than a phone before the swipe: {r}"
    return {"No.": r["no"], "Place (on or near)": r["place"], "last column": r["last"]}


def test_pdf_page_count_reads_a_two_page_pdf():
    """The page counter itself can fail: a two-page document counts 2."""
    def flow():
        with chromium_page() as pg:
            pg.set_content("<div style='height:200mm'>one</div><div style='break-before:page'>two</div>")
            assert pdf_page_count(pg.pdf(format="A4", landscape=True)) == 2

    in_own_thread(flow)

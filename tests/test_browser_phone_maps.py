"""Browser tests of the ward map (a Vega-Lite map): on a phone (390×844) it fills its chart, with no blank band
above the map or between the map and its legend (the desktop height would leave ~270 px of the 560 blank);
on a desktop a click on a ward opens that ward's profile."""

from __future__ import annotations

import pytest

from tests.test_browser import SHOTS, exceptions, in_own_thread, open_url, wait_idle
from tests.test_browser_patrol import PHONE, chromium_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

MAP_BOXES_JS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].filter(e => e.offsetParent)
  .map(e => { const r = e.getBoundingClientRect();
    const box = els => { const bs = [...els].map(x => x.getBoundingClientRect()).filter(b => b.height > 0);
      if (!bs.length) return null;
      const top = Math.min(...bs.map(b => b.top)), bottom = Math.max(...bs.map(b => b.bottom));
      return {top: top - r.top, height: bottom - top}; };
    return {height: r.height, plot: box(e.querySelectorAll('g.areas_marks path')),
            legend: box(e.querySelectorAll('g.role-legend'))}; })
  .filter(m => m.legend && m.plot)"""


@pytest.fixture(scope="module")
def server(full_store, tmp_path_factory):
    from tests.test_browser import AppServer

    app = AppServer(full_store, tmp_path_factory.mktemp("phone_maps"))
    yield app
    app.stop()


def test_the_ward_map_on_a_phone_has_no_blank_bands(server):
    def flow():
        with chromium_page(**PHONE) as pg:
            open_url(pg, f"{server.url}/ward_map")
            assert not exceptions(pg), exceptions(pg)
            maps = pg.evaluate(MAP_BOXES_JS)
            assert maps, "no map with a legend is visible on the phone"
            ward_map = maps[0]
            plot, legend = ward_map["plot"], ward_map["legend"]
            above = plot["top"]
            between = legend["top"] - (plot["top"] + plot["height"])
            assert above <= 30 and between <= 30, ward_map
            assert plot["height"] >= 0.6 * (ward_map["height"] - legend["height"]), ward_map
            screenshot(pg, SHOTS / "ward_map_phone.png")

    in_own_thread(flow)


def test_a_click_on_a_ward_opens_its_profile(server):
    from tests.test_browser_patrol import DESKTOP

    def flow():
        with chromium_page(**DESKTOP) as pg:
            open_url(pg, f"{server.url}/ward_map")
            assert not exceptions(pg), exceptions(pg)
            assert not pg.locator('[data-testid="stPlotlyChart"]').count()  # no Plotly on this page
            chart = next(c for c in pg.locator('[data-testid="stVegaLiteChart"]').all() if c.is_visible())
            areas = chart.locator("g.areas_marks path")
            assert areas.count() == 22  # every May-2024 ward
            names = chart.locator("g.names_marks text").evaluate_all("els => els.map(e => e.textContent)")
            assert any("Boxley" in n for n in names), names
            areas.nth(areas.count() // 2).click(force=True)
            pg.wait_for_function("() => new URL(location.href).searchParams.get('profile')", timeout=20_000)
            code = pg.evaluate("() => new URL(location.href).searchParams.get('profile')")
            assert code.startswith("E05")
            wait_idle(pg, timeout=60)
            assert not exceptions(pg), exceptions(pg)
            profile = pg.locator('[data-testid="stMain"] h3').all_inner_texts()
            # the clicked ward's own heading, right under "Ward profile" (before, the next heading was the table's)
            assert profile[profile.index("Ward profile") + 1] not in ("", None) and not \
                profile[profile.index("Ward profile") + 1].startswith("Ward table"), profile

    in_own_thread(flow)

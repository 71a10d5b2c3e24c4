"""Browser test: on a phone (390×844) the offline ward map fills its figure: no blank band above the
map or between the map and its legend (the desktop figure's height left ~270 px of the 560 blank)."""

from __future__ import annotations

import pytest

from tests.test_browser import SHOTS, exceptions, in_own_thread, open_url
from tests.test_browser_patrol import PHONE, chromium_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

MAP_BOXES_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].filter(e => e.offsetParent)
  .map(e => { const r = e.getBoundingClientRect(); const box = x => x ? (b => ({top: b.top - r.top,
      height: b.height}))(x.getBoundingClientRect()) : null;
    return {height: r.height, plot: box(e.querySelector('.nsewdrag')), legend: box(e.querySelector('.legend'))}; })
  .filter(m => m.legend)"""


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

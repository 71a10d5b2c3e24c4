"""Browser test of the Ward clusters print summary: in Debian Chromium (Playwright), the summary of the
cluster with the most wards on each boundary set (the longest change-by-ward table) prints on ONE A4
landscape page, as the page's print help promises. Its tables are static HTML tables.

Artifacts: test-artifacts/cluster_summary_<set>.pdf.
"""

from __future__ import annotations

import pytest

from smp_data.settings import REPO_ROOT
from tests.apptest_helpers import sql
from tests.test_browser import exceptions, in_own_thread, open_url, wait_idle
from tests.test_browser_patrol import DESKTOP, chromium_page, pdf_page_count, server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.mark.parametrize("ward_set", ["2024", "2022"])
def test_the_cluster_summary_with_the_most_wards_prints_on_one_page(server, full_store, ward_set):  # noqa: F811
    (cluster, wards), = sql(full_store, f"select cluster_{ward_set}, count(*) from wards_{ward_set} "
                                        "group by 1 order by 2 desc, 1 limit 1")
    assert wards >= 4  # the largest cluster: the change-by-ward table is at its longest
    pdf = REPO_ROOT / "test-artifacts" / f"cluster_summary_{ward_set}.pdf"

    def flow():
        with chromium_page(**DESKTOP) as pg:
            open_url(pg, f"{server.url}/clusters?view=print&wards={ward_set}&cluster={cluster.replace(' ', '%20')}")
            assert not exceptions(pg), exceptions(pg)
            main = pg.locator('[data-testid="stMain"]')
            assert main.locator("table.smp-table").count() >= 3  # key figures, change by ward, by year
            assert main.locator("table.smp-table tbody tr").filter(has_text=f"{cluster} total").count() == 1
            # lay the page out at the printed width first (A4 landscape less 7 mm margins: 1070 px), as a print
            # preview does, and let the charts redraw at that width before the PDF is made
            pg.emulate_media(media="print")
            pg.set_viewport_size({"width": 1070, "height": 741})
            wait_idle(pg)
            pdf.parent.mkdir(parents=True, exist_ok=True)
            data = pg.pdf(path=str(pdf), format="A4", landscape=True, prefer_css_page_size=True,
                          print_background=True)
            assert pdf_page_count(data) == 1, f"{cluster} ({ward_set}) printed on {pdf_page_count(data)} pages ({pdf})"

    in_own_thread(flow)

"""Page render benchmark: every page of the dashboard rendered with Streamlit's AppTest on the
full Kent store, plus the GeoJSON payload of each map layer.

Run from the repository root::

    python bench/pages.py                 # default store smp.duckdb (built first if missing)
    python bench/pages.py --db other.duckdb --runs 10
    python bench/pages.py --check         # exit 1 if a target is missed

What is measured (one process, pages in dashboard/layout.py order):

* **cold**: the page's first render after clearing the data caches: every query of the router and
  the page runs against DuckDB. (The DuckDB connection, an ``st.cache_resource``, and Python imports
  stay warm; the very first page also pays Streamlit's own first-run set-up.)
* **warm**: the median of ``--runs`` further renders, each a fresh ``AppTest`` of the same page in the
  same process, so the ``st.cache_data`` caches filled by the cold render are reused. The benchmark
  counts the named queries that actually reach DuckDB during the warm renders and prints it: 0 means
  the caches really are shared between AppTest instances and "warm" means "all data cached".
* **x baseline**: warm median divided by the median render of a one-element Streamlit script measured
  in the same run, which factors out how fast this machine is today.

Each render is one run of ``app.py`` (the router: filter bar, data-currency line, attribution) with the
page selected, as in a browser. AppTest would otherwise run a file in ``pages/`` on its own (Streamlit's
old pages-folder mode, which AppTest re-enables on every run), so the benchmark turns that mode off.

Targets: every page under 1.5 s warm; each map layer's GeoJSON under 300 kB.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

TARGET_WARM_SECONDS = 1.5
TARGET_GEOJSON_BYTES = 300_000
GEOJSON_LAYERS = ("wards_2022", "wards_2024", "lsoa21")
BASELINE_SCRIPT = "import streamlit as st\nst.write('baseline')\n"
TIMEOUT = 300


@dataclass
class PageResult:
    page: str
    title: str
    cold_s: float | None = None
    warm_s: list[float] = field(default_factory=list)
    queries_cold: int = 0
    uncached_queries_warm: int = 0
    error: str | None = None

    @property
    def warm_median_s(self) -> float | None:
        return statistics.median(self.warm_s) if self.warm_s else None


def _clear_query_caches() -> None:
    """The query results and filter context are shared resources (st.cache_resource): clear those too,
    but not the DuckDB connection."""
    from dashboard import data, state

    for cached in (data._cached_query, data._cached_restricted_query, state._context_tables, state._filter_context):
        cached.clear()


def _router_mode_for_apptest() -> None:
    """Make AppTest run app.py (the router) for every page, as a browser session does."""
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.runtime.pages_manager import PagesManager

    class _NavigationPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False  # st.navigation decides, never the pages/ folder

    app_test_module.PagesManager = _NavigationPagesManager


class _QueryCounter:
    """Counts named queries that reach DuckDB (cache misses) by wrapping ``queries.run_df``."""

    def __init__(self):
        import queries

        self.count = 0
        self._queries = queries
        self._original = queries.run_df

        def counted(*args, **kwargs):
            self.count += 1
            return self._original(*args, **kwargs)

        queries.run_df = counted

    def restore(self) -> None:
        self._queries.run_df = self._original


def _split(entry: str) -> tuple[str, dict[str, str]]:
    """'pages/priorities.py?view=asb' -> ('pages/priorities.py', {'view': 'asb'})."""
    page, _, query = entry.partition("?")
    return page, dict(part.split("=", 1) for part in query.split("&") if part)


def _entries() -> list[tuple[str, str]]:
    """(entry, title) for every page, then every SMP priorities section by its link: the sections are lazy
    tabs, so each section's own render is a separate figure."""
    import duckdb

    from dashboard.data import store_path
    from dashboard.layout import PAGE_FILES

    entries = [(page, title) for page, (title, _icon) in PAGE_FILES.items()]
    con = duckdb.connect(str(store_path()), read_only=True)
    try:
        ids = [i for (i,) in con.execute("select priority_id from priorities").fetchall()]
    finally:
        con.close()
    return entries + [(f"pages/priorities.py?view={i}", f"SMP priorities: {i}") for i in ids[1:]]


def _render(entry: str | None, default_page: str) -> tuple[float, str | None]:
    """One render: a fresh AppTest of app.py on ``entry`` (a page file with an optional ?query; None: the
    baseline script). Seconds, error."""
    from streamlit.testing.v1 import AppTest

    page = None
    if entry is None:
        at = AppTest.from_string(BASELINE_SCRIPT, default_timeout=TIMEOUT)
    else:
        page, params = _split(entry)
        at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=TIMEOUT)
        for key, value in params.items():
            at.query_params[key] = value
        if page != default_page:
            at.switch_page(page)
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    if at.exception:
        return elapsed, str(at.exception[0].value).splitlines()[0][:200]
    if page is not None and not any(t.value for t in at.title):
        return elapsed, "no title: the router did not run"
    return elapsed, None


def measure_pages(runs: int, counter: _QueryCounter) -> tuple[list[PageResult], list[float]]:
    import streamlit as st

    from dashboard.layout import PAGE_FILES

    default_page = next(iter(PAGE_FILES))
    baseline = [_render(None, default_page)[0] for _ in range(runs + 1)][1:]
    results = []
    for page, title in _entries():
        result = PageResult(page, title)
        st.cache_data.clear()
        _clear_query_caches()
        before = counter.count
        result.cold_s, result.error = _render(page, default_page)
        result.queries_cold = counter.count - before
        if result.error is None:
            before = counter.count
            for _ in range(runs):
                seconds, error = _render(page, default_page)
                if error:
                    result.error = error
                    break
                result.warm_s.append(seconds)
            result.uncached_queries_warm = counter.count - before
        results.append(result)
        print(f"  measured {page}", file=sys.stderr, flush=True)
    return results, baseline


def measure_geojson() -> dict[str, int]:
    from dashboard.maps import geojson_size_bytes

    return {layer: geojson_size_bytes(layer) for layer in GEOJSON_LAYERS}


def _fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f}"


def report(results: list[PageResult], baseline: list[float], geojson: dict[str, int], runs: int, db: Path) -> list[str]:
    """Print the tables; return the list of missed targets."""
    base = statistics.median(baseline)
    missed = []
    print(f"\nPage render benchmark · store {db} · {runs} warm runs per page · AppTest, one process\n")
    header = (f"{'page':<52} {'cold s':>8} {'queries':>8} {'warm s':>8} {'x baseline':>11} {'queries':>8}"
              f"  target {TARGET_WARM_SECONDS:.1f} s warm")
    print(header)
    print("-" * len(header))
    print(f"{'(baseline: 1-element script)':<52} {'':>8} {'':>8} {_fmt(base):>8} {1.0:>11.1f} {'':>8}")
    for r in results:
        warm = r.warm_median_s
        if r.error:
            verdict = f"ERROR: {r.error}"
            missed.append(f"{r.page}: {r.error}")
        elif warm is not None and warm < TARGET_WARM_SECONDS:
            verdict = "ok"
        else:
            verdict = "MISSED"
            missed.append(f"{r.page}: warm {warm:.3f} s >= {TARGET_WARM_SECONDS} s")
        ratio = f"{warm / base:.1f}" if warm is not None and base > 0 else "-"
        print(f"{r.page:<52} {_fmt(r.cold_s):>8} {r.queries_cold:>8} {_fmt(warm):>8} {ratio:>11} "
              f"{r.uncached_queries_warm:>8}  {verdict}")
    uncached = sum(r.uncached_queries_warm for r in results)
    print("\nqueries = named queries that reached DuckDB (cache misses): in the cold render, and in all the warm"
          f" renders together ({uncached} in all)."
          + (" The st.cache_data caches are shared between AppTest instances: warm = every query cached."
             if uncached == 0 else " Some queries are not cached across renders: warm = Streamlit and the"
             " cached queries warm, the others re-run each time."))
    print(f"\n{'GeoJSON layer':<28} {'bytes':>10} {'kB':>8}  target < {TARGET_GEOJSON_BYTES // 1000} kB")
    for layer, size in geojson.items():
        ok = size < TARGET_GEOJSON_BYTES
        if not ok:
            missed.append(f"GeoJSON {layer}: {size:,} bytes")
        print(f"{layer:<28} {size:>10,} {size / 1000:>8.1f}  {'ok' if ok else 'MISSED'}")
    print(f"\n{'All targets met.' if not missed else 'Targets missed: ' + '; '.join(missed)}")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=REPO_ROOT / "smp.duckdb",
                        help="DuckDB store (default: smp.duckdb at the repository root; built if missing)")
    parser.add_argument("--runs", type=int, default=5, help="warm renders per page (default 5)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    db = args.db.resolve()
    if not db.is_file():
        print(f"{db} not found: building it with python -m smp_data build", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "smp_data", "build", "--db", str(db), "--quiet"],
                       cwd=REPO_ROOT, check=True)
    os.environ["SMP_DB"] = str(db)
    os.chdir(REPO_ROOT)
    logging.disable(logging.WARNING)  # AppTest resets Streamlit's log levels; its bare-mode warnings are noise here
    _router_mode_for_apptest()
    counter = _QueryCounter()
    try:
        results, baseline = measure_pages(args.runs, counter)
    finally:
        counter.restore()
    geojson = measure_geojson()
    missed = report(results, baseline, geojson, args.runs, db)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "db": str(db), "runs": args.runs, "baseline_s": baseline, "geojson_bytes": geojson,
            "pages": [{**asdict(r), "warm_median_s": r.warm_median_s} for r in results], "missed": missed,
        }, indent=2))
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())

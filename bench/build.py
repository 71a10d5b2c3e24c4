"""Benchmark: the full Kent store build, and the dashboard's aggregate queries.

Prints figures; it does not assert (speed targets live here, not in tests, because
machines are noisy). Every figure is a median of several runs and is reported next to a
baseline measured in the same run:

* build: the full build from ../shared (median of --runs, default 3), each in a fresh
  subprocess so its peak memory (max RSS) is its own; baseline = DuckDB's own
  ``read_csv`` of the same files into a table (parsing only, no validation or placement).
  Both are timed from the start of their process's work, imports included (the build's
  pandas/geopandas/shapely imports take ~0.7 s, DuckDB's ~0.1 s), and the build includes
  its fixed costs (boundaries, dimension tables, partner files, views). Targets: under 60 s
  on the 2-core CI machine; build/baseline <= 2 (issue 12).
  ``--compare-dir`` times another checkout's build in the same runs (before/after).
* queries: a page's worth of aggregates through the real named queries on the built
  store (median of --query-runs, default 9), against the same aggregation done in pandas
  on the records already in memory. Target: under 50 ms each.

Usage: python bench/build.py [--runs 3] [--query-runs 9] [--keep PATH] [--compare-dir DIR] [--skip-queries]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

import queries  # noqa: E402
from smp_data import settings  # noqa: E402

BUILD_TARGET_S = 60.0
QUERY_TARGET_MS = 50.0

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
t = time.perf_counter()
phases = {{}}
if {mode!r} == "build":
    from smp_data.build import build_store
    r = build_store({source!r}, Path({db!r}), Path({boundaries!r}), partner_root=Path({partner!r}),
                    progress=lambda _l: None)
    rows = r.rows_read
    phases = r.phases
else:
    import duckdb
    con = duckdb.connect({db!r})
    con.execute("create table raw as select * from read_csv({glob!r}, header=true, all_varchar=true)")
    rows = con.execute("select count(*) from raw").fetchone()[0]
    con.close()
secs = time.perf_counter() - t
print(json.dumps({{"seconds": secs, "rows": rows, "phases": phases,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _child(mode: str, db: Path, repo: Path = REPO) -> dict:
    code = _CHILD.format(repo=str(repo), mode=mode, source=settings.source_path(), db=str(db),
                         boundaries=str(settings.boundaries_dir()), partner=str(settings.partner_dir()),
                         glob=str(Path(settings.source_path()) / "*" / "*-street.csv"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_build(runs: int, keep: Path | None, compare_dir: Path | None = None) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="smp-bench-"))
    builds, bases, olds = [], [], []
    for i in range(runs):
        db = tmp / f"build{i}.duckdb"
        builds.append(_child("build", db))
        base_db = tmp / f"baseline{i}.duckdb"
        bases.append(_child("baseline", base_db))
        base_db.unlink()
        line = f"  run {i + 1}: build {builds[-1]['seconds']:.1f} s, baseline read_csv {bases[-1]['seconds']:.1f} s"
        if compare_dir is not None:  # the other checkout's build, interleaved with this one's
            old_db = tmp / f"compare{i}.duckdb"
            olds.append(_child("build", old_db, repo=compare_dir))
            old_db.unlink()
            line += f", {compare_dir.name} build {olds[-1]['seconds']:.1f} s"
        print(line, flush=True)
    b = statistics.median(r["seconds"] for r in builds)
    base = statistics.median(r["seconds"] for r in bases)
    rows = builds[0]["rows"]
    final = tmp / f"build{runs - 1}.duckdb"
    size_mb = final.stat().st_size / 1e6
    print("\nFull Kent build (median of %d)" % runs)
    print(f"  wall time            {b:8.1f} s   (target < {BUILD_TARGET_S:.0f} s: {'met' if b < BUILD_TARGET_S else 'MISSED'})")
    print(f"  rows read            {rows:8,}   (baseline read {bases[0]['rows']:,})")
    print(f"  throughput           {rows / b:8,.0f} rows/s")
    print(f"  peak memory (RSS)    {statistics.median(r['max_rss_mb'] for r in builds):8.0f} MB")
    print(f"  store size           {size_mb:8.1f} MB")
    print(f"  baseline read_csv    {base:8.2f} s   (DuckDB parse only, same files)")
    print(f"  ratio build/baseline {b / base:8.2f} x   (target <= 2: {'met' if b / base <= 2 else 'MISSED'})")
    phases = {k: statistics.median(r["phases"].get(k, 0.0) for r in builds) for k in builds[0]["phases"]}
    records = phases.get("police.uk records", 0.0)
    print(f"  of which police.uk records phase {records:.2f} s ({records / base:.2f} x baseline); the rest is imports "
          f"({b - sum(phases.values()):.2f} s) and fixed costs: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items() if k != "police.uk records"))
    if olds:
        o = statistics.median(r["seconds"] for r in olds)
        print(f"  {compare_dir.name} build {o:8.1f} s   ratio to baseline {o / base:.2f} x, peak memory "
              f"{statistics.median(r['max_rss_mb'] for r in olds):.0f} MB (same runs, interleaved)")
    for i in range(runs - 1):
        (tmp / f"build{i}.duckdb").unlink(missing_ok=True)
    if keep:
        final.replace(keep)
        return keep
    return final


def _median_ms(fn, runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench_queries(db: Path, runs: int) -> None:
    con = duckdb.connect(str(db), read_only=True)
    months = [dt.date(2025, m, 1) for m in range(1, 13)]
    comp = [dt.date(2024, m, 1) for m in range(1, 5)]
    cur4 = [dt.date(2025, m, 1) for m in range(1, 5)]
    common = dict(ward_set="2024", classes=["VBC", "CAS", "ASB"], crime_types=[], priority="")
    area = dict(area_type="borough", area_code="")
    calls = {
        "monthly_counts_by_class": dict(months=months, **common, **area),
        "counts_by_type_two_periods": dict(months=cur4, comparison_months=comp, **common, **area),
        "ward_summary": dict(months=cur4, comparison_months=comp, **common),
        "lsoa_summary": dict(months=cur4, comparison_months=comp, **common, **area),
        "district_summary": dict(months=cur4, comparison_months=comp, classes=["VBC", "CAS"], crime_types=[],
                                 population_basis="mid2024"),
        "area_counts_by_year": dict(months=sorted(comp + months), area_level="cluster", **common),
        "town_centre_by_year": dict(months=[dt.date(y, m, 1) for y in (2022, 2024, 2025) for m in range(6, 13)],
                                    ward_set="2022"),
        "top_locations": dict(months=cur4, comparison_months=comp, repeat_min_months=3, top_n=20, **common, **area),
    }
    # pandas equivalents of the first five, on the records already in memory
    rec = con.execute("select * from records").df()
    rec["month"] = pd.to_datetime(rec["month"]).dt.date
    w24 = con.execute("select ward_2024_code, population from wards_2024").df()
    lso = con.execute("select lsoa21_code, population from lsoas").df()
    dst = con.execute("select district_name, population from districts").df()
    maid = rec[rec["district"] == "Maidstone"]

    def pd_monthly():
        sel = maid[maid["month"].isin(months)]
        return sel.groupby(["month", "crime_class"]).size()

    def pd_types():
        sel = maid[maid["month"].isin(cur4 + comp)]
        return sel.assign(cur=sel["month"].isin(cur4)).groupby(["crime_type", "cur"]).size().unstack(fill_value=0)

    def pd_wards():
        sel = maid[maid["month"].isin(cur4 + comp)]
        g = sel.assign(cur=sel["month"].isin(cur4)).groupby(["ward_2024_code", "cur"]).size().unstack(fill_value=0)
        out = w24.merge(g.reset_index(), on="ward_2024_code", how="left").fillna(0)
        out["rate"] = 1000 * out[True] / out["population"]
        out["rank"] = out[True].rank(ascending=False, method="min")
        return out

    def pd_lsoas():
        sel = maid[maid["month"].isin(cur4 + comp)]
        g = sel.assign(cur=sel["month"].isin(cur4)).groupby(["lsoa21_code", "cur"]).size().unstack(fill_value=0)
        return lso.merge(g.reset_index(), on="lsoa21_code", how="left").fillna(0)

    def pd_districts():
        sel = rec[rec["month"].isin(cur4 + comp) & rec["crime_class"].isin(["VBC", "CAS"])]
        g = sel.assign(cur=sel["month"].isin(cur4)).groupby(["district", "cur"]).size().unstack(fill_value=0)
        out = dst.merge(g.reset_index(), left_on="district_name", right_on="district", how="left")
        out["rate"] = 1000 * out[True] / out["population"]
        return out

    pandas_fns = {"monthly_counts_by_class": pd_monthly, "counts_by_type_two_periods": pd_types,
                  "ward_summary": pd_wards, "lsoa_summary": pd_lsoas, "district_summary": pd_districts}
    print(f"\nDashboard aggregate queries on {db.name} (median of {runs} runs, warm)")
    print(f"  {'query':<28} {'DuckDB ms':>10} {'pandas ms':>10} {'pandas/DuckDB':>14}  target < {QUERY_TARGET_MS:.0f} ms")
    for name, params in calls.items():
        ms = _median_ms(lambda: queries.run_df(con, name, **params), runs)
        if name in pandas_fns:
            pms = _median_ms(pandas_fns[name], runs)
            ratio = f"{pms / ms:13.1f}x"
            pms_txt = f"{pms:10.1f}"
        else:
            ratio, pms_txt = f"{'-':>14}", f"{'-':>10}"
        print(f"  {name:<28} {ms:10.1f} {pms_txt} {ratio}  {'met' if ms < QUERY_TARGET_MS else 'MISSED'}")
    print("  (pandas column: the same aggregation on a DataFrame of all records already in memory;"
          " its load time is excluded)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="full builds to time (median)")
    parser.add_argument("--query-runs", type=int, default=9, help="runs per query (median)")
    parser.add_argument("--keep", type=Path, help="keep the last built store at this path")
    parser.add_argument("--db", type=Path, help="skip the build benchmark and time queries on this store")
    parser.add_argument("--compare-dir", type=Path,
                        help="also time the build of another checkout (e.g. `git archive <commit> | tar -x -C DIR`), "
                        "interleaved with this one's in the same runs (before/after)")
    parser.add_argument("--skip-queries", action="store_true", help="time the build only")
    args = parser.parse_args()
    print(f"bench/build.py  {dt.datetime.now():%Y-%m-%d %H:%M}  python {sys.version.split()[0]}  duckdb {duckdb.__version__}")
    db = args.db if args.db else bench_build(args.runs, args.keep, args.compare_dir)
    if args.skip_queries:
        return 0
    bench_queries(db, args.query_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: a national store (every force) built from the all-forces zip and from longer synthetic
histories, its aggregates and the dashboard's queries on it, and what one ``--update`` month costs.

Prints figures; it does not assert (speed targets live in benchmarks, not tests). Every build figure is
reported next to a floor measured in the same run on the same files, so the ratios hold on a loaded machine:

* floor: DuckDB's own ``read_csv`` of the same street files into a table (all varchar: parsing only, no
  validation, classification or placement), in a fresh subprocess.
* build: ``smp_data.build.build_store(force='all')`` in a fresh subprocess (so its peak RSS is its own):
  rows/s, build/floor ratio, peak RSS, store size. The zip build includes extracting each member (the
  floor reads the already-extracted files; the extraction time is printed beside it).
* synthetic histories (``--months N`` > 4): N months made by replicating the zip's four months: month k
  (oldest first, ending 2024-04) is a byte copy of 2024-0(1 + (k - N) mod 4)'s files of every force with
  the ``Month`` field rewritten to month k (the build checks that it matches the file's month). Row counts
  therefore scale exactly with N; Crime IDs repeat across copies (the build does not deduplicate them).
* queries on the largest store built (median of ``--query-runs``, warm): national aggregates (force
  ranking, monthly counts per force) and the dashboard's own named queries (Kent Police by default, and
  with every force's records in Maidstone).
* ``--update`` of one month in place on each store (a copy of it): one month of Kent (the dashboard's
  monthly refresh) and one month of every force, against the same store's full build: seconds, peak RSS,
  bytes written by the process, store size before/after. Flat across histories = no copy of the store.

Usage: python bench/national.py [--months 4] [--query-runs 5] [--skip-update] [--work DIR]
Keep runs short on a shared machine: the default (the zip's 4 months, 1.29 M rows) takes a few minutes;
``--months 12`` adds a 3.9 M-row history (~1 GB of temporary CSV).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

import queries  # noqa: E402
from bench.build import _median_ms  # noqa: E402  (one timing helper for the benchmarks)
from smp_data import settings  # noqa: E402

ZIP = settings.shared_dir() / "data" / "police_uk_national" / "police_uk_2024-01_2024-04_all_forces.zip"

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path

def wchar():
    for line in open("/proc/self/io"):
        if line.startswith("wchar:"):
            return int(line.split()[1])

w0, t = wchar(), time.perf_counter()
mode = {mode!r}
if mode in ("build", "update"):
    from smp_data.build import build_store
    r = build_store({source!r}, Path({db!r}), Path({boundaries!r}), force={force!r}, update=mode == "update",
                    partner_root=None, uploads_root=None, postcodes_root=None, progress=lambda _l: None)
    rows = r.rows_read
else:
    import duckdb
    con = duckdb.connect({db!r})
    con.execute("create table raw as select * from read_csv({glob!r}, header=true, all_varchar=true)")
    rows = con.execute("select count(*) from raw").fetchone()[0]
    con.close()
print(json.dumps({{"seconds": time.perf_counter() - t, "rows": rows, "written_mb": (wchar() - w0) / 1e6,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _child(mode: str, db: Path, source: Path | str = "", force: str = "all", glob: str = "") -> dict:
    code = _CHILD.format(repo=str(REPO), mode=mode, source=str(source), db=str(db), force=force, glob=glob,
                         boundaries=str(settings.boundaries_dir()))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else '?'}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def extract(folder: Path) -> float:
    t = time.perf_counter()
    with zipfile.ZipFile(ZIP) as z:
        for name in z.namelist():
            if name.endswith("-street.csv"):
                z.extract(name, folder)
    return time.perf_counter() - t


def _months_back(last: dt.date, n: int) -> list[dt.date]:
    out, y, m = [], last.year, last.month
    for _ in range(n):
        out.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def synthesise(extracted: Path, folder: Path, n: int) -> None:
    """N months ending 2024-04, each a copy of one of the zip's months with the Month field rewritten."""
    months = _months_back(dt.date(2024, 4, 1), n)
    for k, month in enumerate(months):
        src_month = f"2024-0{1 + (k - n) % 4}"
        label = f"{month:%Y-%m}"
        (folder / label).mkdir(parents=True, exist_ok=True)
        for src in sorted((extracted / src_month).glob("*-street.csv")):
            dst = folder / label / src.name.replace(src_month, label, 1)
            with src.open("rb") as fin, dst.open("wb") as fout:
                fout.write(fin.readline())  # header
                for line in fin:  # Crime ID,Month,... : Crime IDs are hex, never hold a comma or quote
                    crime_id, _, rest = line.split(b",", 2)
                    fout.write(crime_id + b"," + label.encode() + b"," + rest)


def _glob(folder: Path) -> str:
    return str(folder / "*" / "*-street.csv")


def bench_build(label: str, source: Path, folder: Path, work: Path, extra: str = "") -> dict:
    base = _child("floor", work / f"floor-{label}.duckdb", glob=_glob(folder))
    (work / f"floor-{label}.duckdb").unlink(missing_ok=True)
    db = work / f"national-{label}.duckdb"
    b = _child("build", db, source=source)
    size = db.stat().st_size / 1e6
    print(f"\n{label}: build from {source.name} (force all){extra}")
    print(f"  rows read            {b['rows']:12,}   (floor read {base['rows']:,})")
    print(f"  build                {b['seconds']:12.1f} s   {b['rows'] / b['seconds']:10,.0f} rows/s")
    print(f"  floor read_csv       {base['seconds']:12.1f} s   {base['rows'] / base['seconds']:10,.0f} rows/s")
    print(f"  ratio build/floor    {b['seconds'] / base['seconds']:12.1f} x")
    print(f"  peak RSS build       {b['max_rss_mb']:12.0f} MB  (floor {base['max_rss_mb']:.0f} MB)")
    print(f"  store size           {size:12.1f} MB")
    return {"label": label, "db": db, "build": b, "floor": base, "size_mb": size}


def bench_queries(db: Path, runs: int) -> None:
    con = duckdb.connect(str(db), read_only=True)
    months = [m for (m,) in con.execute("select distinct month from records order by 1").fetchall()]
    half = max(1, len(months) // 2)
    cur, comp = months[-min(4, half):], months[-2 * min(4, half):-min(4, half)]
    national = {
        "force ranking (records per force, all months)":
            "select force, count(*) as n, rank() over (order by count(*) desc) from records group by force",
        "monthly counts per force and class":
            "select month, force, crime_class, count(*) from records group by all",
        "force ranking, last 4 months, VBC only":
            "select force, count(*) from records where month in (select unnest($m)) and crime_class = 'VBC' "
            "group by force order by 2 desc",
    }
    print(f"\nQueries on {db.name} ({len(months)} months; median of {runs} runs, warm)")
    print(f"  {'national aggregate':<58} {'ms':>8}")
    for name, sql in national.items():
        params = {"m": cur} if "$m" in sql else None
        print(f"  {name:<58} {_median_ms(lambda: con.execute(sql, params).fetchall(), runs):8.1f}")
    common = dict(ward_set="2024", classes=["VBC", "CAS", "ASB"], crime_types=[], priority="")
    area = dict(area_type="borough", area_code="")
    calls = {
        "monthly_counts_by_class": dict(months=months, **common, **area),
        "counts_by_type_two_periods": dict(months=cur, comparison_months=comp, **common, **area),
        "ward_summary": dict(months=cur, comparison_months=comp, **common),
        "lsoa_summary": dict(months=cur, comparison_months=comp, **common, **area),
        "district_summary": dict(months=cur, comparison_months=comp, classes=["VBC", "CAS"], crime_types=[],
                                 population_basis="mid2024"),
        "area_counts_by_year": dict(months=months, area_level="cluster", **common),
        "top_locations": dict(months=cur, comparison_months=comp, repeat_min_months=2, top_n=20, **common, **area),
        "location_methods": dict(months=cur),
        "unplaced_kent_records": dict(months=cur),
    }
    print(f"  {'dashboard query':<36} {'Kent Police ms':>15} {'all forces ms':>14}")
    for name, params in calls.items():
        q = queries.get(name)
        params = {k: v for k, v in params.items() if k in q.params}
        kent = _median_ms(lambda: queries.run_df(con, name, **params), runs)
        every = (_median_ms(lambda: queries.run_df(con, name, **params, forces=[]), runs)
                 if "forces" in q.params else float("nan"))
        print(f"  {name:<36} {kent:15.1f} {every:14.1f}")
    con.close()


def one_month(folder: Path, month: str, force: str, dest: Path) -> Path:
    (dest / month).mkdir(parents=True, exist_ok=True)
    pattern = f"{month}-*-street.csv" if force == "all" else f"{month}-{force}-street.csv"
    for f in (folder / month).glob(pattern):
        shutil.copyfile(f, dest / month / f.name)
    return dest


def bench_update(built: dict, folder: Path, work: Path) -> None:
    db = built["db"]
    last = max(p.name for p in folder.iterdir() if p.is_dir())
    full = built["build"]["seconds"]
    print(f"\n--update of one month ({last}) in place on {db.name} ({built['size_mb']:.0f} MB; "
          f"its full build {full:.1f} s)")
    print(f"  {'month of':<12} {'rows':>9} {'seconds':>8} {'vs full build':>14} {'peak RSS MB':>12} "
          f"{'written MB':>11} {'store MB before -> after':>26}")
    for force in ("kent", "all"):
        src = one_month(folder, last, force, work / f"update-{built['label']}-{force}")
        copy = work / f"update-{built['label']}.duckdb"
        shutil.copyfile(db, copy)  # the benchmark's own store (setup, not timed)
        before = copy.stat().st_size / 1e6
        u = _child("update", copy, source=src, force=force)
        after = copy.stat().st_size / 1e6
        print(f"  {force:<12} {u['rows']:9,} {u['seconds']:8.1f} {u['seconds'] / full:13.2f}x "
              f"{u['max_rss_mb']:12.0f} {u['written_mb']:11.1f} {before:12.1f} -> {after:10.1f}")
        copy.unlink()
        shutil.rmtree(src)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--months", type=int, default=4,
                        help="also build a synthetic history of this many months when > 4 (default 4: the zip only)")
    parser.add_argument("--query-runs", type=int, default=5, help="runs per query (median)")
    parser.add_argument("--skip-update", action="store_true", help="do not time --update")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary folder, removed)")
    args = parser.parse_args()
    if not ZIP.is_file():
        print(f"error: the all-forces zip is not at {ZIP} (set SMP_SHARED)", file=sys.stderr)
        return 1
    work = args.work or Path(tempfile.mkdtemp(prefix="smp-national-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"bench/national.py  {dt.datetime.now():%Y-%m-%d %H:%M}  python {sys.version.split()[0]}  "
          f"duckdb {duckdb.__version__}  ({ZIP.name})")
    try:
        extracted = work / "extracted"
        unzip = extract(extracted)
        stores = [bench_build("zip-4-months", ZIP, extracted, work, extra=f"; unzipping alone takes {unzip:.1f} s")]
        if args.months > 4:
            hist = work / f"history-{args.months}"
            t = time.perf_counter()
            synthesise(extracted, hist, args.months)
            print(f"\n(synthetic {args.months}-month history written in {time.perf_counter() - t:.1f} s)")
            stores.append(bench_build(f"synthetic-{args.months}-months", hist, hist, work))
        bench_queries(stores[-1]["db"], args.query_runs)
        if not args.skip_update:
            for built, folder in zip(stores, [extracted] + ([hist] if args.months > 4 else [])):
                bench_update(built, folder, work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

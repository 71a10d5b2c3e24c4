"""Benchmark: Find my area on the built store, and what postcodes add to the store build.

Prints figures; it does not assert (machines are noisy). Every figure is a median and is reported next to
a baseline measured in the same run:

* search: :func:`dashboard.search.search` for typical texts (full postcode, sector, district, street,
  street with a typo, ward, 2011 LSOA code, garbage), median of --runs each, against the cheapest
  possible answer to the same question asked of DuckDB (one ``select ... where postcode = $p`` on the
  ``postcodes`` view). Target: under 100 ms median per search.
* index: building the search index from the store (once per store file in the app), against reading the
  same rows with the named queries alone.
* around a point: the two radius queries for a postcode (500 m), against the ward's monthly counts query.
* postcode load: ``smp_data.postcodes.load_into_store`` (read, validate, BNG->WGS84, point in polygon on
  three layers, insert) into a copy of the store, against DuckDB's ``read_csv`` of the same file.

Usage: python bench/search.py [--db PATH] [--runs 25]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

import queries  # noqa: E402
from dashboard.search import SearchIndex, search  # noqa: E402
from smp_data import settings  # noqa: E402

SEARCH_TARGET_MS = 100.0
TEXTS = {
    "full postcode": "me16 8hb",
    "sector": "ME15 6",
    "district": "ME15",
    "street": "Loose Road",
    "street, typo": "lose rd",
    "street, many places": "station road",
    "ward": "fant and oakwood",
    "2011 LSOA code": "E01033090",
    "outside borough": "ME5 8AB",
    "garbage": "zzzz qqqq wwww",
}


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=str(settings.db_path()), help="built store (default %(default)s)")
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args(argv)
    db = Path(args.db)
    if not db.is_file():
        print(f"error: store not found: {db} (build it: python -m smp_data build)", file=sys.stderr)
        return 1
    con = duckdb.connect(str(db), read_only=True)
    n_pc = con.execute("select count(*) from postcodes").fetchone()[0]
    print(f"store {db} ({n_pc:,} postcodes); medians of {args.runs} runs; the machine may be shared, so read the "
          "ratios to the same-run baselines\n")

    names = ("postcodes", "snap_points", "wards_both_sets", "clusters_both_sets", "lsoas", "lsoa_2011_to_2021")
    read_ms = _median_ms(lambda: [queries.run_df(con, f"search.{n}") for n in names], 3)
    index_ms = _median_ms(lambda: SearchIndex.from_connection(con), 3)
    index = SearchIndex.from_connection(con)
    print(f"search index build     {index_ms:8.1f} ms   (baseline: the same rows read by the queries alone "
          f"{read_ms:.1f} ms, x{index_ms / read_ms:.1f}); {len(index.streets):,} streets and places")

    lookup = "select * from postcodes where postcode = $p"
    base_ms = _median_ms(lambda: con.execute(lookup, {"p": "ME16 8HB"}).fetchall(), args.runs)
    print(f"\nbaseline: one DuckDB postcode lookup {base_ms:.2f} ms\n")
    print(f"{'search':<22}{'median ms':>10}{'x baseline':>12}  answer")
    medians = []
    for label, text in TEXTS.items():
        ms = _median_ms(lambda t=text: search(index, t), args.runs)
        medians.append(ms)
        r = search(index, text)
        answer = r.target.label if r.target else f"{r.status} ({len(r.choices)} choices)"
        print(f"{label:<22}{ms:>10.2f}{ms / base_ms:>12.1f}  {answer[:60]}")
    overall = statistics.median(medians)
    verdict = "within" if overall < SEARCH_TARGET_MS else "OVER"
    print(f"{'all searches':<22}{overall:>10.2f}{overall / base_ms:>12.1f}  {verdict} the {SEARCH_TARGET_MS:.0f} ms "
          f"target (slowest {max(medians):.1f} ms)")

    t = index.postcode_target("ME16 8HB")
    months = [r[0] for r in con.execute("select month from months_loaded where is_present and year(month) >= 2024 "
                                        "group by month order by month").fetchall()]
    common = {"ward_set": "2024", "classes": ["VBC", "CAS", "ASB"], "crime_types": [], "priority": ""}
    lons, lats = [t.points[0][0]], [t.points[0][1]]

    def around():
        queries.run_df(con, "search.monthly_near", lons=lons, lats=lats, radius_m=500.0, months=months, **common)
        queries.run_df(con, "search.snap_points_near", lons=lons, lats=lats, radius_m=500.0, months=months[-12:],
                       comparison_months=months[:-12], **common)

    def ward():
        queries.run_df(con, "monthly_counts_by_class", months=months, area_type="ward", area_code="E05015599", **common)

    around_ms, ward_ms = _median_ms(around, 9), _median_ms(ward, 9)
    print(f"\naround a point (500 m) {around_ms:8.1f} ms   (baseline: the ward's monthly counts {ward_ms:.1f} ms, "
          f"x{around_ms / ward_ms:.1f})")
    con.close()

    root = settings.postcodes_dir()
    if root is None:
        print("\npostcode load: skipped (SMP_POSTCODES=none)")
        return 0
    from boundaries import load_boundaries  # noqa: PLC0415
    from smp_data import postcodes  # noqa: PLC0415

    data = load_boundaries(settings.boundaries_dir())
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.duckdb"
        shutil.copyfile(db, copy)
        wcon = duckdb.connect(str(copy))
        load_ms = _median_ms(lambda: postcodes.load_into_store(wcon, root, data, progress=lambda _l: None), 3)
        csv = next(Path(root).glob("*.csv")) if Path(root).is_dir() else Path(root)
        raw_ms = _median_ms(lambda: wcon.execute(
            "create or replace temp table raw as select * from read_csv($f, header=false, all_varchar=true)",
            {"f": str(csv)}), 3)
        wcon.close()
    print(f"postcode load          {load_ms:8.1f} ms   (baseline: DuckDB read_csv of the same file {raw_ms:.1f} ms, "
          f"x{load_ms / raw_ms:.0f}) for {n_pc:,} postcodes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

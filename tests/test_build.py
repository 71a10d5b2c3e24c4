"""The store build on the synthetic archive: contents, gaps, reconciliation, idempotency,
atomic replacement, update mode and the command line."""

import os
import shutil
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from smp_data.build import BuildError, build_store
from smp_data.settings import REPO_ROOT

CONTRACT_CRIME_RECORDS = [
    "month", "crime_id", "crime_type", "crime_class", "district", "lsoa21_code", "ward_2022_code",
    "ward_2022_name", "ward_2024_code", "ward_2024_name", "cluster_2022", "cluster_2024", "longitude",
    "latitude", "location", "last_outcome",
]


def _build(source, db, boundaries_dir, **kw):
    return build_store(str(source), db, boundaries_dir, progress=lambda _l: None, **kw)


def _tables(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_name <> 'build_metadata' order by 1").fetchall()]
        return {n: con.execute(f'select * from "{n}"').df() for n in names}
    finally:
        con.close()


def test_public_contract_columns(tiny_con):
    cols = [r[0] for r in tiny_con.execute("describe crime_records").fetchall()]
    assert cols[: len(CONTRACT_CRIME_RECORDS)] == CONTRACT_CRIME_RECORDS
    assert [r[0] for r in tiny_con.execute("describe months_loaded").fetchall()][:3] == ["month", "force", "rows"]
    assert [r[0] for r in tiny_con.execute("describe rejects").fetchall()] == ["source_file", "line", "reason", "raw"]
    types = dict(tiny_con.execute("select column_name, data_type from information_schema.columns "
                                  "where table_name = 'crime_records'").fetchall())
    assert types["month"] == "DATE"


def test_counts_by_month_and_class_match_the_fixture(tiny_con):
    # fixture README: 8, 3, 1, 5 rows; Maidstone 5, 2, 1, 4; Maidstone VBC 6, CAS 3, ASB 3
    got = tiny_con.execute("select strftime(month, '%Y-%m'), count(*), count(*) filter (where district = 'Maidstone') "
                           "from crime_records group by 1 order by 1").fetchall()
    assert got == [("2022-01", 8, 5), ("2022-02", 3, 2), ("2022-04", 1, 1), ("2024-01", 5, 4)]
    classes = dict(tiny_con.execute("select crime_class, count(*) from crime_records where district = 'Maidstone' "
                                    "group by 1").fetchall())
    assert classes == {"VBC": 6, "CAS": 3, "ASB": 3}


def test_missing_months_are_gaps_not_zero_rows(tiny_con):
    rows = dict(tiny_con.execute("select strftime(month, '%Y-%m'), rows from months_loaded").fetchall())
    assert len(rows) == 25  # 2022-01 .. 2024-01 inclusive
    assert rows["2022-03"] is None and rows["2023-12"] is None
    assert rows["2022-04"] == 1 and rows["2024-01"] == 5
    assert sum(v is None for v in rows.values()) == 21


def test_every_maidstone_record_has_lsoa_wards_and_clusters(tiny_con):
    missing = tiny_con.execute(
        "select count(*) from crime_records where district = 'Maidstone' and (lsoa21_code is null or "
        "ward_2022_code is null or ward_2024_code is null or cluster_2022 is null or cluster_2024 is null)"
    ).fetchone()[0]
    assert missing == 0
    outside = tiny_con.execute("select count(*) from crime_records where district is distinct from 'Maidstone' "
                               "and (ward_2022_code is not null or cluster_2024 is not null)").fetchone()[0]
    assert outside == 0


def test_week_street_records_are_high_street_cluster_5(tiny_con):
    got = tiny_con.execute(
        "select distinct ward_2022_name, ward_2024_name, cluster_2022, cluster_2024 from crime_records "
        "where location = 'On or near Week Street'").fetchall()
    assert got == [("High Street", "High Street", "Cluster 5", "Cluster 5")]


def test_dimension_tables(tiny_con):
    q = tiny_con.execute
    assert q("select count(*) from wards_2022").fetchone()[0] == 26
    assert q("select count(*) from wards_2024").fetchone()[0] == 22
    assert q("select count(*) from lsoas").fetchone()[0] == 99
    assert q("select count(*) from districts").fetchone()[0] == 13
    assert q("select count(*), count(distinct cluster) from clusters group by boundary_set order by boundary_set").fetchall() == [(8, 8), (8, 8)]
    assert q("select bool_and(is_derived) from clusters where boundary_set = '2024'").fetchone()[0] is True
    # populations for rates: ONS mid-2024 on the new wards (shared population file: Senacre 4,175)
    assert q("select population from wards_2024 where ward_2024_name = 'Senacre'").fetchone()[0] == 4175
    assert q("select sum(population) from wards_2022").fetchone()[0] == 180428  # ONS mid-2022 total
    assert q("select cluster_sub_group from wards_2022 where ward_2022_name = 'Marden and Yalding'").fetchone()[0] == "B"
    assert q("select count(*) from priorities where measurable = 'no'").fetchone()[0] >= 2


def test_metadata_records_source_counts_and_version(tiny_con):
    meta = dict(tiny_con.execute("select key, value from build_metadata").fetchall())
    assert meta["rows_records"] == "17" and meta["rows_maidstone"] == "12" and meta["rows_rejected"] == "0"
    assert "police_uk" in meta["source"] and meta["code_version"].startswith("smp_data ")
    assert meta["built_at_utc"].endswith("+00:00")


def test_malformed_rows_go_to_rejects_and_reconcile(archive_copy, tmp_path, boundaries_dir):
    f = archive_copy / "2022-02" / "2022-02-kent-street.csv"
    f.write_text(f.read_text() + "bad1,2022-02,Kent Police,Kent Police,zz,51.2,X,,,Drugs,,\n"
                 "bad2,2022-02,Kent Police\n"
                 "bad3,2022-13,Kent Police,Kent Police,,,X,,,Drugs,,\n"
                 "bad4,2022-02,Kent Police,Kent Police,,,X,,,Jaywalking,,\n")
    db = tmp_path / "s.duckdb"
    report = _build(archive_copy, db, boundaries_dir)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (21, 17, 4)
    con = duckdb.connect(str(db), read_only=True)
    rej = con.execute("select source_file, line, reason from rejects order by line").fetchall()
    assert rej == [
        ("2022-02/2022-02-kent-street.csv", 5, "coordinates ('zz', '51.2') are not numbers"),
        ("2022-02/2022-02-kent-street.csv", 6, "expected 12 fields, found 3"),
        ("2022-02/2022-02-kent-street.csv", 7, "Month '2022-13' is not YYYY-MM"),
        ("2022-02/2022-02-kent-street.csv", 8, "unknown Crime type 'Jaywalking'"),
    ]
    recon = con.execute("select bool_and(rows_read = rows_loaded + rows_rejected), sum(rows_rejected) "
                        "from source_files").fetchone()
    assert recon == (True, 4)


def test_rebuilding_gives_identical_tables(tiny_store, tmp_path, boundaries_dir):
    from tests.conftest import POLICE_FIXTURE

    from smp_data.settings import postcodes_dir

    again = _build(POLICE_FIXTURE, tmp_path / "again.duckdb", boundaries_dir, postcodes_root=postcodes_dir()).db_path
    first, second = _tables(tiny_store), _tables(again)
    assert first.keys() == second.keys()
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)


def test_update_replaces_a_reingested_month_and_keeps_the_others(archive_copy, tmp_path, boundaries_dir):
    db = tmp_path / "u.duckdb"
    _build(archive_copy, db, boundaries_dir)
    # a corrected 2022-02 file with one row, and nothing else
    newer = tmp_path / "newer"
    (newer / "2022-02").mkdir(parents=True)
    lines = (archive_copy / "2022-02" / "2022-02-kent-street.csv").read_text().splitlines()
    (newer / "2022-02" / "2022-02-kent-street.csv").write_text("\n".join(lines[:2]) + "\n")
    _build(newer, db, boundaries_dir, update=True)
    _build(newer, db, boundaries_dir, update=True)  # twice: still one copy
    con = duckdb.connect(str(db), read_only=True)
    got = dict(con.execute("select strftime(month, '%Y-%m'), count(*) from records group by 1").fetchall())
    assert got == {"2022-01": 8, "2022-02": 1, "2022-04": 1, "2024-01": 5}
    assert con.execute("select count(*) from source_files").fetchone()[0] == 4


def test_failed_build_leaves_the_previous_store_intact_and_readable(tmp_path, boundaries_dir, tiny_store):
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny_store, db)
    reader = duckdb.connect(str(db), read_only=True)  # a dashboard reading during the build
    from tests.conftest import POLICE_FIXTURE

    with pytest.raises(BuildError, match="simulated failure before file 3"):
        _build(POLICE_FIXTURE, db, boundaries_dir, _fail_after_files=2)
    assert reader.execute("select count(*) from records").fetchone()[0] == 17
    reader.close()
    assert duckdb.connect(str(db), read_only=True).execute("select count(*) from records").fetchone()[0] == 17
    leftovers = [p.name for p in tmp_path.iterdir() if ".building-" in p.name]
    assert leftovers == []


def test_a_broken_file_half_way_fails_cleanly(archive_copy, tmp_path, boundaries_dir, tiny_store):
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny_store, db)
    (archive_copy / "2022-04" / "2022-04-kent-street.csv").write_bytes(b"")
    with pytest.raises(BuildError, match="2022-04/2022-04-kent-street.csv: the file is empty"):
        _build(archive_copy, db, boundaries_dir)
    assert duckdb.connect(str(db), read_only=True).execute("select count(*) from records").fetchone()[0] == 17


def test_a_broken_boundary_file_is_named(tmp_path, boundaries_dir):
    broken = tmp_path / "boundaries"
    shutil.copytree(boundaries_dir, broken)
    (broken / "maidstone_wards_2024.geojson").write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(BuildError, match="maidstone_wards_2024.geojson is not readable GeoJSON"):
        from tests.conftest import POLICE_FIXTURE

        _build(POLICE_FIXTURE, tmp_path / "x.duckdb", broken)


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "smp_data", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env={**os.environ, **(env or {})}, timeout=300)


def test_cli_build_succeeds_and_prints_reconciliation(tmp_path):
    from tests.conftest import POLICE_FIXTURE

    db = tmp_path / "cli.duckdb"
    res = _cli("build", "--partner", "none", env={"SMP_SOURCE": str(POLICE_FIXTURE), "SMP_DB": str(db)})
    assert res.returncode == 0, res.stderr
    assert "2022-01/2022-01-kent-street.csv" in res.stdout and "read       8 = loaded       8" in res.stdout
    assert db.is_file()


def test_cli_failure_is_one_line_and_nonzero(tmp_path):
    res = _cli("build", "--source", str(tmp_path / "missing"), "--db", str(tmp_path / "x.duckdb"), "--partner", "none")
    assert res.returncode != 0
    assert res.stderr.strip().count("\n") == 0 and "source folder not found" in res.stderr


def test_cli_help_lists_the_options():
    res = _cli("build", "--help")
    assert res.returncode == 0
    for opt in ("--source", "--db", "--boundaries", "--partner", "--update", "--force"):
        assert opt in res.stdout


def test_if_missing_keeps_a_current_store_and_rebuilds_one_from_an_older_schema(tmp_path):
    """A store built by older code (no store_schema key, so schema "1") cannot serve the current queries
    (e.g. the partner_public_rows macro): `build --if-missing` rebuilds it instead of keeping it."""
    from tests.conftest import POLICE_FIXTURE

    db = tmp_path / "cli.duckdb"
    env = {"SMP_SOURCE": str(POLICE_FIXTURE), "SMP_DB": str(db)}
    assert _cli("build", "--partner", "none", env=env).returncode == 0
    before = db.stat().st_mtime_ns
    kept = _cli("build", "--partner", "none", "--if-missing", env=env)
    assert kept.returncode == 0 and "not rebuilt" in kept.stdout and db.stat().st_mtime_ns == before
    con = duckdb.connect(str(db))
    con.execute("delete from build_metadata where key = 'store_schema'")
    con.execute("drop macro table partner_public_rows")
    con.close()
    rebuilt = _cli("build", "--partner", "none", "--if-missing", env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "built by an older version of this project (store schema 1" in rebuilt.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select value from build_metadata where key = 'store_schema'").fetchone() is not None
        assert con.execute("select count(*) from duckdb_functions() where function_name = 'partner_public_rows'"
                           ).fetchone()[0] == 1
    finally:
        con.close()


def test_importing_the_build_leaves_pandas_and_geopandas_to_its_background_thread():
    """``smp_data.build`` (and the reader it uses) import no pandas, geopandas or shapely at module load:
    the build imports them in its background thread while DuckDB reads the first batch (bench/build.py)."""
    code = ("import sys; import smp_data.build, smp_data.read, smp_data.districts; "
            "print(sorted(m for m in ('pandas', 'geopandas', 'shapely', 'boundaries') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout

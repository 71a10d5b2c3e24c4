"""The Parquet export: the fact table partitioned by force and month, read back by DuckDB locally.

The store holds two forces (the synthetic archive's Kent files, and a copy of its 2022-01 and 2024-01
files named as British Transport Police's); expected values come from independent SQL on the store.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import duckdb
import pytest

from smp_data.build import build_store
from smp_data.export import ExportError, export_parquet
from smp_data.settings import REPO_ROOT


@pytest.fixture(scope="module")
def two_forces(tmp_path_factory, boundaries_dir):
    from tests.conftest import POLICE_FIXTURE

    root = tmp_path_factory.mktemp("twoforces")
    archive = root / "police_uk"
    shutil.copytree(POLICE_FIXTURE, archive)
    for month in ("2022-01", "2024-01"):
        shutil.copyfile(archive / month / f"{month}-kent-street.csv", archive / month / f"{month}-btp-street.csv")
    db = root / "two.duckdb"
    build_store(str(archive), db, boundaries_dir, force="all", partner_root=None, postcodes_root=None,
                progress=lambda _l: None)
    return db


def _store(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _parquet(sql):
    con = duckdb.connect()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_export_holds_every_record_partitioned_by_force_and_month(two_forces, tmp_path):
    out = tmp_path / "dataset"
    report = export_parquet(two_forces, out)
    by_store = _store(two_forces, "select force, month, count(*) from records group by all order by all")
    assert {f for f, _, _ in by_store} == {"kent", "btp"}
    glob = f"'{out}/records/*/*/*.parquet'"
    read = f"read_parquet({glob}, hive_partitioning = true, hive_types = {{'force': VARCHAR, 'month': DATE}})"
    assert _parquet(f"select force, month, count(*) from {read} group by all order by all") == by_store
    # one folder per force and month, named as DuckDB (and Spark, Arrow, Athena...) read them
    folders = sorted(str(p.parent.relative_to(out / "records")) for p in out.glob("records/*/*/*.parquet"))
    assert folders == sorted(f"force={f}/month={m:%Y-%m-%d}" for f, m, _ in by_store)
    # every value of every row, with the store's column types
    cols = [r[0] for r in _store(two_forces, "select column_name from duckdb_columns() where table_name = 'records' "
                                              "order by column_index")]
    con = duckdb.connect()
    try:
        con.execute(f"attach '{two_forces}' as s (read_only)")
        sel = ", ".join(cols)
        assert con.execute(f"select count(*) from (select {sel} from {read} except all "
                           f"select {sel} from s.records)").fetchone()[0] == 0
        assert con.execute(f"select count(*) from (select {sel} from s.records except all "
                           f"select {sel} from {read})").fetchone()[0] == 0
        types = dict(con.execute(f"select column_name, column_type from (describe select {sel} from {read})").fetchall())
        stored = dict(con.execute("select column_name, data_type from duckdb_columns() where database_name = 's' "
                                  "and table_name = 'records'").fetchall())
        assert types == stored
    finally:
        con.close()
    assert report.rows == sum(n for _, _, n in by_store) and report.partitions == len(by_store)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows_records"] == report.rows and manifest["forces"] == ["btp", "kent"]
    assert _parquet(f"select count(*) from '{out}/source_files.parquet'")[0][0] == _store(
        two_forces, "select count(*) from source_files")[0][0]
    assert _parquet(f"select force, month, is_present from '{out}/months_loaded.parquet' order by all") == _store(
        two_forces, "select force, month, is_present from months_loaded order by all")


def test_an_existing_export_is_kept_unless_replaced(two_forces, tmp_path):
    out = tmp_path / "dataset"
    export_parquet(two_forces, out)
    (out / "stale.txt").write_text("from an older export")
    with pytest.raises(ExportError, match="is not empty"):
        export_parquet(two_forces, out)
    assert (out / "stale.txt").exists()
    export_parquet(two_forces, out, replace=True)
    assert not (out / "stale.txt").exists() and (out / "manifest.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]  # no temporary folder left


def test_the_cli_exports_and_fails_in_one_line(two_forces, tmp_path):
    run = [sys.executable, "-m", "smp_data", "export-parquet"]
    ok = subprocess.run([*run, str(tmp_path / "d"), "--db", str(two_forces)], capture_output=True, text=True,
                        cwd=REPO_ROOT, timeout=300)
    assert ok.returncode == 0 and "force-month partitions" in ok.stdout, ok.stderr
    bad = subprocess.run([*run, str(tmp_path / "e"), "--db", str(tmp_path / "missing.duckdb")], capture_output=True,
                         text=True, cwd=REPO_ROOT, timeout=300)
    assert bad.returncode == 1 and bad.stderr.strip() == f"error: store not found: {tmp_path / 'missing.duckdb'}"

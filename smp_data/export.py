"""Export the store's fact table as a Parquet dataset partitioned by force and month.

``python -m smp_data export-parquet DIR`` writes::

    DIR/records/force=<slug>/month=<YYYY-MM-DD>/data_0.parquet   every row of ``records`` (hive layout)
    DIR/source_files.parquet                                      what each month and force loaded
    DIR/months_loaded.parquet                                     per force and month: present or a gap
    DIR/manifest.json                                             store version, rows, forces, months

for analysts and for serving beyond one machine (README, "Beyond one machine"): DuckDB reads it locally or
from object storage (httpfs) with ``read_parquet('DIR/records/*/*/*.parquet', hive_partitioning = true,
hive_types = {'month': DATE})``. The export reads one consistent snapshot of the store (one read-only
connection), writes a temporary folder beside ``DIR`` and renames it into place only when complete, so a
reader of ``DIR`` never sees half an export.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from smp_data import store

__all__ = ["ExportError", "ExportReport", "export_parquet", "READ_RECORDS_SQL"]

# how a reader opens the dataset (the partition columns come back from the folder names)
READ_RECORDS_SQL = ("select * from read_parquet({path}, hive_partitioning = true, "
                    "hive_types = {{'force': VARCHAR, 'month': DATE}})")


class ExportError(RuntimeError):
    """The export failed; the message is one line naming the path."""


@dataclass
class ExportReport:
    out_dir: Path
    rows: int
    partitions: int
    files: int
    bytes: int
    seconds: float
    store_version: str | None


def _lit(text: str | Path) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def records_glob(out_dir: Path | str) -> str:
    return f"{str(out_dir).rstrip('/')}/records/*/*/*.parquet"


def export_parquet(db_path: Path | str, out_dir: Path | str, *, replace: bool = False,
                   threads: int | None = None) -> ExportReport:
    """Write the Parquet dataset of the store ``db_path`` into ``out_dir`` (see the module docstring).

    ``out_dir`` must not exist (or be empty) unless ``replace``; then the previous export is swapped out
    only after the new one is complete.
    """
    import time

    started = time.perf_counter()
    db_path, out_dir = Path(db_path), Path(out_dir)
    if not db_path.is_file():
        raise ExportError(f"store not found: {db_path}")
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not replace:
        raise ExportError(f"{out_dir} is not empty (use --replace to swap in a new export)")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.exporting-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        con = store.read_only_connection(db_path, threads=threads)
    except duckdb.Error as exc:
        raise ExportError(f"cannot open the store {db_path}: {str(exc).splitlines()[0]}") from None
    try:
        tmp.mkdir()
        meta = dict(con.execute("select key, value from build_metadata").fetchall())
        # month as a DATE partition folder (month=2024-01-01); rows in file order within a partition
        con.execute(f"copy (select * from records order by force, month, source_file, source_line) "
                    f"to {_lit(tmp / 'records')} (format parquet, partition_by (force, month), "
                    "compression zstd, row_group_size 122880)")
        con.execute(f"copy (select * from source_files order by month, force) "
                    f"to {_lit(tmp / 'source_files.parquet')} (format parquet)")
        con.execute(f"copy (select * from months_loaded order by force, month) "
                    f"to {_lit(tmp / 'months_loaded.parquet')} (format parquet)")
        rows, partitions, forces, first, last = con.execute(
            "select count(*), count(distinct (force, month)), list(distinct force order by force), "
            "min(month), max(month) from records").fetchone()
        manifest = {
            "exported_at_utc": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
            "store": str(db_path), "store_version": meta.get(store.VERSION_KEY),
            "store_schema": meta.get("store_schema"), "rows_records": rows, "partitions": partitions,
            "forces": forces, "first_month": str(first), "last_month": str(last),
            "read_records": READ_RECORDS_SQL.format(path=_lit(records_glob("DIR"))),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    except (duckdb.Error, OSError) as exc:
        con.close()
        err = store.describe_write_error(exc, tmp, "exporting the Parquet dataset")
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExportError(str(err)) from None
    con.close()
    old = None
    try:
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.replaced-{os.getpid()}")
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
    except OSError as exc:
        if old is not None and not out_dir.exists():
            os.replace(old, out_dir)
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExportError(f"cannot move the export into {out_dir}: {exc.strerror}") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    files = [p for p in out_dir.rglob("*") if p.is_file()]
    return ExportReport(out_dir, rows, partitions, sum(1 for p in files if p.suffix == ".parquet"),
                        sum(p.stat().st_size for p in files), time.perf_counter() - started,
                        meta.get(store.VERSION_KEY))

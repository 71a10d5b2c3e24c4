"""The row-at-a-time store build, kept only to check the set-based build against it.

This is the build as it was before issue 12 (``smp_data.build`` before the set-based rewrite): every
file is decoded whole, parsed by the ``csv`` module, validated row by row
(``smp_data.ingest.validate_batch``), placed row by row (:func:`legacy_enrich`, the original
``GeoContext.enrich`` loop) and stored from Python lists. ``tests/test_build_compare.py`` builds the
same inputs both ways and compares the stores row for row; once that comparison has run on main the
module is removed. Not used by the command line or the dashboard.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pyarrow as pa

import queries
from boundaries import BoundaryError, load_boundaries
from smp_data.build import (
    BuildError,
    BuildReport,
    _insert_source_file,
    _dimension_frames,
    _load_dimensions,
    _remove,
    _temp_path,
    _write_metadata,
)
from smp_data.enrich import ENRICHED_FIELDS, MAIDSTONE, GeoContext, _district_from_lsoa_name, _Split
from smp_data.ingest import FileResult, validate_batch
from smp_data.sources import SourceError, open_source

__all__ = ["legacy_build_store", "legacy_enrich"]

_RECORD_SCHEMA = pa.schema(
    [
        ("month", pa.string()),
        ("crime_id", pa.string()),
        ("reported_by", pa.string()),
        ("falls_within", pa.string()),
        ("longitude", pa.float64()),
        ("latitude", pa.float64()),
        ("location", pa.string()),
        ("lsoa_code_published", pa.string()),
        ("lsoa_name_published", pa.string()),
        ("crime_type", pa.string()),
        ("crime_class", pa.string()),
        ("last_outcome", pa.string()),
        ("context", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int32()),
        ("force", pa.string()),
        ("district", pa.string()),
        ("lsoa21_code", pa.string()),
        ("ward_2022_code", pa.string()),
        ("ward_2024_code", pa.string()),
        ("location_method", pa.string()),
    ]
)


def legacy_enrich(geo: GeoContext, lon: list, lat: list, lsoa_codes: list, lsoa_names: list) -> dict[str, list]:
    """The original per-row placement loop (``GeoContext.enrich`` before the vectorised ``place``)."""
    n = len(lon)
    lon_a = np.array([np.nan if v is None else v for v in lon], dtype="float64")
    lat_a = np.array([np.nan if v is None else v for v in lat], dtype="float64")
    district = [_district_from_lsoa_name(name) for name in lsoa_names]
    no_name = [i for i in range(n) if district[i] is None and np.isfinite(lon_a[i])]
    if no_name:
        found = geo.districts.assign(lon_a[no_name], lat_a[no_name])
        for i, d in zip(no_name, found):
            district[i] = d
    out = {f: [None] * n for f in ENRICHED_FIELDS}
    out["district"] = district
    idx = np.array([i for i in range(n) if district[i] == MAIDSTONE], dtype="int64")
    if len(idx) == 0:
        return out
    x, y = lon_a[idx], lat_a[idx]
    pip_lsoa = geo.lsoa.assign(x, y)
    pip_ward = {k: a.assign(x, y) for k, a in geo.wards.items()}
    for j, i in enumerate(idx):
        published = lsoa_codes[i]
        if published in geo.lsoa21_codes:
            lsoa21 = published
        elif published in geo.map_11_21:
            target = geo.map_11_21[published]
            if isinstance(target, _Split):
                lsoa21 = pip_lsoa[j] if pip_lsoa[j] in target.children else geo._nearest(target.children, x[j], y[j])
            else:
                lsoa21 = target
        else:
            lsoa21 = pip_lsoa[j]
        out["lsoa21_code"][i] = lsoa21
        w22, w24 = pip_ward["2022"][j], pip_ward["2024"][j]
        if w22 is not None and w24 is not None:
            method = "point"
        elif lsoa21 is not None:
            w22 = w22 or geo.lsoa_to_ward["2022"][lsoa21]
            w24 = w24 or geo.lsoa_to_ward["2024"][lsoa21]
            method = "lsoa_lookup"
        else:
            method = "none"
        out["ward_2022_code"][i] = w22
        out["ward_2024_code"][i] = w24
        out["location_method"][i] = method
    return out


def _store_file(con, result: FileResult, enriched: dict[str, list]) -> int:
    month = f"{result.month}-01"
    con.execute("delete from records where month = $m and force = $f", {"m": month, "f": result.force})
    con.execute("delete from source_files where (month = $m and force = $f) or source_file = $s",
                {"m": month, "f": result.force, "s": result.source_file})
    n = result.rows_loaded
    cols = dict(result.records)
    cols["force"] = [result.force] * n
    cols.update(enriched)
    table = pa.Table.from_pydict({k: cols[k] for k in _RECORD_SCHEMA.names}, schema=_RECORD_SCHEMA)
    con.register("_incoming_records", table)
    try:
        con.execute("insert into records select month::date, * exclude (month) from _incoming_records")
    finally:
        con.unregister("_incoming_records")
    if result.rejects:
        con.executemany("insert into rejects values (?, ?, ?, ?)", result.rejects)
    maidstone = sum(1 for d in enriched["district"] if d == "Maidstone")
    kent_districts = {r[0] for r in con.execute("select district_name from districts").fetchall()}
    kent = sum(1 for d in enriched["district"] if d in kent_districts)
    names = Counter(n for n in result.records["reported_by"] if n is not None)
    force_name = max(names, key=lambda n: (names[n], n)) if names else None
    _insert_source_file(con, result.source_file, result.month, result.force, result.rows_read, result.rows_loaded,
                        result.rows_rejected, maidstone, kent, force_name)
    return maidstone


def legacy_build_store(source_spec: str, db_path: Path, boundaries_root: Path, *, force: str = "kent",
                       progress: Callable[[str], None] = print) -> BuildReport:
    """A full build the old way (no partner data, no uploads): the reference for the comparison test."""
    started = time.perf_counter()
    db_path = Path(db_path)
    report = BuildReport(db_path)
    try:
        data = load_boundaries(Path(boundaries_root))
        geo = GeoContext(data)
        source = open_source(source_spec, force=force)
    except (BoundaryError, SourceError, ValueError) as exc:
        raise BuildError(str(exc)) from None
    tmp = _temp_path(db_path)
    _remove(tmp)
    con = duckdb.connect(str(tmp))
    try:
        queries.run_script(con, "build.create_tables")
        _load_dimensions(con, _dimension_frames(data))
        for batch in source.batches():
            result = validate_batch(batch)
            rec = result.records
            enriched = legacy_enrich(geo, rec["longitude"], rec["latitude"], rec["lsoa_code_published"],
                                     rec["lsoa_name_published"])
            _store_file(con, result, {f: enriched[f] for f in ENRICHED_FIELDS})
            report.rows_read += result.rows_read
            report.rows_loaded += result.rows_loaded
            report.rows_rejected += result.rows_rejected
            report.files.append({"source_file": result.source_file, "read": result.rows_read,
                                 "loaded": result.rows_loaded, "rejected": result.rows_rejected})
        queries.run_script(con, "build.create_views")
        queries.run_script(con, "build.create_macros")
        _write_metadata(con, source, started, {"force": force, "mode": "legacy"})
        con.execute("checkpoint")
        con.close()
        con = None
        os.replace(tmp, db_path)
    except SourceError as exc:
        raise BuildError(str(exc)) from None
    finally:
        if con is not None:
            con.close()
        _remove(tmp)
    report.seconds = time.perf_counter() - started
    return report

"""Build the DuckDB store: police.uk files -> validated, placed records + dimensions.

Set-based, in batches of whole months (``BATCH_BYTES``: Kent's archive is one batch, an all-forces
month a batch of its own): a batch's files (every force asked for) are read by DuckDB into temporary
tables, validated and classified in SQL (``smp_data.read``, ``queries/build/ingest.sql``), the Maidstone
rows are placed in bulk (``GeoContext.place``: vectorised point-in-polygon on the ONS boundaries), and
the batch is written to ``records`` with one INSERT ... SELECT. Memory is bounded by two batches (one
written while the next is read), not the archive.

Work runs in a pipeline of threads (:func:`_ingest`): two extract a zip's files and scan them, one reads
the next batch with DuckDB on a connection of its own, while this thread writes the batch before; and
the work that needs no store (the pandas/geopandas/shapely imports, the boundaries, the spatial indexes,
the dimension tables' rows and the partner files' validation) runs in :class:`_Prepared` while the first
batch is read.

Safety: the build writes a temporary file beside the store and atomically replaces the
store only when everything succeeded; a failed build removes its temporary file and
leaves the previous store intact and readable. The result depends only on the inputs
(files are read in sorted order and every table is written in a fixed order), so a
re-run gives identical tables.

``--update`` never copies the store: the source's months are staged in a separate DuckDB file beside it
and replace the same (month, force) in the store in one transaction (``store.open_for_update``), so its
cost follows the months updated, not the history held.
"""

from __future__ import annotations

import datetime as dt
import platform
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

import duckdb

import queries
from smp_data import __version__, store
from smp_data.classify import CRIME_TYPES, PRIORITIES, PRIORITY_CRIME_TYPES
from smp_data.read import BatchReader, FileRead, scan_file
from smp_data.settings import REPO_ROOT
from smp_data.sources import Source, SourceError, forces_label, open_source, parse_forces

if TYPE_CHECKING:  # pandas, geopandas and shapely load in the build's background thread (_Prepared)
    import pandas as pd

    from boundaries import BoundaryData
    from smp_data.enrich import GeoContext

__all__ = ["BuildError", "BuildReport", "build_store"]


class BuildError(RuntimeError):
    """The build could not complete; the message is one line naming the file or field."""


@dataclass
class BuildReport:
    db_path: Path
    files: list[dict] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    seconds: float = 0.0
    partner: dict | None = None
    uploads: dict | None = None
    postcodes: dict | None = None
    notes: list[tuple[str, int | None, str]] = field(default_factory=list)  # file, line, note
    phases: dict[str, float] = field(default_factory=dict)  # seconds per build phase (bench/build.py prints them)

    def phase(self, name: str, since: float) -> float:
        """Record the time since ``since`` under ``name``; return now."""
        now = time.perf_counter()
        self.phases[name] = self.phases.get(name, 0.0) + now - since
        return now


def _code_version() -> str:
    try:
        sha = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = "unknown"
    return f"smp_data {__version__} (git {sha})"


def _temp_path(db_path: Path) -> Path:
    return store.temp_path(db_path)


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
    shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)  # DuckDB's spill folder


def _insert(con, table: str, df: pd.DataFrame) -> None:
    con.register("_incoming", df)
    try:
        cols = ", ".join(f'"{c}"' for c in df.columns)
        con.execute(f"insert into {table} ({cols}) select {cols} from _incoming")
    finally:
        con.unregister("_incoming")


DIMENSION_TABLES = ("wards_2022", "wards_2024", "ward_overlap", "clusters", "lsoas", "lsoa_2011_to_2021",
                    "districts", "populations", "crime_categories", "priorities", "priority_crime_types")


def _load_dimensions(con, frames: dict[str, pd.DataFrame]) -> None:
    """(Re)write every dimension table from its frame (:func:`_dimension_frames`)."""
    for table in DIMENSION_TABLES:
        con.execute(f"delete from {table}")
    for table in DIMENSION_TABLES:
        _insert(con, table, frames[table])


def _dimension_frames(data: BoundaryData) -> dict[str, pd.DataFrame]:
    """Every dimension table's rows, from the boundary inputs and project data files (no store needed:
    worked out in the build's background thread)."""
    import pandas as pd  # noqa: PLC0415

    from boundaries import WARD_SETS, load_clusters  # noqa: PLC0415

    out: dict[str, pd.DataFrame] = {}
    pop22 = pd.read_csv(data.root / WARD_SETS["2022"].population_csv, dtype={"WD22CD": str})
    pop24 = pd.read_csv(data.root / WARD_SETS["2024"].population_csv, dtype={"WD24CD": str})
    cl22, cl24 = load_clusters("2022"), load_clusters("2024")
    w22 = data.wards["2022"][["code", "name", "population"]].merge(
        pop22[["WD22CD", "pop_census2021_lsoa_bestfit"]], left_on="code", right_on="WD22CD", how="left"
    ).merge(cl22[["ward_code", "cluster", "sub_group"]], left_on="code", right_on="ward_code", how="left")
    _check_clusters(w22, "2022")
    out["wards_2022"] = (pd.DataFrame({
        "ward_2022_code": w22["code"], "ward_2022_name": w22["name"], "population": w22["population"],
        "population_census2021": w22["pop_census2021_lsoa_bestfit"], "cluster_2022": w22["cluster"],
        "cluster_sub_group": w22["sub_group"].replace("", None),
    }).sort_values("ward_2022_code"))
    w24 = data.wards["2024"][["code", "name", "population"]].merge(
        pop24[["WD24CD", "pop_census2021_lsoa_bestfit"]], left_on="code", right_on="WD24CD", how="left"
    ).merge(cl24, left_on="code", right_on="ward_code", how="left")
    _check_clusters(w24, "2024")
    out["wards_2024"] = (pd.DataFrame({
        "ward_2024_code": w24["code"], "ward_2024_name": w24["name"], "population": w24["population"],
        "population_census2021": w24["pop_census2021_lsoa_bestfit"], "cluster_2024": w24["cluster"],
        "cluster_sub_group": w24["sub_group"].replace("", None),
        "cluster_share_of_residents": pd.to_numeric(w24.get("share_of_residents"), errors="coerce"),
        "cluster_is_low_confidence": w24.get("is_low_confidence").astype(str).str.lower() == "true",
        "cluster_derivation": w24.get("residents_by_old_ward"),
    }).sort_values("ward_2024_code"))
    ov = data.ward_overlap
    out["ward_overlap"] = (pd.DataFrame({
        "ward_2022_code": ov["WD22CD"], "ward_2022_name": ov["WD22NM"], "ward_2024_code": ov["WD24CD"],
        "ward_2024_name": ov["WD24NM"], "share_of_ward_2022_area": ov["share_of_WD22_area"],
        "share_of_ward_2024_area": ov["share_of_WD24_area"],
        "residents_census2021_areal_est": ov["pop_census2021_areal_est"],
    }))
    clusters = []
    for key, table, names in (("2022", cl22, w22), ("2024", cl24, w24)):
        for cluster, grp in table.groupby("cluster", sort=True):
            note = (
                "Published in the SMP Strategic Assessment 2024/25 (para 24)."
                if key == "2022"
                else "Derived by this project (not published by the SMP): each May-2024 ward joins the "
                "pre-2024 cluster that supplied most of its residents (ONS ward overlap, Census 2021 "
                "areal estimate). The partnership has not published its own; this assignment can be revised."
            )
            wards = "; ".join(
                f"{r.ward_name}{' (' + r.sub_group + ')' if r.sub_group else ''}"
                for r in grp.sort_values("ward_name").itertuples()
            )
            clusters.append({
                "boundary_set": key, "cluster": cluster, "cluster_label": grp["cluster_label"].iloc[0],
                "cluster_type": grp["cluster_type"].iloc[0], "is_derived": key == "2024",
                "n_wards": len(grp), "wards": wards, "note": note,
            })
    out["clusters"] = pd.DataFrame(clusters)
    ls = data.lsoa21
    out["lsoas"] = (pd.DataFrame({
        "lsoa21_code": ls["LSOA21CD"], "lsoa21_name": ls["LSOA21NM"], "ward_2024_code": ls["WD24CD"],
        "ward_2022_code": ls["WD22CD_derived"], "population": ls["pop_census2021"].astype("int64"),
        "area_km2": ls.get("area_km2"),
    }).sort_values("lsoa21_code"))
    lk = data.lsoa11_to_21
    out["lsoa_2011_to_2021"] = (pd.DataFrame({
        "lsoa11_code": lk["lsoa11_code"], "lsoa11_name": lk["lsoa11_name"], "lsoa21_code": lk["lsoa21_code"],
        "lsoa21_name": lk["lsoa21_name"], "change": lk["CHGIND"],
    }))
    d = data.districts
    out["districts"] = (pd.DataFrame({
        "district_code": d["LADCD"], "district_name": d["LADNM"], "population": d["pop_mid2024_ons_ward_sum"],
        "population_census2021": d["pop_census2021_lsoa_sum"], "population_mid2022": d["pop_mid2022_ons_ward_sum"],
        "is_kent": True,
    }).sort_values("district_code"))
    out["populations"] = _populations(data, pop22, pop24)
    out["crime_categories"] = (pd.DataFrame([
        {"crime_type": c.name, "api_slug": c.slug, "crime_class": c.crime_class,
         "sa_categories": c.sa_categories, "is_current": c.is_current} for c in CRIME_TYPES
    ]))
    out["priorities"] = (pd.DataFrame([p.__dict__ for p in PRIORITIES]))
    out["priority_crime_types"] = (pd.DataFrame(PRIORITY_CRIME_TYPES, columns=["priority_id", "crime_type", "role"]))
    return out


def _check_clusters(df: pd.DataFrame, key: str) -> None:
    missing = df.loc[df["cluster"].isna(), "name"].tolist()
    if missing:
        raise BuildError(f"boundaries/data/clusters_{key}.csv has no cluster for ward(s): {', '.join(missing)}")


def _populations(data: BoundaryData, pop22: pd.DataFrame, pop24: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415

    rows = []

    def add(area_type, codes, names, basis, values, default):
        for c, n, v in zip(codes, names, values):
            rows.append((area_type, c, n, basis, int(v), default))

    add("ward_2022", pop22["WD22CD"], pop22["WD22NM"], "mid2022", pop22["pop_mid2022_ons"], True)
    add("ward_2022", pop22["WD22CD"], pop22["WD22NM"], "mid2020", pop22["pop_mid2020_ons"], False)
    add("ward_2022", pop22["WD22CD"], pop22["WD22NM"], "census2021_bestfit", pop22["pop_census2021_lsoa_bestfit"], False)
    add("ward_2024", pop24["WD24CD"], pop24["WD24NM"], "mid2024", pop24["pop_mid2024_ons"], True)
    add("ward_2024", pop24["WD24CD"], pop24["WD24NM"], "census2021_bestfit", pop24["pop_census2021_lsoa_bestfit"], False)
    ls = data.lsoa21
    add("lsoa21", ls["LSOA21CD"], ls["LSOA21NM"], "census2021", ls["pop_census2021"], True)
    d = data.districts
    add("district", d["LADCD"], d["LADNM"], "mid2024", d["pop_mid2024_ons_ward_sum"], True)
    add("district", d["LADCD"], d["LADNM"], "mid2022", d["pop_mid2022_ons_ward_sum"], False)
    add("district", d["LADCD"], d["LADNM"], "census2021", d["pop_census2021_lsoa_sum"], False)
    return pd.DataFrame(rows, columns=["area_type", "area_code", "area_name", "basis", "population", "is_rate_default"])


# Bump when a change to queries/build/ means stores built by older code cannot serve the dashboard's queries
# (new tables, views or macros). `build --if-missing` rebuilds such a store; the app says to rebuild it.
STORE_SCHEMA_VERSION = "5"  # 2: partner_public_rows / partner_all_rows macros; 3: postcodes view; 4: ingest_notes;
# 5: forces (source_files.rows_kent/force_name, view forces, _forces macro parameter, months_present)


def store_schema_version(db_path: Path | str) -> str | None:
    """The store schema version recorded by the build that wrote ``db_path`` ("1" for stores that predate
    the version key); None when the file is not a readable store."""
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("select value from build_metadata where key = 'store_schema'").fetchone()
        return row[0] if row else "1"
    except duckdb.Error:
        return None
    finally:
        con.close()


def _write_metadata(con, source: Source, started: float, extra: dict) -> None:
    counts = con.execute(
        "select count(*), count(*) filter (where district = 'Maidstone'), min(month), max(month) from records"
    ).fetchone()
    rejected = con.execute("select count(*) from rejects").fetchone()[0]
    meta = {
        "source": source.description,
        "built_at_utc": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "build_seconds": f"{time.perf_counter() - started:.1f}",
        "code_version": _code_version(),
        "store_schema": STORE_SCHEMA_VERSION,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "rows_records": str(counts[0]),
        "rows_maidstone": str(counts[1]),
        "rows_rejected": str(rejected),
        "first_month": str(counts[2]),
        "last_month": str(counts[3]),
        **extra,
    }
    con.execute("delete from build_metadata")
    con.executemany("insert into build_metadata values (?, ?)", sorted(meta.items()))


def build_store(
    source_spec: str,
    db_path: Path,
    boundaries_root: Path,
    *,
    force: str | tuple[str, ...] | None = "kent",
    update: bool = False,
    partner_root: Path | None = None,
    uploads_root: Path | None = None,
    postcodes_root: Path | None = None,
    progress: Callable[[str], None] = print,
    api_options: dict | None = None,
    _fail_after_files: int | None = None,  # test hook: simulate a crash half-way
) -> BuildReport:
    """Build (or, with ``update``, refresh months of) the store at ``db_path``.

    ``partner_root``: the published partner CSV folder (None = skip). ``uploads_root``: the partner
    uploads folder whose ``uploads.duckdb`` rows replace the store's ``partner_uploads`` (None = leave
    them as they are), so a full rebuild keeps dashboard uploads. ``postcodes_root``: OS Code-Point Open
    CSVs for the ``postcodes`` view (None = an empty view). ``force``: a police.uk force slug, a comma
    list (``"kent,btp"``) or ``"all"``; every record keeps its force.
    """
    started = time.perf_counter()
    db_path = Path(db_path)
    report = BuildReport(db_path)
    prep = _Prepared(Path(boundaries_root), None if partner_root is None else Path(partner_root))
    t = report.phase("boundaries", started)
    try:
        forces = parse_forces(force)
        options = dict(api_options or {})
        if source_spec.startswith(("http://", "https://")):
            options.setdefault("boundaries_root", Path(boundaries_root))
        source = open_source(source_spec, force=forces, **options)
    except SourceError as exc:
        raise BuildError(str(exc)) from None

    if update and not db_path.is_file():
        raise BuildError(f"--update needs an existing store, but {db_path} does not exist")
    if update and (found := store_schema_version(db_path)) != STORE_SCHEMA_VERSION:
        raise BuildError(f"--update needs a store of this version (store schema {STORE_SCHEMA_VERSION}), but {db_path} "
                         f"has {found or 'an unreadable one'}: rebuild it without --update")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        stale = store.cleanup_stale(db_path)
    except store.StoreError as exc:
        raise BuildError(str(exc)) from None
    if stale:
        progress(f"Removed {len(stale)} file(s) left by dead builds ({sum(n for _, n in stale) / 1e6:,.1f} MB): "
                 + ", ".join(p.name for p, _ in stale))
    if update:
        _update_in_place(db_path, source, forces, prep, report, progress, started, t,
                         partner_root=partner_root, uploads_root=uploads_root, postcodes_root=postcodes_root,
                         fail_after_files=_fail_after_files)
    else:
        tmp = _temp_path(db_path)
        _remove(tmp)
        _write_new_store(tmp, source, forces, prep, report, progress, started, t, mode="full",
                         partner_root=partner_root, uploads_root=uploads_root, postcodes_root=postcodes_root,
                         fail_after_files=_fail_after_files, publish_to=db_path)
    report.seconds = time.perf_counter() - started
    progress(
        f"Done in {report.seconds:.1f} s: read {report.rows_read:,} = loaded {report.rows_loaded:,}"
        f" + rejected {report.rows_rejected:,} rows from {len(report.files)} file(s) -> {db_path}"
    )
    return report


def _write_new_store(tmp: Path, source: Source, forces, prep: _Prepared, report: BuildReport,
                     progress, started: float, t: float, *, mode: str, partner_root, uploads_root, postcodes_root,
                     fail_after_files, publish_to: Path | None, seed_uploads_from: Path | None = None,
                     held: dict | None = None) -> None:
    """Write a complete new store (every table, view and macro) into ``tmp``; then, for a full build,
    publish it over ``publish_to`` (atomic rename). ``seed_uploads_from``: a store whose partner uploads
    are copied in first (an update's staging store, so partner loading sees the uploads it keeps). On any failure ``tmp`` is removed and the error is a
    one-line :class:`BuildError` (the store in place is untouched)."""
    con = None
    try:
        con = duckdb.connect(str(tmp))
        with _transaction(con):
            queries.run_script(con, "build.create_tables")
        if seed_uploads_from is not None:
            _seed_uploads(con, seed_uploads_from)
        progress(f"Building {(publish_to or report.db_path).name} from {source.description}")

        def ready() -> GeoContext:  # once the first batch is read: the boundaries, then the dimension tables
            nonlocal t
            t = report.phase("police.uk records", t)
            geo, frames = prep.geo()
            t = report.phase("boundaries", t)
            with _transaction(con):
                _load_dimensions(con, frames)
            t = report.phase("dimensions", t)
            return geo

        _ingest(con, source, ready, report, progress, fail_after_files=fail_after_files, held=held)
        t = report.phase("police.uk records", t)
        if not report.files:
            raise BuildError(f"{source.description}: no police.uk rows found")
        with _transaction(con):
            if uploads_root is not None:
                report.uploads = _copy_uploads(con, Path(uploads_root), progress)
            if partner_root is not None:
                report.partner = _load_partner(con, Path(partner_root), progress, prep.partner())
            t = report.phase("partner data", t)
            report.postcodes = _load_postcodes(con, postcodes_root, prep.data(), progress)
            t = report.phase("postcodes", t)
            queries.run_script(con, "build.create_views")
            queries.run_script(con, "build.create_macros")
            t = report.phase("views and derived tables", t)
            _write_metadata(con, source, started, {"force": forces_label(forces), "mode": mode,
                                                   "postcodes_loaded": str(report.postcodes["rows_loaded"]),
                                                   "postcodes_ward_differs_from_os":
                                                       str(report.postcodes["ward_disagreements"])})
            # a full build stamps its store version here, before its one final checkpoint (publish then
            # renames the file without reopening it); an update's staging file is stamped when applied
            version = store.stamp_version(con) if publish_to is not None else None
        con.execute("checkpoint")
        con.close()
        con = None
        if publish_to is not None:
            store.publish(tmp, publish_to, version=version)
            report.phase("write and publish", t)
    except BaseException as exc:
        _fail(exc, con, tmp, "writing the new store")


@contextmanager
def _transaction(con):
    """Run a step of the build as ONE transaction. The file being written is temporary (published, or
    applied to the store, only once complete; removed on failure), so committing each small statement
    on its own bought nothing and cost a WAL sync per statement (~0.5 s of a Kent build)."""
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        try:
            con.execute("rollback")
        except duckdb.Error:  # DuckDB may have invalidated the connection (e.g. disk full)
            pass
        raise
    con.execute("commit")


def _fail(exc: BaseException, con, tmp: Path, what: str):
    """Close ``con``, remove ``tmp`` and re-raise ``exc`` as a one-line :class:`BuildError`."""
    if con is not None:
        try:
            con.close()
        except Exception:  # noqa: BLE001 - DuckDB may have invalidated it (e.g. disk full)
            pass
    write_error = (store.describe_write_error(exc, tmp, what)  # before freeing the disk
                   if isinstance(exc, (duckdb.Error, OSError)) else None)
    _remove(tmp)
    if isinstance(exc, (BuildError, KeyboardInterrupt)):
        raise exc
    from boundaries import BoundaryError  # noqa: PLC0415 (imported by then)

    if isinstance(exc, (SourceError, BoundaryError, store.StoreError)):
        raise BuildError(str(exc)) from None
    if write_error is not None:
        raise BuildError(str(write_error)) from None
    raise exc


# --------------------------------------------------------------------- --update: months replaced in place

# tables keyed by (month, force): the months the update brings replace the store's rows for them
MONTH_TABLES = ("records", "records_maidstone", "source_files")
# tables keyed by source_file: rows of the files of those months (and the update's own files) are replaced
FILE_TABLES = ("rejects", "ingest_notes")
# small tables reloaded whole when the update is given their inputs (their size does not grow with history)
WHOLE_TABLES = {"partner": ("partner_published", "partner_rejects", "partner_files"),
                "uploads": ("partner_uploads",),
                "postcodes": ("postcode_points", "postcode_rejects", "postcode_files")}


def _update_in_place(db_path: Path, source: Source, forces, prep: _Prepared, report: BuildReport, progress, started: float, t: float, *, partner_root, uploads_root,
                     postcodes_root, fail_after_files) -> None:
    """``--update``: the source's months are read, validated and placed into a staging store beside the
    store (outside its lock), then replace the same (month, force) in the store in ONE transaction
    (``store.open_for_update``). Nothing else of the store is copied or rewritten, so the cost follows
    the months updated, not the history held. The dimension tables stay as the full build wrote them
    (new boundaries need a full build); partner, uploads and postcode tables are reloaded when their
    inputs are given (they are small). A failure at any point leaves the store as it was."""
    staging = store.staging_path(db_path)
    _remove(staging)
    try:
        _write_new_store(staging, source, forces, prep, report, progress, started, t, mode="staging",
                         partner_root=partner_root, uploads_root=uploads_root, postcodes_root=postcodes_root,
                         fail_after_files=fail_after_files, publish_to=None, seed_uploads_from=db_path,
                         held=_held_months(db_path))
        t = time.perf_counter()
        whole = [name for key, root in (("partner", partner_root), ("uploads", uploads_root),
                                        ("postcodes", postcodes_root)) if root is not None
                 for name in WHOLE_TABLES[key]]
        try:
            months = apply_staged_months(db_path, staging, whole_tables=whole, forces=forces,
                                         source_description=source.description, started=started)
        except store.StoreError as exc:
            raise BuildError(str(exc)) from None
        except duckdb.Error as exc:
            raise BuildError(str(store.describe_write_error(exc, db_path, "updating the store"))) from None
        report.phase("write in place", t)
        progress(f"Replaced {len(months)} month(s) in place: "
                 + ", ".join(f"{m:%Y-%m} {f}" for m, f in months))
    finally:
        _remove(staging)


def _held_months(db_path: Path) -> dict[tuple[str, str], int]:
    """Records the store holds per ('YYYY-MM', force)."""
    try:
        con = store.read_only_connection(db_path)
    except duckdb.Error as exc:
        raise BuildError(f"cannot read the store {db_path}: {str(exc).splitlines()[0]}") from None
    try:
        return {(m, f): n for m, f, n in con.execute(
            "select strftime(month, '%Y-%m'), force, count(*) from records group by all").fetchall()}
    finally:
        con.close()


def _seed_uploads(con, db_path: Path) -> None:
    """Copy the partner uploads of the store at ``db_path`` into the store being written by ``con``."""
    queries.run_script(con, "build.create_partner_tables")
    con.execute(f"attach {_lit(db_path)} as seed (read_only)")
    try:
        if "partner_uploads" in _tables(con, "seed"):
            con.execute("insert into partner_uploads by name select * from seed.main.partner_uploads")
    finally:
        con.execute("detach seed")


def _lit(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _tables(con, catalog: str) -> set[str]:
    return {r[0] for r in con.execute("select table_name from duckdb_tables() where database_name = ? "
                                      "and schema_name = 'main'", [catalog]).fetchall()}


def apply_staged_months(db_path: Path, staging: Path, *, whole_tables: list[str] = (), forces=None,
                        source_description: str = "", started: float | None = None,
                        timeout: float = store.DEFAULT_UPDATE_WAIT_SECONDS) -> list[tuple[dt.date, str]]:
    """Replace, in ONE transaction on the store, every (month, force) the staging store holds by its rows
    (``MONTH_TABLES`` by month and force, ``FILE_TABLES`` by source file), reload ``whole_tables`` from
    it, and record the update in ``build_metadata``. Returns the (month, force) pairs replaced."""
    with store.open_for_update(db_path, timeout=timeout) as con:
        here = con.execute("select current_database()").fetchone()[0]
        con.execute(f"attach {_lit(staging)} as stg (read_only)")
        ours, theirs = _tables(con, here), _tables(con, "stg")
        # a month whose files loaded no rows never replaces a month the store holds (its notes say it is kept)
        con.execute("create temp table _kept as select month, force from stg.main.source_files "
                    "group by month, force having sum(rows_loaded) = 0")
        con.execute(f'delete from _kept where (month, force) not in (select distinct month, force from "{here}".main.records)')
        con.execute("create temp table _months as select distinct month, force from stg.main.source_files "
                    "where (month, force) not in (select month, force from _kept)")
        months = con.execute("select month, force from _months order by all").fetchall()
        kept_notes = ("select * from stg.main.ingest_notes where source_file in (select source_file from "
                      "stg.main.source_files where (month, force) in (select month, force from _kept))")
        con.execute(f'delete from "{here}".main.ingest_notes where (source_file, line, note) in '
                    f"(select source_file, line, note from ({kept_notes}))")
        con.execute(f'insert into "{here}".main.ingest_notes {kept_notes}')
        con.execute(f'create temp table _files as select source_file from "{here}".main.source_files '
                    "where (month, force) in (select month, force from _months) "
                    "union select source_file from stg.main.source_files where (month, force) in (select * from _months) "
                    "union select source_file from stg.main.ingest_notes where source_file not in "
                    "(select source_file from stg.main.source_files)")  # near-miss names the listing noted
        replace_staged_rows(con, here, file_tables=FILE_TABLES, month_tables=MONTH_TABLES,
                            files_sql="select source_file from _files")
        for table in whole_tables:
            if table in ours and table in theirs:
                con.execute(f'delete from "{here}".main."{table}"')
                con.execute(f'insert into "{here}".main."{table}" by name select * from stg.main."{table}"')
        meta = dict(con.execute("select key, value from build_metadata").fetchall())
        counts = con.execute(
            "select count(*), count(*) filter (where district = 'Maidstone'), min(month), max(month) from records"
        ).fetchone()
        force_label = meta.get("force", "kent")
        if force_label != "all":
            added = forces if forces is not None else tuple(f for (f,) in con.execute(
                "select distinct force from _months").fetchall())
            force_label = ",".join(sorted(set(force_label.split(",")) | set(added)))
        update = {
            "rows_records": str(counts[0]), "rows_maidstone": str(counts[1]),
            "rows_rejected": str(con.execute("select count(*) from rejects").fetchone()[0]),
            "first_month": str(counts[2]), "last_month": str(counts[3]), "force": force_label, "mode": "update",
            "updated_at_utc": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
            "update_source": source_description,
            "update_months": ", ".join(f"{m:%Y-%m} {f}" for m, f in months),
            "code_version": _code_version(),
        }
        if started is not None:
            update["update_seconds"] = f"{time.perf_counter() - started:.1f}"
        con.executemany("insert or replace into build_metadata (key, value) values (?, ?)", sorted(update.items()))
    return months


def replace_staged_rows(con, here: str, *, file_tables, month_tables, files_sql: str) -> None:
    """Inside an update's transaction on the store (catalog ``here``, the staging file attached as ``stg``):
    replace the rows of every (month, force) of the temp table ``_months`` by the staging file's. First the
    per-file tables (rejects, notes) for the source files ``files_sql`` selects (evaluated while the
    store's ``source_files`` still lists the old files of those months), then the month tables. Used by
    ``build --update`` (:func:`apply_staged_months`) and ``refresh`` (``smp_data.refresh.apply_months``)."""
    for table in file_tables:
        con.execute(f'delete from "{here}".main."{table}" where source_file in ({files_sql})')
        con.execute(f'insert into "{here}".main."{table}" by name select * from stg.main."{table}" '
                    f"where source_file in ({files_sql})")
    for table in month_tables:
        con.execute(f'delete from "{here}".main."{table}" where (month, force) in (select month, force from _months)')
        con.execute(f'insert into "{here}".main."{table}" by name select * from stg.main."{table}" '
                    "where (month, force) in (select month, force from _months)")


# months are read together until a batch holds this much (a month is never split): Kent's whole 85 MB archive
# is one batch (two cost a Kent build 0.3 s more: each batch has fixed costs), an all-forces month (~70 MB) a
# batch of its own. Since the build's checkpoints run without vacuum (_set_build_settings) and the next batch is
# read while one is written, one-month batches build the all-forces zip in 4.4 s (2.4x its read_csv floor)
# against 3.8 s in 256 MB ones, with peak RSS about 600 MB against 770 (bench/national.py, 2026-12-04).
BATCH_BYTES = 128 << 20
MEMORY_PER_BATCH_BYTE = 4  # DuckDB memory allowed per byte of CSV in the largest batch (bench/national.py)
MIN_MEMORY_LIMIT = 256 << 20


def memory_limit(largest_batch_bytes: int) -> int:
    """DuckDB's ``memory_limit`` for a build whose largest batch holds ``largest_batch_bytes`` of CSV.

    One batch's working set (its rows read as text, validated and written) fits in it; blocks of the
    months already written are evicted as needed (they are in the file), and a batch larger than
    planned spills to DuckDB's temporary folder rather than failing. Without a limit DuckDB keeps every
    block it wrote cached (up to 80 % of RAM), so a build's memory grew with the archive. A build of
    several batches allows two (one written while the next is read). 4 bytes per byte of CSV: 3 and 2
    saved 0-80 MB of peak RSS and cost 0.15-0.5 s on the all-forces zip (bench/national.py).

    >>> memory_limit(10 << 20) >> 20, memory_limit(100 << 20) >> 20
    (256, 400)
    """
    return max(MIN_MEMORY_LIMIT, MEMORY_PER_BATCH_BYTE * largest_batch_bytes)


def _batches(files: list, limit: int | None = None) -> list[list]:
    """Group the street files into batches of whole months, in month order, of about ``limit`` bytes
    (one month larger than that is a batch of its own): memory is bounded by the larger of the two.

    >>> from smp_data.sources import StreetFile as F
    >>> [[f.month for f in b] for b in _batches([F("a", "2024-01", "k", size=5), F("b", "2024-01", "b", size=5),
    ...                                           F("c", "2024-02", "k", size=5), F("d", "2024-03", "k", size=20)], 15)]
    [['2024-01', '2024-01', '2024-02'], ['2024-03']]
    """
    limit = BATCH_BYTES if limit is None else limit
    months: dict[str, list] = {}
    for sf in files:
        months.setdefault(sf.month, []).append(sf)
    out, current, size = [], [], 0
    for month in sorted(months):
        month_size = sum(sf.size for sf in months[month])
        if current and size + month_size > limit:
            out.append(current)
            current, size = [], 0
        current.extend(months[month])
        size += month_size
    if current:
        out.append(current)
    return out


def _ingest(con, source: Source, ready: Callable[[], GeoContext], report: BuildReport, progress, *,
            fail_after_files: int | None, held: dict | None = None) -> None:
    """Read, validate, place and write every month of ``source`` (in batches of whole months). ``ready()``
    gives the placement context; it is called once the first batch is read (DuckDB reads it while the
    boundaries load in the background). ``held`` (--update): records the store holds per ('YYYY-MM',
    force), to say a month with no rows is kept."""
    counter = iter(range(1, 1 << 30))
    geo = None

    def check_fail(name: str) -> int:
        i = next(counter)
        if fail_after_files is not None and i > fail_after_files:
            raise BuildError(f"simulated failure before file {i} ({name})")
        return i

    if hasattr(source, "listing"):
        listing = source.listing()
        for name, note in listing.notes:
            report.notes.append((name, None, note))
            progress(f"  note: {name}: {note}")
            con.execute("delete from ingest_notes where source_file = ? and line is null", [name])
            con.execute("insert into ingest_notes values (?, null, ?)", [name, note])
        batches = _batches(listing.files)
        # two batches are in memory at once (one written while DuckDB reads the next), unless there is one
        _set_build_settings(con, min(2, len(batches)) * max((sum(sf.size for sf in b) for b in batches), default=0))
        # A pipeline of three stages, each a batch ahead of the next: two threads extract (from a zip)
        # and scan the files (zlib and bytes.translate release the GIL); one thread reads a batch with
        # DuckDB's read_csv, on a cursor of its own (its own temporary tables); this thread validates,
        # places and writes the batch read before. The pools are shut down before the folder is removed.
        with tempfile.TemporaryDirectory(prefix="smp-build-") as tmp_dir, \
                ThreadPoolExecutor(max_workers=2, thread_name_prefix="smp-build-extract") as files_pool, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="smp-build-read") as read_pool:
            def prepare(sf) -> tuple[Path, object]:
                path = source.materialise(sf, Path(tmp_dir))
                try:
                    return path, scan_file(path)
                except OSError:  # the reader names the file that cannot be read
                    return path, None

            def read(cursor, batch: list, prepared: list[Future]) -> BatchReader:
                done = []
                try:
                    done = [f.result() for f in prepared]
                    reader = BatchReader(cursor, None)
                    reader.read_files([(p, sf.source_file, sf.month, sf.force)
                                       for (p, _), sf in zip(done, batch)], [sc for _, sc in done])
                    return reader
                finally:
                    for f in prepared:
                        f.cancel()
                    for (p, _), sf in zip(done, batch):
                        if sf.path is None:
                            p.unlink(missing_ok=True)

            cursors = []  # one connection per batch (made here, used by one thread at a time), all closed at the end

            def submit(batch: list) -> Future:
                cursors.append(con.cursor())
                return read_pool.submit(read, cursors[-1], batch, [files_pool.submit(prepare, sf) for sf in batch])

            pending = submit(batches[0]) if batches else None
            try:
                for k, batch in enumerate(batches):
                    numbers = [check_fail(sf.source_file) for sf in batch]
                    reader, pending = pending.result(), None
                    try:
                        if k + 1 < len(batches):
                            pending = submit(batches[k + 1])
                        if geo is None:
                            geo = ready()
                        reader.geo = geo
                        _write_batch(reader.con, reader, report, progress, numbers, held)
                        # write the batch out now: one checkpoint at the end of the build would hold
                        # every month in memory
                        con.execute("checkpoint")
                    finally:
                        reader.con.close()
            finally:
                if pending is not None and not pending.cancel():  # a batch being read: let it end
                    wait([pending])
                for cursor in cursors:
                    cursor.close()
        if geo is None:
            ready()
    else:  # the police.uk API: rows already split into fields, one month per batch
        _set_build_settings(con, BATCH_BYTES)
        geo = ready()
        for batch in source.batches():
            reader = BatchReader(con, geo)
            numbers = [check_fail(batch.source_file)]
            reader.add_rows(batch.source_file, batch.month, batch.force, batch.rows)
            _write_batch(con, reader, report, progress, numbers, held, checkpoint=True)


def _write_batch(con, reader: BatchReader, report: BuildReport, progress, numbers: list[int],
                 held: dict | None, *, checkpoint: bool = False) -> None:
    """Validate, place and append the batch read by ``reader`` (on its connection ``con``); record its
    rejects, notes and files (one transaction); then, with ``checkpoint``, write the store's file."""
    with _transaction(con):
        _append_batch(con, reader, report, progress, numbers, held)
    reader.close()
    if checkpoint:  # one checkpoint at the end of the build would hold every month in memory
        con.execute("checkpoint")


def _append_batch(con, reader: BatchReader, report: BuildReport, progress, numbers: list[int],
                  held: dict | None) -> None:
    files = list(reader.files.values())
    reader.load()
    for fr, i in zip(files, numbers):
        if fr.rows_loaded == 0:  # a gap, or on --update over a month the store holds, that month kept
            fr.notes.append((fr.source_file, None, _no_rows_note(fr, (held or {}).get((fr.month, fr.force)))))
        stats = reader.stats.get(fr.file_id, {})
        maidstone = stats.get("maidstone", 0)
        if fr.rejects:
            con.executemany("insert into rejects values (?, ?, ?, ?)", fr.rejects)
        if fr.notes:
            con.executemany("insert into ingest_notes values (?, ?, ?)", fr.notes)
        _insert_source_file(con, fr.source_file, fr.month, fr.force, fr.rows_read, fr.rows_loaded, fr.rows_rejected,
                            maidstone, stats.get("kent", 0), stats.get("force_name"))
        _report_file(report, progress, fr, i, maidstone)


def _set_build_settings(con, batch_bytes: int) -> None:
    """The store's DuckDB settings for writing batches: a ``memory_limit`` for ``batch_bytes`` of CSV in
    memory at once (:func:`memory_limit`), and no vacuum tasks. A
    checkpoint's vacuum merges the last, partly filled row groups of the batch before with the new ones,
    rewriting them: 0.4-0.5 s per all-forces month (three quarters of a month's own insert), where a
    build deletes nothing that vacuum would reclaim. The store is written and read alike without it; its
    row groups simply end at batch boundaries (bench/national.py, 2026-12-04)."""
    con.execute(f"set memory_limit = '{memory_limit(batch_bytes)}B'")
    con.execute("set max_vacuum_tasks = 0")


def _insert_source_file(con, source_file: str, month: str, force: str, read: int, loaded: int, rejected: int,
                        maidstone: int, kent: int, force_name: str | None) -> None:
    con.execute(
        "insert into source_files (source_file, month, force, rows_read, rows_loaded, rows_rejected, rows_maidstone, "
        "rows_kent, force_name) values ($s, $m, $f, $read, $loaded, $rejected, $maid, $kent, $name)",
        {"s": source_file, "m": f"{month}-01", "f": force, "read": read, "loaded": loaded, "rejected": rejected,
         "maid": maidstone, "kent": kent, "name": force_name},
    )


def _no_rows_note(fr: FileRead, kept: int | None) -> str:
    """What a file that loaded no rows means: a gap (never a month of zero records), or, on --update over
    a month the store holds, that month kept as it was."""
    why = ("the file has a header and no rows" if fr.rows_read == 0
           else f"none of its {fr.rows_read:,} rows could be loaded")
    if kept:
        return f"{why}: the store's {kept:,} records of {fr.month} for force {fr.force} are kept (an empty month " \
               "never replaces data)"
    return f"{why}: {fr.month} stays a gap for force {fr.force} (no data, never a month of zero records)"


def _report_file(report: BuildReport, progress, fr: FileRead, i: int, maidstone: int) -> None:
    report.rows_read += fr.rows_read
    report.rows_loaded += fr.rows_loaded
    report.rows_rejected += fr.rows_rejected
    report.files.append({"source_file": fr.source_file, "month": fr.month, "force": fr.force, "reader": fr.reader,
                         "read": fr.rows_read, "loaded": fr.rows_loaded, "rejected": fr.rows_rejected,
                         "maidstone": maidstone})
    report.notes.extend(fr.notes)
    progress(
        f"  [{i:>3}] {fr.source_file:<40} read {fr.rows_read:>7,} = loaded {fr.rows_loaded:>7,}"
        f" + rejected {fr.rows_rejected:>4,}   (Maidstone {maidstone:,})"
    )
    for name, line, note in fr.notes[:5]:
        progress(f"        note: line {line}: {note}" if line else f"        note: {note}")
    if len(fr.notes) > 5:
        progress(f"        ... and {len(fr.notes) - 5:,} more notes (table ingest_notes)")


def _load_partner(con, root: Path, progress, validated: list | None = None) -> dict:
    """Load the partner indicator files (issue: partner indicators); ``validated``: the files already
    validated (:meth:`_Prepared.partner`)."""
    from smp_data import partner  # noqa: PLC0415  (kept separate: partner data is optional)

    return partner.load_into_store(con, root, progress=progress, validated=validated)


class _Prepared:
    """The build's inputs that need no store, prepared in ONE background thread while DuckDB reads the
    first batch of street files: importing pandas, geopandas and shapely, loading and checking the
    boundaries, the spatial indexes (:class:`~smp_data.enrich.GeoContext`), the dimension tables' rows
    and the partner files' validation. DuckDB releases the GIL while it reads, so on two cores these
    cost the build little. Errors are raised where the build uses the result, as one-line
    :class:`BuildError` for bad boundary files."""

    def __init__(self, boundaries_root: Path, partner_root: Path | None):
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smp-build-prepare")
        self._geo: Future = pool.submit(self._load_geo, boundaries_root)
        self._partner: Future | None = (pool.submit(self._validate_partner, partner_root)
                                        if partner_root is not None else None)
        pool.shutdown(wait=False)

    @staticmethod
    def _load_geo(root: Path):
        from boundaries import BoundaryError, load_boundaries  # noqa: PLC0415
        from smp_data.enrich import GeoContext  # noqa: PLC0415

        try:
            data = load_boundaries(root)
            return data, GeoContext(data), _dimension_frames(data)
        except (BoundaryError, ValueError) as exc:
            raise BuildError(str(exc)) from None

    def _validate_partner(self, root: Path) -> list:
        from smp_data import partner  # noqa: PLC0415

        if self._geo.exception() is not None:
            return []  # the build stops at the boundaries' error
        data = self._geo.result()[0]
        return partner.validate_folder(root, frozenset(data.wards["2022"]["code"]),
                                       frozenset(data.districts["LADCD"]))

    def data(self) -> BoundaryData:
        return self._geo.result()[0]

    def geo(self) -> tuple[GeoContext, dict]:
        """The placement context and the dimension tables' frames (waits for them)."""
        _data, geo, frames = self._geo.result()
        return geo, frames

    def partner(self) -> list | None:
        return None if self._partner is None else self._partner.result()


def _load_postcodes(con, root: Path | None, data: BoundaryData, progress) -> dict:
    """Load OS Code-Point Open postcodes (view ``postcodes``); one call, kept in its own module."""
    from smp_data import postcodes  # noqa: PLC0415

    try:
        return postcodes.load_into_store(con, None if root is None else Path(root), data, progress=progress)
    except postcodes.PostcodeError as exc:
        raise BuildError(str(exc)) from None


def _copy_uploads(con, root: Path, progress) -> dict:
    """Copy the partner uploads of record (``<root>/uploads.duckdb``) into the new store."""
    from smp_data import uploads  # noqa: PLC0415

    return uploads.copy_into_store(con, root, progress=progress)

"""The set-based build against the row-at-a-time build it replaces: the same stores, row for row.

Compared: every table of the store except ``build_metadata`` (build times and mode differ), rows in a
fixed order, values exactly (floats bit for bit). Inputs: the generated malformed archive
(``tests/malformed.py``), the committed synthetic archive, and (integration) the whole ../shared Kent
archive and Kent + British Transport Police + Dyfed-Powys from the all-forces zip.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from smp_data import settings
from smp_data.build import build_store
from smp_data.legacy_build import legacy_build_store
from tests.conftest import POLICE_FIXTURE
from tests.malformed import (CSV_READER_ROWS, JAN_ROWS, ODD_QUOTE_ROWS, WRONG_COUNT_ROWS, write_csv_reader_archive,
                             write_malformed_archive)

ORDER = {
    "records": "source_file, source_line",
    "rejects": "source_file, line",
    "source_files": "source_file",
}
SKIP = {"build_metadata", "ingest_notes"}  # ingest_notes: new (what the old build did silently)


def _store_tables(db: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_type = 'BASE TABLE' order by 1").fetchall()]
        out = {}
        for n in names:
            if n in SKIP:
                continue
            order = ORDER.get(n, "all")
            out[n] = con.execute(f'select * from "{n}" order by {order}').df()
        return out
    finally:
        con.close()


def _assert_same_stores(new: Path, old: Path) -> None:
    """Every table of the reference store, equal in the new one (which may hold more: postcodes, partner)."""
    a, b = _store_tables(new), _store_tables(old)
    assert set(b) <= set(a) and {"records", "rejects", "source_files"} <= set(b)
    for name in b:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=f"table {name}")


def _readers(report) -> dict[str, str]:
    return {f["source_file"]: f["reader"] for f in report.files}


def _both(source, tmp_path, boundaries_dir, force="kent"):
    new = tmp_path / "new.duckdb"
    old = tmp_path / "old.duckdb"
    report = build_store(str(source), new, boundaries_dir, force=force, progress=lambda _l: None,
                         postcodes_root=None)
    legacy = legacy_build_store(str(source), old, boundaries_dir, force=force, progress=lambda _l: None)
    return new, old, report, legacy


def test_malformed_archive_gives_the_same_store_both_ways(tmp_path, boundaries_dir):
    src = write_malformed_archive(tmp_path / "archive")
    new, old, report, legacy = _both(src, tmp_path, boundaries_dir, force="kent,btp")
    _assert_same_stores(new, old)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (
        legacy.rows_read, legacy.rows_loaded, legacy.rows_rejected)
    # the fixture's own account: JAN_ROWS says what each line is (plus the big field and g2)
    jan_loaded = sum(1 for _, what in JAN_ROWS if what.startswith("loaded"))
    jan_rejected = sum(1 for _, what in JAN_ROWS if what.startswith("rejected"))
    con = duckdb.connect(str(new), read_only=True)
    got = con.execute("select rows_read, rows_loaded, rows_rejected from source_files "
                      "where source_file = '2022-01/2022-01-kent-street.csv'").fetchone()
    assert got == (jan_loaded + jan_rejected + 2, jan_loaded + 1, jan_rejected + 1)
    reasons = [r[0] for r in con.execute("select reason from rejects order by source_file, line").fetchall()]
    assert "coordinates (nan, 51.276833) are outside the UK" in reasons
    assert "unparseable line: field larger than field limit (131072)" in reasons
    assert "unknown Crime type 'Burglary\u2019'" in reasons  # read as cp1252, as before
    # the Windows-1252 file is read as before, and now each such line says so
    assert con.execute("select line, note from ingest_notes order by line").fetchall() == [
        (2, "not valid UTF-8: read as Windows-1252 (cp1252)"), (3, "not valid UTF-8: read as Windows-1252 (cp1252)")]
    # every reader path was used: 12 columns (plain), line by line (quotes, BOM and non-ASCII text),
    # the streaming Python reader (mixed line endings; bytes DuckDB will not read as latin-1: cp1252)
    assert _readers(report) == {
        "2022-01/2022-01-btp-street.csv": "csv", "2022-01/2022-01-kent-street.csv": "lines",
        "2022-02/2022-02-kent-street.csv": "python", "2024-01/2024-01-kent-street.csv": "python"}
    assert con.execute("select count(*) from records where source_file like '2024-01/%'").fetchone()[0] == 8


def test_quoted_and_utf8_files_read_by_the_csv_reader_give_the_same_store_both_ways(tmp_path, boundaries_dir):
    """Simply quoted fields and UTF-8 text no longer send a file line by line: DuckDB's CSV reader reads
    it, and the store is still the row-at-a-time build's (Unicode spaces stripped as str.strip() does)."""
    src = write_csv_reader_archive(tmp_path / "archive")
    new, old, report, legacy = _both(src, tmp_path, boundaries_dir, force="kent,btp,essex")
    _assert_same_stores(new, old)
    assert _readers(report) == {"2023-01/2023-01-kent-street.csv": "csv", "2023-01/2023-01-btp-street.csv": "lines",
                                "2023-01/2023-01-essex-street.csv": "lines"}
    rows = CSV_READER_ROWS + ODD_QUOTE_ROWS + WRONG_COUNT_ROWS
    rejected = sum(1 for _, what in rows if what.startswith("rejected"))
    assert (report.rows_read, report.rows_rejected) == (len(rows), rejected)
    con = duckdb.connect(str(new), read_only=True)
    got = dict(con.execute("select crime_id, location from records where crime_id in ('u3', 'u5', 'u6')").fetchall())
    assert got == {"u3": 'On or near "The Mall"', "u5": "On or near S\u0175n Yr Afon", "u6": "On or near Week Street"}
    assert con.execute("select crime_type from records where crime_id = 'u7'").fetchone() == ("Shoplifting",)


def test_synthetic_archive_gives_the_same_store_both_ways(tmp_path, boundaries_dir):
    new, old, report, _ = _both(POLICE_FIXTURE, tmp_path, boundaries_dir)
    _assert_same_stores(new, old)
    assert set(_readers(report).values()) == {"csv"}


def test_zip_source_gives_the_same_store_both_ways(tmp_path, boundaries_dir):
    import zipfile

    src = write_malformed_archive(tmp_path / "archive", big_field=False)
    zpath = tmp_path / "archive.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(src.rglob("*.csv")):
            z.write(p, "police-data/" + p.relative_to(src).as_posix())
    new, old, *_ = _both(zpath, tmp_path, boundaries_dir, force="all")
    _assert_same_stores(new, old)


@pytest.mark.integration
def test_shared_kent_archive_gives_the_same_store_both_ways(tmp_path, boundaries_dir, full_store):
    """The whole ../shared archive (426,012 rows): the store the test session built by the set-based
    build (``full_store``) against the row-at-a-time build of the same files."""
    old = tmp_path / "old.duckdb"
    legacy_build_store(settings.source_path(), old, boundaries_dir, progress=lambda _l: None)
    _assert_same_stores(full_store, old)  # the full store also holds partner data and postcodes


@pytest.mark.integration
def test_national_zip_forces_give_the_same_store_both_ways(tmp_path, boundaries_dir):
    """Kent, British Transport Police (quoted LSOA names, Maidstone stations) and Dyfed-Powys (Welsh
    place names: UTF-8 text) from the all-forces zip."""
    zpath = settings.shared_dir() / "data" / "police_uk_national" / "police_uk_2024-01_2024-04_all_forces.zip"
    new, old, report, _ = _both(zpath, tmp_path, boundaries_dir, force="kent,btp,dyfed-powys")
    _assert_same_stores(new, old)
    assert report.rows_rejected == 0 and report.rows_loaded > 80_000

"""`--update` rewrites only the months it brings, in place: no copy of the store, one transaction.

The store is the session's store of the whole ../shared Kent archive (27 months); the update brings one
corrected month (every tenth data line of 2025-06 removed). Expected values come from independent SQL on
the store before the update and from the corrected file itself.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from smp_data import build, settings, store
from smp_data.build import BuildError, build_store

MONTH = "2025-06"
pytestmark = pytest.mark.integration

# every column of a record, so a changed value in any of them changes the digest
_DIGEST = ("select month, force, count(*), sum(hash(crime_id, reported_by, falls_within, longitude, latitude, "
           "location, lsoa_code_published, lsoa_name_published, crime_type, crime_class, last_outcome, context, "
           "source_file, source_line, district, lsoa21_code, ward_2022_code, ward_2024_code, location_method))"
           "::hugeint from {table} group by all order by all")


def _q(db: Path, sql: str, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _wchar() -> int:
    """Bytes this process has written through write()/pwrite() so far (any file system)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/self/io")


@pytest.fixture()
def live(full_store, tmp_path):
    db = tmp_path / "live.duckdb"
    shutil.copyfile(full_store, db)  # the test's own store (setup, not the update)
    return db


@pytest.fixture()
def corrected_month(tmp_path):
    """The 2025-06 Kent file without every tenth data line (file lines 2, 12, 22, ...)."""
    src = Path(settings.source_path()) / MONTH / f"{MONTH}-kent-street.csv"
    lines = src.read_bytes().splitlines(keepends=True)
    dropped = set(range(2, len(lines) + 1, 10))
    folder = tmp_path / "corrected"
    (folder / MONTH).mkdir(parents=True)
    (folder / MONTH / src.name).write_bytes(b"".join(line for i, line in enumerate(lines, 1) if i not in dropped))
    return folder, dropped, len(lines) - 1 - len(dropped)


def _no_copy(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("the update copied or replaced the whole store")

    for name in ("copyfile", "copy", "copy2", "copyfileobj"):
        monkeypatch.setattr(shutil, name, refuse)
    monkeypatch.setattr(store, "publish", refuse)


def test_an_update_of_one_month_rewrites_it_in_place_and_copies_nothing(live, corrected_month, boundaries_dir,
                                                                         monkeypatch):
    folder, dropped, rows_in_file = corrected_month
    month = f"{MONTH}-01"
    before = {t: _q(live, _DIGEST.format(table=t)) for t in ("records", "records_maidstone")}
    old_month = _q(live, "select count(*), count(*) filter (where source_line in (select unnest($d))), "
                         "count(*) filter (where district = 'Maidstone') from records where month = $m",
                   {"d": sorted(dropped), "m": month})[0]
    # the content of the month's rows that stay (file lines shift, so without source_line)
    keep_sql = ("select crime_id, longitude, latitude, crime_type, last_outcome, lsoa21_code, ward_2024_code "
                "from records where month = $m {extra} order by all")
    kept = _q(live, keep_sql.format(extra="and source_line not in (select unnest($d))"),
              {"d": sorted(dropped), "m": month})
    other_tables = {t: store.check_integrity(live).digests[t] for t in ("wards_2022", "lsoas", "postcode_points",
                                                                          "partner_published")}
    inode, size = os.stat(live).st_ino, os.stat(live).st_size
    _no_copy(monkeypatch)
    seen = {}
    apply = build.apply_staged_months

    def measured(db, staging, **kw):  # the step that touches the store
        seen["staged"] = _q(staging, "select distinct strftime(month, '%Y-%m'), force from records")
        written = _wchar()
        out = apply(db, staging, **kw)
        seen["written"] = _wchar() - written
        return out

    monkeypatch.setattr(build, "apply_staged_months", measured)
    report = build_store(str(folder), live, boundaries_dir, update=True, partner_root=None, uploads_root=None,
                         postcodes_root=None, progress=lambda _l: None)

    assert report.rows_read == rows_in_file == report.rows_loaded + report.rows_rejected
    assert seen["staged"] == [(MONTH, "kent")]  # the staging file holds the month updated, nothing else
    assert os.stat(live).st_ino == inode  # changed in place, never renamed over
    # a copy writes the whole store again; changing one month of 27 in place writes a fraction of it
    assert seen["written"] < size / 3, (seen["written"], size)
    after = {t: _q(live, _DIGEST.format(table=t)) for t in ("records", "records_maidstone")}
    for table in after:
        assert [r for r in after[table] if str(r[0]) != month] == [r for r in before[table] if str(r[0]) != month]
    new_count, new_maidstone = _q(live, "select count(*), count(*) filter (where district = 'Maidstone') "
                                        "from records where month = $m", {"m": month})[0]
    assert new_count == old_month[0] - old_month[1] == report.rows_loaded
    assert _q(live, keep_sql.format(extra=""), {"m": month}) == kept
    assert _q(live, "select count(*) from records_maidstone where month = $m", {"m": month})[0][0] == new_maidstone
    assert new_maidstone < old_month[2]
    assert _q(live, "select rows_read, rows_loaded from source_files where month = $m", {"m": month}) == [
        (rows_in_file, new_count)]
    meta = dict(_q(live, "select key, value from build_metadata"))
    assert meta["mode"] == "update" and meta["update_months"] == f"{MONTH} kent"
    assert int(meta["rows_records"]) == _q(live, "select count(*) from records")[0][0]
    integrity = store.check_integrity(live)
    assert integrity.ok and {t: integrity.digests[t] for t in other_tables} == other_tables
    assert sorted(p.name for p in live.parent.iterdir() if p.name.startswith(".")) == []  # staging removed


def test_a_failing_update_transaction_leaves_the_store_exactly_as_it_was(live, corrected_month, boundaries_dir,
                                                                         monkeypatch):
    folder, _, _ = corrected_month
    before = store.check_integrity(live)
    # records and records_maidstone are deleted and re-inserted before the missing table fails
    monkeypatch.setattr(build, "MONTH_TABLES", (*build.MONTH_TABLES, "no_such_table"))
    with pytest.raises(BuildError) as err:
        build_store(str(folder), live, boundaries_dir, update=True, partner_root=None, uploads_root=None,
                    postcodes_root=None, progress=lambda _l: None)
    assert "\n" not in str(err.value) and "no_such_table" in str(err.value)
    after = store.check_integrity(live)
    assert after.ok and after.digests == before.digests and after.version == before.version
    assert sorted(p.name for p in live.parent.iterdir() if p.name.startswith(".")) == []


def test_an_update_adds_a_force_and_keeps_the_others(live, boundaries_dir):
    """British Transport Police's months from the all-forces zip join a Kent store; Kent stays as it was."""
    kent_before = _q(live, _DIGEST.format(table="records where force = 'kent'"))
    zip_path = settings.shared_dir() / "data" / "police_uk_national" / "police_uk_2024-01_2024-04_all_forces.zip"
    import zipfile

    with zipfile.ZipFile(zip_path) as z:  # data lines of every BTP file (2024-01..04)
        expected = sum(sum(1 for _ in z.open(n)) - 1 for n in z.namelist() if n.endswith("-btp-street.csv"))
    build_store(str(zip_path), live, boundaries_dir, force="btp", update=True, partner_root=None,
                uploads_root=None, postcodes_root=None, progress=lambda _l: None)
    assert _q(live, _DIGEST.format(table="records where force = 'kent'")) == kent_before
    read, loaded, rejected = _q(live, "select sum(rows_read), sum(rows_loaded), sum(rows_rejected) "
                                      "from source_files where force = 'btp'")[0]
    assert read == expected and loaded + rejected == read
    assert _q(live, "select count(*) from records where force = 'btp'")[0][0] == loaded
    assert dict(_q(live, "select key, value from build_metadata"))["force"] == "btp,kent"


def test_an_update_replaces_the_rejects_of_the_months_it_brings(live, corrected_month, boundaries_dir):
    """The month's rejects follow its file: a bad row the update brings is listed, and a later update of
    the same month without it removes it; other files' rejects are untouched."""
    folder, _, rows_in_file = corrected_month
    path = folder / MONTH / f"{MONTH}-kent-street.csv"
    clean = path.read_bytes()
    bad = f",{MONTH},Kent Police,Kent Police,0.5,51.2,On or near X,E01024000,Maidstone 001A,Not a crime type,,"
    assert clean.endswith(b"\n")
    path.write_bytes(clean + bad.encode() + b"\n")
    bad_line = rows_in_file + 2  # header is line 1
    others = "select source_file, line, reason, raw from rejects where source_file not like $f order by all"
    pattern = {"f": f"%{MONTH}-kent-street.csv"}
    others_before = _q(live, others, pattern)
    ours = "select line, raw from rejects where source_file like $f order by all"

    build_store(str(folder), live, boundaries_dir, update=True, partner_root=None, uploads_root=None,
                postcodes_root=None, progress=lambda _l: None)
    assert _q(live, ours, pattern) == [(bad_line, bad)]
    assert _q(live, "select rows_read, rows_rejected from source_files where month = $m", {"m": f"{MONTH}-01"}) == [
        (rows_in_file + 1, 1)]

    path.write_bytes(clean)
    build_store(str(folder), live, boundaries_dir, update=True, partner_root=None, uploads_root=None,
                postcodes_root=None, progress=lambda _l: None)
    assert _q(live, ours, pattern) == []
    assert _q(live, others, pattern) == others_before

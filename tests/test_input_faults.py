"""Damaged input files (issue 10, item 3): every fault either loads every row or rejects it with a reason
and a count that add up, or stops the build with one line naming the file, row or field, and the
previous store stays as it was. Each test fails on the row-at-a-time build these faults were found in
(``smp_data.legacy_build``); the header-only month, the boundary checks and the 256 MB line also failed on
the first set-based build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import duckdb
import pytest

from smp_data.build import BuildError, build_store
from smp_data.settings import REPO_ROOT
from tests.conftest import POLICE_FIXTURE
from tests.malformed import HEADER, _row

BTP = "British Transport Police,British Transport Police"


def _build(source, db, boundaries_dir, **kw):
    kw.setdefault("progress", lambda _l: None)
    return build_store(str(source), db, boundaries_dir, postcodes_root=None, **kw)


def _q(db, sql, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def _write(path, lines, *, newline="\r\n", encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = newline.join(lines) + newline
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)


def _zip(path, members: list[tuple[str, bytes]]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            with pytest.warns(UserWarning) if name in z.namelist() else _nothing():
                z.writestr(name, data)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _month_bytes(month: str, n: int, cid="r") -> bytes:
    return ("\r\n".join([HEADER] + [_row(f"{cid}{i}", month=month) for i in range(n)]) + "\r\n").encode()


def test_a_month_present_twice_in_a_zip_is_refused_naming_both_copies(tmp_path, boundaries_dir, tiny_store):
    """The zip holds 2022-01 for Kent twice (the same member name twice): one copy would hide the other."""
    z = tmp_path / "twice.zip"
    _zip(z, [("2022-01/2022-01-kent-street.csv", _month_bytes("2022-01", 3, "a")),
             ("2022-01/2022-01-kent-street.csv", _month_bytes("2022-01", 5, "b"))])
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny_store, db)
    with pytest.raises(BuildError, match=r"2022-01 kent is present twice \(twice.zip:2022-01/2022-01-kent-street.csv "
                                         r"and twice.zip:2022-01/2022-01-kent-street.csv\)"):
        _build(z, db, boundaries_dir)
    assert _q(db, "select count(*) from records")[0][0] == 17  # the store is as it was


def test_the_same_month_under_two_folders_of_a_zip_is_refused(tmp_path, boundaries_dir):
    z = tmp_path / "two.zip"
    _zip(z, [("a/2022-01/2022-01-kent-street.csv", _month_bytes("2022-01", 3)),
             ("b/2022-01/2022-01-kent-street.csv", _month_bytes("2022-01", 3))])
    with pytest.raises(BuildError, match="present twice"):
        _build(z, tmp_path / "x.duckdb", boundaries_dir)


def test_an_unclosed_quote_rejects_its_own_line_and_every_line_after_it_is_counted(tmp_path, boundaries_dir):
    """151 good lines follow a line whose quote never closes: the csv module used to swallow them all into
    one reject counted as one row. Now the bad line is rejected and each following line is read."""
    lines = [HEADER, _row("g0"), _row("bad", location='"On or near Week Street')]
    lines += [_row(f"g{i}") for i in range(1, 152)]
    _write(tmp_path / "src" / "2022-01" / "2022-01-kent-street.csv", lines)
    db = tmp_path / "s.duckdb"
    report = _build(tmp_path / "src", db, boundaries_dir)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (153, 152, 1)
    assert _q(db, "select line, reason from rejects") == [
        (3, "unclosed quote: a quoted field does not end on its line (the line is rejected on its own; the next "
            "lines are read as lines of their own)")]
    assert _q(db, "select min(source_line), max(source_line), count(*) from records") == [(2, 154, 152)]
    assert _q(db, "select rows_read, rows_loaded, rows_rejected from source_files") == [(153, 152, 1)]


def test_an_unclosed_quote_on_the_last_line_is_rejected_too(tmp_path, boundaries_dir):
    _write(tmp_path / "src" / "2022-01" / "2022-01-kent-street.csv",
           [HEADER, _row("g0"), _row("bad", context='"open')])
    report = _build(tmp_path / "src", tmp_path / "s.duckdb", boundaries_dir)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (2, 1, 1)


def test_near_miss_file_names_are_reported_not_skipped_silently(archive_copy, tmp_path, boundaries_dir):
    src = archive_copy / "2022-01" / "2022-01-kent-street.csv"
    (archive_copy / "2022-03").mkdir()
    shutil.copyfile(src, archive_copy / "2022-03" / "2022-03-Kent-street.csv")
    (archive_copy / "2022-05").mkdir()
    shutil.copyfile(src, archive_copy / "2022-05" / "2022-05-kent-street.CSV")
    shutil.copyfile(src, archive_copy / "2022-06-kent-street.csv")  # not in a month folder
    lines = []
    db = tmp_path / "s.duckdb"
    report = _build(archive_copy, db, boundaries_dir, progress=lines.append)
    noted = {name: note for name, _line, note in report.notes}
    assert "only in case" in noted["2022-03/2022-03-Kent-street.csv"]
    assert "only in case" in noted["2022-05/2022-05-kent-street.CSV"]
    assert "does not follow" in noted["2022-06-kent-street.csv"]
    assert any("2022-03/2022-03-Kent-street.csv" in line and "not read" in line for line in lines)
    assert {r[0] for r in _q(db, "select source_file from ingest_notes")} == set(noted)
    assert len(report.files) == 4  # the four well-named files, as before


def test_the_cli_prints_near_miss_names(archive_copy, tmp_path):
    (archive_copy / "2022-03").mkdir()
    shutil.copyfile(archive_copy / "2022-01" / "2022-01-kent-street.csv", archive_copy / "2022-03" / "2022-03-KENT-street.csv")
    res = subprocess.run([sys.executable, "-m", "smp_data", "build", "--source", str(archive_copy), "--db",
                          str(tmp_path / "c.duckdb"), "--partner", "none", "--postcodes", "none", "--uploads", "none"],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "2022-03/2022-03-KENT-street.csv: not read" in res.stdout


def test_a_header_only_month_is_a_gap_and_says_so(archive_copy, tmp_path, boundaries_dir):
    (archive_copy / "2022-03").mkdir()
    (archive_copy / "2022-03" / "2022-03-kent-street.csv").write_text(HEADER + "\n")
    lines = []
    db = tmp_path / "s.duckdb"
    _build(archive_copy, db, boundaries_dir, progress=lines.append)
    assert _q(db, "select rows, is_present from months_loaded where month = '2022-03-01'") == [(None, False)]
    assert any("2022-03 stays a gap" in line for line in lines)
    assert _q(db, "select rows_read, rows_loaded from source_files where month = '2022-03-01'") == [(0, 0)]


def test_a_header_only_month_on_update_keeps_the_store_s_rows_and_says_so(archive_copy, tmp_path, boundaries_dir):
    """``build --update`` given 2022-01 with a header and no rows: the month used to become a present month
    of 0 records. Now the store's records of that month stay (an empty month never replaces data), the
    output says so, and rows in = loaded + rejected still holds; a month the store does not hold stays a gap."""
    db = tmp_path / "s.duckdb"
    _build(POLICE_FIXTURE, db, boundaries_dir)
    before = _q(db, "select count(*) from records where month = '2022-01-01'")[0][0]
    src = _csv_lines(POLICE_FIXTURE / "2022-01" / "2022-01-kent-street.csv")
    assert before == len(src) - 1 > 0  # the fixture's rows (every one loads)
    update = tmp_path / "update"
    _write(update / "2022-01" / "2022-01-kent-street.csv", [HEADER])
    _write(update / "2022-03" / "2022-03-kent-street.csv", [HEADER])
    lines = []
    report = _build(update, db, boundaries_dir, update=True, progress=lines.append)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (0, 0, 0)
    assert _q(db, "select count(*) from records where month = '2022-01-01'")[0][0] == before
    assert _q(db, "select month::varchar, rows, is_present from months_loaded where month in "
                  "('2022-01-01', '2022-03-01') order by month") == [("2022-01-01", before, True),
                                                                     ("2022-03-01", None, False)]
    assert any(f"the store's {before:,} records of 2022-01 for force kent are kept" in line for line in lines)
    assert any("2022-03 stays a gap" in line for line in lines)
    assert _q(db, "select sum(rows_read) = sum(rows_loaded) + sum(rows_rejected) from source_files") == [(True,)]


def _csv_lines(path):
    return [line for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]


def test_the_encoding_is_decided_line_by_line(tmp_path, boundaries_dir):
    """A UTF-8 file with one Windows-1252 line: the UTF-8 lines keep their text (no mojibake), the other
    line is read as Windows-1252 and said so."""
    path = tmp_path / "src" / "2022-01" / "2022-01-kent-street.csv"
    path.parent.mkdir(parents=True)
    utf8 = _row("u1", location="On or near Caf\u00e9 Row").encode("utf-8")
    cp = _row("c1", location="On or near Caf\u00e9 Row").encode("cp1252")
    path.write_bytes(b"\r\n".join([HEADER.encode(), utf8, cp, utf8.replace(b"u1", b"u2")]) + b"\r\n")
    db = tmp_path / "s.duckdb"
    _build(tmp_path / "src", db, boundaries_dir)
    assert _q(db, "select crime_id, location from records order by source_line") == [
        ("u1", "On or near Caf\u00e9 Row"), ("c1", "On or near Caf\u00e9 Row"), ("u2", "On or near Caf\u00e9 Row")]
    assert _q(db, "select line, note from ingest_notes") == [(3, "not valid UTF-8: read as Windows-1252 (cp1252)")]


def test_a_line_in_no_known_encoding_refuses_the_file_naming_the_line(tmp_path, boundaries_dir, tiny_store):
    path = tmp_path / "src" / "2022-01" / "2022-01-kent-street.csv"
    path.parent.mkdir(parents=True)
    bad = _row("x", location="On or near \u20acX").encode("utf-8").replace(b"\xe2\x82\xac", b"\x81\x8d")
    path.write_bytes(b"\r\n".join([HEADER.encode(), _row("ok").encode(), bad]) + b"\r\n")
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny_store, db)
    with pytest.raises(BuildError, match=r"2022-01/2022-01-kent-street.csv: line 3 is neither UTF-8 nor Windows-1252"):
        _build(tmp_path / "src", db, boundaries_dir)
    assert _q(db, "select count(*) from records")[0][0] == 17


def _boundaries_without(boundaries_dir, tmp_path, geojson: str, code_field: str, code: str):
    broken = tmp_path / "boundaries"
    shutil.copytree(boundaries_dir, broken)
    doc = json.loads((broken / geojson).read_text())
    doc["features"] = [f for f in doc["features"] if f["properties"][code_field] != code]
    (broken / geojson).write_text(json.dumps(doc))
    return broken


def test_a_ward_missing_from_a_boundary_file_stops_the_build(tmp_path, boundaries_dir, tiny_store):
    """The May-2024 file without High Street ward: the build used to place its records in the neighbouring
    wards (and the LSOA fallback in a ward that does not exist). Now nothing is built."""
    broken = _boundaries_without(boundaries_dir, tmp_path, "maidstone_wards_2024.geojson", "WD24CD", "E05015603")
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny_store, db)
    with pytest.raises(BuildError, match=r"maidstone_wards_2024.geojson has 21 wards, expected 22 "
                                         r"\(boundaries/data/clusters_2024.csv\): missing E05015603 \(High Street\)"):
        _build(POLICE_FIXTURE, db, broken)
    assert _q(db, "select count(*) from wards_2024")[0][0] == 22


def test_a_pre_2024_ward_missing_or_an_invalid_polygon_stops_the_build(tmp_path, boundaries_dir):
    broken = _boundaries_without(boundaries_dir, tmp_path, "maidstone_wards_2022.geojson", "WD22CD", "E05004996")
    with pytest.raises(BuildError, match="has 25 wards, expected 26.*missing E05004996 \\(High Street\\)"):
        _build(POLICE_FIXTURE, tmp_path / "x.duckdb", broken)
    bowtie = tmp_path / "bowtie"
    shutil.copytree(boundaries_dir, bowtie)
    doc = json.loads((bowtie / "maidstone_wards_2024.geojson").read_text())
    doc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [[[0.5, 51.2], [0.6, 51.3], [0.6, 51.2],
                                                                           [0.5, 51.3], [0.5, 51.2]]]}
    (bowtie / "maidstone_wards_2024.geojson").write_text(json.dumps(doc))
    with pytest.raises(BuildError, match="invalid geometr.*Self-intersection"):
        _build(POLICE_FIXTURE, tmp_path / "y.duckdb", bowtie)


def test_a_corrupt_zip_member_is_one_line_naming_the_member(tmp_path):
    z = tmp_path / "archive.zip"
    _zip(z, [("2022-01/2022-01-kent-street.csv", _month_bytes("2022-01", 2000)),
             ("2022-02/2022-02-kent-street.csv", _month_bytes("2022-02", 20))])
    data = bytearray(z.read_bytes())
    with zipfile.ZipFile(z) as zf:
        info = zf.getinfo("2022-01/2022-01-kent-street.csv")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 200, start + 260):  # damage the compressed stream
        data[i] ^= 0x5A
    z.write_bytes(bytes(data))
    res = subprocess.run([sys.executable, "-m", "smp_data", "build", "--source", str(z), "--db",
                          str(tmp_path / "c.duckdb"), "--partner", "none", "--postcodes", "none", "--uploads", "none"],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert res.returncode != 0
    err = res.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert "archive.zip:2022-01/2022-01-kent-street.csv: the zip member is damaged" in err


_CHILD = """
import json, resource, sys
from pathlib import Path
from smp_data.build import build_store
r = build_store(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), partner_root=None, postcodes_root=None,
                progress=lambda _l: None)
print(json.dumps({"read": r.rows_read, "loaded": r.rows_loaded, "rejected": r.rows_rejected,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child_build(source, db, boundaries_dir):
    res = subprocess.run([sys.executable, "-c", _CHILD, str(source), str(db), str(boundaries_dir)],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_a_256_mb_line_is_rejected_without_holding_it_in_memory(tmp_path, boundaries_dir):
    """One line of 256 MB between good lines: it is rejected (its length and first characters kept) and the
    build's peak memory stays within 64 MB of the same build without it (it took 1.7 GB)."""
    plain = tmp_path / "plain"
    _write(plain / "2022-01" / "2022-01-kent-street.csv", [HEADER] + [_row(f"g{i}") for i in range(3)])
    base = _child_build(plain, tmp_path / "base.duckdb", boundaries_dir)
    huge = tmp_path / "huge" / "2022-01" / "2022-01-kent-street.csv"
    huge.parent.mkdir(parents=True)
    with huge.open("wb") as fh:
        fh.write((HEADER + "\r\n" + _row("g0") + "\r\n").encode())
        fh.write(b"g1,2022-01,Kent Police,Kent Police,0.5,51.2,On or near ")
        block = b"x" * (1 << 20)
        for _ in range(256):
            fh.write(block)
        fh.write(b"\r\n" + (_row("g2") + "\r\n" + _row("g3") + "\r\n").encode())
    db = tmp_path / "huge.duckdb"
    got = _child_build(tmp_path / "huge", db, boundaries_dir)
    assert (got["read"], got["loaded"], got["rejected"]) == (4, 3, 1)
    (line, reason, raw), = _q(db, "select line, reason, raw from rejects")
    assert line == 3 and reason.startswith("line is 268,435,") and "more than the 1,048,576" in reason
    assert raw.startswith("g1,2022-01,Kent Police") and len(raw) <= 201
    assert got["max_rss_mb"] < base["max_rss_mb"] + 64, (got, base)

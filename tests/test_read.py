"""The set-based reader: line numbers across DuckDB's parallel reads, the SQL constants, the streaming
Python reader."""

from __future__ import annotations

import io
import re

import duckdb
import pytest

import queries
from smp_data.build import build_store
from smp_data.ingest import UK_BOUNDS
from smp_data.read import FAST_LINE_CHARS, python_lines
from tests.malformed import HEADER, _row


def test_the_sql_uses_the_python_constants():
    """The views cannot take parameters, so the limits are literals there: they must be the code's."""
    sql = queries.get("build.batch_views").sql
    assert f"length(line) <= {FAST_LINE_CHARS}" in sql and f") <= {FAST_LINE_CHARS}" in sql
    lon_min, lat_min, lon_max, lat_max = UK_BOUNDS
    assert f"typed.lon between {lon_min} and {lon_max}" in sql
    assert f"typed.lat between {lat_min} and {lat_max}" in sql


def _numbered_file(path, n, *, quoted_every=0, blank_every=0):
    lines, expected = [HEADER], {}
    for i in range(2, n + 2):
        if blank_every and i % blank_every == 0:
            lines.append("")
            continue
        loc = '"On or near Week Street, Maidstone"' if quoted_every and i % quoted_every == 0 else "On or near X"
        lines.append(_row(f"L{i}", month="2022-01", location=loc))
        expected[f"L{i}"] = i
    path.write_text("\r\n".join(lines) + "\r\n")
    return expected


@pytest.mark.parametrize("shape", ["plain", "quoted", "blank lines"])
def test_every_row_keeps_its_own_line_number_in_large_files(tmp_path, boundaries_dir, shape):
    """Files large enough for DuckDB to read in parallel chunks, several per read: each record's
    source_line is the line its crime ID names (plain files, files read line by line)."""
    src = tmp_path / "src" / "2022-01"
    src.mkdir(parents=True)
    kw = {"quoted": {"quoted_every": 997}, "blank lines": {"blank_every": 1009}}.get(shape, {})
    expected = _numbered_file(src / "2022-01-kent-street.csv", 60_000, **kw)
    expected_btp = _numbered_file(src / "2022-01-btp-street.csv", 30_000, **kw)
    db = tmp_path / "s.duckdb"
    report = build_store(str(tmp_path / "src"), db, boundaries_dir, force="kent,btp", progress=lambda _l: None)
    assert {f["reader"] for f in report.files} == ({"csv"} if shape in ("plain", "quoted") else {"lines"})
    con = duckdb.connect(str(db), read_only=True)
    got = dict(con.execute("select crime_id, source_line from records where force = 'kent'").fetchall())
    assert got == expected
    got = dict(con.execute("select crime_id, source_line from records where force = 'btp'").fetchall())
    assert got == expected_btp


def test_python_lines_streams_a_long_line_without_holding_it():
    data = b"h\n" + b"x" * (5 << 20) + b"\nlast\n"
    out = list(python_lines(io.BytesIO(data), max_line=1 << 20, chunk_size=1 << 16))
    assert [(n, b, k) for n, b, k, _h in out] == [(1, b"h", 1), (2, None, 5 << 20), (3, b"last", 4)]
    assert out[1][3] == b"x" * 800


def test_python_lines_handles_a_crlf_split_across_chunks():
    data = b"a\r\nb\r\nc"
    for size in range(1, 8):
        assert [b for _n, b, _k, _h in python_lines(io.BytesIO(data), chunk_size=size)] == [b"a", b"b", b"c"]


def test_ingest_sql_builds_no_sql_from_data():
    """Every value reaches the ingest SQL as a bound parameter or a temporary table, never as text."""
    for name in ("build.placement_candidates", "build.loaded_per_file", "build.slow_field_rows", "build.slow_lines"):
        q = queries.get(name)
        assert not re.search(r"\{|%s|format\(", q.sql), name

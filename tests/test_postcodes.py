"""Postcodes in the store build (OS Code-Point Open): expected values from the source files (the shared
CSV's own ward codes, the ONS ward GeoJSON names, the published cluster file), reconciliation of every
line read, clear errors for unusable files, and out-of-borough rows from a fuller Code-Point file."""

import csv
import json
import subprocess
import sys

import duckdb
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from smp_data import settings
from smp_data.build import BuildError, build_store
from smp_data.postcodes import validate_codepoint_csv
from smp_data.settings import REPO_ROOT
from tests.conftest import POLICE_FIXTURE

SHARED_POSTCODES = settings.postcodes_dir()
CSV = SHARED_POSTCODES / "codepoint_open_2025.4_maidstone.csv"


def _source_rows() -> dict[str, list[str]]:
    with CSV.open(newline="") as fh:
        return {row[0]: row for row in csv.reader(fh)}


def _ward_names(boundaries_dir, key: str) -> dict[str, str]:
    doc = json.loads((boundaries_dir / f"maidstone_wards_{key}.geojson").read_text())
    code, name = ("WD24CD", "WD24NM") if key == "2024" else ("WD22CD", "WD22NM")
    return {f["properties"][code]: f["properties"][name] for f in doc["features"]}


@pytest.mark.parametrize("postcode, ward", [("ME16 8HB", "Fant & Oakwood"), ("ME14 1PS", "High Street")])
def test_a_postcode_gets_the_ward_os_gives_it(tiny_con, boundaries_dir, postcode, ward):
    os_code = _source_rows()[postcode][9]  # OS Admin_ward_code in the shared file
    assert _ward_names(boundaries_dir, "2024")[os_code] == ward  # the ONS name of OS's code
    got = tiny_con.execute("select ward_2024_code, ward_2024_name, os_ward_code, in_borough from postcodes "
                           "where postcode = $p", {"p": postcode}).fetchone()
    assert got == (os_code, ward, os_code, True)


def test_me14_1ps_is_in_the_published_high_street_cluster_on_the_old_wards(tiny_con):
    clusters = pd.read_csv(REPO_ROOT / "boundaries" / "data" / "clusters_2022.csv")
    expected = clusters.loc[clusters["ward_2022_name"] == "High Street", "cluster"].item()
    got = tiny_con.execute("select ward_2022_name, cluster_2022 from postcodes where postcode = 'ME14 1PS'").fetchone()
    assert got == ("High Street", expected)


def test_every_line_of_the_shared_file_is_loaded_and_placed(tiny_con):
    n_lines = len(CSV.read_text().splitlines())
    assert n_lines == 5417  # the shared README: 5,417 postcodes
    files = tiny_con.execute("select rows_read, rows_loaded, rows_rejected, rows_in_borough from postcode_files").fetchall()
    assert files == [(n_lines, n_lines, 0, n_lines)]
    missing = tiny_con.execute("select count(*) from postcodes where ward_2022_code is null or ward_2024_code is null "
                               "or lsoa21_code is null or cluster_2022 is null or cluster_2024 is null").fetchone()[0]
    assert missing == 0


def test_converted_points_lie_in_the_borough(tiny_con, boundaries_dir):
    """EPSG:27700 -> EPSG:4326: every converted point is inside the ONS borough outline (50 m slack for the
    generalised boundary); a swapped axis or wrong CRS would put them far away."""
    doc = json.loads((boundaries_dir / "maidstone_wards_2024.geojson").read_text())
    borough = shapely.union_all([shape(f["geometry"]) for f in doc["features"]]).buffer(0.0007)
    pts = tiny_con.execute("select longitude, latitude from postcodes").fetchall()
    outside = [p for p in pts if not borough.contains(shapely.Point(p))]
    assert outside == []


def test_os_ward_disagreements_are_a_handful_and_reported(tiny_con):
    source = _source_rows()
    ours = dict(tiny_con.execute("select postcode, ward_2024_code from postcodes").fetchall())
    differs = sorted(p for p, row in source.items() if ours[p] != row[9])
    assert 0 < len(differs) < 0.005 * len(source)  # near boundaries only
    reported = tiny_con.execute("select sum(ward_disagreements) from postcode_files").fetchone()[0]
    meta = tiny_con.execute("select value from build_metadata where key = 'postcodes_ward_differs_from_os'").fetchone()
    flagged = [r[0] for r in tiny_con.execute("select postcode from postcodes where ward_differs_from_os "
                                              "order by postcode").fetchall()]
    assert reported == len(differs) and meta == (str(len(differs)),) and flagged == differs


BAD_LINES = [
    ('"ME15 6JQ",10,576000,154000,"E92000001","E19000002","E18000008","E10000016","E07000110","E05015605"', None),
    ('"ME15 6JQ",10,576000,154000,"E92000001","E19000002","E18000008","E10000016","E07000110","E05015605"',
     "already loaded"),
    ('Postcode,PQI,Eastings,Northings,a,b,c,d,e,f', "not a full UK postcode"),
    ('"ME15 6JX",10,576000', "expected 10 columns"),
    ('"ME15 6JY",90,0,0,"E92000001","E19000002","E18000008","E10000016","E07000110",""', "positional quality"),
    ('"ME15 6JZ",10,east,154000,"E92000001","E19000002","E18000008","E10000016","E07000110","E05015605"',
     "not British National Grid"),
    ('"ME15 6LA",10,576000,154000,"E92000001","E19000002","E18000008","E10000016","Maidstone","E05015605"',
     "admin district code"),
    ('"ME15 6LB",10,576000,154000,"E92000001","E19000002","E18000008","E10000016","E07000110","<script>"',
     "admin ward code"),
    ("", "empty line"),
    ('"ME15 6LD",10,576100,154100,"E92000001","E19000002","E18000008","E10000016","E07000110","E05015605"', None),
]


def test_bad_lines_are_rejected_with_file_line_and_reason(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(line for line, _ in BAD_LINES) + "\n")
    v = validate_codepoint_csv(path)
    assert v.rows_read == len(BAD_LINES) == v.rows_loaded + v.rows_rejected
    assert list(v.rows["postcode"]) == ["ME15 6JQ", "ME15 6LD"]
    expected = [(i, why) for i, (_, why) in enumerate(BAD_LINES, start=1) if why]
    assert [(r[1], r[0]) for r in v.rejects] == [(i, "broken.csv") for i, _ in expected]
    for (line, why), reject in zip(expected, v.rejects):
        assert why in reject[2], (line, reject)


def test_a_store_built_with_a_broken_postcode_file_reconciles(tmp_path, boundaries_dir):
    folder = tmp_path / "pc"
    folder.mkdir()
    (folder / "broken.csv").write_text("\n".join(line for line, _ in BAD_LINES) + "\n")
    db = tmp_path / "s.duckdb"
    report = build_store(str(POLICE_FIXTURE), db, boundaries_dir, postcodes_root=folder, progress=lambda _l: None)
    assert (report.postcodes["rows_read"], report.postcodes["rows_loaded"], report.postcodes["rows_rejected"]) == (
        len(BAD_LINES), 2, len(BAD_LINES) - 2)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from postcode_rejects").fetchone()[0] == len(BAD_LINES) - 2
        assert con.execute("select count(*) from postcodes").fetchone()[0] == 2
    finally:
        con.close()


def test_an_unusable_postcode_input_stops_the_build_and_keeps_the_old_store(tmp_path, boundaries_dir):
    db = tmp_path / "s.duckdb"
    build_store(str(POLICE_FIXTURE), db, boundaries_dir, progress=lambda _l: None)
    before = db.read_bytes()
    bad = tmp_path / "latin1"
    bad.mkdir()
    (bad / "x.csv").write_bytes('"ME15 6JQ",10,576000,154000,"Caf\xe9"'.encode("latin-1"))
    with pytest.raises(BuildError, match=r"x\.csv cannot be read as UTF-8"):
        build_store(str(POLICE_FIXTURE), db, boundaries_dir, postcodes_root=bad, progress=lambda _l: None)
    with pytest.raises(BuildError, match="postcodes folder not found"):
        build_store(str(POLICE_FIXTURE), db, boundaries_dir, postcodes_root=tmp_path / "nope", progress=lambda _l: None)
    assert db.read_bytes() == before


def test_cli_option_and_none(tmp_path):
    db = tmp_path / "s.duckdb"
    base = [sys.executable, "-m", "smp_data", "build", "--source", str(POLICE_FIXTURE), "--db", str(db),
            "--partner", "none", "--uploads", "none", "--quiet"]
    out = subprocess.run(base + ["--postcodes", str(tmp_path / "missing")], cwd=REPO_ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0
    assert "postcodes folder not found" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run(base + ["--postcodes", "none"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from postcodes").fetchone()[0] == 0  # the view exists, empty
    finally:
        con.close()


def test_a_fuller_codepoint_file_keeps_other_districts_with_their_name(tmp_path, boundaries_dir):
    """OS's full ME file holds Medway postcodes too: kept, not placed in wards, named by district code."""
    folder = tmp_path / "pc"
    folder.mkdir()
    lines = [",".join(_source_rows()["ME14 1PS"]),
             '"ME5 8AA",10,576500,163500,"E92000001","E19000002","E18000008","","E06000035","E05002218"']
    (folder / "me.csv").write_text("\n".join(lines) + "\n")
    db = tmp_path / "s.duckdb"
    build_store(str(POLICE_FIXTURE), db, boundaries_dir, postcodes_root=folder, progress=lambda _l: None)
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = con.execute("select postcode, in_borough, district_name, ward_2024_code from postcodes "
                          "order by postcode").fetchall()
    finally:
        con.close()
    assert got == [("ME14 1PS", True, "Maidstone", "E05015603"), ("ME5 8AA", False, "Medway", None)]

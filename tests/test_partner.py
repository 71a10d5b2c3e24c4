"""Partner indicator CSVs: the one validator (smp_data.partner) and the store tables/views.

Expected values come from the rows written in these tests, or from the counts stated in
shared/data/partner/README.md (872 rows in 14 files, the per-file table, 6 open-ended rows).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from smp_data import partner
from smp_data.build import BuildError, build_store
from smp_data.partner import LONG_COLUMNS, PartnerFileError, PartnerUploadError, validate_partner_csv

POLICE_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "police_uk"

# shared/data/partner/README.md, "Files" table
README_FILE_ROWS = {
    "needle_finds.csv": 80,
    "community_protection_warnings_notices.csv": 60,
    "cpt_service_requests.csv": 30,
    "domestic_abuse.csv": 209,
    "missing_children.csv": 37,
    "youth_justice.csv": 26,
    "mental_health.csv": 10,
    "substance_misuse.csv": 3,
    "hate_crime.csv": 5,
    "town_centre.csv": 61,
    "kent_rankings.csv": 312,
    "surveys.csv": 21,
    "youth_hub.csv": 5,
    "other_partner_figures.csv": 13,
}
README_TOTAL_ROWS, README_FILES = 872, 14

HEADER = ",".join(LONG_COLUMNS)
GOOD = {
    "indicator_id": "test_widgets",
    "indicator": "Test widgets",
    "theme": "asb",
    "area_type": "borough",
    "area_code": "E07000110",
    "area_name": "Maidstone",
    "period_type": "calendar_year",
    "period_start": "2023-01-01",
    "period_end": "2023-12-31",
    "value": "12",
    "unit": "count",
    "source_table": "test table 1",
    "note": "",
}


def row(**over) -> str:
    """One CSV line in the long format: GOOD with some fields replaced."""
    values = {**GOOD, **over}
    buf = io.StringIO()
    # the default "\r\n" terminator makes the writer quote fields that hold line breaks
    csv.writer(buf).writerow([values[c] for c in LONG_COLUMNS])
    return buf.getvalue().removesuffix("\r\n")


def csv_bytes(*lines: str, header: str = HEADER, eol: str = "\n") -> bytes:
    return (eol.join([header, *lines]) + eol).encode("utf-8")


@pytest.fixture(scope="module")
def codes(boundaries_dir) -> tuple[list[str], list[str]]:
    """The 26 pre-May-2024 ward codes and 13 Kent+Medway district codes, from the ONS inputs."""
    pop = boundaries_dir / "population"
    with open(pop / "maidstone_wards_2022_population.csv", newline="", encoding="utf-8") as fh:
        wards = [r["WD22CD"] for r in csv.DictReader(fh)]
    with open(pop / "kent_districts_population.csv", newline="", encoding="utf-8") as fh:
        districts = [r["LADCD"] for r in csv.DictReader(fh)]
    assert len(wards) == 26 and len(districts) == 13
    return wards, districts


@pytest.fixture(scope="module")
def ward_2024_code(boundaries_dir, codes) -> str:
    """A real Maidstone ward code that is NOT a pre-2024 ward (a May-2024 WD24CD)."""
    with open(boundaries_dir / "population" / "maidstone_wards_2024_population.csv", newline="",
              encoding="utf-8") as fh:
        new = [r["WD24CD"] for r in csv.DictReader(fh)]
    code = next(c for c in new if c not in codes[0])
    return code


def validate(data: bytes, codes, name="test.csv", existing_keys=None):
    return validate_partner_csv(data, name, codes[0], codes[1], existing_keys=existing_keys)


@pytest.fixture(scope="module")
def shared_partner_dir(partner_dir) -> Path:
    if partner_dir is None:
        pytest.fail("shared partner files not found; set SMP_SHARED or SMP_PARTNER")
    return partner_dir


# ------------------------------------------------------------------------ the shared files


def test_shared_partner_files_all_load_with_no_rejects(shared_partner_dir, codes):
    files = sorted(p.name for p in shared_partner_dir.glob("*.csv"))
    assert files == sorted(README_FILE_ROWS), "the partner folder does not hold the 14 files the README lists"
    seen: dict = {}
    total = 0
    for name in files:
        v = validate_partner_csv(shared_partner_dir / name, None, codes[0], codes[1], existing_keys=seen)
        assert v.source_name == name
        assert v.rows_rejected == 0, v.rejects.to_dict("records")
        assert v.rows_read == v.rows_loaded == README_FILE_ROWS[name]
        seen.update({k: name for k in v.keys})  # also proves no key is repeated across files
        total += v.rows_loaded
    assert total == README_TOTAL_ROWS == sum(README_FILE_ROWS.values())
    assert len(seen) == README_TOTAL_ROWS


def test_youth_hub_rows_are_open_ended(shared_partner_dir, codes):
    v = validate_partner_csv(shared_partner_dir / "youth_hub.csv", None, *codes)
    assert v.rows_loaded == 5 and v.rows_rejected == 0
    assert v.rows["period_end"].isna().all()
    # README: "since February 2023"
    assert set(v.rows["period_start"]) == {dt.date(2023, 2, 1)}
    assert all(isinstance(d, dt.date) for d in v.rows["period_start"])
    assert v.rows["value"].dtype == "float64"


def test_shared_files_in_a_built_store(tmp_path, boundaries_dir, shared_partner_dir):
    db = tmp_path / "store.duckdb"
    report = build_store(str(POLICE_FIXTURE), db, boundaries_dir, partner_root=shared_partner_dir,
                         progress=lambda _l: None)
    assert report.partner["rows_read"] == report.partner["rows_loaded"] == README_TOTAL_ROWS
    assert report.partner["rows_rejected"] == 0
    assert {f["source_file"]: f["loaded"] for f in report.partner["files"]} == README_FILE_ROWS
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from partner_indicators").fetchone()[0] == README_TOTAL_ROWS
        assert con.execute("select count(*) from partner_indicators_public").fetchone()[0] == README_TOTAL_ROWS
        assert con.execute("select count(*) from partner_rejects").fetchone()[0] == 0
        files = dict(con.execute("select source_file, rows_loaded from partner_files").fetchall())
        assert files == README_FILE_ROWS
        # README: youth_hub.csv (5 rows) + ccpt_secondary_schools_colleges_visited are open-ended
        open_ended = con.execute(
            "select loaded_from, indicator_id from partner_indicators where period_end is null order by 1, 2"
        ).fetchall()
        assert len(open_ended) == 6
        assert ("other_partner_figures.csv", "ccpt_secondary_schools_colleges_visited") in open_ended
        assert sum(1 for f, _ in open_ended if f == "youth_hub.csv") == 5
        # README: Barming is kept as published with the Barming and Teston code
        assert con.execute(
            "select distinct area_code from partner_indicators where area_type = 'ward_2022' and area_name = 'Barming'"
        ).fetchall() == [("E05004983",)]
    finally:
        con.close()


# ---------------------------------------------------------------------------- bad rows

BAD_ROWS = [
    # id, overrides, substrings the reason must contain
    ("unknown_theme", {"theme": "burglary"}, ["theme", "'burglary'"]),
    ("unknown_area_type", {"area_type": "cluster_2022"}, ["area_type", "'cluster_2022'"]),
    ("unknown_period_type", {"period_type": "rolling_12m"}, ["period_type", "'rolling_12m'"]),
    ("unknown_unit", {"unit": "per_100k"}, ["unit", "'per_100k'"]),
    ("end_before_start", {"period_type": "custom", "period_start": "2023-06-01", "period_end": "2023-05-31"},
     ["period_end 2023-05-31 is before period_start 2023-06-01"]),
    ("bad_date_format", {"period_start": "01/01/2023"}, ["period_start", "'01/01/2023'", "YYYY-MM-DD"]),
    ("impossible_date", {"period_type": "custom", "period_end": "2023-02-30"}, ["period_end", "'2023-02-30'"]),
    ("non_numeric_value", {"value": "12a"}, ["value", "'12a'"]),
    ("thousands_separator", {"value": "1,234"}, ["value", "'1,234'"]),
    ("percent_sign", {"value": "5%"}, ["value", "'5%'"]),
    ("calendar_year_not_jan_dec", {"period_start": "2023-04-01", "period_end": "2024-03-31"},
     ["calendar_year", "2023-04-01..2024-03-31"]),
    ("month_not_one_month", {"period_type": "month", "period_start": "2023-01-01", "period_end": "2023-02-28"},
     ["month", "2023-01-01..2023-02-28"]),
    ("month_not_first_day", {"period_type": "month", "period_start": "2023-01-02", "period_end": "2023-01-31"},
     ["month", "2023-01-02..2023-01-31"]),
    ("financial_year_not_apr_mar", {"period_type": "financial_year", "period_start": "2022-01-01",
                                    "period_end": "2022-12-31"}, ["financial_year", "2022-01-01..2022-12-31"]),
    ("open_ended_calendar_year", {"period_end": ""}, ["period_end is empty", "custom"]),
    ("indicator_id_not_snake_case", {"indicator_id": "NeedleFinds"}, ["indicator_id", "'NeedleFinds'", "snake_case"]),
    ("required_field_empty", {"indicator": ""}, ["required", "indicator"]),
    ("required_value_empty", {"value": ""}, ["required", "value"]),
    ("borough_wrong_code", {"area_code": "E07000111"}, ["borough", "'E07000111'"]),
    ("borough_empty_code", {"area_code": ""}, ["borough", "Rest of Borough"]),
    ("district_not_in_kent", {"area_type": "kent_district", "area_code": "E07000065", "area_name": "Wealden"},
     ["kent_district", "'E07000065'"]),
    ("ward_without_code", {"area_type": "ward_2022", "area_code": "", "area_name": "High Street"},
     ["area_code is required", "ward_2022"]),
    ("location_with_code", {"area_type": "location", "area_name": "Rose Garden"}, ["location", "must be empty"]),
    ("unknown_kent_division", {"area_type": "kent_division", "area_code": "", "area_name": "Mid Kent"},
     ["kent_division", "'Mid Kent'"]),
]


@pytest.mark.parametrize("overrides,expected", [pytest.param(o, e, id=i) for i, o, e in BAD_ROWS])
def test_bad_row_is_rejected_with_its_reason(codes, overrides, expected):
    bad = row(**overrides)
    other = row(indicator_id="test_other", value="3")
    v = validate(csv_bytes(row(), bad, other), codes, name="bad.csv")
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (3, 2, 1)
    assert v.rows_read == v.rows_loaded + v.rows_rejected
    rej = v.rejects.iloc[0]
    assert (rej["source_file"], rej["line"], rej["raw"]) == ("bad.csv", 3, bad)
    for text in expected:
        assert text in rej["reason"], rej["reason"]
    assert list(v.rows["source_line"]) == [2, 4]


def test_non_maidstone_ward_code_is_rejected(codes, ward_2024_code):
    bad = row(area_type="ward_2022", area_code=ward_2024_code, area_name="Some ward")
    good = row(area_type="ward_2022", area_code=codes[0][0], area_name="Some ward")
    v = validate(csv_bytes(good, bad), codes)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (2, 1, 1)
    assert v.rejects.loc[0, "line"] == 3
    assert "ward_2022" in v.rejects.loc[0, "reason"] and repr(ward_2024_code) in v.rejects.loc[0, "reason"]


@pytest.mark.parametrize("line,found", [
    pytest.param(",".join(row().split(",")[:-1]), 12, id="one_field_short"),
    pytest.param(row() + ",extra", 14, id="one_field_too_many"),
])
def test_wrong_field_count_is_rejected(codes, line, found):
    v = validate(csv_bytes(row(indicator_id="test_first"), line), codes)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (2, 1, 1)
    assert v.rejects.loc[0, "reason"] == f"expected 13 fields, found {found}"
    assert v.rejects.loc[0, "line"] == 3


def test_duplicate_key_within_file_names_the_first_line(codes):
    first = row(value="1")
    again = row(value="2", note="same key, other value")  # value and note are not part of the key
    v = validate(csv_bytes(row(indicator_id="test_a"), first, again), codes)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (3, 2, 1)
    assert v.rejects.loc[0, "line"] == 4
    assert v.rejects.loc[0, "reason"] == "duplicate of line 3"
    assert list(v.rows["value"]) == [12.0, 1.0]


def test_same_id_other_area_or_period_is_not_a_duplicate(codes):
    v = validate(csv_bytes(
        row(),
        row(period_start="2022-01-01", period_end="2022-12-31"),
        row(area_type="ward_2022", area_code=codes[0][0], area_name="A ward"),
        row(period_type="custom", period_end=""),
    ), codes)
    assert (v.rows_loaded, v.rows_rejected) == (4, 0)


def test_duplicate_of_an_already_loaded_key(codes):
    first = validate(csv_bytes(row()), codes, name="first.csv")
    loaded = {k: "first.csv" for k in first.keys}
    v = validate(csv_bytes(row(value="99"), row(indicator_id="test_new")), codes, name="second.csv",
                 existing_keys=loaded)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (2, 1, 1)
    assert v.rejects.loc[0, "reason"] == "already loaded from first.csv"
    assert v.rejects.loc[0, "line"] == 2


def test_one_indicator_id_is_one_series(codes):
    v = validate(csv_bytes(row(), row(period_start="2022-01-01", period_end="2022-12-31", unit="percent")), codes)
    assert (v.rows_loaded, v.rows_rejected) == (1, 1)
    assert "unit 'percent'" in v.rejects.loc[0, "reason"] and "line 2 has 'count'" in v.rejects.loc[0, "reason"]


def test_every_problem_of_a_row_is_named(codes):
    v = validate(csv_bytes(row(theme="nope", unit="widgets", value="x")), codes)
    reason = v.rejects.loc[0, "reason"]
    assert "'nope'" in reason and "'widgets'" in reason and "value 'x'" in reason


def test_blank_line_is_a_reject_not_dropped(codes):
    v = validate(csv_bytes(row(), "", row(indicator_id="test_b")), codes)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (3, 2, 1)
    assert (v.rejects.loc[0, "line"], v.rejects.loc[0, "reason"]) == (3, "blank line")


# ------------------------------------------------------------------- file-level problems


def test_wrong_header_names_the_file_and_the_column(codes, tmp_path):
    path = tmp_path / "bad_header.csv"
    path.write_bytes(csv_bytes(row(), header=HEADER.replace("theme", "thme")))
    with pytest.raises(PartnerFileError) as err:
        validate_partner_csv(path, None, *codes)
    msg = str(err.value)
    assert msg.startswith("bad_header.csv: ")
    assert "'theme'" in msg and "'thme'" in msg


def test_missing_column_names_the_column(codes):
    header = ",".join(c for c in LONG_COLUMNS if c != "unit")
    with pytest.raises(PartnerFileError, match=r"upload\.csv: .*missing column\(s\) 'unit'"):
        validate(csv_bytes(header=header), codes, name="upload.csv")


def test_columns_out_of_order_is_a_header_error(codes):
    cols = list(LONG_COLUMNS)
    cols[0], cols[1] = cols[1], cols[0]
    with pytest.raises(PartnerFileError, match="column 1 is 'indicator' but should be 'indicator_id'"):
        validate(csv_bytes(header=",".join(cols)), codes)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf\r\n"], ids=["empty", "bom_only"])
def test_empty_file_is_a_file_error(codes, content):
    with pytest.raises(PartnerFileError, match="empty.csv: the file is empty"):
        validate(content, codes, name="empty.csv")


def test_not_utf8_is_a_file_error(codes):
    data = csv_bytes(row(note="caf\u00e9")).decode().encode("cp1252")
    with pytest.raises(PartnerFileError, match="latin.csv: not UTF-8"):
        validate(data, codes, name="latin.csv")


def test_bom_and_crlf_file_loads_with_note_verbatim(codes):
    note = '  spaced, "quoted", with commas  '
    lines = [row(note=note), row(indicator_id="test_second", note="two\r\nlines"), row(indicator_id="test_third")]
    data = b"\xef\xbb\xbf" + csv_bytes(*lines, eol="\r\n")
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n")
    v = validate(data, codes, name="excel.csv")
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (3, 3, 0)
    assert list(v.rows["note"][:2]) == [note, "two\r\nlines"]
    assert pd.isna(v.rows["note"].iloc[2])  # an empty note is NULL
    # the quoted note spans lines 3-4, so the third record starts on line 5
    assert list(v.rows["source_line"]) == [2, 3, 5]
    assert v.rows["indicator_id"].iloc[0] == "test_widgets"  # the BOM is not part of the first column


def test_open_ended_custom_period_is_valid(codes):
    v = validate(csv_bytes(row(period_type="custom", period_start="2023-02-01", period_end="")), codes)
    assert (v.rows_loaded, v.rows_rejected) == (1, 0)
    assert v.rows.loc[0, "period_start"] == dt.date(2023, 2, 1)
    assert v.rows["period_end"].isna().all()


def test_special_areas_are_accepted(codes):
    v = validate(csv_bytes(
        row(area_type="borough", area_code="", area_name="Rest of Borough"),
        row(area_type="location", area_code="", area_name="Rose Garden"),
        row(area_type="kent_division", area_code="", area_name="West Kent"),
        row(area_type="kent_district", area_code=codes[1][0], area_name="A district"),
        row(area_type="ward_2022", area_code=codes[0][-1], area_name="A ward"),
    ), codes)
    assert (v.rows_loaded, v.rows_rejected) == (5, 0), v.rejects.to_dict("records")
    assert v.rows["area_code"].isna().sum() == 3


# -------------------------------------------------------------------------- the store

FILE_A = [
    row(indicator_id="test_a_total", value="10"),
    row(indicator_id="test_a_ward", area_type="ward_2022", area_code="E05004996", area_name="High Street",
        value="4.5", unit="percent", note="a note, with a comma"),
    row(indicator_id="test_a_bad", theme="not_a_theme"),
]
FILE_B = [
    row(indicator_id="test_b_since", period_type="custom", period_start="2023-02-01", period_end="", value="1520"),
    row(indicator_id="test_a_total", value="11"),  # same key as a_file.csv line 2
]


@pytest.fixture()
def partner_tmp(tmp_path) -> Path:
    root = tmp_path / "partner"
    root.mkdir()
    (root / "a_file.csv").write_bytes(csv_bytes(*FILE_A))
    (root / "b_file.csv").write_bytes(b"\xef\xbb\xbf" + csv_bytes(*FILE_B, eol="\r\n"))
    (root / "readme.txt").write_text("not a csv, ignored")
    return root


@pytest.fixture()
def built(tmp_path, boundaries_dir, partner_tmp):
    db = tmp_path / "store.duckdb"
    report = build_store(str(POLICE_FIXTURE), db, boundaries_dir, partner_root=partner_tmp,
                         progress=lambda _l: None)
    return db, report


def _upload(codes_con, lines, name="upload.csv"):
    wards, districts = partner.reference_codes(codes_con)
    return validate_partner_csv(csv_bytes(*lines), name, wards, districts,
                                existing_keys=partner.existing_keys(codes_con))


def test_build_loads_partner_views_and_rejects(built):
    db, report = built
    assert report.partner["rows_read"] == 5
    assert report.partner["rows_loaded"] == 3
    assert report.partner["rows_rejected"] == 2
    assert report.partner["files"] == [
        {"source_file": "a_file.csv", "read": 3, "loaded": 2, "rejected": 1},
        {"source_file": "b_file.csv", "read": 2, "loaded": 1, "rejected": 1},
    ]
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = con.execute(
            "select indicator_id, area_code, period_start, period_end, value, unit, note, is_restricted, loaded_from "
            "from partner_indicators order by loaded_from, indicator_id"
        ).fetchall()
        assert got == [
            ("test_a_total", "E07000110", dt.date(2023, 1, 1), dt.date(2023, 12, 31), 10.0, "count", None, False,
             "a_file.csv"),
            ("test_a_ward", "E05004996", dt.date(2023, 1, 1), dt.date(2023, 12, 31), 4.5, "percent",
             "a note, with a comma", False, "a_file.csv"),
            ("test_b_since", "E07000110", dt.date(2023, 2, 1), None, 1520.0, "count", None, False, "b_file.csv"),
        ]
        cols = [r[0] for r in con.execute("describe partner_indicators").fetchall()]
        assert cols == [*LONG_COLUMNS, "is_restricted", "loaded_from"]
        types = dict((r[0], r[1]) for r in con.execute("describe partner_indicators").fetchall())
        assert (types["period_start"], types["period_end"], types["value"], types["is_restricted"]) == (
            "DATE", "DATE", "DOUBLE", "BOOLEAN")
        rejects = con.execute("select source_file, line, reason, raw from partner_rejects order by 1, 2").fetchall()
        assert [(f, n) for f, n, _, _ in rejects] == [("a_file.csv", 4), ("b_file.csv", 3)]
        assert "theme 'not_a_theme'" in rejects[0][2] and rejects[0][3] == FILE_A[2]
        assert rejects[1][2] == "already loaded from a_file.csv" and rejects[1][3] == FILE_B[1]
        files = con.execute(
            "select source_file, rows_read, rows_loaded, rows_rejected from partner_files order by 1").fetchall()
        assert files == [("a_file.csv", 3, 2, 1), ("b_file.csv", 2, 1, 1)]
        assert con.execute("select count(*) from partner_uploads").fetchone()[0] == 0
        assert con.execute("select count(*) from partner_indicators_public").fetchone()[0] == 3
    finally:
        con.close()


def test_uploads_restricted_and_public_and_kept_by_update(built, boundaries_dir, partner_tmp):
    db, _ = built
    con = duckdb.connect(str(db))
    try:
        restricted = _upload(con, [row(indicator_id="test_up_restricted", value="7"),
                                   row(indicator_id="test_up_restricted", value="8",
                                       period_start="2022-01-01", period_end="2022-12-31")], "restricted.csv")
        assert (restricted.rows_loaded, restricted.rows_rejected) == (2, 0)
        n = partner.append_upload(con, restricted, "officer@example.org", is_public=False, upload_id="u1")
        assert n == 2
        public = _upload(con, [row(indicator_id="test_up_public", value="5"),
                               row(indicator_id="test_a_total", value="99")], "public.csv")
        # the published key is rejected at validation, so only one row is appended
        assert (public.rows_loaded, public.rows_rejected) == (1, 1)
        assert public.rejects.loc[0, "reason"] == "already loaded from a_file.csv"
        assert partner.append_upload(con, public, "analyst@example.org", is_public=True, upload_id="u2") == 1

        def ids(view, restricted_flag=None):
            sql = f"select indicator_id, is_restricted, loaded_from from {view}"
            return sorted(con.execute(sql).fetchall())

        everything = ids("partner_indicators")
        assert ("test_up_restricted", True, "restricted.csv") in everything
        assert everything.count(("test_up_restricted", True, "restricted.csv")) == 2
        assert ("test_up_public", False, "public.csv") in everything
        assert len(everything) == 3 + 2 + 1
        public_rows = ids("partner_indicators_public")
        assert len(public_rows) == 3 + 1
        assert all(i != "test_up_restricted" for i, _, _ in public_rows)
        assert ("test_up_public", False, "public.csv") in public_rows
        stored = con.execute(
            "select upload_id, uploaded_by, is_restricted, uploaded_at is not null from partner_uploads order by 1, 2"
        ).fetchall()
        assert stored == [("u1", "officer@example.org", True, True)] * 2 + [("u2", "analyst@example.org", False, True)]
    finally:
        con.close()

    report = build_store(str(POLICE_FIXTURE), db, boundaries_dir, update=True, partner_root=partner_tmp,
                         progress=lambda _l: None)
    assert report.partner["uploads_kept"] == 3
    assert (report.partner["rows_read"], report.partner["rows_loaded"], report.partner["rows_rejected"]) == (5, 3, 2)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from partner_uploads").fetchone()[0] == 3
        assert con.execute("select count(*) from partner_published").fetchone()[0] == 3  # reloaded, not doubled
        assert con.execute("select count(*) from partner_rejects").fetchone()[0] == 2
        assert con.execute("select count(*) from partner_files").fetchone()[0] == 2
        assert con.execute("select count(*) from partner_indicators where is_restricted").fetchone()[0] == 2
        assert con.execute("select count(*) from partner_indicators_public").fetchone()[0] == 4
    finally:
        con.close()


def test_append_upload_refuses_a_stored_key_or_a_reused_upload_id(built):
    db, _ = built
    con = duckdb.connect(str(db))
    try:
        wards, districts = partner.reference_codes(con)
        # validated WITHOUT existing keys, so the clash is only found when appending
        clash = validate_partner_csv(csv_bytes(row(indicator_id="test_a_total", value="1")), "clash.csv",
                                     wards, districts)
        with pytest.raises(PartnerUploadError, match="line 2 already loaded from a_file.csv"):
            partner.append_upload(con, clash, "someone", is_public=True, upload_id="c1")
        fine = _upload(con, [row(indicator_id="test_up_new")])
        partner.append_upload(con, fine, "someone", is_public=True, upload_id="c2")
        again = _upload(con, [row(indicator_id="test_up_other")])
        with pytest.raises(PartnerUploadError, match="'c2' is already in the store"):
            partner.append_upload(con, again, "someone", is_public=True, upload_id="c2")
        assert con.execute("select count(*) from partner_uploads").fetchone()[0] == 1
    finally:
        con.close()


def test_bad_partner_header_fails_the_build_and_keeps_the_old_store(built, boundaries_dir, partner_tmp):
    db, _ = built
    (partner_tmp / "c_file.csv").write_bytes(csv_bytes(row(), header=HEADER.replace("unit", "units")))
    with pytest.raises(BuildError, match=r"c_file\.csv: wrong header: missing column\(s\) 'unit'"):
        build_store(str(POLICE_FIXTURE), db, boundaries_dir, update=True, partner_root=partner_tmp,
                    progress=lambda _l: None)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from partner_published").fetchone()[0] == 3
    finally:
        con.close()


def test_load_into_store_prints_reconciliation_per_file(built, partner_tmp):
    db, _ = built
    lines: list[str] = []
    con = duckdb.connect(str(db))
    try:
        summary = partner.load_into_store(con, partner_tmp, progress=lines.append)
    finally:
        con.close()
    assert any("a_file.csv" in ln and "rows read 3 = loaded 2 + rejected 1" in " ".join(ln.split()) for ln in lines)
    assert any("b_file.csv" in ln and "rows read 2 = loaded 1 + rejected 1" in " ".join(ln.split()) for ln in lines)
    assert (summary["rows_read"], summary["rows_loaded"], summary["rows_rejected"]) == (5, 3, 2)

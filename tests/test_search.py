"""Find my area: the search on the full store, with expected values taken from the sources (the OS
Code-Point file's ward codes and the ONS ward names, the ONS LSOA 2011 -> 2021 lookup, police.uk locations
read back with independent SQL), plus out-of-borough, garbage and hostile inputs."""

import csv
import json

import duckdb
import pandas as pd
import pytest

from dashboard.search import MAX_QUERY_LENGTH, SearchIndex, normalise_name, search
from smp_data import settings
from tests.apptest_helpers import sql

pytestmark = pytest.mark.integration

CODEPOINT = settings.postcodes_dir() / "codepoint_open_2025.4_maidstone.csv"
LOOKUP = settings.boundaries_dir() / "lookups" / "lookup_lsoa11_lsoa21_maidstone.csv"


@pytest.fixture(scope="module")
def index(full_store) -> SearchIndex:
    con = duckdb.connect(str(full_store), read_only=True)
    try:
        return SearchIndex.from_connection(con)
    finally:
        con.close()


def _os_ward(postcode: str) -> str:
    with CODEPOINT.open(newline="") as fh:
        return next(row[9] for row in csv.reader(fh) if row[0] == postcode)


def _ward_name_2024(code: str) -> str:
    doc = json.loads((settings.boundaries_dir() / "maidstone_wards_2024.geojson").read_text())
    return next(f["properties"]["WD24NM"] for f in doc["features"] if f["properties"]["WD24CD"] == code)


@pytest.mark.parametrize("typed, postcode, ward", [
    ("ME16 8HB", "ME16 8HB", "Fant & Oakwood"), ("me168hb", "ME16 8HB", "Fant & Oakwood"),
    ("  me14   1ps ", "ME14 1PS", "High Street"),
])
def test_a_postcode_in_any_case_or_spacing_finds_its_os_ward(index, typed, postcode, ward):
    assert _ward_name_2024(_os_ward(postcode)) == ward  # the source's own answer
    r = search(index, typed)
    assert (r.status, r.target.kind, r.target.key) == ("found", "postcode", postcode)
    row = index.postcodes[postcode]
    assert (row["ward_2024_code"], row["ward_2024_name"]) == (_os_ward(postcode), ward)


def test_a_sector_and_a_district_cover_the_files_postcodes(index):
    with CODEPOINT.open(newline="") as fh:
        rows = list(csv.reader(fh))
    in_sector = sorted(r[0] for r in rows if r[0].startswith("ME15 6"))
    in_district = sorted(r[0] for r in rows if r[0].split(" ")[0] == "ME15")
    r = search(index, "me15 6")
    assert r.target.kind == "sector" and sorted(index.area_postcodes(r.target)["postcode"]) == in_sector
    r = search(index, "ME15")
    assert r.target.kind == "district" and len(r.target.points) == len(in_district)
    wards = {_ward_name_2024(r[9]) for r in rows if r[0].startswith("ME15 6")}
    assert len(wards) > 1  # the point: ME15 6 spans several wards


def test_a_2011_lsoa_code_leads_to_its_2021_successors_with_a_note(index):
    lookup = pd.read_csv(LOOKUP)
    for code in ("E01033090", "E01024389"):  # Strategic Assessment paras 35 and 37 (both split in 2021)
        expected = sorted(lookup.loc[lookup["lsoa11_code"] == code, "lsoa21_code"])
        assert len(expected) == 2
        r = search(index, code)
        assert r.status == "choose" and sorted(t.key for t in r.choices) == expected
        assert any("2011 LSOA" in n and all(c in n for c in expected) for n in r.notes)
        assert all(t.kind == "lsoa" for t in r.choices)
    unchanged = lookup.loc[lookup["CHGIND"] == "U", "lsoa11_code"].iloc[0]
    assert search(index, unchanged.lower()).target.key == unchanged


def test_lsoa_names_wards_on_both_sets_and_clusters(index, full_store):
    (name, code), = sql(full_store, "select lsoa21_name, lsoa21_code from lsoas order by lsoa21_code limit 1")
    assert search(index, name.lower()).target.key == code
    assert search(index, "fant and oakwood").target.key == "2024|" + sql(
        full_store, "select ward_2024_code from wards_2024 where ward_2024_name = 'Fant & Oakwood'")[0][0]
    assert search(index, "Barming and Teston").target.ward_set == "2022"
    r = search(index, "cluster 5")
    assert {t.ward_set for t in r.choices} == {"2022", "2024"} and r.status == "choose"


def test_a_street_that_crosses_wards_lists_them(index, full_store):
    expected = {s: {w for (w,) in sql(full_store, f"select distinct ward_{s}_name from crime_records where "
                                                  "location = 'On or near Loose Road' and district = 'Maidstone'")}
                for s in ("2024", "2022")}
    assert len(expected["2024"]) >= 3  # the issue: Loose Road runs through three wards
    for typed in ("Loose Road", "loose rd", "LOOSE  ROAD", "lose road", "loose raod"):
        r = search(index, typed)
        assert r.status == "found" and r.target.kind == "street", typed
        wards = index.street_wards(r.target.key)
        assert set(wards["2024"]) == expected["2024"] and set(wards["2022"]) == expected["2022"]


def test_one_name_in_several_places_gives_a_short_list(index, full_store):
    r = search(index, "station road")
    villages = {w for (w,) in sql(full_store, "select distinct ward_2024_name from crime_records "
                                              "where location = 'On or near Station Road' and district = 'Maidstone'")}
    assert r.status == "choose" and 2 <= len(r.choices) <= 8
    assert {w for t in r.choices for w in index.street_wards(t.key)["2024"]} == villages


def test_outside_the_borough(index):
    with CODEPOINT.open(newline="") as fh:
        assert not any(row[0] == "ME5 8AB" for row in csv.reader(fh))
    r = search(index, "me5 8ab")  # Medway (Chatham): ME5 is mostly outside the borough
    assert r.status == "outside" and "covers Maidstone borough" in r.message and "ME5 8AB" in r.message
    r = search(index, "ME1 1AA")  # Rochester: no ME1 postcode is in the borough
    assert r.status == "outside" and "not in Maidstone borough" in r.message
    assert search(index, "ME1").status == "outside"


def test_a_fuller_postcode_file_names_the_district():
    pcs = pd.DataFrame([
        {"postcode": "ME14 1PS", "outward_code": "ME14", "sector": "ME14 1", "longitude": 0.52, "latitude": 51.27,
         "in_borough": True, "district_code": "E07000110", "district_name": "Maidstone"},
        {"postcode": "ME5 8AA", "outward_code": "ME5", "sector": "ME5 8", "longitude": 0.53, "latitude": 51.34,
         "in_borough": False, "district_code": "E06000035", "district_name": "Medway"},
    ])
    empty = pd.DataFrame(columns=["location", "longitude", "latitude", "records", "ward_2024_name", "ward_2022_name"])
    idx = SearchIndex.from_tables(pcs, empty, pd.DataFrame(columns=["ward_set", "ward_code", "ward_name", "cluster"]),
                                  pd.DataFrame(columns=["ward_set", "cluster", "cluster_label", "wards"]),
                                  pd.DataFrame(columns=["lsoa21_code", "lsoa21_name"]),
                                  pd.DataFrame(columns=["lsoa11_code", "lsoa11_name", "lsoa21_code", "lsoa21_name",
                                                        "change"]))
    r = search(idx, "me5 8aa")
    assert r.status == "outside" and "ME5 8AA is in Medway" in r.message


@pytest.mark.parametrize("text", [
    "zzzzqqq", "'; drop table records; --", "<script>alert(1)</script>", "Robert'); DROP TABLE postcodes;--",
    "%' OR '1'='1", "{{7*7}}", "../../etc/passwd", "🙂🚓🙂", "\u202eevil", "x" * 10_000, "\x00\x1b[31m",
])
def test_garbage_and_hostile_text_gives_a_message_not_an_error(index, full_store, text):
    r = search(index, text)
    assert r.status in ("not_found", "empty", "choose")
    assert r.target is None and r.message
    assert len(r.query) <= MAX_QUERY_LENGTH
    assert sql(full_store, "select count(*) from postcodes")[0][0] == 5417  # nothing was run from the text


def test_a_long_string_is_cut_and_the_reader_told(index):
    r = search(index, "Loose Road " + "x" * 500)
    assert r.query == ("Loose Road " + "x" * 500)[:MAX_QUERY_LENGTH]
    assert any("first 100 characters" in n for n in r.notes)


def test_find_values_from_the_url_are_checked(index):
    assert index.target("postcode", "ME16 8HB").key == "ME16 8HB"
    assert index.target("postcode", "ME5 8AB") is None  # not in the borough
    assert index.target("street", "Loose Road").kind == "street"
    assert index.target("street", "No Such Road") is None
    assert index.target("ward", "2030|E05015599") is None and index.target("ward", "2024|E05015599")
    assert index.target("lsoa", "E0103309O") is None


def test_abbreviations_normalise_both_ways():
    assert normalise_name("On or near St Peter'S Street") == normalise_name("saint peters st")
    assert normalise_name("Tonbridge Rd") == normalise_name("tonbridge road")

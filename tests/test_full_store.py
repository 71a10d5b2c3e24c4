"""Integration: data tests on the store built from the whole ../shared police.uk archive."""

import duckdb
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def con(full_store):
    c = duckdb.connect(str(full_store), read_only=True)
    yield c
    c.close()


def _one(con, sql):
    return con.execute(sql).fetchone()


def test_every_row_read_is_loaded_or_rejected(con):
    read, loaded, rejected = _one(con, "select sum(rows_read), sum(rows_loaded), sum(rows_rejected) from source_files")
    assert read == loaded + rejected
    assert loaded == _one(con, "select count(*) from records")[0]
    # the shared README: ~420,000 rows in 27 files; counted independently with wc -l minus headers
    assert read == 426_012
    assert _one(con, "select count(*) from source_files")[0] == 27


def test_months_present_and_missing_match_the_shared_readme(con):
    rows = con.execute("select strftime(month, '%Y-%m'), rows from months_loaded order by month").fetchall()
    present = [m for m, r in rows if r is not None]
    missing = [m for m, r in rows if r is None]
    assert len(present) == 27 and present[0] == "2022-01" and present[-1] == "2025-12"
    expected_missing = ["2022-12"] + [f"2023-{m:02d}" for m in range(1, 13)] + [f"2024-{m:02d}" for m in range(5, 13)]
    assert missing == expected_missing


def test_every_maidstone_record_is_placed_on_both_ward_sets(con):
    assert _one(con, "select count(*) from crime_records where district = 'Maidstone' and (lsoa21_code is null "
                     "or ward_2022_code is null or ward_2024_code is null or cluster_2022 is null "
                     "or cluster_2024 is null)")[0] == 0
    assert _one(con, "select count(distinct ward_2022_code), count(distinct ward_2024_code), count(distinct lsoa21_code) "
                     "from crime_records where district = 'Maidstone'") == (26, 22, 99)


def test_maidstone_rows_are_those_with_maidstone_lsoa_names(con):
    by_name = _one(con, "select count(*) from records where lsoa_name_published like 'Maidstone %'")[0]
    assert _one(con, "select count(*) from records where district = 'Maidstone'")[0] == by_name == 39_047


def test_crime_types_and_classes_are_within_the_known_lists(con):
    assert _one(con, "select count(*) from records r left join crime_categories c using (crime_type) "
                     "where c.crime_type is null or c.crime_class <> r.crime_class")[0] == 0


def test_thirteen_kent_districts_have_records(con):
    names = {r[0] for r in con.execute("select distinct district from records join districts "
                                       "on district = district_name").fetchall()}
    assert len(names) == 13 and "Folkestone and Hythe" in names


def test_most_points_are_placed_by_point_in_polygon(con):
    point, total = _one(con, "select count(*) filter (where location_method = 'point'), count(*) "
                             "from records where district = 'Maidstone'")
    assert point / total > 0.99

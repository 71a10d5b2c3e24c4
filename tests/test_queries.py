"""The query layer: every SQL block is named and described, parameters are bound and
checked, and the dashboard queries give the numbers the synthetic fixture implies."""

import datetime as dt

import pytest

import queries
from queries import QueryError

D = dt.date
ALL = ["VBC", "CAS", "ASB"]
BASE = dict(ward_set="2024", area_type="borough", area_code="", classes=ALL, crime_types=[], priority="")
FIXTURE_MONTHS = [D(2022, 1, 1), D(2022, 2, 1), D(2022, 3, 1), D(2022, 4, 1)]


def test_every_block_has_a_name_a_description_and_sql():
    found = queries.load_queries()
    assert len(found) >= 25
    for name, q in found.items():
        assert q.description and len(q.description) > 10, name
        assert q.sql.strip(), name


def test_no_sql_in_pages():
    from smp_data.settings import REPO_ROOT

    for page in (REPO_ROOT / "pages").glob("*.py"):
        text = page.read_text().lower()
        for word in ("select ", "duckdb.connect", ".execute("):
            assert word not in text, f"{page.name} contains {word!r}: pages must use dashboard.data.query"


def test_unknown_and_missing_parameters_are_refused(tiny_con):
    with pytest.raises(QueryError, match="takes no parameter"):
        queries.run(tiny_con, "wards", ward_set="2022", evil="1")
    with pytest.raises(QueryError, match="needs parameter"):
        queries.run(tiny_con, "wards")
    with pytest.raises(QueryError, match="no query named"):
        queries.run(tiny_con, "drop_everything")


def test_hostile_values_are_bound_not_executed(tiny_con):
    evil = "2024' or '1'='1"
    assert queries.run_df(tiny_con, "wards", ward_set=evil).empty
    assert tiny_con.execute("select count(*) from records").fetchone()[0] == 17


def test_monthly_counts_give_null_for_missing_months_and_zero_for_quiet_ones(tiny_con):
    df = queries.run_df(tiny_con, "monthly_counts_by_class", months=FIXTURE_MONTHS, **BASE)
    got = {(r.month.strftime("%Y-%m"), r.crime_class): r.records for r in df.itertuples()}
    assert got[("2022-01", "VBC")] == 3 and got[("2022-01", "CAS")] == 1 and got[("2022-01", "ASB")] == 1
    assert got[("2022-02", "VBC")] == 0  # present month with no VBC: a real zero
    import pandas as pd

    assert pd.isna(got[("2022-03", "VBC")])  # missing month: no data, not zero
    assert got[("2022-04", "VBC")] == 1


@pytest.mark.parametrize(
    "priority, expected",
    [
        ("", 12),
        ("safe_town_centre", 6),  # the Week Street records: High Street ward
        ("asb", 3),
        ("substance_misuse", 1),  # Drugs
        ("serious_violence_organised_crime", 3),  # violence, drugs, possession of weapons
        ("domestic_abuse", 0),  # police.uk cannot measure it: no records, never a proxy count
    ],
)
def test_priority_filter(tiny_con, priority, expected):
    months = FIXTURE_MONTHS + [D(2024, 1, 1)]
    n = tiny_con.execute(
        "select count(*) from maidstone_records($m, '2024', 'borough', '', $c, [], $p)",
        {"m": months, "c": ALL, "p": priority},
    ).fetchone()[0]
    assert n == expected


@pytest.mark.parametrize(
    "area_type, code, expected",
    [("ward", "E05015603", 6), ("cluster", "Cluster 8", 2), ("lsoa", "E01034996", 2), ("ward", "E05999999", 0)],
)
def test_area_filter(tiny_con, area_type, code, expected):
    months = FIXTURE_MONTHS + [D(2024, 1, 1)]
    n = tiny_con.execute(
        "select count(*) from maidstone_records($m, '2024', $t, $a, $c, [], '')",
        {"m": months, "t": area_type, "a": code, "c": ALL},
    ).fetchone()[0]
    assert n == expected


def test_ward_summary_lists_every_ward_with_zero_filled_counts(tiny_con):
    df = queries.run_df(tiny_con, "ward_summary", months=[D(2024, 1, 1)], comparison_months=[D(2022, 1, 1)],
                        **{k: v for k, v in BASE.items() if k not in ("area_type", "area_code")})
    assert len(df) == 22
    hs = df[df["ward_name"] == "High Street"].iloc[0]
    assert (hs.records, hs.records_comparison) == (2, 3)
    assert hs.rate_per_1000_residents == pytest.approx(1000 * 2 / 12030)  # ONS mid-2024 High Street
    assert df["records"].sum() == 4


def test_town_centre_by_year_marks_years_without_data(tiny_con):
    df = queries.run_df(tiny_con, "town_centre_by_year", ward_set="2022",
                        months=[D(2022, 1, 1), D(2022, 2, 1), D(2023, 1, 1), D(2023, 2, 1)])
    y2023 = df[df["year"] == 2023]
    assert y2023["records"].isna().all() and (y2023["months_present"] == 0).all()
    hs = df[(df["year"] == 2022) & (df["area"] == "High Street")].set_index("measure")["records"]
    assert hs["All crime (VBC + CAS)"] == 2 and hs["Anti-social behaviour (ASB)"] == 2 and hs["Shoplifting"] == 1

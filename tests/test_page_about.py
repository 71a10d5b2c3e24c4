"""AppTest: the About the data page on the full store (and on a small store with rejected rows)."""

import re

import pytest

from smp_data.build import build_store
from tests.apptest_helpers import open_page, shown_tables, sql, texts

pytestmark = pytest.mark.integration

PAGE = "pages/about.py"
SECTIONS = [
    "Sources and licences", "Months loaded and missing", "Police forces in this store",
    "Monthly refreshes: what police.uk changed", "How police.uk data is made", "LSOAs: 2011 and 2021 codes",
    "Ward boundary sets and how records are placed", "Against the Strategic Assessment 2024/25",
    "Ward clusters (May-2024 clusters are derived)",
    "Population bases for rates", "What police.uk cannot measure", "Build record and reconciliation",
    "Accessibility statement",
]


@pytest.fixture(scope="module")
def about(full_store):
    at = open_page(PAGE, full_store)
    assert not at.exception, at.exception
    return at


def _table(at, first_column):
    return next(t for t in shown_tables(at) if t.columns[0] == first_column)


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_renders_every_section_with_sources_licences_and_accessibility(about):
    assert [s.value for s in about.main.subheader] == SECTIONS
    shown = texts(about)
    for fact in ("Open Government Licence v3.0", "Contains OS data © Crown copyright and database right 2013–2025",
                 "Strategic Assessment 2024/25", "not an address", "ASB incidents are not crimes",
                 "as it stood when each monthly file was downloaded", "WCAG) 2.2 at level AA",
                 "Safer Maidstone Partnership, Maidstone Borough Council"):
        assert fact in shown.replace("**", ""), fact
    assert len(about.get("vega_lite_chart")) == 1  # the months grid
    assert len(about.get("plotly_chart")) == 0  # so the browser never loads Plotly's bundle here


def test_shows_the_21_missing_months_of_the_full_store(about, full_store):
    (first, last), = sql(full_store, "select min(month), max(month) from source_files")
    missing = [m for (m,) in sql(full_store, """
        select m::date from generate_series($first::date, $last::date, interval 1 month) as t(m)
        where m::date not in (select month from source_files) order by 1""", {"first": first, "last": last})]
    assert len(missing) == 21
    assert "21 months missing: Dec 2022 – Dec 2023 (13 months) and May 2024 – Dec 2024 (8 months)." in texts(about)
    grid = next(d.value for d in about.dataframe if list(d.value.columns[:2]) == ["Year", "Jan"])
    no_data = {(int(row.Year), col) for row in grid.itertuples(index=False) for col in grid.columns[1:]
               if getattr(row, col) == "no data"}
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert no_data == {(m.year, months[m.month - 1]) for m in missing}
    table = _table(about, "Month")
    assert (table["Status"] == "missing").sum() == 21 and (table["Status"] == "loaded").sum() == 27
    assert table.loc[table["Month"] == "Dec 2022", "Kent Police rows loaded"].item() == "no data"


def test_reconciliation_totals_equal_sql(about, full_store):
    (files, read, loaded, rejected), = sql(full_store, "select count(*), sum(rows_read), sum(rows_loaded), "
                                                       "sum(rows_rejected) from source_files")
    (records,), = sql(full_store, "select count(*) from records")
    (reject_rows,), = sql(full_store, "select count(*) from rejects")
    assert _metric(about, "Files") == f"{files:,}"
    assert _metric(about, "Rows read") == f"{read:,}"
    assert _metric(about, "Rows loaded") == f"{loaded:,}" == f"{records:,}"
    assert _metric(about, "Rows rejected") == f"{rejected:,}" == f"{reject_rows:,}"
    per_file = next(d.value for d in about.dataframe if d.value.columns[0] == "File")
    assert len(per_file) == files and per_file["Read = loaded + rejected"].all()
    assert int(per_file["Rows read"].sum()) == read
    assert "Every file reconciles" in texts(about)


def test_build_metadata_rows_records_equals_sql_count(about, full_store):
    (records,), = sql(full_store, "select count(*) from records")
    (maidstone,), = sql(full_store, "select count(*) from records where district = 'Maidstone'")
    meta = _table(about, "Item").set_index("Item")["Value"]
    assert meta["Records loaded (every force in the store)"] == f"{records:,}"
    assert meta["Records in Maidstone (every force in the store)"] == f"{maidstone:,}"


def test_location_lsoa_and_placement_numbers_equal_sql(about, full_store):
    shown = texts(about).replace("**", "")
    (no_loc, no_district, maidstone), = sql(full_store, "select count(*) filter (where longitude is null), "
                                            "count(*) filter (where district is null), "
                                            "count(*) filter (where district = 'Maidstone') from records")
    assert f"{no_loc:,} have no location at all" in shown
    assert f"({no_district:,} in all" in shown
    (point, fallback), = sql(full_store, "select count(*) filter (where location_method = 'point'), "
                             "count(*) filter (where location_method = 'lsoa_lookup') from records "
                             "where district = 'Maidstone'")
    assert (f"Of {maidstone:,} Kent Police records in Maidstone, {point:,} were placed by their point. "
            f"{fallback:,} had") in shown
    (split,), = sql(full_store, """
        select count(*) from records r
        where r.district = 'Maidstone' and year(r.month) = 2022
          and r.lsoa_code_published in (select lsoa11_code from lsoa_2011_to_2021 where change = 'S')""")
    assert f"split in 2021 ({split:,} records)" in shown
    lsoa = _table(about, "Year of file")
    assert lsoa["Maidstone records"].str.replace(",", "").astype(int).sum() == maidstone


def test_derived_clusters_and_low_confidence_wards_equal_sql(about, full_store):
    low = [w for (w,) in sql(full_store, "select ward_2024_name from wards_2024 "
                                         "where cluster_is_low_confidence order by ward_2024_name")]
    assert low  # the full store has some
    assert f"{len(low)} May-2024 wards take less than 60%" in texts(about)
    assert ", ".join(low) in texts(about)
    deriv = _table(about, "May-2024 ward")
    assert len(deriv) == 22 and deriv["Cluster"].str.endswith("(derived)").all()
    assert sorted(deriv.loc[deriv["Confidence"].str.startswith("Low"), "May-2024 ward"]) == low


def test_what_police_uk_cannot_measure_equals_sql(about, full_store):
    expected = sorted(n for (n,) in sql(full_store, "select name from priorities "
                                                    "where measurable in ('no', 'partial')"))
    table = _table(about, "Priority or theme")
    assert sorted(table["Priority or theme"]) == expected
    assert set(table["Measurable from police.uk"]) <= {"No", "Partly"}


def test_population_bases_equal_sql(about, full_store):
    table = _table(about, "Areas")
    got = {(a, b): int(r.replace(",", "")) for a, b, r in
           zip(table["Areas"], table["Population basis"], table["Residents (total)"])}
    (w24,), = sql(full_store, "select sum(population) from populations where area_type = 'ward_2024' "
                              "and basis = 'mid2024'")
    (w22,), = sql(full_store, "select sum(population) from populations where area_type = 'ward_2022' "
                              "and basis = 'mid2022'")
    assert got[("May-2024 wards", "ONS mid-2024 estimate")] == w24
    assert got[("Pre-May-2024 wards", "ONS mid-2022 estimate")] == w22
    used = table[table["Used for rates"] == "Yes"]
    assert dict(zip(used["Areas"], used["Population basis"])) == {
        "Kent districts and Medway": "ONS mid-2024 estimate", "LSOAs (2021)": "Census 2021",
        "Pre-May-2024 wards": "ONS mid-2022 estimate", "May-2024 wards": "ONS mid-2024 estimate"}


@pytest.mark.parametrize("params", [
    {"area": "ward:E05015603", "class": "ASB"},
    {"from": "2023-02", "to": "2023-10"},  # a gap-only period: the page describes the whole store anyway
    {"view": "<script>", "cluster": "Cluster 99", "measure": "x" * 300},
])
def test_filters_and_nonsense_params_do_not_change_or_break_the_page(full_store, about, params):
    at = open_page(PAGE, full_store, params)
    assert not at.exception
    assert [s.value for s in at.main.subheader] == SECTIONS
    assert [m.value for m in at.metric] == [m.value for m in about.metric]
    assert "the sidebar filters do not change it" in texts(at)


def test_rejected_rows_are_listed_and_reconciled(archive_copy, tmp_path, boundaries_dir):
    f = archive_copy / "2022-02" / "2022-02-kent-street.csv"
    f.write_text(f.read_text() + "bad1,2022-02,Kent Police\n"
                 "bad2,2022-02,Kent Police,Kent Police,,,X,,,Jaywalking,,\n")
    db = tmp_path / "rejects.duckdb"
    build_store(str(archive_copy), db, boundaries_dir, progress=lambda _l: None)
    at = open_page(PAGE, db)
    assert not at.exception
    (read, loaded, rejected), = sql(db, "select sum(rows_read), sum(rows_loaded), sum(rows_rejected) from source_files")
    assert rejected == 2 and read == loaded + rejected
    assert (_metric(at, "Rows read"), _metric(at, "Rows rejected")) == (f"{read:,}", "2")
    rejects = _table(at, "source_file")
    assert sorted(rejects["reason"]) == sorted(r for (r,) in sql(db, "select reason from rejects"))
    # the tiny archive's own gaps: 2022-03 and 2022-05 .. 2023-12
    assert re.search(r"21 months missing: Mar 2022 and May 2022 – Dec 2023 \(20 months\)\.", texts(at))


def test_a_store_from_an_older_version_says_to_rebuild_it(tiny_store, tmp_path):
    import shutil

    import duckdb

    from tests.apptest_helpers import open_page, texts

    old = tmp_path / "old.duckdb"
    shutil.copy(tiny_store, old)
    con = duckdb.connect(str(old))
    con.execute("delete from build_metadata where key = 'store_schema'")
    con.close()
    at = open_page("pages/about.py", old)
    assert not at.exception
    assert "built by an older version of this dashboard (store schema 1" in texts(at)
    assert "python -m smp_data build" in texts(at)

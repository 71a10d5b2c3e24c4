"""Forces as data: a store of several forces keeps Maidstone's default figures (Kent Police records),
the labelled choice adds the other forces' records, and gaps are decided per force.

Stores are built by the real build from the all-forces zip in ../shared (Kent and British Transport
Police, 2024-01..04); expected values come from independent SQL on the contract view crime_records.
"""

from __future__ import annotations

import datetime as dt
import zipfile

import duckdb
import pandas as pd
import pytest

import queries
from dashboard.filters import FilterContext, Filters, parse_query_params, to_query_params
from smp_data import settings
from smp_data.build import BuildError, build_store
from smp_data.sources import SourceError, parse_forces
from tests.apptest_helpers import open_page, rerun, texts

ZIP = settings.shared_dir() / "data" / "police_uk_national" / "police_uk_2024-01_2024-04_all_forces.zip"
MONTHS = [dt.date(2024, m, 1) for m in range(1, 5)]
CLASSES = ["VBC", "CAS", "ASB"]
# one value for every parameter the dashboard's figure queries take (forces left out: the default)
PARAMS = {
    "months": MONTHS, "comparison_months": MONTHS[:2], "ward_set": "2024", "area_type": "borough",
    "area_code": "", "classes": CLASSES, "crime_types": [], "priority": "", "population_basis": "mid2024",
    "area_level": "ward", "repeat_min_months": 2, "top_n": 25, "lons": [0.522001], "lats": [51.276833],
    "radius_m": 500.0,
    "column_types": ["Shoplifting", "Violence and sexual offences"],  # the patrol sheet's columns
    "column_names": ["Shoplifting", "Violence and sexual offences"],
}
# queries about the store itself (which files and forces it holds), not figures
STORE_QUERIES = {"build_metadata", "source_files", "rejects_summary", "forces_summary", "other_forces_in_maidstone"}


def _build(tmp_path_factory, name, source, force):
    db = tmp_path_factory.mktemp(name) / f"{name}.duckdb"
    build_store(str(source), db, settings.boundaries_dir(), force=force, partner_root=None,
                postcodes_root=None, progress=lambda _l: None)
    return db


@pytest.fixture(scope="module")
def kent_only(tmp_path_factory):
    return _build(tmp_path_factory, "kent", ZIP, "kent")


@pytest.fixture(scope="module")
def kent_btp(tmp_path_factory):
    return _build(tmp_path_factory, "kentbtp", ZIP, "kent,btp")


@pytest.fixture(scope="module")
def kent_missing_april(tmp_path_factory):
    """Kent for 2024-01..03 only, British Transport Police for 2024-01..04."""
    root = tmp_path_factory.mktemp("gap") / "archive"
    with zipfile.ZipFile(ZIP) as z:
        for name in z.namelist():
            if name.endswith(("-btp-street.csv", "-kent-street.csv")) and not name.endswith("2024-04-kent-street.csv"):
                z.extract(name, root)
    return _build(tmp_path_factory, "gapstore", root, "kent,btp")


def _figure_queries():
    for name, q in sorted(queries.load_queries().items()):
        if "forces" in q.params and name not in STORE_QUERIES:
            yield name, q


def _run(db, name, **extra):
    q = queries.get(name)
    params = {k: v for k, v in PARAMS.items() if k in q.params}
    con = duckdb.connect(str(db), read_only=True)
    try:
        return queries.run_df(con, name, **params, **extra)
    finally:
        con.close()


def _one(db, sql, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


pytestmark = pytest.mark.integration


def test_every_figure_query_takes_the_forces_parameter():
    """A query that reads records must honour the forces choice (its default is Kent Police)."""
    for name, q in sorted(queries.load_queries().items()):
        if name.startswith("build.") or name in STORE_QUERIES:
            continue
        sql = q.sql
        reads_records = any(t in sql for t in ("maidstone_records(", "kent_records(", "records_maidstone",
                                               "months_loaded", "from records"))
        assert not reads_records or "$forces" in sql, (
            f"query {name} reads police.uk records but ignores $forces: pass _forces := $forces to the macro")


def test_btp_really_has_maidstone_records_in_the_zip(kent_btp):
    assert _one(kent_btp, "select count(*) from crime_records where force = 'btp' and district = 'Maidstone'")[0][0] > 0


@pytest.mark.parametrize("name", [n for n, _ in _figure_queries()])
def test_default_figures_are_the_same_on_a_kent_only_and_a_kent_btp_store(kent_only, kent_btp, name):
    pd.testing.assert_frame_equal(_run(kent_only, name), _run(kent_btp, name), check_exact=True, obj=name)


def test_the_btp_inclusive_monthly_figure_adds_exactly_the_btp_rows(kent_btp):
    default = _run(kent_btp, "monthly_counts_by_class").set_index(["month", "crime_class"])["records"]
    inclusive = _run(kent_btp, "monthly_counts_by_class", forces=[]).set_index(["month", "crime_class"])["records"]
    btp = {(m, c): n for m, c, n in _one(
        kent_btp, "select month, crime_class, count(*) from crime_records where district = 'Maidstone' "
        "and force = 'btp' group by all")}
    assert sum(btp.values()) > 0
    for key in default.index:
        assert inclusive[key] - default[key] == btp.get((pd.Timestamp(key[0]).date(), key[1]), 0), key


def test_the_btp_inclusive_district_ranking_adds_exactly_the_btp_rows(kent_btp):
    default = _run(kent_btp, "district_summary").set_index("district_name")["records"]
    inclusive = _run(kent_btp, "district_summary", forces=[]).set_index("district_name")["records"]
    btp = dict(_one(kent_btp, "select district, count(*) from crime_records where force = 'btp' and month in "
                              "(select unnest($m)) and district in (select district_name from districts) group by 1",
                    {"m": MONTHS}))
    assert (inclusive - default).to_dict() == {d: btp.get(d, 0) for d in default.index}


def test_unplaced_and_location_counts_name_their_forces(kent_btp, kent_only):
    row = _run(kent_btp, "unplaced_kent_records").iloc[0]
    assert row["forces"] == "Kent Police"
    assert row["records"] == _one(kent_btp, "select count(*) from records where force = 'kent' and district is null "
                                            "and month in (select unnest($m))", {"m": MONTHS})[0][0]
    both = _run(kent_btp, "unplaced_kent_records", forces=[]).iloc[0]
    assert both["forces"] == "Kent Police + British Transport Police"
    assert both["records"] == _one(kent_btp, "select count(*) from records where district is null "
                                             "and month in (select unnest($m))", {"m": MONTHS})[0][0]
    methods = _run(kent_btp, "location_methods", forces=[])
    assert set(methods["forces"]) == {"British Transport Police + Kent Police"}
    assert methods["records"].sum() == _one(kent_btp, "select count(*) from crime_records where district = 'Maidstone'")[0][0]
    assert set(_run(kent_btp, "location_methods")["forces"]) == {"Kent Police"}


def test_the_contract_says_which_force_each_row_and_month_belongs_to(kent_btp):
    cols = [r[0] for r in _one(kent_btp, "describe crime_records")]
    assert {"force", "force_name"} <= set(cols)
    names = dict(_one(kent_btp, "select distinct force, force_name from crime_records"))
    assert names == {"kent": "Kent Police", "btp": "British Transport Police"}
    months = _one(kent_btp, "select force, force_name, count(*) filter (where is_present), count(*) "
                            "from months_loaded group by all order by 1")
    assert months == [("btp", "British Transport Police", 4, 4), ("kent", "Kent Police", 4, 4)]


def test_a_month_missing_for_kent_is_a_gap_even_when_btp_has_it(kent_missing_april):
    db = kent_missing_april
    april = dt.date(2024, 4, 1)
    for forces in (None, []):  # default (Kent Police) and every force with records in Maidstone
        extra = {} if forces is None else {"forces": forces}
        df = _run(db, "monthly_counts_by_class", **extra)
        assert df.loc[df["month"] == pd.Timestamp(april), "records"].isna().all(), forces
        assert df.loc[df["month"] == pd.Timestamp(dt.date(2024, 3, 1)), "records"].notna().all(), forces
    btp_only = _run(db, "monthly_counts_by_class", forces=["btp"])
    assert btp_only.loc[btp_only["month"] == pd.Timestamp(april), "records"].notna().all()
    months = _run(db, "months_loaded").set_index("month")
    assert not months.loc[pd.Timestamp(april), "is_present"] and pd.isna(months.loc[pd.Timestamp(april), "rows"])


def test_force_lists_are_parsed_and_bad_ones_named(tmp_path):
    assert parse_forces("kent") == ("kent",) and parse_forces("btp, kent") == ("btp", "kent")
    assert parse_forces("all") is None
    for bad, says in (("Kent Police", "not a police.uk force slug"), ("all,kent", "cannot be combined"),
                      (",", "give a police.uk force slug")):
        with pytest.raises(SourceError, match=says):
            parse_forces(bad)
    with pytest.raises(BuildError, match="no YYYY-MM/YYYY-MM-<force>-street.csv files found for force"
                                         r"\(s\) metropolitan"):
        build_store(str(ZIP), tmp_path / "x.duckdb", settings.boundaries_dir(), force="kent,metropolitan",  # the Met is absent from the zip
                    partner_root=None, progress=lambda _l: None)


def _ctx(other=("British Transport Police",)):
    months = tuple(MONTHS)
    return FilterContext(months, frozenset(months), {"2022": {}, "2024": {}}, {"2022": (), "2024": ()}, {}, {}, {},
                         other)


def test_the_forces_filter_round_trips_through_the_url():
    f = parse_query_params({"forces": "all"}, _ctx())
    assert f.forces == "all" and f.query_args()["forces"] == [] and to_query_params(f, _ctx())["forces"] == "all"
    default = parse_query_params({}, _ctx())
    assert default.forces == "kent" and default.query_args()["forces"] == ["kent"]
    assert "forces" not in to_query_params(default, _ctx())
    ignored = parse_query_params({"forces": "all"}, _ctx(other=()))
    assert ignored.forces == "kent" and any("holds no other force" in n for n in ignored.notes)
    bad = parse_query_params({"forces": "essex"}, _ctx())
    assert bad.forces == "kent" and any("forces=" in n for n in bad.notes)
    assert Filters(MONTHS[0], MONTHS[-1]).forces == "kent"


def test_the_overview_offers_a_labelled_choice_and_says_which_forces_it_counts(kent_btp, kent_only):
    at = open_page("pages/overview.py", kent_only)
    assert not at.exception
    assert not [c for c in at.checkbox if "records in Maidstone" in c.label]  # nothing to add: no choice shown
    at = open_page("pages/overview.py", kent_btp)
    assert not at.exception
    box = next(c for c in at.checkbox if c.key == "f_forces")
    assert box.label == "Add British Transport Police's records in Maidstone" and box.value is False
    assert "(Kent Police)" in texts(at)
    box.check()
    rerun(at, kent_btp)
    assert not at.exception
    assert "(Kent Police + British Transport Police)" in texts(at)
    assert at.query_params["forces"] in ("all", ["all"])  # bookmarkable

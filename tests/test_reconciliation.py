"""The reconciliation with the Strategic Assessment (About the data): every dashboard figure in the table
equals independent SQL on the store, and every number the reasons quote is checked here against the store,
the boundary files or the partner files (so the table can be reproduced and cannot drift silently)."""

import csv

import geopandas as gpd
import pytest

import queries
from dashboard import reconciliation as rc
from smp_data import settings
from tests.apptest_helpers import open_page, shown_tables, sql

pytestmark = pytest.mark.integration

Y2022 = "year(month) = 2022"  # police.uk has Jan-Nov 2022 (no December file)
WARD = {"high_street": "E05004996", "fant": "E05004992", "park_wood": "E05005002", "shepway_south": "E05005004"}


def _n(store, where: str) -> int:
    return sql(store, f"select count(*) from records_maidstone where {Y2022} and {where}")[0][0]


def _by_lsoa(store, ward: str, where: str) -> int:
    """Records placed by their LSOA's best-fit ward instead of their snap point."""
    return sql(store, f"select count(*) from records_maidstone r join lsoas l using (lsoa21_code) "
                      f"where {Y2022} and l.ward_2022_code = '{ward}' and {where}")[0][0]


@pytest.fixture(scope="module")
def figures(full_store):
    import duckdb

    con = duckdb.connect(str(full_store), read_only=True)
    present = [m for (m,) in sql(full_store, "select month from months_loaded where is_present")]

    def run(name, **params):
        return queries.run_df(con, name, **params)

    checks = rc.load_checks()
    out = {}
    for key, check in checks.iterrows():
        _, have = rc.published_months(check["published_months"], present)
        out[key] = rc.dashboard_figure(check, have, run, rc.load_ward_tables())
    con.close()
    return out


def test_each_dashboard_figure_equals_independent_sql(figures, full_store):
    assert figures["borough_all_crime"][0] == _n(full_store, "crime_class in ('VBC', 'CAS')") == 14_181
    assert figures["borough_asb"][0] == _n(full_store, "crime_class = 'ASB'")
    assert figures["wards_all_crime"][0] == _n(full_store, "crime_class in ('VBC', 'CAS') and ward_2022_code is not null")
    assert figures["high_street_shoplifting"][0] == _n(
        full_store, f"ward_2022_code = '{WARD['high_street']}' and crime_type = 'Shoplifting'") == 382
    assert figures["fant_all_crime"][0] == _n(
        full_store, f"ward_2022_code = '{WARD['fant']}' and crime_class in ('VBC', 'CAS')") == 887
    assert figures["park_wood_asb"][0] == _n(full_store, f"ward_2022_code = '{WARD['park_wood']}' and crime_class = 'ASB'") \
        == 234
    rates = sql(full_store, f"""
        select d.district_name, 1000.0 * count(r.month) / d.population_census2021 as rate
        from districts d left join records r on r.district = d.district_name and year(r.month) = 2022
            and r.crime_class in ('VBC', 'CAS')
        group by d.district_name, d.population_census2021 order by rate desc""")
    names = [n for n, _ in rates]
    assert figures["kent_rank"][0] == names.index("Maidstone") + 1 == 9
    assert figures["kent_rate"][0] == round(dict(rates)["Maidstone"], 1) == 80.7


def test_the_ward_detail_is_the_ratio_of_each_ward_to_the_published_table(figures, full_store):
    published = {r["ward_2022_code"]: int(r["all_crime_2022"])
                 for r in csv.DictReader(open(rc.REFERENCE / "sa_ward_tables_2022.csv", encoding="utf-8"))}
    counts = dict(sql(full_store, f"select ward_2022_code, count(*) from records_maidstone where {Y2022} "
                                  "and crime_class in ('VBC', 'CAS') group by 1"))
    ratios = sorted(round(counts[w] / p, 2) for w, p in published.items())
    assert f"lowest East {ratios[0]:.2f}" in figures["wards_all_crime"][1]
    assert len(published) == 26 and sum(published.values()) == 15_745  # Table 1 as transcribed


def test_the_numbers_the_high_street_reason_quotes(full_store):
    hs, shop = WARD["high_street"], "crime_type = 'Shoplifting'"
    assert _by_lsoa(full_store, hs, shop) == 382
    assert _n(full_store, f"ward_2022_code = '{hs}' and {shop} and month(month) <= 5") == 176
    assert _n(full_store, f"ward_2022_code = '{hs}' and {shop} and month(month) >= 6") == 206
    share = 100 * 382 / _n(full_store, shop)
    assert f"{share:.1f}" == "43.5"
    with open(settings.partner_dir() / "town_centre.csv", newline="", encoding="utf-8") as fh:
        para64 = {r["period_start"]: r["value"] for r in csv.DictReader(fh)
                  if r["indicator_id"] == "tc_shoplifting" and r["area_name"] == "High Street"}
    assert para64["2022-06-01"] == "229"
    reason = rc.load_checks().loc["high_street_shoplifting", "reason"]
    assert all(t in reason for t in ("382", "229", "176", "(206)", "43.5%", "leave 67"))


def _ward_shapes():
    return gpd.read_file(settings.boundaries_dir() / "maidstone_wards_2022.geojson").to_crs(27700)


def _points(store, where: str):
    df = sql(store, f"select ward_2022_code, longitude, latitude, location from records_maidstone "
                    f"where {Y2022} and longitude is not null and {where}")
    import pandas as pd

    frame = pd.DataFrame(df, columns=["ward", "lon", "lat", "location"])
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.lon, frame.lat), crs=4326).to_crs(27700)


def test_the_numbers_the_fant_reason_quotes(full_store):
    (pop,), = sql(full_store, f"select population_census2021 from wards_2022 where ward_2022_code = '{WARD['fant']}'")
    assert pop == 10_399 and round(1000 * 1069 / pop) == 103
    assert _by_lsoa(full_store, WARD["fant"], "crime_class in ('VBC', 'CAS')") == 882
    wards = _ward_shapes()
    fant = wards.loc[wards["WD22CD"] == WARD["fant"], "geometry"].iloc[0]
    pts = _points(full_store, "crime_class in ('VBC', 'CAS')")
    outside = pts[pts["ward"] != WARD["fant"]]
    assert int((outside.distance(fant.boundary) <= 50).sum()) == 158
    assert round(887 * 12 / 11) - 1069 == -101  # "about 100 crimes after allowing for December"


def test_the_numbers_the_park_wood_reason_quotes(full_store):
    pw, asb = WARD["park_wood"], "crime_class = 'ASB'"
    assert _by_lsoa(full_store, pw, asb) == 229
    wards = _ward_shapes()
    shape = wards.loc[wards["WD22CD"] == pw, "geometry"].iloc[0]
    pts = _points(full_store, f"{asb} and ward_2022_code = '{pw}'")
    assert int((pts.distance(shape.boundary) <= 100).sum()) == 31
    busiest = pts.groupby(["lon", "lat"]).agg(n=("ward", "size"), geometry=("geometry", "first"))
    top = gpd.GeoSeries(busiest.sort_values("n", ascending=False).head(10)["geometry"], crs=27700)
    assert (top.distance(shape.boundary) > 100).all()
    assert _n(full_store, f"{asb} and ward_2022_code = '{WARD['shepway_south']}'") == 84
    assert _n(full_store, f"{asb} and cluster_2022 = 'Cluster 8'") == 484


def test_the_numbers_the_kent_reasons_quote(full_store):
    rows = dict(sql(full_store, f"""
        select d.district_name, round(1000.0 * count(r.month) / d.population_census2021, 1)
        from districts d left join records r on r.district = d.district_name and year(r.month) = 2022
            and r.crime_class in ('VBC', 'CAS') group by d.district_name, d.population_census2021"""))
    assert (rows["Folkestone and Hythe"], rows["Dover"], rows["Maidstone"]) == (83.3, 83.2, 80.7)
    assert round(rows["Maidstone"] * 12 / 11, 1) == 88.0 and rows["Folkestone and Hythe"] / rows["Maidstone"] < 1.035
    (unplaced,), = sql(full_store, f"select count(*) from records where {Y2022} and district is null "
                                   "and crime_class <> 'ASB'")
    assert unplaced == 1_978
    with_asb = sql(full_store, f"""
        select d.district_name from districts d left join records r on r.district = d.district_name and year(r.month) = 2022
        group by d.district_name, d.population_census2021 order by count(r.month) * 1.0 / d.population_census2021 desc""")
    assert [n for (n,) in with_asb].index("Maidstone") + 1 == 9


def test_about_the_data_shows_the_table_and_the_reports_lsoas(full_store):
    at = open_page("pages/about.py", full_store)
    assert not at.exception
    table = next(t for t in shown_tables(at) if "Ratio" in t.columns).set_index("Figure")
    row = table.loc["Fant ward: all crime (VBC + CAS), 2022"]
    assert (row["Published, Jan–Dec 2022"], row["Dashboard (police.uk), Jan–Nov 2022"], row["Ratio"]) == (
        "1,069", "887", "0.83")
    rank = table.loc[next(i for i in table.index if i.startswith("Maidstone's rank"))]
    assert (rank["Published, Jan–Dec 2022"], rank["Dashboard (police.uk), Jan–Nov 2022"]) == ("7th", "9th")
    lsoas = next(t for t in shown_tables(at) if "2011 code (as in the report)" in t.columns)
    lsoas = lsoas.set_index("2011 code (as in the report)")
    assert "E01034991" in lsoas.loc["E01033090", "2021 LSOA(s) in this dashboard"]
    assert "E01034992" in lsoas.loc["E01033090", "2021 LSOA(s) in this dashboard"]
    assert lsoas.loc["E01024372", "In 2021"] == "unchanged"

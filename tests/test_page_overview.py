"""AppTest: the Overview page on the full store."""

import pandas as pd
import pytest

from dashboard.vega import leaf_layers
from tests.apptest_helpers import open_page, read_numbers, rerun, shown_tables, sql, texts, vega_charts

pytestmark = pytest.mark.integration

PAGE = "pages/overview.py"


HEADINGS = ["All crime (VBC + CAS)", "Victim-based crime (VBC)", "Crimes against society (CAS)",
            "Anti-social behaviour (ASB)"]


def _cards(at) -> dict:
    """Each headline card (a column headed by its measure in bold): {heading: (metric, texts below it)}."""
    out = {}
    for col in at.columns:
        marks = [m.value for m in col.markdown]
        if marks and marks[0].startswith("**") and col.metric:
            out[marks[0].strip("*")] = (col.metric[0], marks[1:])
    return out


def _metric(at, heading_start):
    return next(m for h, (m, _) in _cards(at).items() if h.startswith(heading_start))


def _whole_period(at, heading_start) -> str:
    return next(t for h, (_, rest) in _cards(at).items() if h.startswith(heading_start)
                for t in rest if t.startswith("Whole period"))


def _count(store, where: str) -> int:
    return sql(store, f"select count(*) from crime_records where district = 'Maidstone' and {where}")[0][0]


def test_renders_headlines_trend_types_and_kent(full_store):
    at = open_page(PAGE, full_store)
    assert not at.exception
    assert list(_cards(at)) == HEADINGS
    shown = texts(at)
    assert "Data as of Dec 2025" in shown
    assert "Kent and Medway average" in shown
    assert len(at.get("vega_lite_chart")) == 4
    # no Plotly chart: the public's landing page must not make the browser load Plotly's 4.7 MB bundle
    assert len(at.get("plotly_chart")) == 0


def test_the_charts_plot_the_store_s_counts(full_store):
    at = open_page(PAGE, full_store)
    (trend, trend_data), _types, (volume, volume_data), _rate = vega_charts(at)
    # the trend's thick ASB line: one point per month of the default period (Jan-Dec 2025), as counted in SQL
    thick = [l for l in leaf_layers(trend) if l["mark"]["type"] == "line" and l["mark"]["opacity"] == 1]
    rows = trend_data[thick[0]["data"]["name"]]
    asb = rows[rows["crime_class"] == "ASB"].sort_values("month")
    expected = sql(full_store, """select month, count(*) from crime_records
        where district = 'Maidstone' and crime_class = 'ASB' and year(month) = 2025 group by 1 order by 1""")
    assert [(pd.Timestamp(m).date(), int(v)) for m, v in zip(asb["month"], asb["records"])] == expected
    assert len(expected) == 12
    # the Kent records bars: Maidstone's bar is its 2025 records of the classes shown
    bars = [l for l in leaf_layers(volume) if l["mark"]["type"] == "bar"]
    values = volume_data[bars[0]["data"]["name"]].set_index("label")["value"]
    (maidstone,), = sql(full_store, """select count(*) from crime_records where district = 'Maidstone'
        and crime_class in ('VBC', 'CAS', 'ASB') and year(month) = 2025""")
    assert int(values["Maidstone"]) == maidstone
    assert list(values) == sorted(values, reverse=True)  # most records at the top


def test_with_a_partial_comparison_each_card_value_and_delta_cover_the_same_months(full_store):
    # the default: Jan-Dec 2025 against Jan-Dec 2024, and only Jan-Apr 2024 has data
    at = open_page(PAGE, full_store)
    classes = {"All crime": "crime_class in ('VBC', 'CAS')", "Victim-based": "crime_class = 'VBC'",
               "Crimes against": "crime_class = 'CAS'", "Anti-social": "crime_class = 'ASB'"}
    for heading, where in classes.items():
        now = _count(full_store, f"{where} and month between '2025-01-01' and '2025-04-01'")
        before = _count(full_store, f"{where} and month between '2024-01-01' and '2024-04-01'")
        year = _count(full_store, f"{where} and year(month) = 2025")
        card = _metric(at, heading)
        assert card.label == "Jan–Apr 2025"  # the value's months, on the figure itself
        assert card.value == f"{now:,}"
        assert card.delta.replace("\u2212", "-").startswith(f"{now - before:+,} (")
        assert card.delta.endswith("vs Jan–Apr 2024")  # the change's comparison months, on the delta itself
        assert _whole_period(at, heading) == f"Whole period, Jan–Dec 2025: **{year:,}**"


def test_a_complete_comparison_has_no_separate_whole_period_figure(full_store):
    at = open_page(PAGE, full_store, {"from": "2025-01", "to": "2025-04"})
    assert not at.exception
    asb = _count(full_store, "crime_class = 'ASB' and month between '2025-01-01' and '2025-04-01'")
    card = _metric(at, "Anti-social")
    assert (card.label, card.value) == ("Jan–Apr 2025", f"{asb:,}") and card.delta.endswith("vs Jan–Apr 2024")
    assert not any(t.startswith("Whole period") for _, (_, rest) in _cards(at).items() for t in rest)


def test_without_a_comparison_the_card_is_the_whole_period(full_store):
    at = open_page(PAGE, full_store, {"cmp": "none"})
    (vbc, cas, asb), = sql(full_store, "select count(*) filter (where crime_class = 'VBC'), "
                           "count(*) filter (where crime_class = 'CAS'), count(*) filter (where crime_class = 'ASB') "
                           "from crime_records where district = 'Maidstone' and year(month) = 2025")
    assert _metric(at, "Victim-based").value == f"{vbc:,}"
    assert _metric(at, "Crimes against").value == f"{cas:,}"
    assert _metric(at, "Anti-social").value == f"{asb:,}"
    assert _metric(at, "All crime").value == f"{vbc + cas:,}"
    assert {m.label for m in at.metric} == {"Jan–Dec 2025"} and not any(m.delta for m in at.metric)


def test_choosing_a_ward_in_the_filter_bar_changes_the_numbers_to_the_sql_values(full_store):
    at = open_page(PAGE, full_store, {"cmp": "none"})
    borough = _metric(at, "Anti-social").value
    at.selectbox(key="f_area_type").set_value("ward")
    rerun(at, full_store)
    at.selectbox(key="f_area_code").set_value("E05015603")  # High Street (May-2024 wards)
    rerun(at, full_store)
    assert not at.exception
    (asb,), = sql(full_store, "select count(*) from crime_records where ward_2024_code = 'E05015603' "
                              "and crime_class = 'ASB' and year(month) = 2025")
    assert _metric(at, "Anti-social").value == f"{asb:,}" != borough
    assert at.query_params["area"] == "ward:E05015603"  # the filter is in the URL (bookmarkable)


def test_changing_the_area_filter_changes_the_numbers_to_the_sql_values(full_store):
    # the same change arriving as a bookmarked URL
    before = open_page(PAGE, full_store, {"cmp": "none"})
    at = open_page(PAGE, full_store, {"area": "ward:E05015603", "cmp": "none"})  # High Street, May-2024 wards
    assert not at.exception
    (asb,), = sql(full_store, "select count(*) from crime_records where ward_2024_code = 'E05015603' "
                              "and crime_class = 'ASB' and year(month) = 2025")
    assert _metric(at, "Anti-social").value == f"{asb:,}"
    assert _metric(at, "Anti-social").value != _metric(before, "Anti-social").value
    assert "High Street ward" in texts(at)
    assert at.selectbox(key="f_area_code").value == "E05015603"


def test_the_pre_2024_boundary_set_and_a_class_filter_from_the_url(full_store):
    at = open_page(PAGE, full_store, {"wards": "2022", "area": "cluster:Cluster 6", "class": "VBC,CAS", "cmp": "none"})
    assert not at.exception
    (vbc,), = sql(full_store, "select count(*) from crime_records where cluster_2022 = 'Cluster 6' "
                              "and crime_class = 'VBC' and year(month) = 2025")
    assert _metric(at, "Victim-based").value == f"{vbc:,}"
    assert list(_cards(at))[-1] == "Crimes against society (CAS)"  # no ASB card


def test_comparison_is_like_for_like_months_only(full_store):
    # 2025 against 2024: only Jan-Apr 2024 has data, so the change uses Jan-Apr of both years
    at = open_page(PAGE, full_store)
    (cur, prev), = sql(full_store, "select count(*) filter (where year(month) = 2025), "
                                   "count(*) filter (where year(month) = 2024) from crime_records "
                                   "where district = 'Maidstone' and crime_class = 'ASB' and month(month) <= 4 "
                                   "and year(month) in (2024, 2025)")
    delta = _metric(at, "Anti-social").delta
    assert delta.replace("\u2212", "-").startswith(f"{cur - prev:+,} (")
    assert ("Each figure and its change count Jan–Apr 2025 against Jan–Apr 2024, the months with police.uk data "
            "in both periods. May–Dec 2025 has no comparison because police.uk has no data for May–Dec 2024") in texts(at)


def test_a_period_entirely_inside_the_gap_says_so(full_store):
    at = open_page(PAGE, full_store, {"from": "2023-02", "to": "2023-10"})
    assert not at.exception
    assert "no police.uk data" in texts(at).lower()
    assert not at.metric


@pytest.mark.parametrize("params", [
    {"from": "'; drop table records; --"},
    {"area": "ward:E05999999"},
    {"class": "XYZ"},
    {"type": "<script>alert(1)</script>"},
    {"wards": "1999", "cmp": "whenever", "priority": "nonsense"},
    {"from": "2025-13", "to": "1900-01"},
    {"area": "x" * 5000},
])
def test_nonsense_url_parameters_are_explained_not_fatal(full_store, params):
    at = open_page(PAGE, full_store, params)
    assert not at.exception
    assert "Ignored URL parameter" in texts(at)
    assert sql(full_store, "select count(*) from records")[0][0] == 426_012


def _kent(at):
    table = next(d.value for d in at.dataframe if "Rank by rate" in d.value.columns)
    verdict = next(m.value for m in at.markdown if "Kent and Medway average" in m.value)
    return table, verdict


def test_the_kent_ranking_is_the_selected_period_whatever_the_comparison(full_store):
    with_cmp = open_page(PAGE, full_store)  # 2025 against 2024: like-for-like Jan-Apr only
    without = open_page(PAGE, full_store, {"cmp": "none"})
    previous = open_page(PAGE, full_store, {"cmp": "previous"})
    (t1, v1), (t2, v2), (t3, v3) = _kent(with_cmp), _kent(without), _kent(previous)
    assert t1.equals(t2) and t1.equals(t3) and v1 == v2 == v3
    # independent SQL: every Kent Police record of 2025 placed in a district, per 1,000 mid-2024 residents
    rows = sql(full_store, """
        select d.district_name, count(r.month) as n, d.population,
               rank() over (order by count(r.month) * 1.0 / d.population desc) as rank_by_rate
        from districts as d left join records as r on r.district = d.district_name and year(r.month) = 2025
        group by d.district_name, d.population order by rank_by_rate""")
    assert t1["District"].tolist() == [r[0] for r in rows]
    assert t1["Records, Jan–Dec 2025"].tolist() == [r[1] for r in rows]
    maid = next(r for r in rows if r[0] == "Maidstone")
    assert f"{maid[3]}th of 13 districts" in v1
    kent_rate = 1000 * sum(r[1] for r in rows) / sum(r[2] for r in rows)
    assert f"Kent and Medway as a whole {kent_rate:,.1f}" in v1
    assert "Kent and Medway districts, Jan–Dec 2025" in [h.value for h in with_cmp.subheader]


def test_kent_rates_for_part_of_a_year_are_labelled_and_annualised(full_store):
    at = open_page(PAGE, full_store, {"from": "2024-01", "to": "2024-04", "cmp": "none"})
    table, verdict = _kent(at)
    maid = table[table["District"] == "Maidstone"].iloc[0]
    assert maid["Per 1,000 residents a year (× 12/4)"] == round(maid["Per 1,000 residents, Jan–Apr 2024"] * 3, 1) or \
        abs(maid["Per 1,000 residents a year (× 12/4)"] - 3 * maid["Per 1,000 residents, Jan–Apr 2024"]) < 0.2
    assert "a year if annualised" in texts(at)


def test_an_area_is_shown_beside_the_borough_per_class(full_store):
    at = open_page(PAGE, full_store, {"area": "lsoa:E01034991", "cmp": "none"})
    assert not at.exception
    table = read_numbers(next(t for t in shown_tables(at, phone=False)  # a static table, as read
                              if "Borough per 1,000 residents" in t.columns)).set_index("Measure")
    (pop,), = sql(full_store, "select population from lsoas where lsoa21_code = 'E01034991'")
    (all_pop,), = sql(full_store, "select sum(population) from lsoas")
    asb = sql(full_store, "select count(*) from crime_records where lsoa21_code = 'E01034991' and crime_class = 'ASB' "
                          "and year(month) = 2025")[0][0]
    borough = _count(full_store, "crime_class = 'ASB' and year(month) = 2025")
    row = table.loc["Anti-social behaviour (ASB)"]
    assert row["Per 1,000 residents"] == round(1000 * asb / pop, 1)
    assert row["Borough per 1,000 residents"] == round(1000 * borough / all_pop, 1)
    assert "both Census 2021 usual residents" in texts(at)

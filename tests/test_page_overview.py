"""AppTest: the Overview page on the full store."""

import pytest

from tests.apptest_helpers import open_page, rerun, sql, texts

pytestmark = pytest.mark.integration

PAGE = "pages/overview.py"


def _metric(at, label_start):
    return next(m for m in at.metric if m.label.startswith(label_start))


def test_renders_headlines_trend_types_and_kent(full_store):
    at = open_page(PAGE, full_store)
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels == ["All crime (VBC + CAS)", "Victim-based crime (VBC)", "Crimes against society (CAS)",
                      "Anti-social behaviour (ASB)"]
    shown = texts(at)
    assert "Data as of Dec 2025" in shown
    assert "Maidstone ranks" in shown
    assert len(at.get("plotly_chart")) >= 4


def test_headline_counts_equal_direct_sql_for_the_default_period(full_store):
    at = open_page(PAGE, full_store)
    (vbc, cas, asb), = sql(full_store, "select count(*) filter (where crime_class = 'VBC'), "
                           "count(*) filter (where crime_class = 'CAS'), count(*) filter (where crime_class = 'ASB') "
                           "from crime_records where district = 'Maidstone' and year(month) = 2025")
    assert _metric(at, "Victim-based").value == f"{vbc:,}"
    assert _metric(at, "Crimes against").value == f"{cas:,}"
    assert _metric(at, "Anti-social").value == f"{asb:,}"
    assert _metric(at, "All crime").value == f"{vbc + cas:,}"


def test_choosing_a_ward_in_the_filter_bar_changes_the_numbers_to_the_sql_values(full_store):
    at = open_page(PAGE, full_store)
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
    before = open_page(PAGE, full_store)
    at = open_page(PAGE, full_store, {"area": "ward:E05015603"})  # High Street, May-2024 wards
    assert not at.exception
    (asb,), = sql(full_store, "select count(*) from crime_records where ward_2024_code = 'E05015603' "
                              "and crime_class = 'ASB' and year(month) = 2025")
    assert _metric(at, "Anti-social").value == f"{asb:,}"
    assert _metric(at, "Anti-social").value != _metric(before, "Anti-social").value
    assert "High Street ward" in texts(at)
    assert at.selectbox(key="f_area_code").value == "E05015603"


def test_the_pre_2024_boundary_set_and_a_class_filter_from_the_url(full_store):
    at = open_page(PAGE, full_store, {"wards": "2022", "area": "cluster:Cluster 6", "class": "VBC,CAS"})
    assert not at.exception
    (vbc,), = sql(full_store, "select count(*) from crime_records where cluster_2022 = 'Cluster 6' "
                              "and crime_class = 'VBC' and year(month) = 2025")
    assert _metric(at, "Victim-based").value == f"{vbc:,}"
    assert [m.label for m in at.metric][-1] == "Crimes against society (CAS)"  # no ASB metric


def test_comparison_is_like_for_like_months_only(full_store):
    # 2025 against 2024: only Jan-Apr 2024 has data, so the change uses Jan-Apr of both years
    at = open_page(PAGE, full_store)
    (cur, prev), = sql(full_store, "select count(*) filter (where year(month) = 2025), "
                                   "count(*) filter (where year(month) = 2024) from crime_records "
                                   "where district = 'Maidstone' and crime_class = 'ASB' and month(month) <= 4 "
                                   "and year(month) in (2024, 2025)")
    delta = _metric(at, "Anti-social").delta
    assert delta.replace("\u2212", "-").startswith(f"{cur - prev:+,} (")
    assert "4 of 12 months compared like for like" in texts(at)


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

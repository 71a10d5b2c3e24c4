"""AppTest: the Town centre page on the full store (expected numbers from direct SQL)."""


import pytest

from tests.apptest_helpers import open_page, shown_tables, sql, texts, vega_charts

pytestmark = pytest.mark.integration

PAGE = "pages/town_centre.py"
MINUS = "\u2212"


def _table(at, first_column_start: str = "Reported"):
    for t in shown_tables(at):
        if str(t.columns[0]).startswith(first_column_start):
            return t.set_index(t.columns[0])
    raise AssertionError(f"no table starting with a column {first_column_start!r}")


def _count(store, where: str) -> int:
    return sql(store, f"select count(*) from crime_records where district = 'Maidstone' and {where}")[0][0]


def _crime(ward_col: str, year: int, first: int, last: int, classes: str = "'VBC', 'CAS'") -> str:
    return (f"{ward_col} = 'High Street' and crime_class in ({classes}) and year(month) = {year} "
            f"and month(month) between {first} and {last}")


def test_default_june_to_december_table_equals_sql_and_gaps_say_no_data(full_store):
    at = open_page(PAGE, full_store)
    assert not at.exception
    table = _table(at)
    assert table.columns[0] == "2025" and table.index.name == "Reported (Jun–Dec)"
    hs = table.loc["All crime – High Street"]
    assert hs["2025"] == f"{_count(full_store, _crime('ward_2024_name', 2025, 6, 12)):,}"
    assert hs["2024"] == "no data" and hs["2023"] == "no data"  # never zeros
    assert hs["2022 (Jun–Nov only)"] == f"{_count(full_store, _crime('ward_2024_name', 2022, 6, 12)):,}"
    # difference since 2022 uses Jun-Nov of both years (Dec 2022 has no data)
    now, before = (_count(full_store, _crime("ward_2024_name", y, 6, 11)) for y in (2025, 2022))
    assert hs["Diff (since 2022, Jun–Nov only)"] == f"{now - before:+,}".replace("-", MINUS)
    assert hs["Jun–Nov 2025"] == f"{now:,}"  # the count the change is worked from, beside it
    asb_rest = table.loc["ASB – rest of borough", "2025"]
    expected = sql(full_store, "select count(*) from crime_records where district = 'Maidstone' and "
                               "crime_class = 'ASB' and ward_2024_name <> 'High Street' and year(month) = 2025 "
                               "and month(month) >= 6")[0][0]
    assert asb_rest == f"{expected:,}"
    shown = texts(at)
    assert "High Street ward follows the sidebar's boundary set" in shown and "changed in May 2024" in shown
    assert "Partial windows" in shown and "2022 (Jun–Nov only)" in shown
    assert "the Jun–Nov 2025 column is the count they compare" in shown
    assert len(at.get("plotly_chart")) == 0  # no Plotly bundle for this page
    charts = vega_charts(at)
    assert len(charts) == 2
    for _spec, data in charts:  # each chart marks the Task Force's start (its label is in the chart's data)
        labels = [str(x) for df in data.values() if "label" in df.columns for x in df["label"]]
        assert "▼ Town Centre Task Force starts (Jun 2022)" in labels
    share = next(m for m in at.metric if m.label.startswith("High Street's share"))
    all_crime = sql(full_store, "select count(*) from crime_records where district = 'Maidstone' and "
                                "crime_class in ('VBC', 'CAS') and year(month) = 2025 and month(month) >= 6")[0][0]
    assert share.value == f"{100 * _count(full_store, _crime('ward_2024_name', 2025, 6, 12)) / all_crime:.1f}%"


def test_a_window_from_the_url_changes_the_numbers_to_the_sql_values(full_store):
    before = _table(open_page(PAGE, full_store)).loc["All crime – High Street", "2025"]
    at = open_page(PAGE, full_store, {"window": "1-4"})
    assert not at.exception
    assert at.select_slider(key="tc_window").value == (1, 4)
    hs = _table(at).loc["All crime – High Street"]
    assert hs["2025"] == f"{_count(full_store, _crime('ward_2024_name', 2025, 1, 4)):,}" != before
    assert hs["2024"] == f"{_count(full_store, _crime('ward_2024_name', 2024, 1, 4)):,}"  # Jan-Apr 2024 has data
    assert hs["2023"] == "no data"
    now, first = (_count(full_store, _crime("ward_2024_name", y, 1, 4)) for y in (2025, 2022))
    assert hs["Diff (since 2022)"] == f"{now - first:+,}".replace("-", MINUS)


def test_the_pre_2024_boundary_set_uses_the_old_high_street_ward(full_store):
    at = open_page(PAGE, full_store, {"wards": "2022", "window": "6-12"})
    assert not at.exception
    hs = _table(at).loc["Shoplifting – High Street"]
    expected = sql(full_store, "select count(*) from crime_records where district = 'Maidstone' and "
                               "ward_2022_name = 'High Street' and crime_type = 'Shoplifting' and year(month) = 2025 "
                               "and month(month) >= 6")[0][0]
    assert hs["2025"] == f"{expected:,}"
    assert "Pre-May-2024 wards" in texts(at)


@pytest.mark.parametrize("window", ["12-6", "'; drop table records; --"])
def test_nonsense_window_is_explained_and_the_default_used(full_store, window):
    at = open_page(PAGE, full_store, {"window": window})
    assert not at.exception
    assert "Ignored URL parameter window=" in texts(at)
    assert _table(at).index.name == "Reported (Jun–Dec)"
    assert sql(full_store, "select count(*) from records")[0][0] == 426_012


# --- the published para 64 table beside police.uk (expected values from the partner CSV and direct SQL) ---

def _published(indicator_id: str, area_name: str, year: int) -> float:
    import csv  # noqa: PLC0415

    from smp_data import settings  # noqa: PLC0415

    with open(settings.partner_dir() / "town_centre.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["indicator_id"] == indicator_id
                and r["area_name"] == area_name and r["period_start"].startswith(str(year))]
    assert len(rows) == 1, (indicator_id, area_name, year)
    return float(rows[0]["value"])


def test_published_para_64_table_is_shown_as_printed(full_store):
    at = open_page(PAGE, full_store)
    table = _table(at, "Published row")
    assert list(table.columns[1:4]) == ["2021", "2022", "2023"]
    assert table.loc["All crime (VBC + CAS) – High Street", "2021"] == f"{_published('tc_all_crime', 'High Street', 2021):,.0f}"
    assert table.loc["Shoplifting – Rest of Borough", "2023"] == \
        f"{_published('tc_shoplifting', 'Rest of Borough', 2023):,.0f}"
    diff = _published("tc_all_crime_diff_since_2021", "High Street", 2023)
    assert table.loc["All crime (VBC + CAS) – High Street", "Diff since 2021 (as published)"] == \
        f"{diff:+,.0f}".replace("-", MINUS)
    assert "Domestic abuse – High Street" in table.index


def test_police_uk_beside_the_published_figures_uses_the_old_high_street_ward_for_jun_nov_2022(full_store):
    at = open_page(PAGE, full_store)
    side = _table(at, "Row")
    police_2022 = "police.uk Jun–Nov 2022 (Dec 2022: no data)"
    assert police_2022 in side.columns
    hs = side.loc["All crime (VBC + CAS) – High Street"]
    assert hs["Published Jun–Dec 2022"] == f"{_published('tc_all_crime', 'High Street', 2022):,.0f}"
    assert hs[police_2022] == f"{_count(full_store, _crime('ward_2022_name', 2022, 6, 11)):,}"
    asb_rest = sql(full_store, "select count(*) from crime_records where district = 'Maidstone' and "
                               "crime_class = 'ASB' and ward_2022_name <> 'High Street' and month "
                               "between date '2022-06-01' and date '2022-11-01'")[0][0]
    assert side.loc["ASB – Rest of Borough", police_2022] == f"{asb_rest:,}"
    # 2021 and 2023 are not in the store: said, never shown as 0
    assert hs["police.uk Jun–Dec 2021"] == "not in the store (no data)"
    assert side.loc["Domestic abuse – High Street", police_2022] == "police.uk has no DA flag"
    shown = texts(at)
    assert "police.uk leaves out crimes" in shown and "extracted at its own date" in shown


def test_published_comparison_ignores_the_sidebar_boundary_set(full_store):
    """The published table is on the pre-May-2024 ward: the police.uk column stays on it even when the
    page is set to the 2024 wards."""
    at = open_page(PAGE, full_store, {"wards": "2024"})
    side = _table(at, "Row")
    old = _count(full_store, _crime("ward_2022_name", 2022, 6, 11))
    new = _count(full_store, _crime("ward_2024_name", 2022, 6, 11))
    assert old != new
    assert side.loc["All crime (VBC + CAS) – High Street", "police.uk Jun–Nov 2022 (Dec 2022: no data)"] == f"{old:,}"


def test_a_rerun_keeps_the_month_range(full_store):
    """Any rerun (a sidebar change, a click elsewhere) used to fail here: the range slider, seeded only
    through session state, came back as a single month ('cannot unpack non-iterable int')."""
    from tests.apptest_helpers import rerun

    at = open_page(PAGE, full_store)
    rerun(at, full_store)
    assert not at.exception, at.exception
    assert at.select_slider(key="tc_window").value == (6, 12)
    at.select_slider(key="tc_window").set_range(2, 5)
    rerun(at, full_store)
    rerun(at, full_store)
    assert not at.exception and at.select_slider(key="tc_window").value == (2, 5)

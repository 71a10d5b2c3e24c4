"""AppTest: the Town centre page on the full store (expected numbers from direct SQL)."""

import json

import pytest

from tests.apptest_helpers import open_page, sql, texts

pytestmark = pytest.mark.integration

PAGE = "pages/town_centre.py"
MINUS = "\u2212"


def _table(at, first_column_start: str = "Reported"):
    for t in at.table:
        if str(t.value.columns[0]).startswith(first_column_start):
            return t.value.set_index(t.value.columns[0])
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
    asb_rest = table.loc["ASB – rest of borough", "2025"]
    expected = sql(full_store, "select count(*) from crime_records where district = 'Maidstone' and "
                               "crime_class = 'ASB' and ward_2024_name <> 'High Street' and year(month) = 2025 "
                               "and month(month) >= 6")[0][0]
    assert asb_rest == f"{expected:,}"
    shown = texts(at)
    assert "High Street ward follows the sidebar's boundary set" in shown and "changed in May 2024" in shown
    assert "Partial windows" in shown and "2022 (Jun–Nov only)" in shown
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    assert all("Town Centre Task Force starts" in json.dumps(json.loads(c.proto.spec)) for c in charts)
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

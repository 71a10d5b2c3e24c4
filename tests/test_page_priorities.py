"""AppTest: the SMP priorities page on the full store.

Every expected number comes from direct SQL on the same store (or is worked from those SQL
numbers by hand), never from the page's own output.
"""

import datetime as dt

import pandas as pd
import pytest
from streamlit.proto.Block_pb2 import Block as BlockProto

from analytics.significance import compare_counts
from tests.apptest_helpers import open_page, sql, texts

pytestmark = pytest.mark.integration

PAGE = "pages/priorities.py"
LABELS = ["Serious violence & organised crime", "Domestic abuse", "Safe town centre", "Children & young people",
          "Anti-social behaviour", "Substance misuse", "Public perception", "Public health", "Mental health",
          "Reoffending"]
HIGH_STREET_2024 = "E05015603"
SVOC_TYPES = "('Violence and sexual offences', 'Robbery', 'Possession of weapons', 'Drugs')"


@pytest.fixture(scope="module")
def page(full_store):
    return open_page(PAGE, full_store)


def _tab(at, label):
    return next(t for t in at.tabs if t.label == label)


def _table_with(node, column):
    return next(d.value for d in node.dataframe if column in d.value.columns)


def _xmr(at, label):
    return _table_with(_tab(at, label), "centre line")


def _summary(at):
    return _table_with(at.main, "Priority or theme").set_index("Priority or theme")


def _tab_text(tab):
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "subheader"):
        parts += [str(e.value) for e in getattr(tab, kind)]
    return "\n".join(parts)


def _open_tab_index(at):
    def walk(node):
        for child in getattr(node, "children", {}).values():
            proto = getattr(child, "proto", None)
            if isinstance(proto, BlockProto) and proto.WhichOneof("type") == "tab_container":
                return proto.tab_container.default_tab_index
            found = walk(child)
            if found is not None:
                return found
        return None

    return walk(at.main)


def _monthly_sql(store, where):
    rows = sql(store, f"select month, count(*) from crime_records where district = 'Maidstone' and {where} "
                      "group by month order by month")
    return {m: n for m, n in rows}


def _present_months(store):
    return [m for (m,) in sql(store, "select month from months_loaded group by month having bool_or(is_present) "
                                     "order by month")]


def _assert_xmr_matches(table, expected, present):
    """Every present month shows the SQL count (0 when SQL has no row); every other month is a gap."""
    assert table["month"].iloc[0] == dt.date(2022, 1, 1) and table["month"].iloc[-1] == dt.date(2025, 12, 1)
    assert len(table) == 48
    for month, value in zip(table["month"], table["records"]):
        if month in present:
            assert value == expected.get(month, 0), month
        else:
            assert pd.isna(value), month


def test_renders_every_section(page, full_store):
    assert not page.exception
    assert [t.label for t in page.tabs] == LABELS
    names = dict(sql(full_store, "select priority_id, name from priorities"))
    measurable = dict(sql(full_store, "select name, measurable from priorities"))
    for tab in page.tabs:
        heading = [h.value for h in tab.subheader]
        assert len(heading) == 1 and heading[0] in names.values()
        text = _tab_text(tab)
        if measurable[heading[0]] == "no":
            assert "Not measurable from police.uk" in text and "What would measure it (partner data)" in text
            assert not any("centre line" in d.value.columns for d in tab.dataframe)
        else:
            assert "What police.uk cannot measure" in text
            assert {"centre line", "2025"} <= {c for d in tab.dataframe for c in d.value.columns}
            assert len(tab.get("plotly_chart")) >= 2  # SPC + seasonality (+ breakdown for several types)
    summary = _summary(page)
    assert list(summary.index) == LABELS
    got = dict(zip(summary.index, summary["Measurable from police.uk"]))
    assert got["Domestic abuse"] == "No" and got["Anti-social behaviour"] == "Yes"
    assert got["Serious violence & organised crime"] == "Partly" and got["Safe town centre"] == "Yes"


def test_asb_xmr_table_equals_direct_sql_monthly_counts(page, full_store):
    expected = _monthly_sql(full_store, "crime_type = 'Anti-social behaviour'")
    present = _present_months(full_store)
    table = _xmr(page, "Anti-social behaviour")
    _assert_xmr_matches(table, expected, present)
    # default baseline: every month with data
    mean = sum(expected[m] for m in present) / len(present)
    assert table["centre line"].iloc[0] == pytest.approx(round(mean, 1))
    assert (table["in baseline"] == "yes").sum() == len(present) == 27


def test_summary_counts_and_change_equal_sql_with_the_exact_test(page, full_store):
    (n2025, cur, prev), = sql(full_store, f"""
        select count(*) filter (where year(month) = 2025),
               count(*) filter (where year(month) = 2025 and month(month) <= 4),
               count(*) filter (where year(month) = 2024 and month(month) <= 4)
        from crime_records where district = 'Maidstone' and crime_type in {SVOC_TYPES}""")
    row = _summary(page).loc["Serious violence & organised crime"]
    assert row["Records"] == n2025
    assert (row["Records (months compared)"], row["Comparison records"], row["Change"]) == (cur, prev, cur - prev)
    test = compare_counts(cur, prev, 4, 4)  # Jan-Apr only: 2024 has no data after April
    assert row["p-value"] == pytest.approx(test.p_value) and row["Significance"] == test.verdict


def test_domestic_abuse_says_there_is_no_flag_and_shows_no_count(page):
    tab = _tab(page, "Domestic abuse")
    text = _tab_text(tab)
    assert "police.uk has no domestic-abuse flag" in text and "cannot be counted from police.uk" in text
    assert "Context only, not domestic abuse" in text
    assert not tab.metric
    # its only table is the context series, labelled as not domestic abuse
    assert [c for d in tab.dataframe for c in d.value.columns if c != "month"] == [
        "all Violence and sexual offences (context, not domestic abuse)"]
    row = _summary(page).loc["Domestic abuse"]
    assert pd.isna(row["Records"]) and pd.isna(row["Change"]) and row["SPC signal (latest month)"] == "—"


@pytest.mark.parametrize("params, label", [
    ({}, LABELS[0]),
    ({"view": "asb"}, "Anti-social behaviour"),
    ({"priority": "substance_misuse"}, "Substance misuse"),  # the shared priority filter picks the tab
])
def test_view_opens_that_section(full_store, page, params, label):
    at = page if not params else open_page(PAGE, full_store, params)
    assert not at.exception
    assert _open_tab_index(at) == LABELS.index(label)


def test_nonsense_view_gives_a_message_and_opens_the_first_section(full_store):
    at = open_page(PAGE, full_store, {"view": "'; drop table records; --"})
    assert not at.exception
    assert "Ignored URL parameter view=" in texts(at)
    assert _open_tab_index(at) == 0
    assert sql(full_store, "select count(*) from records")[0][0] == 426_012


def test_baseline_param_sets_the_centre_line_to_the_mean_of_those_months(full_store, page):
    at = open_page(PAGE, full_store, {"baseline": "2025-01:2025-06"})
    assert not at.exception
    (mean,), = sql(full_store, """
        select avg(n) from (select month, count(*) as n from crime_records
                            where district = 'Maidstone' and crime_type = 'Anti-social behaviour'
                              and month between date '2025-01-01' and date '2025-06-01' group by month)""")
    counts = list(_monthly_sql(full_store, "crime_type = 'Anti-social behaviour' and year(month) = 2025").values())
    mean_mr = sum(abs(b - a) for a, b in zip(counts[:5], counts[1:6])) / 5  # Jan-Jun: 5 moving ranges
    table = _xmr(at, "Anti-social behaviour")
    assert table["centre line"].iloc[0] == pytest.approx(round(mean, 1))
    assert table["centre line"].iloc[0] != _xmr(page, "Anti-social behaviour")["centre line"].iloc[0]
    assert table["upper control limit"].iloc[0] == pytest.approx(round(mean + 2.66 * mean_mr, 1))
    in_base = table.loc[table["in baseline"] == "yes", "month"].tolist()
    assert in_base == [dt.date(2025, m, 1) for m in range(1, 7)]
    assert (at.session_state["prio_base_from"], at.session_state["prio_base_to"]) == (
        dt.date(2025, 1, 1), dt.date(2025, 6, 1))


@pytest.mark.parametrize("raw", ["garbage", "2024-01:2024-04"])  # not a period; too few months for limits
def test_bad_baseline_gives_a_message_and_the_default(full_store, page, raw):
    at = open_page(PAGE, full_store, {"baseline": raw})
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(w.startswith(f"Ignored URL parameter baseline='{raw}'") for w in warnings)
    default = _xmr(page, "Anti-social behaviour")["centre line"].iloc[0]
    assert _xmr(at, "Anti-social behaviour")["centre line"].iloc[0] == default


def test_area_filter_changes_the_series_to_the_sql_counts(full_store, page):
    at = open_page(PAGE, full_store, {"area": f"ward:{HIGH_STREET_2024}"})
    assert not at.exception
    expected = _monthly_sql(full_store, f"crime_type = 'Anti-social behaviour' and ward_2024_code = "
                                        f"'{HIGH_STREET_2024}'")
    _assert_xmr_matches(_xmr(at, "Anti-social behaviour"), expected, _present_months(full_store))
    n2025 = sum(n for m, n in expected.items() if m.year == 2025)
    assert _summary(at).loc["Anti-social behaviour", "Records"] == n2025
    assert n2025 != _summary(page).loc["Anti-social behaviour", "Records"]


def test_town_centre_is_high_street_ward_on_the_chosen_boundary_set(full_store):
    at = open_page(PAGE, full_store, {"wards": "2022", "view": "safe_town_centre"})
    assert not at.exception
    expected = _monthly_sql(full_store, "ward_2022_name = 'High Street'")
    _assert_xmr_matches(_xmr(at, "Safe town centre"), expected, _present_months(full_store))
    assert "Pre-May-2024 wards (26)" in _tab_text(_tab(at, "Safe town centre"))


def test_class_filter_leaves_out_asb_and_an_area_without_high_street_says_so(full_store):
    park_wood = sql(full_store, "select ward_2024_code from wards_2024 where ward_2024_name like 'Park Wood%'")[0][0]
    at = open_page(PAGE, full_store, {"class": "VBC,CAS", "area": f"ward:{park_wood}"})
    assert not at.exception
    assert "filters leave out every police.uk type" in _tab_text(_tab(at, "Anti-social behaviour"))
    assert pd.isna(_summary(at).loc["Anti-social behaviour", "Records"])
    assert "no such records" in _tab_text(_tab(at, "Safe town centre"))


def test_a_period_entirely_inside_the_gap_says_so_and_still_charts(full_store):
    at = open_page(PAGE, full_store, {"from": "2023-02", "to": "2023-10"})
    assert not at.exception
    assert "no police.uk data for any month of the selected period" in texts(at)
    assert _summary(at)["Records"].isna().all()
    assert len(_xmr(at, "Anti-social behaviour")) == 48  # the SPC still uses every loaded month

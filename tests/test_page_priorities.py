"""AppTest: the SMP priorities page on the full store.

Every expected number comes from direct SQL on the same store (or is worked from those SQL
numbers by hand), or for partner figures from the partner CSV files read directly, never from
the page's own output.
"""

import csv
import datetime as dt
import json
import re

import pandas as pd
import pytest
from streamlit.proto.Block_pb2 import Block as BlockProto

from analytics.significance import compare_counts
from smp_data import settings
from tests.apptest_helpers import as_number, open_page, shown_tables, sql, texts

pytestmark = pytest.mark.integration

PAGE = "pages/priorities.py"
LABELS = ["Serious violence & organised crime", "Domestic abuse", "Safe town centre", "Children & young people",
          "Anti-social behaviour", "Substance misuse", "Public perception", "Public health", "Mental health",
          "Reoffending"]
HIGH_STREET_2024 = "E05015603"
RECORDS = "Records, Jan–Dec 2025 (whole period)"  # the default: 2025 against 2024 (Jan-Apr only in both)
SVOC_TYPES = "('Violence and sexual offences', 'Robbery', 'Possession of weapons', 'Drugs')"


IDS = ["serious_violence_organised_crime", "domestic_abuse", "safe_town_centre", "children_young_people", "asb",
       "substance_misuse", "public_perception", "public_health", "mental_health", "reoffending"]


class PriorityPage:
    """The page as first opened, plus each section opened by its link (``?view=<id>``): only the open
    section's tab is rendered (lazy tabs), as in the browser."""

    def __init__(self, store, query: dict | None = None):
        self.store, self.query = store, dict(query or {})
        self.default = open_page(PAGE, store, self.query or None)
        self._sections = {}

    def __getattr__(self, name):
        return getattr(self.default, name)

    def section(self, label, **inner_tabs):
        """The section ``label`` opened by its link; ``inner_tabs``: its partner block's inner tabs to open,
        by key (they are lazy too: only the open one is drawn; the first is open on arrival)."""
        key = (label, tuple(sorted(inner_tabs.items())))
        if key not in self._sections:
            at = open_page(PAGE, self.store, {**self.query, "view": IDS[LABELS.index(label)]},
                           session_state=inner_tabs)
            assert not at.exception, label
            self._sections[key] = at
        return self._sections[key]


@pytest.fixture(scope="module")
def page(full_store):
    return PriorityPage(full_store)


def _tab(at, label, **inner_tabs):
    if isinstance(at, PriorityPage):
        at = at.section(label, **inner_tabs)
    tab = next(t for t in at.tabs if t.label == label)
    assert len(tab.children), f"the {label!r} section is not the open one"
    return tab


def _table_with(node, column):
    return next(d.value for d in node.dataframe if column in d.value.columns)


def _xmr(at, label):
    return _table_with(_tab(at, label), "centre line")


def _summary(at):
    """The summary table as read, its numbers as numbers ("1,234", "+5.0%"; "—" = none)."""
    table = next(t for t in shown_tables(at.main) if t.columns[0] == "Priority or theme").set_index("Priority or theme")
    for col in table.columns:
        if col.startswith(("Records", "Comparison records")) or col in ("Change", "% change", "p-value"):
            table[col] = table[col].map(lambda x: None if x == "—" else as_number(x.rstrip("%")))
    return table


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


def _sections(at):
    """The priority tabs only (each section has inner tabs of its own)."""
    return [t for t in at.tabs if t.label in LABELS]


def test_renders_every_section(page, full_store):
    assert not page.exception
    assert [t.label for t in _sections(page)] == LABELS
    # lazy tabs: only the open section (the first) runs; the others are drawn when opened
    assert [bool(len(t.children)) for t in _sections(page)] == [True] + [False] * 9
    names = dict(sql(full_store, "select priority_id, name from priorities"))
    measurable = dict(sql(full_store, "select name, measurable from priorities"))
    for label in LABELS:
        tab = _tab(page, label)
        heading = [h.value for h in tab.subheader]
        assert len(heading) == 1 and heading[0] in names.values()
        text = _tab_text(tab)
        if measurable[heading[0]] == "no":
            assert "Not measurable from police.uk" in text and "What would measure it (partner data)" in text
            assert not any("centre line" in d.value.columns for d in tab.dataframe)
        else:
            assert "What police.uk cannot measure" in text
            assert {"centre line", "2025"} <= {c for d in tab.dataframe for c in d.value.columns}
            assert len(tab.get("vega_lite_chart")) >= 2  # SPC + seasonality (+ breakdown for several types)
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
    assert row["Records, Jan–Dec 2025 (whole period)"] == n2025
    assert (row["Records, Jan–Apr 2025"], row["Records, Jan–Apr 2024"], row["Change"]) == (cur, prev, cur - prev)
    test = compare_counts(cur, prev, 4, 4)  # Jan-Apr only: 2024 has no data after April
    assert row["p-value"] == pytest.approx(test.p_value, abs=5e-4) and row["Significance"] == test.verdict  # 3 d.p.


def test_domestic_abuse_says_there_is_no_flag_and_shows_no_count(page):
    tab = _tab(page, "Domestic abuse")
    text = _tab_text(tab)
    assert "police.uk has no domestic-abuse flag" in text and "cannot be counted from police.uk" in text
    assert "Context only, not domestic abuse" in text
    assert not tab.metric
    # its only police.uk table is the context series, labelled as not domestic abuse (no SPC, no records column)
    monthly = [d.value for d in tab.dataframe if "month" in d.value.columns]
    assert [list(t.columns) for t in monthly] == [
        ["month", "all Violence and sexual offences (context, not domestic abuse)"]]
    assert not any({"centre line", "records"} & set(d.value.columns) for d in tab.dataframe)
    row = _summary(page).loc["Domestic abuse"]
    assert pd.isna(row[RECORDS]) and pd.isna(row["Change"]) and row["Latest month unusual?"] == "—"


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
    at = PriorityPage(full_store, {"baseline": "2025-01:2025-06"})
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
    at = PriorityPage(full_store, {"baseline": raw})
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(w.startswith(f"Ignored URL parameter baseline='{raw}'") for w in warnings)
    default = _xmr(page, "Anti-social behaviour")["centre line"].iloc[0]
    assert _xmr(at, "Anti-social behaviour")["centre line"].iloc[0] == default


def test_area_filter_changes_the_series_to_the_sql_counts(full_store, page):
    at = PriorityPage(full_store, {"area": f"ward:{HIGH_STREET_2024}"})
    assert not at.exception
    expected = _monthly_sql(full_store, f"crime_type = 'Anti-social behaviour' and ward_2024_code = "
                                        f"'{HIGH_STREET_2024}'")
    _assert_xmr_matches(_xmr(at, "Anti-social behaviour"), expected, _present_months(full_store))
    n2025 = sum(n for m, n in expected.items() if m.year == 2025)
    assert _summary(at).loc["Anti-social behaviour", RECORDS] == n2025
    assert n2025 != _summary(page).loc["Anti-social behaviour", RECORDS]


def test_town_centre_is_high_street_ward_on_the_chosen_boundary_set(full_store):
    at = PriorityPage(full_store, {"wards": "2022", "view": "safe_town_centre"})
    assert not at.exception
    expected = _monthly_sql(full_store, "ward_2022_name = 'High Street'")
    _assert_xmr_matches(_xmr(at, "Safe town centre"), expected, _present_months(full_store))
    assert "Pre-May-2024 wards (26)" in _tab_text(_tab(at, "Safe town centre"))


def test_class_filter_leaves_out_asb_and_an_area_without_high_street_says_so(full_store):
    park_wood = sql(full_store, "select ward_2024_code from wards_2024 where ward_2024_name like 'Park Wood%'")[0][0]
    at = PriorityPage(full_store, {"class": "VBC,CAS", "area": f"ward:{park_wood}"})
    assert not at.exception
    assert "filters leave out every police.uk type" in _tab_text(_tab(at, "Anti-social behaviour"))
    assert pd.isna(_summary(at).loc["Anti-social behaviour", RECORDS])
    assert "no such records" in _tab_text(_tab(at, "Safe town centre"))


def test_a_period_entirely_inside_the_gap_says_so_and_still_charts(full_store):
    at = PriorityPage(full_store, {"from": "2023-02", "to": "2023-10"})
    assert not at.exception
    assert "no police.uk data for any month of the selected period" in texts(at)
    assert _summary(at).filter(like="Records").isna().all().all()
    assert len(_xmr(at, "Anti-social behaviour")) == 48  # the SPC still uses every loaded month


# --- partner indicators (Strategic Assessment figures beside police.uk) -----------------------------
# Expected values are read straight from the partner CSV files (../shared/data/partner) or by SQL on the
# store's partner_indicators_public view, never from the page.


def _partner_rows(filename):
    with open(settings.partner_dir() / filename, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _csv_value(filename, **match):
    rows = [r for r in _partner_rows(filename) if all(r[k] == v for k, v in match.items())]
    assert len(rows) == 1, (filename, match, len(rows))
    return float(rows[0]["value"])


def _static_table(node, first_column):
    return next(t for t in shown_tables(node) if t.columns[0] == first_column)


def _count(value):
    return f"{value:,.0f}"


def test_domestic_abuse_para_53_table_shows_the_published_totals_by_dec_nov_year(page):
    table = _static_table(_tab(page, "Domestic abuse"), "Domestic abuse crimes (para 53)").set_index(
        "Domestic abuse crimes (para 53)")
    total = next(i for i in table.index if i.startswith("Total (as published)"))
    totals = {r["period_start"]: float(r["value"]) for r in _partner_rows("domestic_abuse.csv")
              if r["indicator_id"] == "da_crimes" and r["area_type"] == "borough"}
    assert len(totals) == 5 and totals["2022-12-01"] == 2706
    for start, value in totals.items():
        first = dt.date.fromisoformat(start)
        label = f"{first:%b %Y} – {dt.date(first.year + 1, 11, 1):%b %Y}"  # Dec–Nov year, as published
        assert table.loc[total, label] == _count(value)
    assert table.loc[total, "Dec 2022 – Nov 2023"] == "2,706"
    # nested categories are shown as parts, never added: VAP includes stalking/harassment and coercion/control
    vap = _csv_value("domestic_abuse.csv", indicator_id="da_crimes_vap", period_start="2022-12-01")
    assert table.loc["Violence against the person (VAP)", "Dec 2022 – Nov 2023"] == _count(vap)
    assert any(i.startswith("↳ of which stalking") for i in table.index)
    assert not any(c.startswith(("calendar year", "2022", "2023")) for c in table.columns[1:])


def test_domestic_abuse_by_ward_has_the_26_pre_2024_wards_table_6_values_and_the_table_7_flag(page, full_store):
    tab = _tab(page, "Domestic abuse", pi_tabs_da="By ward (Tables 6 and 7)")
    wards = next(d.value for d in tab.dataframe if "Ward (pre-May-2024)" in d.value.columns)
    assert len(wards) == 26 == sql(full_store, "select count(*) from wards_2022")[0][0]
    high = wards.set_index("Ward (pre-May-2024)").loc["High Street"]
    expected = _csv_value("domestic_abuse.csv", indicator_id="da_crimes", area_type="ward_2022",
                          area_name="High Street", period_start="2022-12-01")
    assert high["DA crimes, Dec 2022 – Nov 2023"] == expected == 419
    per_1000 = _csv_value("domestic_abuse.csv", indicator_id="da_crimes_per_1000", area_type="ward_2022",
                          area_name="North Downs", period_start="2022-12-01")
    assert wards.set_index("Ward (pre-May-2024)").loc["North Downs", "Per 1,000 people, Dec 2022 – Nov 2023"] == \
        pytest.approx(per_1000)  # shown as published (60.1), not corrected
    # the choropleth draws exactly the 26 wards, on the pre-2024 codes
    codes = {c for (c,) in sql(full_store, "select ward_2022_code from wards_2022")}
    drawn = []
    for chart in tab.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if (spec["layout"].get("meta") or {}).get("smp_narrow"):
            continue  # the same map drawn for a phone-width screen (dashboard.charts.plotly_chart)
        for trace in spec["data"]:
            if trace.get("name") == "areas":  # the choropleth's one clickable point per ward, carrying its code
                drawn += [row[0] for row in trace["customdata"]]
    assert len(drawn) == 26 and set(drawn) == codes
    # the published Table 7 North / North Downs inconsistency is flagged with its note
    north_note = next(r["note"] for r in _partner_rows("domestic_abuse.csv")
                      if r["indicator_id"] == "da_crimes_per_1000" and r["area_name"] == "North")
    flagged = "\n".join(w.value for w in tab.warning)
    assert "Table 7 North row (3.8 / 4.2 per 1000, -9.3%) is not consistent" in north_note
    assert "Table 7 North row (3.8 / 4.2 per 1000, -9.3%) is not consistent" in flagged and "North Downs" in flagged


def test_the_page_as_first_opened_draws_its_charts_without_plotly(page):
    """The open section's police.uk charts are Vega-Lite and its partner block opens on a table, so the page
    as first opened never makes the browser load Plotly's bundle (bench/browser.py)."""
    assert not page.default.get("plotly_chart")
    assert len(page.default.get("vega_lite_chart")) >= 2


def test_a_partner_block_draws_only_its_open_inner_tab(page):
    """The partner block's inner tabs are lazy, as the priority tabs are: on arrival only the first one's
    tables run and are sent; another is drawn when it is opened (and the first is then not)."""
    first = _tab(page, "Domestic abuse")
    columns = [c for d in first.dataframe for c in d.value.columns] + [c for t in shown_tables(first)
                                                                        for c in t.columns]
    assert "Domestic abuse crimes (para 53)" in columns
    assert "Ward (pre-May-2024)" not in columns and "Period type" not in columns
    by_ward = _tab(page, "Domestic abuse", pi_tabs_da="By ward (Tables 6 and 7)")
    columns = [c for d in by_ward.dataframe for c in d.value.columns] + [c for t in shown_tables(by_ward)
                                                                          for c in t.columns]
    assert "Ward (pre-May-2024)" in columns and "Domestic abuse crimes (para 53)" not in columns


def test_needle_finds_spc_table_equals_the_csv_months_and_april_2021_is_a_gap(page):
    tab = _tab(page, "Substance misuse")
    table = next(d.value for d in tab.dataframe if "needle finds" in d.value.columns)
    monthly = {dt.date.fromisoformat(r["period_start"]): float(r["value"]) for r in _partner_rows("needle_finds.csv")
               if r["period_type"] == "month" and r["area_type"] == "borough"}
    assert len(monthly) == 59
    assert list(table["month"]) == [dt.date(y, m, 1) for y in range(2019, 2024) for m in range(1, 13)]
    for month, value, signal in zip(table["month"], table["needle finds"], table["signal"]):
        if month == dt.date(2021, 4, 1):
            assert pd.isna(value) and signal == "no data (gap)"  # blank in the source: a gap, not 0
        else:
            assert value == monthly[month], month
    spike = table.set_index("month").loc[dt.date(2020, 4, 1)]
    assert spike["needle finds"] == 1542 and "upper control limit" in spike["signal"].lower()
    assert "No figure published for Apr 2021" in _tab_text(tab)


def test_youth_hub_shows_its_open_ended_period(page):
    tab = _tab(page, "Children & young people", pi_tabs_cyp="Youth Hub and other")
    table = next(t for t in shown_tables(tab) if "Indicator" in t.columns
                 and t["Indicator"].str.startswith("326 Youth Hub").any())
    visits = table.set_index("Indicator").loc["326 Youth Hub: visits"]
    assert visits["Period"] == "since Feb 2023 (open-ended, as published)"
    assert visits["Value"] == _count(_csv_value("youth_hub.csv", indicator_id="youth_hub_visits"))


def test_missing_children_table_keeps_the_published_diff_and_flags_it(page):
    tab = _tab(page, "Children & young people")
    table = _static_table(tab, "M-CET (para 79)").set_index("M-CET (para 79)")
    diff = _csv_value("missing_children.csv", indicator_id="missing_reports_diff")
    assert table.loc["Missing reports", "Diff +/- (as published)"] == f"+{diff:,.0f}"  # 2022 minus 2021, as printed
    assert table.loc["Missing reports", "calendar year 2023"] == _count(
        _csv_value("missing_children.csv", indicator_id="missing_reports", area_type="borough",
                   period_start="2023-01-01"))
    assert "equals 2022 minus 2021" in "\n".join(w.value for w in tab.warning)


def test_kent_rankings_table_shows_maidstone_ranks_from_the_csv(page):
    tab = _tab(page, "Serious violence & organised crime")
    asvc = _static_table(tab, "District").set_index("District")  # the ASVC table comes first
    assert len(asvc) == 13
    expected = _csv_value("kent_rankings.csv", indicator_id="asvc_rank_all_count", area_name="Maidstone")
    assert as_number(asvc.loc["Maidstone", "All · Count"]) == expected == 4
    msvc_u18 = _csv_value("kent_rankings.csv", indicator_id="msvc_rank_u18_per_1000", area_name="Maidstone")
    msvc = _static_table(_tab(page, "Serious violence & organised crime", pi_tabs_vru="MSVC ranks"),
                         "District").set_index("District")
    assert as_number(msvc.loc["Maidstone", "U18 · Per 1,000"]) == msvc_u18
    ranks_tab = _tab(page, "Serious violence & organised crime", pi_tabs_vru="Maidstone's ranks (chart)")
    ranks = next(d.value for d in ranks_tab.dataframe if "Maidstone rank" in d.value.columns)
    assert len(ranks) == 24 and set(ranks["Districts ranked"]) == {13}


def test_asb_flags_the_cpw_total_that_does_not_add_up(page):
    tab = _tab(page, "Anti-social behaviour")
    cpw = next(t for t in shown_tables(tab) if t.columns[0] == "Type").set_index("Type")
    assert cpw.loc["Total (as published)", "calendar year 2023"] == _count(
        _csv_value("community_protection_warnings_notices.csv", indicator_id="cpw_issued", period_start="2023-01-01"))
    flagged = "\n".join(w.value for w in tab.warning)
    assert "published Total 59 does not equal the sum of the five types (58)" in flagged
    cpt = _tab(page, "Anti-social behaviour", pi_tabs_asb="CPT service requests (Appendix 5)")
    assert "para 87" in "\n".join(w.value for w in cpt.warning)


def test_every_partner_row_is_listed_with_its_period_as_published(page, full_store):
    """The "All figures" table of each theme lists every public partner row; a Dec–Nov (custom) period is
    never written as a calendar year."""
    for label, theme, key in (("Domestic abuse", "domestic_abuse", "pi_tabs_da"),
                              ("Anti-social behaviour", "asb", "pi_tabs_asb"),
                              ("Children & young people", "children_young_people", "pi_tabs_cyp")):
        tab = _tab(page, label, **{key: "All figures and notes"})
        shown = next(d.value for d in tab.dataframe if "Period type" in d.value.columns)
        rows = sql(full_store, "select period_type, period_start, period_end, source_table, note "
                               "from partner_indicators_public where theme = $t", {"t": theme})
        assert len(shown) == len(rows)
        expected = []
        for kind, start, end, _, _ in rows:
            if end is None:
                expected.append(f"since {start:%b %Y} (open-ended, as published)")
            elif kind == "custom":
                expected.append(f"{start:%b %Y} – {end:%b %Y}")
            elif kind == "calendar_year":
                expected.append(f"calendar year {start.year}")
            elif kind == "financial_year":
                expected.append(f"{start.year}/{str(start.year + 1)[2:]} (financial year)")
            else:
                expected.append(f"{start:%b %Y}")
        assert sorted(shown["Period"]) == sorted(expected)
        assert sorted(shown["Source table"]) == sorted(r[3] for r in rows)
        assert sorted(shown["Note"]) == sorted(r[4] or "" for r in rows)  # every note shown
        dec_nov = shown[shown["Period"].str.match(r"^Dec \d{4} – Nov \d{4}$")]
        if theme == "domestic_abuse":
            assert len(dec_nov) > 100
            assert (dec_nov["Period type"] == "Dec–Nov year (12 months, not a calendar year)").all()
        assert not shown["Period"].str.match(r"^calendar year").where(
            shown["Period type"].str.startswith("Dec–Nov"), False).any()


def test_reoffending_says_plainly_there_are_no_partner_figures(page, full_store):
    assert sql(full_store, "select count(*) from partner_indicators_public where theme = 'reoffending'")[0][0] == 0
    assert "There are no partner figures for reoffending" in _tab_text(_tab(page, "Reoffending"))


def test_public_health_shows_the_hospital_admission_rows_filed_under_other_themes(page, full_store):
    table = next(t for t in shown_tables(_tab(page, "Public health")) if "Indicator" in t.columns)
    expected = sql(full_store, "select indicator from partner_indicators_public "
                               "where indicator_id like 'hospital_admissions_%'")
    assert sorted(table["Indicator"]) == sorted(i for (i,) in expected) and len(expected) == 2
    assert re.search(r"filed under other themes", _tab_text(_tab(page, "Public health")))


def test_the_link_to_a_section_is_sent_only_once_its_box_is_opened(full_store, page):
    """st.code makes the browser load a syntax highlighter on every visit, so the link box is a lazy expander."""
    assert not page.exception and not page.code  # closed: no code box sent
    at = open_page(PAGE, full_store, {"view": "asb"}, session_state={"x_link_asb": True})
    assert not at.exception
    (box,) = at.code
    assert box.value.endswith("view=asb")

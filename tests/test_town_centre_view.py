"""dashboard.town_centre_view: the window parameter, para 64's table shaping with no-data years
and partial windows, High Street's share, the monthly split and the Task Force marker."""

import datetime as dt
import math

import pandas as pd
import pytest

import queries
from dashboard import town_centre_view as v
from dashboard.vega import leaf_layers

D = dt.date
PRESENT = ([D(2022, m, 1) for m in range(1, 12)] + [D(2024, m, 1) for m in range(1, 5)]
           + [D(2025, m, 1) for m in range(1, 13)])
YEARS = [2022, 2023, 2024, 2025]


@pytest.mark.parametrize("raw, window, refused", [
    (None, (6, 12), False), ("", (6, 12), False), ("6-12", (6, 12), False), ("1-4", (1, 4), False),
    (" 3 - 3 ", (3, 3), False), ("6–12", (6, 12), False), ("6:12", (6, 12), False),
    ("12-6", (6, 12), True), ("0-4", (6, 12), True), ("6-13", (6, 12), True), ("jun-dec", (6, 12), True),
    ("6", (6, 12), True), ("'; drop table records; --", (6, 12), True), ("9" * 500, (6, 12), True),
])
def test_parse_window(raw, window, refused):
    got, message = v.parse_window(raw)
    assert got == window
    assert (message is not None) == refused
    if refused:
        assert message.startswith("Ignored URL parameter window=") and "Showing Jun–Dec" in message


def test_window_helpers():
    assert v.window_param(1, 4) == "1-4" and v.parse_window(v.window_param(2, 9))[0] == (2, 9)
    assert v.window_label(1, 4) == "Jan–Apr" and v.window_label(12, 12) == "Dec"
    assert v.window_months([2025, 2022], 11, 12) == [D(2022, 11, 1), D(2022, 12, 1), D(2025, 11, 1), D(2025, 12, 1)]


def test_town_plan_flags_partial_and_empty_windows():
    plan = v.town_plan(YEARS, PRESENT, 6, 12)
    assert [plan.heading(y) for y in plan.years] == ["2025", "2024", "2023", "2022 (Jun–Nov only)"]
    assert plan.years_with_data == (2025, 2022)
    assert (plan.pct.later, plan.pct.earlier, plan.pct.month_numbers) == (2025, 2022, (6, 7, 8, 9, 10, 11))
    jan_apr = v.town_plan(YEARS, PRESENT, 1, 4)
    assert jan_apr.years_with_data == (2025, 2024, 2022) and jan_apr.pct.is_whole_window
    dec = v.town_plan(YEARS, PRESENT, 12, 12)
    assert dec.years_with_data == (2025,) and dec.pct is None


def _by_year(values: dict) -> pd.DataFrame:
    """town_centre_by_year-shaped rows from {(measure, area, year): records or None}."""
    return pd.DataFrame([{"measure": m, "area": a, "year": y, "records": pd.NA if r is None else r}
                         for (m, a, y), r in values.items()]).astype({"records": "Int64"})


ALL = "All crime (VBC + CAS)"


def test_town_numbers_and_display_never_show_zero_for_no_data():
    plan = v.town_plan(YEARS, PRESENT, 6, 12)
    rows = _by_year({(ALL, "High Street", 2025): 1649, (ALL, "High Street", 2024): None,
                     (ALL, "High Street", 2023): None, (ALL, "High Street", 2022): 1689,
                     (ALL, "Rest of borough", 2025): 6195, (ALL, "Rest of borough", 2022): 5948})
    lfl = _by_year({(ALL, "High Street", 2025): 1400, (ALL, "High Street", 2022): 1689,
                    (ALL, "Rest of borough", 2025): 5300, (ALL, "Rest of borough", 2022): 5948})
    n = v.town_numbers(rows, plan, lfl)
    assert len(n) == 10  # 5 measures x 2 areas, para 64's rows
    hs = n[(n["measure"] == "All crime") & (n["area"] == "High Street")].iloc[0]
    assert hs["2025"] == 1649 and math.isnan(hs["2024"]) and hs["diff"] == -289
    assert hs["pct_change"] == pytest.approx(100 * -289 / 1689)
    shown = v.town_display(n, plan, 6, 12).set_index("Reported (Jun–Dec)")
    # the 2025 column counts Jun-Dec, the change Jun-Nov: the Jun-Nov 2025 count it compares is its own column
    assert list(shown.columns) == ["2025", "2024", "2023", "2022 (Jun–Nov only)", "Jun–Nov 2025",
                                   "Diff (since 2022, Jun–Nov only)", "% Change (since 2022, Jun–Nov only)"]
    expected = ["1,649", "no data", "no data", "1,689", "1,400", "−289", "−17.1%"]
    assert shown.loc["All crime – High Street"].tolist() == expected
    assert shown.loc["Shoplifting – rest of borough", "2025"] == "no data"  # not in the rows given: not zero
    assert list(shown.index[:2]) == ["All crime – High Street", "All crime – rest of borough"]


def test_town_display_without_a_comparison():
    plan = v.town_plan(YEARS, PRESENT, 12, 12)
    n = v.town_numbers(_by_year({(ALL, "High Street", 2025): 200}), plan, None)
    shown = v.town_display(n, plan, 12, 12)
    assert list(shown.columns)[-2:] == ["Diff", "% Change"]
    assert shown.iloc[0].tolist()[-2:] == ["no comparison", "no comparison"]


def test_share_table():
    plan = v.town_plan(YEARS, PRESENT, 6, 12)
    rows = _by_year({(ALL, "High Street", 2025): 25, (ALL, "Rest of borough", 2025): 75,
                     (ALL, "High Street", 2024): None, (ALL, "Rest of borough", 2024): None})
    out = v.share_table(rows, plan).set_index("Measure")
    assert out.loc["All crime", "2025"] == 25.0
    assert math.isnan(out.loc["All crime", "2024"])
    assert list(out.index) == ["All crime", "VBC", "CAS", "ASB", "Shoplifting"]


def test_monthly_split_keeps_gaps_as_gaps():
    months = [D(2022, 11, 1), D(2022, 12, 1)]
    borough = pd.DataFrame({"month": months * 3, "crime_class": ["VBC"] * 2 + ["CAS"] * 2 + ["ASB"] * 2,
                            "is_present": [True, False] * 3, "records": [100, None, 20, None, 30, None]})
    hs = borough.assign(records=[25, None, 5, None, 6, None])
    out = v.monthly_split(borough, hs)
    nov = out[out["month"] == months[0]].set_index(["measure", "area"])["records"]
    assert nov[("All crime", "High Street")] == 30 and nov[("All crime", "Rest of borough")] == 90
    assert nov[("ASB", "Rest of borough")] == 24
    dec = out[out["month"] == months[1]]
    assert dec["records"].isna().all() and not dec["is_present"].any()


def test_task_force_chart_marks_june_2022_and_keeps_gaps_as_gaps():
    months = [D(2022, m, 1) for m in (5, 6, 7)]
    part = pd.DataFrame({"month": months * 2, "area": ["High Street"] * 3 + ["Rest of borough"] * 3,
                         "records": [30, None, 32, 90, None, 95], "is_present": [True, False, True] * 2})
    fig = v.trend_with_marker(part, "ASB incidents per month")
    spec = fig.spec()
    layers = leaf_layers(spec)
    (rule,) = [l for l in layers if l["mark"]["type"] == "rule"]
    assert spec["datasets"][rule["data"]["name"]] == [
        {"at": "2022-06-01T00:00:00+00:00", "label": "▼ Town Centre Task Force starts (Jun 2022)"}]
    lines = [l for l in layers if l["mark"]["type"] == "line"]
    drawn = [(r["area"], r["records"]) for r in spec["datasets"][lines[0]["data"]["name"]]]
    assert drawn == [("High Street", 30), ("High Street", 32), ("Rest of borough", 90), ("Rest of borough", 95)]
    (gap,) = [r for l in layers if l["mark"]["type"] == "rect" for r in spec["datasets"][l["data"]["name"]]]
    assert gap["from"].startswith("2022-05-17")  # June shaded "no data"


def test_boundary_note_from_the_real_overlap(tiny_con):
    ov = queries.run_df(tiny_con, "ward_overlap")
    note = v.boundary_note(ov, "2022")
    assert note.startswith("The May-2024 High Street ward took 95% of its residents from the old High Street ward")
    assert "Tovil" in note and "pre-May-2024 High Street ward" in note
    assert "This page uses the May-2024" in v.boundary_note(ov, "2024")


def test_town_centre_query_and_shaping_match_direct_sql_on_the_tiny_store(tiny_con):
    present = [D(2022, 1, 1), D(2022, 2, 1), D(2022, 4, 1), D(2024, 1, 1)]
    plan = v.town_plan([2022, 2023, 2024], present, 1, 2)
    rows = queries.run_df(tiny_con, "town_centre_by_year", months=v.window_months([2022, 2023, 2024], 1, 2),
                          ward_set="2024")
    lfl = queries.run_df(tiny_con, "town_centre_by_year", months=plan.pct.months(), ward_set="2024")
    shown = v.town_display(v.town_numbers(rows, plan, lfl), plan, 1, 2).set_index("Reported (Jan–Feb)")

    def count(year, extra):
        return tiny_con.execute(f"select count(*) from crime_records where district = 'Maidstone' and "
                                f"year(month) = {year} and month(month) <= 2 and {extra}").fetchone()[0]

    shoplifting = count(2024, "ward_2024_name = 'High Street' and crime_type = 'Shoplifting'")
    assert shoplifting > 0 and shown.loc["Shoplifting – High Street", "2024 (Jan only)"] == str(shoplifting)
    asb = count(2022, "ward_2024_name = 'High Street' and crime_class = 'ASB'")
    assert asb > 0 and shown.loc["ASB – High Street", "2022"] == str(asb)
    assert shown.loc["All crime – High Street", "2023"] == "no data"

"""Unit tests for dashboard/about_view.py (pure helpers of the About the data page)."""

import datetime as dt
import doctest

import pandas as pd
import pytest

from dashboard import about_view as v


def _months(present: dict[str, bool]) -> pd.DataFrame:
    months = [dt.date.fromisoformat(f"{m}-01") for m in present]
    return pd.DataFrame({
        "month": months,
        "rows": [100 + i if p else None for i, p in enumerate(present.values())],
        "is_present": list(present.values()),
    })


def test_doctests():
    result = doctest.testmod(v, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10 and result.failed == 0


def test_low_confidence_threshold_matches_the_build():
    from boundaries.clusters import LOW_CONFIDENCE_SHARE

    assert v.LOW_CONFIDENCE_SHARE == LOW_CONFIDENCE_SHARE


@pytest.mark.parametrize("present, expected", [
    ({"2022-01": True, "2022-02": True}, []),
    ({"2022-01": False, "2022-02": True}, [("2022-01", "2022-01", 1)]),
    ({"2022-11": True, "2022-12": False, "2023-01": False, "2023-02": True, "2023-03": False},
     [("2022-12", "2023-01", 2), ("2023-03", "2023-03", 1)]),
])
def test_missing_runs(present, expected):
    got = [(a.isoformat()[:7], b.isoformat()[:7], n) for a, b, n in v.missing_runs(_months(present))]
    assert got == expected


def test_describe_missing_lists_every_run_with_its_length():
    months = _months({"2022-11": True, "2022-12": False, "2023-01": False, "2023-02": True, "2023-03": False})
    assert v.describe_missing(months) == "3 months missing: Dec 2022 – Jan 2023 (2 months) and Mar 2023."


def test_month_grid_marks_gaps_as_no_data_never_zero():
    months = _months({"2022-11": True, "2022-12": False, "2023-01": True})
    grid = v.month_grid(months)
    assert len(grid) == 24  # two calendar years
    status = {(r.year, r.month_number): r.status for r in grid.itertuples()}
    assert status[(2022, 11)] == "data" and status[(2022, 12)] == "no data" and status[(2023, 1)] == "data"
    assert status[(2022, 1)] == "not covered" and status[(2023, 2)] == "not covered"
    assert grid.loc[(grid.year == 2022) & (grid.month_number == 12), "rows"].isna().all()
    table = v.month_grid_table(grid)
    assert table.loc[table.Year == "2022", "Dec"].item() == "no data"
    assert table.loc[table.Year == "2022", "Nov"].item() == "100"
    assert table.loc[table.Year == "2022", "Jan"].item() == ""


def test_reconciliation_flags_a_file_that_does_not_add_up_and_totals_every_file():
    files = pd.DataFrame({
        "source_file": ["a.csv", "b.csv"], "month": [None, None], "force": ["kent", "kent"],
        "rows_read": [10, 7], "rows_loaded": [9, 5], "rows_rejected": [1, 1], "rows_maidstone": [2, 3],
    })
    table = v.reconciliation_table(files)
    assert table["reconciles"].tolist() == [True, False]
    assert "month" not in table.columns
    assert v.reconciliation_totals(files) == {"files": 2, "rows_read": 17, "rows_loaded": 14, "rows_rejected": 2,
                                              "rows_maidstone": 5}
    assert set(v.RECONCILIATION_LABELS) == set(table.columns)


def test_metadata_table_orders_labels_and_formats_counts():
    meta = pd.DataFrame({"key": ["rows_records", "built_at_utc", "rows_rejected", "unknown_key"],
                         "value": ["426012", "2026-01-01T00:00:00+00:00", "0", "x"]})
    table = v.metadata_table(meta)
    assert table["Item"].tolist() == ["Built at (UTC)", "Records loaded (every force in the store)", "Rows rejected", "unknown_key"]
    assert table.set_index("Item").loc["Records loaded (every force in the store)", "Value"] == "426,012"


def test_unmeasurable_lists_no_before_partial_and_drops_measurable():
    prio = pd.DataFrame({
        "name": ["Safe town centre", "Domestic abuse", "Serious violence", "Public health"],
        "kind": ["priority", "priority", "priority", "theme"],
        "measurable": ["yes", "no", "partial", "no"],
        "what_it_cannot": ["a", "b", "c", "d"],
    })
    table = v.unmeasurable_table(prio)
    assert table["Priority or theme"].tolist() == ["Domestic abuse", "Public health", "Serious violence"]
    assert table["Measurable from police.uk"].tolist() == ["No", "No", "Partly"]
    assert table["Kind"].tolist() == ["Priority", "Cross-cutting theme", "Priority"]


def test_derivation_table_labels_every_cluster_derived_and_flags_low_confidence():
    deriv = pd.DataFrame({
        "ward_2024_code": ["E1", "E2"], "ward_2024_name": ["A", "B"], "cluster_2024": ["Cluster 6", "Cluster 5"],
        "cluster_sub_group": ["A", None], "cluster_share_of_residents": [0.92, 0.478],
        "cluster_is_low_confidence": [False, True], "cluster_derivation": ["x 92%", "y 48%"],
    })
    table = v.derivation_table(deriv)
    assert table["Cluster"].tolist() == ["Cluster 6 (A) (derived)", "Cluster 5 (derived)"]
    assert table["Confidence"].tolist() == ["Clear", "Low: check locally"]
    assert table["% of residents from that cluster"].tolist() == [92.0, 47.8]


def test_placement_text_reports_point_fallback_and_unplaced_counts():
    methods = pd.DataFrame({"location_method": ["point", "lsoa_lookup", "none"], "records": [1000, 12, 3]})
    text = v.placement_md(methods, {"2022": 26, "2024": 22})
    assert "**26 wards in force until May 2024**" in text and "**22 wards from May 2024**" in text
    assert "Of 1,015 Kent Police records in Maidstone, **1,000** were placed by their point. **12**" in text
    assert "3 could not be placed in a ward at all" in text
    assert "could not be placed" not in v.placement_md(methods.iloc[:2], {"2022": 26, "2024": 22})


def test_lsoa_text_names_the_vintages_and_the_split_count():
    vintage = pd.DataFrame({
        "year": [2022, 2022, 2025], "uses_2011_codes": [True, True, False],
        "how_placed": ["2011 code, split in 2021 (resolved by the point)", "2011 code, unchanged in 2021",
                       "2021 code as published"],
        "records": [1234, 50, 60], "records_recoded": [1234, 0, 0],
    })
    text = v.lsoa_md(vintage)
    assert "files for 2022 use **2011 LSOA codes**" in text and "2025 use **2021 LSOA codes**" in text
    assert "(1,234 records)" in text


def test_display_strings_formats_for_a_static_table():
    df = pd.DataFrame({"n": pd.array([1234567, 0], dtype="int64"), "ok": [True, False], "s": ["a", None]})
    assert v.display_strings(df).values.tolist() == [["1,234,567", "Yes", "a"], ["0", "No", ""]]


def test_the_fixed_texts_carry_the_required_facts():
    assert "Open Government Licence v3.0" in v.SOURCES_MD
    assert "Contains OS data © Crown copyright and database right 2013–2025" in v.SOURCES_MD
    assert "Strategic Assessment 2024/25" in v.SOURCES_MD
    assert "not an address" in v.POLICE_UK_MD.replace("**", "")
    assert "WCAG) 2.2 at level AA" in v.ACCESSIBILITY_MD
    assert "Safer Maidstone Partnership, Maidstone Borough Council" in v.ACCESSIBILITY_MD

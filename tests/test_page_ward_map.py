"""AppTest: the Ward map page on the full store (expected numbers from direct SQL)."""

import pytest

from tests.apptest_helpers import as_number, open_page, read_numbers, rerun, shown_tables, sql, texts

pytestmark = pytest.mark.integration

PAGE = "pages/ward_map.py"
HIGH_STREET_2024 = "E05015603"
HIGH_STREET_2022 = "E05004996"


def _frame(at, column_start: str):
    """The first table that has a column starting with ``column_start``: a data grid, or a static table as
    read (its numbers as numbers)."""
    for df in [d.value for d in at.dataframe] + [read_numbers(t) for t in shown_tables(at, phone=False)]:
        if any(str(c).startswith(column_start) for c in df.columns):
            return df
    raise AssertionError(f"no table with a column starting {column_start!r}")


def _ward_table(at):
    """The ward table as the reader sees it (a static table), its numbers read back as numbers."""
    (table,) = shown_tables(at, "tbl_wm_wards")
    assert {"Ward", "Rank", "Ward code"} <= set(table.columns)
    return read_numbers(table)


WHOLE = "Jan–Dec 2025 (whole period)"  # the default period: 2025 against 2024, only Jan-Apr 2024 has data


def _count(store, where: str, params: dict | None = None) -> int:
    return sql(store, f"select count(*) from crime_records where district = 'Maidstone' and {where}", params)[0][0]


def test_default_view_map_and_ward_table_equal_sql(full_store):
    at = open_page(PAGE, full_store)
    assert not at.exception
    # the ward map and the two boundary maps, all Vega-Lite: the page never loads Plotly's bundle
    assert not at.get("plotly_chart") and len(at.get("vega_lite_chart")) >= 3
    table = _ward_table(at).set_index("Ward code")
    assert len(table) == 22
    hs = table.loc[HIGH_STREET_2024]
    assert hs["Ward"] == "High Street"
    assert hs[f"Records, {WHOLE}"] == _count(full_store, "ward_2024_code = $w and year(month) = 2025",
                                             {"w": HIGH_STREET_2024})
    # change columns: like for like, Jan-Apr 2025 against Jan-Apr 2024 (the only 2024 months with data)
    now = _count(full_store, "ward_2024_code = $w and year(month) = 2025 and month(month) <= 4",
                 {"w": HIGH_STREET_2024})
    before = _count(full_store, "ward_2024_code = $w and year(month) = 2024", {"w": HIGH_STREET_2024})
    assert (hs["Records, Jan–Apr 2025"], hs["Records, Jan–Apr 2024"], hs["Change"]) == (now, before, now - before)
    (pop,), = sql(full_store, "select population from wards_2024 where ward_2024_code = $w", {"w": HIGH_STREET_2024})
    assert hs[f"Per 1,000, {WHOLE}"] == pytest.approx(1000 * hs[f"Records, {WHOLE}"] / pop, abs=0.05)  # shown to one decimal
    assert hs["Per 1,000, Jan–Apr 2025"] == pytest.approx(1000 * now / pop, abs=0.05)
    assert not any(c in table.columns for c in ("Records", "This period", "Comparison"))  # no unlabelled months
    assert hs["% change"] == pytest.approx(100 * (now - before) / before, abs=0.05)  # one decimal
    shown = texts(at)
    assert "The change compares Jan–Apr 2025 with Jan–Apr 2024" in shown
    assert "ONS mid-2024" in shown


def test_the_ward_tables_phone_copy_puts_the_count_beside_the_change_it_is_worked_from(full_store):
    """On a phone the ward table keeps three columns; with a partial comparison the count beside % change must
    be the like-for-like months' count (Jan-Apr 2025), not the whole period's."""
    at = open_page(PAGE, full_store)
    assert not at.exception
    phone = next(t for t in shown_tables(at)  # the phone copy is a static table: numbers as shown
                 if "% change" in t.columns and "Ward" in t.columns and "Rank" not in t.columns)
    assert list(phone.columns) == ["Ward", "Records, Jan–Apr 2025", "% change"]
    hs = phone.set_index("Ward").loc["High Street"].map(lambda x: as_number(x.rstrip("%")))
    now = _count(full_store, "ward_2024_code = $w and year(month) = 2025 and month(month) <= 4",
                 {"w": HIGH_STREET_2024})
    before = _count(full_store, "ward_2024_code = $w and year(month) = 2024", {"w": HIGH_STREET_2024})
    assert hs["Records, Jan–Apr 2025"] == now
    assert hs["% change"] == pytest.approx(100 * (now - before) / before, abs=0.05)  # one decimal


def test_the_ward_table_is_ordered_as_chosen_and_sql_agrees(full_store):
    """Ordered by rate, the wards read from the top in the order SQL's counts over the populations give; by
    name, alphabetically; the order menu only offers a change when there is one to order by."""
    at = open_page(PAGE, full_store)
    assert not at.exception and not [d for d in at.dataframe if "Ward code" in d.value.columns]  # no data grid
    assert _ward_table(at)[f"Records, {WHOLE}"].is_monotonic_decreasing  # most records first by default
    menu = next(s for s in at.selectbox if s.label == "Order the table by")
    assert "pct_change" in menu.options or "Largest % rise" in menu.options
    menu.set_value("rate")
    rerun(at, full_store)  # with SMP_DB on the test store (a bare run would open the default store)
    assert not at.exception
    rows = sql(full_store, """
        select w.ward_2024_name, count(r.month) * 1000.0 / w.population as rate
        from wards_2024 w left join crime_records r
          on r.ward_2024_code = w.ward_2024_code and r.district = 'Maidstone' and year(r.month) = 2025
        group by w.ward_2024_name, w.population order by rate desc, w.ward_2024_name""")
    assert _ward_table(at)["Ward"].tolist() == [name for name, _ in rows]
    (phone,) = shown_tables(at, "tbln_wm_wards")  # the phone copy shows the column the table is ordered by
    assert list(phone.columns) == ["Ward", f"Per 1,000, {WHOLE}", "Records, Jan–Apr 2025", "% change"]
    assert phone["Ward"].tolist() == [name for name, _ in rows]
    next(s for s in at.selectbox if s.label == "Order the table by").set_value("name")
    rerun(at, full_store)
    names = _ward_table(at)["Ward"].tolist()
    assert names == sorted(names) and len(names) == 22
    no_cmp = open_page(PAGE, full_store, {"cmp": "none"})
    menu = next(s for s in no_cmp.selectbox if s.label == "Order the table by")
    assert not {"change", "pct_change", "Largest rise in records", "Largest % rise"} & set(menu.options)


def test_old_boundaries_from_the_url_give_26_wards_and_their_numbers(full_store):
    at = open_page(PAGE, full_store, {"wards": "2022", "class": "ASB"})
    assert not at.exception
    table = _ward_table(at).set_index("Ward code")
    assert len(table) == 26
    asb = _count(full_store, "ward_2022_code = $w and crime_class = 'ASB' and year(month) = 2025",
                 {"w": HIGH_STREET_2022})
    assert table.loc[HIGH_STREET_2022, f"Records, {WHOLE}"] == asb
    (pop,), = sql(full_store, "select population from wards_2022 where ward_2022_code = $w", {"w": HIGH_STREET_2022})
    assert table.loc[HIGH_STREET_2022, f"Per 1,000, {WHOLE}"] == pytest.approx(1000 * asb / pop, abs=0.05)
    assert "ONS mid-2022" in texts(at)


def test_table_8_by_year_shows_gaps_partial_years_and_sql_counts(full_store):
    at = open_page(PAGE, full_store)
    t8 = read_numbers(shown_tables(at, "tbl_wm_years")[0]).set_index("Ward code")  # a static table, as read
    cols = list(t8.columns)
    y2023 = next(c for c in cols if c.startswith("2023"))
    assert set(t8[y2023]) == {"no data"}
    assert any(c.startswith("2024 (4 of 12 months: Jan–Apr 2024)") for c in cols)
    assert any(c.startswith("2022 (11 of 12 months") for c in cols)
    # ASB (Table 8's class) by year for High Street, and the like-for-like annual change
    by_year = dict(sql(full_store, "select year(month), count(*) from crime_records where ward_2024_code = $w "
                                   "and crime_class = 'ASB' group by 1", {"w": HIGH_STREET_2024}))
    row = t8.loc[HIGH_STREET_2024]
    assert row["2025"] == by_year[2025]
    assert row[next(c for c in cols if c.startswith("2024"))] == by_year[2024]
    jan_apr_2025 = _count(full_store, "ward_2024_code = $w and crime_class = 'ASB' and year(month) = 2025 "
                                      "and month(month) <= 4", {"w": HIGH_STREET_2024})
    annual = next(c for c in cols if c.startswith("Annual change 2025 vs 2024"))
    assert row[annual] == jan_apr_2025 - by_year[2024]


def test_profile_param_opens_that_wards_profile_with_sql_numbers(full_store):
    at = open_page(PAGE, full_store, {"profile": HIGH_STREET_2024})
    assert not at.exception
    assert at.selectbox(key="wm_profile").value == HIGH_STREET_2024
    assert "### High Street" in texts(at)
    metrics = {m.label: m for m in at.metric}
    year = _count(full_store, "ward_2024_code = $w and year(month) = 2025", {"w": HIGH_STREET_2024})
    now = _count(full_store, "ward_2024_code = $w and month between '2025-01-01' and '2025-04-01'",
                 {"w": HIGH_STREET_2024})
    before = _count(full_store, "ward_2024_code = $w and year(month) = 2024", {"w": HIGH_STREET_2024})
    # the value and its change cover the same months; the whole period is its own figure
    assert metrics["Records, Jan–Apr 2025"].value == f"{now:,}"
    assert metrics["Records, Jan–Apr 2025"].delta.replace("\u2212", "-").startswith(f"{now - before:+,} (")
    assert metrics["Records, Jan–Apr 2025"].delta.endswith("vs Jan–Apr 2024")
    assert metrics["Whole period, Jan–Dec 2025"].value == f"{year:,}"
    assert "derived by this dashboard" in texts(at)  # May-2024 clusters are derived
    mix = _frame(at, "crime_type").set_index("crime_type")
    shop = _count(full_store, "ward_2024_code = $w and year(month) = 2025 and crime_type = 'Shoplifting'",
                  {"w": HIGH_STREET_2024})
    assert mix.loc["Shoplifting", "records"] == shop
    assert "On or near" in str(_frame(at, "Location").iloc[0, 0])
    assert at.query_params["profile"] in (HIGH_STREET_2024, [HIGH_STREET_2024])  # bookmarkable


def test_a_new_ward_profile_on_the_old_boundaries_moves_to_the_ward_sharing_most_residents(full_store):
    at = open_page(PAGE, full_store, {"wards": "2022", "profile": HIGH_STREET_2024})
    assert not at.exception
    assert at.selectbox(key="wm_profile").value == HIGH_STREET_2022
    assert "was moved to High Street" in texts(at)


@pytest.mark.parametrize("params, expected", [
    ({"profile": "nonsense"}, "Ignored URL parameter profile='nonsense'"),
    ({"measure": "<b>x</b>", "breaks": "jenks"}, "Ignored URL parameter measure="),
    ({"cmp": "none", "measure": "change"}, "Change cannot be mapped"),
    ({"from": "2023-02", "to": "2023-10"}, "No police.uk data exists for any month"),
    ({"class": "ASB", "type": "Burglary"}, "No records match the filters"),
])
def test_nonsense_params_gaps_and_empty_selections_explain_themselves(full_store, params, expected):
    at = open_page(PAGE, full_store, params)
    assert not at.exception
    assert expected in texts(at)
    if "profile" in params:
        assert at.selectbox(key="wm_profile").value == ""


def test_quantile_breaks_and_percent_change_from_the_url(full_store):
    at = open_page(PAGE, full_store, {"measure": "pct_change", "breaks": "quantiles"})
    assert not at.exception
    assert at.radio(key="wm_measure").value == "pct_change"
    assert at.radio(key="wm_breaks").value == "quantiles"
    assert "Change compares Jan–Apr 2025 with Jan–Apr 2024" in texts(at)


def test_the_ward_profile_shows_each_class_beside_the_borough_on_the_same_basis(full_store):
    at = open_page(PAGE, full_store, {"profile": HIGH_STREET_2024})
    ctx = _frame(at, "Borough per 1,000").set_index("Measure")
    (pop,), = sql(full_store, "select population from wards_2024 where ward_2024_code = $w", {"w": HIGH_STREET_2024})
    (borough_pop,), = sql(full_store, "select sum(population) from wards_2024")
    for measure, classes in (("All crime (VBC + CAS)", "('VBC', 'CAS')"), ("Anti-social behaviour (ASB)", "('ASB')")):
        ward = _count(full_store, f"ward_2024_code = $w and year(month) = 2025 and crime_class in {classes}",
                      {"w": HIGH_STREET_2024})
        borough = _count(full_store, f"year(month) = 2025 and crime_class in {classes}")
        row = ctx.loc[measure]
        assert row["Records, Jan–Dec 2025"] == ward
        assert row["Per 1,000 residents"] == pytest.approx(round(1000 * ward / pop, 1))
        assert row["Borough per 1,000 residents"] == pytest.approx(round(1000 * borough / borough_pop, 1))
        assert row["Compared with the borough"] == f"{(ward / pop) / (borough / borough_pop):.1f}× the borough rate"
    assert f"Maidstone borough {borough_pop:,}, both ONS mid-2024 estimates" in texts(at)


def test_the_profile_charts_are_vega_lite_with_the_records_sql_counts(full_store):
    """A ward profile's crime-type bars and monthly lines (Vega-Lite charts) carry the store's numbers:
    High Street's records by type in the selected period (Jan-Dec 2025) and its VBC records per month."""
    from tests.apptest_helpers import vega_charts

    at = open_page(PAGE, full_store, {"profile": "E05015603"})
    assert not at.exception
    charts = vega_charts(at)
    bars = next(df for _, data in charts for df in data.values() if {"label", "value", "text"} <= set(df.columns))
    where = "ward_2024_code = 'E05015603' and year(month) = 2025"
    by_type = dict(sql(full_store, f"select crime_type, count(*) from crime_records where district = 'Maidstone' "
                                   f"and {where} group by 1"))
    assert dict(zip(bars["label"], bars["value"].astype(int))) == by_type
    assert bars["value"].is_monotonic_decreasing  # most first
    lines = next(df for _, data in charts for df in data.values() if {"crime_class", "segment"} <= set(df.columns))
    vbc = lines[lines["crime_class"] == "VBC"]
    got = dict(zip(vbc["month"].astype(str).str[:7], vbc["records"].astype(int)))
    monthly = dict(sql(full_store, "select strftime(month, '%Y-%m'), count(*) from crime_records where district = "
                                   "'Maidstone' and ward_2024_code = 'E05015603' and crime_class = 'VBC' group by 1"))
    assert got == monthly and "2023-06" not in got  # a missing month has no point (never a zero)

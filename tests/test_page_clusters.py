"""AppTest: the Ward clusters page on the full store (expected numbers from direct SQL on the
``cluster_2022`` / ``cluster_2024`` columns of ``crime_records``)."""

import pytest

from tests.apptest_helpers import as_number, open_page, shown_tables, sql, texts

pytestmark = pytest.mark.integration

PAGE = "pages/clusters.py"
MINUS = "\u2212"


def _table(at, first_column: str):
    """The static table whose first column is ``first_column`` (Tables 3-5 start with VBC / CAS / ASB)."""
    for t in shown_tables(at):
        if t.columns[0] == first_column:
            return t
    raise AssertionError(f"no table starting with column {first_column!r}")


def _yearly_and_ward_tables(at) -> list[str]:
    """The first columns of the change-by-ward table and Tables 3-5, in page order (the static tables beside
    them, the cluster against the borough and the derivation, start with "Measure" / "May-2024 ward"; the
    phone copies of the charts' tables are left out)."""
    return [t.columns[0] for t in shown_tables(at, phone=False) if t.columns[0] in ("Ward", "VBC", "CAS", "ASB")]


def _count(store, where: str, params: dict | None = None) -> int:
    return sql(store, f"select count(*) from crime_records where district = 'Maidstone' and {where}", params)[0][0]


def _signed(n: int) -> str:
    return "0" if n == 0 else f"{n:+,}".replace("-", MINUS)


def _pct(now: int, before: int) -> str:
    return f"{100 * (now - before) / before:+.1f}%".replace("-", MINUS)


def test_default_page_renders_map_tables_shares_trend_and_derivation(full_store):
    at = open_page(PAGE, full_store)
    assert not at.exception
    assert at.selectbox(key="cl_cluster").value == "Cluster 1"  # borough area filter -> Cluster 1
    assert _yearly_and_ward_tables(at) == ["Ward", "VBC", "CAS", "ASB"]  # change by ward, Tables 3-5
    # map (zoomed on the small cluster, with the whole borough above it), ward shares, trend: all Vega-Lite,
    # so the page never loads Plotly's bundle
    assert len(at.get("vega_lite_chart")) == 4 and not at.get("plotly_chart")
    shown = texts(at)
    assert "DERIVED" in shown and "How May-2024 Cluster 1 was derived" in shown
    assert "will differ from the published Strategic Assessment" in shown
    assert "Print summary" in [b.label for b in at.button]
    assert "Ctrl+P" in shown and "@media print" in shown


def test_cluster_table_values_equal_sql_on_the_may_2024_clusters(full_store):
    at = open_page(PAGE, full_store, {"cluster": "Cluster 5"})
    assert not at.exception
    assert at.selectbox(key="cl_cluster").value == "Cluster 5"
    vbc = _table(at, "VBC").set_index("VBC")
    where = "cluster_2024 = 'Cluster 5' and crime_class = 'VBC'"
    y2025 = _count(full_store, f"{where} and year(month) = 2025")
    y2024 = _count(full_store, f"{where} and year(month) = 2024")
    assert vbc.loc["Cluster 5", "2025"] == f"{y2025:,}"
    assert vbc.loc["Cluster 5", "2024 (Jan–Apr only)"] == f"{y2024:,}"  # partial year flagged
    assert vbc.loc["Cluster 5", "2023"] == "no data"  # a year with no data is not zero
    # Diff: like for like, Jan-Apr 2025 against Jan-Apr 2024
    now = _count(full_store, f"{where} and year(month) = 2025 and month(month) <= 4")
    assert vbc.loc["Cluster 5", "Diff +/- (2025 vs 2024, Jan–Apr)"] == _signed(now - y2024)
    assert vbc.loc["Cluster 5", "Jan–Apr 2025"] == f"{now:,}"  # the count the Diff compares, beside it
    # % change to the first year: Jan-Nov 2025 against Jan-Nov 2022 (Dec 2022 is missing)
    now, before = (_count(full_store, f"{where} and year(month) = {y} and month(month) <= 11") for y in (2025, 2022))
    assert vbc.loc["Cluster 5", "% Change to 2022 (Jan–Nov)"] == _pct(now, before)
    assert vbc.loc["Cluster 5", "Jan–Nov 2025"] == f"{now:,}"
    total = _count(full_store, "crime_class = 'VBC' and year(month) = 2025")
    assert vbc.loc["Total", "2025"] == f"{total:,}"


def test_pre_2024_clusters_follow_the_area_filter_and_class_filter(full_store):
    at = open_page(PAGE, full_store, {"wards": "2022", "area": "cluster:Cluster 6", "class": "VBC,CAS"})
    assert not at.exception
    assert at.selectbox(key="cl_cluster").value == "Cluster 6"
    assert _yearly_and_ward_tables(at) == ["Ward", "VBC", "CAS"]  # no ASB table
    cas = _table(at, "CAS").set_index("CAS")
    expected = _count(full_store, "cluster_2022 = 'Cluster 6' and crime_class = 'CAS' and year(month) = 2022")
    assert cas.loc["Cluster 6", "2022 (Jan–Nov only)"] == f"{expected:,}"
    shown = texts(at)
    assert "DERIVED" not in shown
    assert "Headcorn (A)" in shown and "Marden and Yalding (B)" in shown and "sub-groups (A) and (B)" in shown
    card = next(c for c in at.columns if c.markdown and c.markdown[0].value.startswith("**Crimes against"))
    where = "cluster_2022 = 'Cluster 6' and crime_class = 'CAS'"
    now = _count(full_store, f"{where} and month between '2025-01-01' and '2025-04-01'")
    before = _count(full_store, f"{where} and year(month) = 2024")
    in_2025 = _count(full_store, f"{where} and year(month) = 2025")
    assert (card.metric[0].label, card.metric[0].value) == ("Jan–Apr 2025", f"{now:,}")
    assert card.metric[0].delta.endswith("vs Jan–Apr 2024")
    assert f"Whole period, Jan–Dec 2025: **{in_2025:,}**" in [m.value for m in card.markdown]


def test_print_view_renders_a_compact_summary(full_store):
    at = open_page(PAGE, full_store, {"view": "print", "cluster": "Cluster 2"})
    assert not at.exception
    assert not [s for s in at.selectbox if s.key == "cl_cluster"]  # the picker is hidden
    compact = _table(at, "Class").set_index("Class")
    assert list(compact.index) == ["VBC", "CAS", "ASB"]
    asb = _count(full_store, "cluster_2024 = 'Cluster 2' and crime_class = 'ASB' and year(month) = 2025")
    assert compact.loc["ASB", "2025"] == f"{asb:,}"
    assert len(at.get("vega_lite_chart")) >= 2 and not at.get("plotly_chart")  # map (and its inset), trend
    shown = texts(at)
    assert "Ctrl+P" in shown and "@media print" in shown
    assert "Back to the full page" in [b.label for b in at.button]


def test_unknown_cluster_and_view_are_explained(full_store):
    at = open_page(PAGE, full_store, {"cluster": "Cluster 99", "view": "<script>"})
    assert not at.exception
    shown = texts(at)
    assert "Ignored URL parameter cluster='Cluster 99'" in shown and "Showing Cluster 1" in shown
    assert "Ignored URL parameter view=" in shown
    assert at.selectbox(key="cl_cluster").value == "Cluster 1"


def test_a_period_inside_the_gap_says_so_but_keeps_the_yearly_tables(full_store):
    at = open_page(PAGE, full_store, {"from": "2023-02", "to": "2023-10", "cluster": "Cluster 8"})
    assert not at.exception
    assert "No police.uk data for any month of Feb 2023 – Oct 2023" in texts(at)
    assert not at.metric
    # Tables 3-5 only: no change by ward without months to compare
    assert _yearly_and_ward_tables(at) == ["VBC", "CAS", "ASB"]


def _ward_changes(at):
    """The change-by-ward table as read."""
    return next(t for t in shown_tables(at) if t.columns[0] == "Ward")


@pytest.mark.parametrize("ward_set, cluster", [("2022", "Cluster 7"), ("2024", "Cluster 8"), ("2022", "Cluster 6")])
def test_per_ward_change_rows_add_up_to_the_cluster_change_and_equal_sql(full_store, ward_set, cluster):
    at = open_page(PAGE, full_store, {"wards": ward_set, "cluster": cluster})
    assert not at.exception
    wide = _ward_changes(at).set_index("Ward")
    col = f"cluster_{ward_set}"
    wards = sql(full_store, f"select ward_{ward_set}_code, ward_{ward_set}_name from wards_{ward_set} "
                            f"where cluster_{ward_set} = $c order by 2", {"c": cluster})
    assert list(wide.index) == [name for _, name in wards] + [f"{cluster} total"]
    for heading, classes in (("All crime (VBC + CAS)", "('VBC', 'CAS')"), ("Anti-social behaviour (ASB)", "('ASB')")):
        changes = []
        for code, name in wards:
            now, before = (_count(full_store, f"ward_{ward_set}_code = $w and crime_class in {classes} and "
                                              f"month between '{y}-01-01' and '{y}-04-01'", {"w": code})
                           for y in (2025, 2024))
            changes.append(now - before)
            assert wide.loc[name, heading].startswith(_signed(now - before))
        now, before = (_count(full_store, f"{col} = $c and crime_class in {classes} and "
                                          f"month between '{y}-01-01' and '{y}-04-01'", {"c": cluster})
                       for y in (2025, 2024))
        assert sum(changes) == now - before  # the wards add up to the cluster
        assert wide.loc[f"{cluster} total", heading] == f"{_signed(now - before)} ({_pct(now, before)})"
        card = next(c for c in at.columns if c.markdown and c.markdown[0].value == f"**{heading}**")
        assert card.metric[0].delta.startswith(f"{now - before:+,}")  # the key figure above says the same
    assert "Change by ward, Jan–Apr 2025 vs Jan–Apr 2024" in texts(at)


def test_the_print_summary_has_the_change_by_ward_with_the_same_months(full_store):
    at = open_page(PAGE, full_store, {"view": "print", "cluster": "Cluster 7", "wards": "2022"})
    assert not at.exception
    wide = _ward_changes(at).set_index("Ward")
    assert list(wide.index) == ["Fant", "South", "Cluster 7 total"]
    key = _table(at, "Measure").set_index("Measure")
    assert list(key.columns)[:3] == ["Jan–Apr 2025", "Jan–Apr 2024", "Change"]
    assert key.loc["All crime (VBC + CAS)", "Change"].replace("\\", "") == wide.loc["Cluster 7 total",
                                                                                     "All crime (VBC + CAS)"]
    assert "Jan–Dec 2025 (whole period)" in key.columns


def test_the_picker_names_its_wards_and_opens_on_the_chosen_wards_cluster(full_store):
    at = open_page(PAGE, full_store, {"wards": "2022", "area": "ward:E05004992"})  # Fant, in Cluster 7
    assert not at.exception
    picker = at.selectbox(key="cl_cluster")
    assert picker.value == "Cluster 7"
    assert "Cluster 7: Fant, South" in picker.options
    assert "Cluster 4: Boxley, Detling and Thurnham, Harrietsham and Lenham, North Downs" in picker.options


def test_the_cluster_is_shown_beside_the_borough_on_the_same_basis(full_store):
    at = open_page(PAGE, full_store, {"wards": "2022", "cluster": "Cluster 5", "class": "ASB"})
    ctx = next(t for t in shown_tables(at) if "Borough per 1,000 residents" in t.columns).set_index("Measure")
    for col in ("Records, Jan–Dec 2025", "Per 1,000 residents", "Borough per 1,000 residents"):
        ctx[col] = ctx[col].map(as_number)  # as shown: "1,036", "62.9"
    asb = _count(full_store, "cluster_2022 = 'Cluster 5' and crime_class = 'ASB' and year(month) = 2025")
    borough = _count(full_store, "crime_class = 'ASB' and year(month) = 2025")
    (pop,), = sql(full_store, "select sum(population) from wards_2022 where cluster_2022 = 'Cluster 5'")
    (all_pop,), = sql(full_store, "select sum(population) from wards_2022")
    row = ctx.loc["Anti-social behaviour (ASB)"]
    assert row["Records, Jan–Dec 2025"] == asb
    assert row["Per 1,000 residents"] == pytest.approx(round(1000 * asb / pop, 1))
    assert row["Borough per 1,000 residents"] == pytest.approx(round(1000 * borough / all_pop, 1))


def test_the_share_chart_and_the_trend_draw_the_records_sql_counts(full_store):
    """The Vega-Lite charts carry the store's numbers: each ward's share of Cluster 5's VBC records in
    2025 (the default period) and the cluster's VBC records per month, with no line over missing months."""
    from tests.apptest_helpers import vega_charts

    at = open_page(PAGE, full_store, {"cluster": "Cluster 5"})
    assert not at.exception
    charts = vega_charts(at)
    share = next(data for spec, data in charts if any(layer["mark"]["type"] == "bar" for layer in spec["layer"]
                                                      if isinstance(layer.get("mark"), dict)))
    segs = next(df for df in share.values() if "ward" in df.columns)
    vbc = segs[segs["measure"] == "VBC"].set_index("ward")
    rows = sql(full_store, "select ward_2024_name, count(*) from crime_records where district = 'Maidstone' and "
                           "cluster_2024 = 'Cluster 5' and crime_class = 'VBC' and year(month) = 2025 group by 1")
    total = sum(n for _, n in rows)
    assert sorted(vbc.index) == sorted(name for name, _ in rows)
    for name, n in rows:
        assert vbc.loc[name, "records"] == n
        assert vbc.loc[name, "share"] == pytest.approx(100 * n / total, abs=0.05)
    trend = next(data for spec, data in charts if "Records" in str(spec.get("layer", [{}])[-1].get("encoding", {})))
    points = next(df for df in trend.values() if "crime_class" in df.columns and "segment" in df.columns)
    vbc_points = points[points["crime_class"] == "VBC"]
    got = vbc_points.set_index(vbc_points["month"].astype(str).str[:7])["records"]
    monthly = sql(full_store, "select strftime(month, '%Y-%m'), count(*) from crime_records where district = "
                              "'Maidstone' and cluster_2024 = 'Cluster 5' and crime_class = 'VBC' group by 1")
    assert {m: int(n) for m, n in got.items()} == {m: n for m, n in monthly}
    assert "2023-01" not in got.index  # a missing month: no point, never a zero

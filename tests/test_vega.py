"""Unit tests for dashboard/vega.py (the Vega-Lite chart builders) and the Overview and About charts built
with them: what the browser is sent (the Vega-Lite spec with its data inline) is checked, not the builders'
own intermediate values."""

import datetime as dt
import doctest

import pandas as pd
import pytest

from analytics.periods import Period
from dashboard import about_view as av
from dashboard import overview_view as ov
from dashboard import theme, vega
from dashboard.compare import Comparison

D = dt.date


def _layers(spec: dict) -> list[dict]:
    return vega.leaf_layers(spec)


def _rows(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]]


def _marks(spec: dict, mark: str) -> list[dict]:
    return [l for l in _layers(spec) if (l["mark"] if isinstance(l["mark"], str) else l["mark"]["type"]) == mark]


def test_doctests():
    result = doctest.testmod(vega, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 2 and result.failed == 0


def test_a_line_never_crosses_a_missing_month_and_the_gap_is_shaded_not_zero():
    months = [D(2023, m, 1) for m in range(1, 7)]
    df = pd.DataFrame({"month": months, "crime_class": "ASB", "records": [5.0, 6.0, None, None, 9.0, 10.0],
                       "is_present": [True, True, False, False, True, True]})
    spec = vega.trend_chart(df, series="crime_class", colours=theme.CLASS_COLOURS,
                            present=(months, df["is_present"].tolist())).to_dict()
    (line,) = _marks(spec, "line")
    rows = _rows(spec, line)
    assert [r["records"] for r in rows] == [5.0, 6.0, 9.0, 10.0]  # no zero, no row for the gap
    assert line["encoding"]["detail"]["field"] == "segment"
    assert len({r["segment"] for r in rows[:2]}) == 1 and rows[1]["segment"] != rows[2]["segment"]
    (band,) = _marks(spec, "rect")
    (gap,) = _rows(spec, band)
    assert gap["from"].startswith("2023-02-14") and gap["to"].startswith("2023-04-16")  # Mar-Apr, half a month out
    assert any(r.get("label") == "no data" for t in _marks(spec, "text") for r in _rows(spec, t))


def test_each_series_keeps_its_colour_and_line_style():
    months = [D(2024, 1, 1), D(2024, 2, 1)]
    df = pd.DataFrame({"month": months * 2, "crime_class": ["VBC"] * 2 + ["CAS"] * 2, "records": [1.0, 2, 3, 4]})
    spec = vega.trend_chart(df, series="crime_class", colours=theme.CLASS_COLOURS).to_dict()
    line = _marks(spec, "line")[0]
    assert line["encoding"]["color"]["scale"] == {"domain": ["VBC", "CAS"], "range": ["#0072B2", "#E69F00"]}
    assert line["encoding"]["strokeDash"]["scale"]["range"] == [vega.DASH_ARRAYS["solid"], vega.DASH_ARRAYS["dash"]]
    assert line["encoding"]["x"]["scale"] == {"type": "utc"}  # month starts stay in their month in any time zone


def _cmp() -> Comparison:
    now = tuple(D(2025, m, 1) for m in (1, 2, 3))
    before = tuple(D(2024, m, 1) for m in (1, 2, 3))
    return Comparison(Period(now[0], now[-1]), Period(before[0], before[-1]), now, now, before, "")


def test_overview_trend_draws_the_comparison_faded_on_the_same_months_with_its_own_month_on_hover():
    cmp = _cmp()
    monthly = pd.DataFrame({
        "month": list(cmp.months) + list(cmp.comparison_months), "crime_class": "ASB",
        "records": [10, 11, 12, 7, 8, 9], "is_present": True})
    current, comparison = ov.trend_frame(monthly, cmp, ("ASB",))
    fig = ov.trend_with_comparison(current, comparison, cmp)
    assert fig.title == "Records per month" and "faded lines: Jan–Mar 2024" in fig.subtitle
    assert "Jan–Mar 2025" in fig.description
    spec = fig.spec()
    faded, thick = _marks(spec, "line")
    assert faded["mark"]["opacity"] < 1 and thick["mark"]["opacity"] == 1
    # one legend for both: a layer without a legend would hide the merged legend altogether
    assert all(l["encoding"][c].get("legend", {}) is not None for l in (faded, thick) for c in ("color", "strokeDash"))
    assert [(r["month"][:7], r["records"], r["month_label"]) for r in _rows(spec, faded)] == [
        ("2025-01", 7.0, "Jan 2024"), ("2025-02", 8.0, "Feb 2024"), ("2025-03", 9.0, "Mar 2024")]
    assert [r["records"] for r in _rows(spec, thick)] == [10.0, 11.0, 12.0]


def test_type_change_bars_are_orange_for_more_purple_for_fewer_and_labelled_above():
    table = pd.DataFrame({"crime_type": ["Burglary", "Drugs"], "records": [8, 15], "records_comparison": [10, 12],
                          "change": [-2, 3]})
    spec = ov.type_change_figure(table, _cmp()).spec()
    (bars,) = _marks(spec, "bar")
    rows = _rows(spec, bars)
    assert [(r["label"], r["value"], r["colour"]) for r in rows] == [
        ("Burglary", -2.0, theme.DECREASE), ("Drugs", 3.0, theme.INCREASE)]
    assert bars["encoding"]["y"]["axis"] is None  # names are written above the bars, not beside them
    labels = [t for t in _marks(spec, "text") if t["encoding"].get("text", {}).get("field") == "text"]
    assert [r["text"] for r in _rows(spec, labels[0])] == ["Burglary: −2 (−20.0%)", "Drugs: +3 (+25.0%)"]
    assert labels[0]["mark"]["baseline"] == "bottom" and labels[0]["mark"]["dy"] < 0
    lo, hi = bars["encoding"]["x"]["scale"]["domain"]
    assert lo < -2 and hi > 3


def test_kent_rate_bars_put_the_highest_first_maidstone_orange_and_the_kent_rate_line():
    kent = pd.DataFrame({"district_name": ["A", "Maidstone", "B"], "population": [1000, 2000, 1000],
                         "records": [30, 40, 10], "rate_per_1000_residents": [30.0, 20.0, 10.0],
                         "rank_by_rate": [1, 2, 3], "rank_by_records": [2, 1, 3]})
    spec = ov.kent_rate_figure(kent, "Per 1,000 residents, 2025").spec()
    (bars,) = _marks(spec, "bar")
    assert [(r["label"], r["colour"]) for r in _rows(spec, bars)] == [
        ("A", theme.DISTRICT_COLOUR), ("Maidstone", theme.MAIDSTONE_COLOUR), ("B", theme.DISTRICT_COLOUR)]
    avg = 1000 * 80 / 4000  # all records per 1,000 of all residents, not a mean of the rates
    rules = [r for rule in _marks(spec, "rule") for r in _rows(spec, rule) if "at" in r]
    assert rules == [{"at": avg, "label": f"Kent and Medway {avg:,.1f}"}]
    (band,) = [r for rect in _marks(spec, "rect") for r in _rows(spec, rect)]
    assert band == {"low": pytest.approx(avg * 0.9), "high": pytest.approx(avg * 1.1)}
    volume = ov.kent_volume_figure(kent, "Records, 2025").spec()
    texts = [r["text"] for t in _marks(volume, "text") for r in _rows(volume, t) if "text" in r]
    assert texts == ["Maidstone: 40", "A: 30", "B: 10"]


def test_month_grid_cells_say_their_rows_or_no_data_in_two_colour_blind_safe_states():
    grid = av.month_grid(pd.DataFrame({"month": [D(2022, 1, 1), D(2022, 2, 1)], "rows": [16338, None],
                                       "is_present": [True, False]}))
    fig = av.month_grid_figure(grid)
    assert "grey" in fig.title and "blue" in fig.title
    spec = fig.spec()
    (cells,) = _marks(spec, "rect")
    by_month = {r["month_name"]: r for r in _rows(spec, cells)}
    assert (by_month["Jan"]["text"], by_month["Jan"]["fill"], by_month["Jan"]["ink"]) == (
        "16,338", av.PRESENT_COLOUR, theme.WHITE)
    assert (by_month["Feb"]["text"], by_month["Feb"]["fill"]) == ("no data", av.MISSING_COLOUR)
    assert (by_month["Mar"]["text"], by_month["Mar"]["fill"]) == ("", theme.WHITE)  # not covered: blank
    assert theme.contrast_ratio(theme.WHITE, av.PRESENT_COLOUR) >= 4.5
    assert theme.contrast_ratio(theme.TEXT, av.MISSING_COLOUR) >= 4.5
    assert cells["encoding"]["y"]["sort"][0] == "Jan" and cells["encoding"]["x"]["field"] == "year"


_BUILT: list[int] = []


def _counting_builder(df: pd.DataFrame, title: str) -> vega.VegaFigure:
    _BUILT.append(len(df))
    return vega.VegaFigure(vega.hbar_chart(df, label="name", value="n", colours=["#000000"] * len(df),
                                           text=list(df["name"])), title)


def test_cached_figure_builds_once_per_distinct_data_and_converts_once():
    from dashboard.charts import cached_figure

    _BUILT.clear()
    a = pd.DataFrame({"name": ["x", "y"], "n": [1, 2]})
    first = cached_figure(_counting_builder, a, "T")
    again = cached_figure(_counting_builder, a.copy(), "T")  # equal data, another frame: the same figure
    assert again is first and _BUILT == [2]
    assert first._payload is not None  # converted to Vega-Lite and Arrow when built, not on every run
    spec, datasets = first.payload()
    assert "datasets" not in spec and all(isinstance(b, bytes) for b in datasets.values())
    other = cached_figure(_counting_builder, pd.DataFrame({"name": ["x"], "n": [5]}), "T")
    assert other is not first and _BUILT == [2, 1]
    assert cached_figure(_counting_builder, a, "Another title") is not first and _BUILT == [2, 1, 2]


def test_drawing_a_cached_chart_leaves_its_spec_as_it_was():
    """``charts._vega`` gives Streamlit a shallow copy of a cached spec (no deep copy of a map's GeoJSON on every
    run). Drawn twice by the real ``st.vega_lite_chart`` (a map with a null legend title, which Streamlit patches,
    inline GeoJSON and a table dataset), the cached spec and its datasets are unchanged, and the second drawing
    sends the same spec as the first."""
    from streamlit.testing.v1 import AppTest

    def script():
        import copy

        import pandas as pd
        import streamlit as st

        from dashboard.charts import _vega
        from dashboard.maps import vega_choropleth

        geo = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": c, "name": c},
             "geometry": {"type": "Polygon", "coordinates": [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]]}}
            for x, c in ((0, "A"), (1, "B"))]}
        fig = vega_choropleth(geo, pd.DataFrame({"code": ["A", "B"], "value": [1.0, 2.0]}), "code", "value",
                              "Records", {})[0]
        spec, datasets = fig.payload()
        spec = {**spec, "encoding": {**spec.get("encoding", {}),
                                     "color": {"field": "v", "title": None, "legend": {"title": None}}}}
        before, data_before = copy.deepcopy(spec), copy.deepcopy(dict(datasets))
        _vega(spec, datasets, "a map", "m1")
        _vega(spec, datasets, "a map", "m2")
        st.session_state["same"] = spec == before and dict(datasets) == data_before

    at = AppTest.from_function(script).run()
    assert not at.exception, at.exception
    assert at.session_state["same"]
    first, second = (c.proto.spec for c in at.get("vega_lite_chart"))
    assert first == second and '"title": " "' in first  # Streamlit patched its own copy, not ours

"""Offline maps on a phone: plain axes fit any width, but a figure as tall as the desktop's left blank
bands above and below a wide borough. ``dashboard.charts.plotly_chart`` draws a phone-width copy only as
tall as the areas (in true proportions), the legend and the margin need (CSS shows one of the two)."""

import json
import math

import pandas as pd
import plotly.graph_objects as go
import shapely

from dashboard import charts, maps

GEO = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": c, "name": n},
     "geometry": {"type": "Polygon", "coordinates": [[[x, 51.20], [x + 0.1, 51.20], [x + 0.1, 51.25], [x, 51.25],
                                                      [x, 51.20]]]}}
    for c, n, x in (("A", "Ay", 0.40), ("B", "Bee", 0.50), ("C", "Cee", 0.60))]}
DATA = pd.DataFrame({"code": ["A", "B", "C"], "name": ["Ay", "Bee", "Cee"], "value": [1.0, 5.0, 9.0]})


def _offline(geo=GEO, data=DATA, **kw) -> go.Figure:
    fig, _ = maps.choropleth(geo, data, "code", "value", "Records", {"name": "Ward"}, base=False, **kw)
    return fig


def test_a_wide_area_gets_a_phone_copy_as_tall_as_its_proportions_need():
    fig = _offline()
    narrow = charts._narrow_map(fig)
    assert narrow is not None and narrow.layout.meta[charts.NARROW_META] is True
    # the areas span 0.3 degrees of longitude by 0.05 of latitude at 51.225 N (from GEO, not the code)
    aspect = 0.05 / (0.3 * math.cos(math.radians(51.225)))
    plot_px = narrow.layout.height - narrow.layout.margin.t - charts.legend_height(fig, charts.PHONE_MAP_PX) - 10
    assert abs(plot_px - charts.PHONE_MAP_PX * aspect) <= 1
    assert narrow.layout.height < fig.layout.height / 2  # the desktop figure would leave over half blank
    # the same map otherwise: the same traces, areas and axes
    assert narrow.data == fig.data and narrow.layout.xaxis == fig.layout.xaxis


def test_a_tall_area_keeps_the_desktop_figure():
    tall = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "A", "name": "Ay"},
         "geometry": {"type": "Polygon", "coordinates": [[[0.5, 51.0], [0.52, 51.0], [0.52, 51.3], [0.5, 51.3],
                                                          [0.5, 51.0]]]}}]}
    assert charts._narrow_map(_offline(tall, DATA.iloc[:1])) is None


def test_the_borough_map_on_a_phone_loses_its_blank_bands(boundaries_dir):
    from boundaries.layers import load_boundaries

    wards = load_boundaries(boundaries_dir).wards["2024"]
    geo = json.loads(wards[["code", "name", "geometry"]].to_json())
    data = pd.DataFrame({"code": wards["code"], "name": wards["name"], "value": range(len(wards))})
    fig = _offline(geo, data)
    narrow = charts._narrow_map(fig)
    x0, y0, x1, y1 = shapely.union_all(list(wards.geometry)).bounds
    aspect = (y1 - y0) / ((x1 - x0) * math.cos(math.radians((y0 + y1) / 2)))
    assert aspect < 1  # Maidstone borough is wider than tall
    legend = charts.legend_height(fig, charts.PHONE_MAP_PX)
    assert 25 <= legend <= 100
    assert narrow.layout.height <= charts.PHONE_MAP_PX * aspect + legend + 30 < fig.layout.height - 100


def test_legend_height_wraps_items_like_plotly():
    fig = go.Figure([go.Scatter(name="x" * 30), go.Scatter(name="y" * 30), go.Scatter(name="z", showlegend=False)])
    one_row = charts.legend_height(fig, 1000)
    assert one_row == charts.LEGEND_ROW_PX
    assert charts.legend_height(fig, 300) == 2 * charts.LEGEND_ROW_PX  # two items of ~274 px: one a row

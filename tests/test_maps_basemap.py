"""The optional street basemap: off by default (the maps draw offline), and when set by the environment or
by ``[smp]`` in ``.streamlit/secrets.toml`` it reaches the plotly map specification with its attribution."""

import json

import pandas as pd
import pytest

from dashboard import maps

GEO = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": c, "name": n},
     "geometry": {"type": "Polygon", "coordinates": [[[x, 51.2], [x + 0.01, 51.2], [x + 0.01, 51.21], [x, 51.21],
                                                      [x, 51.2]]]}}
    for c, n, x in (("A", "Ay", 0.50), ("B", "Bee", 0.51))]}
DATA = pd.DataFrame({"code": ["A", "B"], "name": ["Ay", "Bee"], "value": [1.0, 5.0]})
OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def _spec(**kw) -> dict:
    fig, _ = maps.choropleth(GEO, DATA, "code", "value", "Records", {"name": "Ward"}, **kw)
    return json.loads(fig.to_json())


def test_off_by_default_the_map_needs_no_network(monkeypatch):
    monkeypatch.delenv("SMP_BASEMAP_URL", raising=False)
    assert maps.basemap(secrets={}) is None
    spec = _spec(base=maps.basemap(secrets={}) or False)
    assert "map" not in spec["layout"] and {t["type"] for t in spec["data"]} == {"scatter"}
    assert "openstreetmap" not in json.dumps(spec)


def test_the_environment_setting_reaches_the_map_specification(monkeypatch):
    monkeypatch.setenv("SMP_BASEMAP_URL", OSM)
    monkeypatch.setenv("SMP_BASEMAP_ATTRIBUTION", "© OpenStreetMap contributors")
    spec = _spec()  # base=None: the choropleth reads the setting itself
    layer = spec["layout"]["map"]["layers"][0]
    assert layer["source"] == [OSM] and layer["sourcetype"] == "raster" and layer["below"] == "traces"
    assert layer["sourceattribution"] == "© OpenStreetMap contributors"
    assert any(a["text"] == "© OpenStreetMap contributors" for a in spec["layout"]["annotations"])
    assert {t["type"] for t in spec["data"]} >= {"choroplethmap"}


def test_the_secrets_entry_reaches_the_map_specification(monkeypatch):
    monkeypatch.delenv("SMP_BASEMAP_URL", raising=False)
    monkeypatch.delenv("SMP_BASEMAP_ATTRIBUTION", raising=False)
    base = maps.basemap(secrets={"basemap_url": "https://tiles.example.org/style.json",
                                 "basemap_attribution": "Example tiles"})
    spec = _spec(base=base)
    assert spec["layout"]["map"]["style"] == "https://tiles.example.org/style.json"
    assert any(a["text"] == "Example tiles" for a in spec["layout"]["annotations"])


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "  ", "data:text/html,x"])
def test_only_web_urls_are_used(url):
    assert maps.basemap({"SMP_BASEMAP_URL": url}, {}) is None

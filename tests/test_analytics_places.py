"""analytics.places: OS grid references, the WGS84 -> British National Grid transform (checked against the
ONS ward areas computed in EPSG:27700), generic police.uk place names and the nearest named place."""

import json

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from analytics.places import GENERIC_PLACES, grid_reference, is_named, nearest_named, place_name, to_bng


@pytest.mark.parametrize(("e", "n", "digits", "expected"), [
    (216600, 771200, 6, "NN 166 712"),  # Ben Nevis summit (OS: NN 166 712)
    (651409, 313177, 10, "TG 51409 13177"),  # the worked example in OS's guide to coordinate systems
    (0, 0, 4, "SV 00 00"),  # the grid's false origin is in square SV
    (575912, 155678, 8, "TQ 7591 5567"),  # Maidstone is in TQ (500-600 km E, 100-200 km N)
    (600001, 150000, 4, "TR 00 50"),  # east of 600 km: TR
    (326000, 674000, 6, "NT 260 740"),  # Edinburgh
])
def test_grid_references_follow_the_os_lettering(e, n, digits, expected):
    assert grid_reference(e, n, digits) == expected


def test_grid_reference_outside_the_grid_is_empty_and_bad_precision_refused():
    assert grid_reference(-1, 5) == "" and grid_reference(5, 1_400_000) == "" and grid_reference(np.nan, 5) == ""
    with pytest.raises(ValueError):
        grid_reference(1, 1, 5)


def test_bng_transform_reproduces_the_ons_ward_areas(boundaries_dir):
    """PROVENANCE.md: the wards' area_km2 were computed in EPSG:27700. Our transform of the same polygons
    must give the same areas (to 0.5%: the file's coordinates are rounded to 5 decimals)."""
    data = json.loads((boundaries_dir / "maidstone_wards_2024.geojson").read_text())
    for feat in data["features"]:
        geom = shape(feat["geometry"])
        projected = shapely.transform(geom, lambda xy: np.column_stack(to_bng(xy[:, 0], xy[:, 1])))
        assert projected.area / 1e6 == pytest.approx(feat["properties"]["area_km2"], rel=0.005), \
            feat["properties"]["WD24NM"]


def test_maidstone_points_land_in_square_tq():
    e, n = to_bng([0.5225, 0.70], [51.2725, 51.20])
    assert [grid_reference(a, b)[:2] for a, b in zip(e, n)] == ["TQ", "TQ"]


def test_generic_place_types_are_not_names():
    assert not any(is_named(p) for p in GENERIC_PLACES)
    assert is_named("Week Street") and is_named("The Spinney") and not is_named("")
    assert place_name("On or near Gabriel'S Hill") == "Gabriel's Hill"
    assert place_name("On or near ST. FAITH'S STREET") == "ST. FAITH'S STREET"  # only police.uk's 'S quirk


def test_nearest_named_skips_the_same_name_and_rounds_to_10_m():
    targets = pd.DataFrame({"place": ["Shopping Area", "Week Street", "Lonely"],
                            "easting": [0.0, 100.0, 5000.0], "northing": [0.0, 0.0, 0.0]})
    named = pd.DataFrame({"place": ["Week Street", "Earl Street"], "easting": [100.0, 160.0],
                          "northing": [0.0, 80.0]})
    out = nearest_named(targets, named)
    assert out["nearest_named"].tolist() == ["Week Street", "Earl Street", "Earl Street"]
    assert out["nearest_named_m"].tolist() == [100.0, 100.0, 4840.0]
    assert nearest_named(targets, named.iloc[:0])["nearest_named"].tolist() == ["", "", ""]

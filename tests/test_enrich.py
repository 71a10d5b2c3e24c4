"""Placing records: district, LSOA 2011 -> 2021, wards on both sets, fallbacks."""

import pytest

from boundaries import load_boundaries
from smp_data.enrich import GeoContext

HIGH_STREET_2022, HIGH_STREET_2024 = "E05004996", "E05015603"
WEEK_STREET = (0.522001, 51.276833)


@pytest.fixture(scope="module")
def geo(boundaries_dir):
    return GeoContext(load_boundaries(boundaries_dir))


def _one(geo, lon, lat, code, name):
    out = geo.enrich([lon], [lat], [code], [name])
    return {k: v[0] for k, v in out.items()}


def test_week_street_is_in_high_street_ward_on_both_sets(geo):
    got = _one(geo, *WEEK_STREET, "E01034991", "Maidstone 004H")
    assert (got["ward_2022_code"], got["ward_2024_code"]) == (HIGH_STREET_2022, HIGH_STREET_2024)
    assert got["location_method"] == "point" and got["district"] == "Maidstone"


@pytest.mark.parametrize(
    "lon, lat, lsoa11, expected_lsoa21, why",
    [
        # E01033090 (Maidstone 004F) split into E01034991 / E01034992: the point decides
        (0.522001, 51.276833, "E01033090", "E01034991", "split, point in 004H"),
        # E01024389 (Maidstone 013A) split into E01034995 / E01034996
        (0.555885, 51.240844, "E01024389", "E01034996", "split, point in 013I"),
        # unchanged LSOA keeps its code
        (0.622337, 51.167825, "E01024365", "E01024365", "unchanged"),
        # E01024334 merged with E01024338 into E01034990
        (None, None, "E01024334", "E01034990", "merged, no coordinates"),
    ],
)
def test_lsoa_2011_codes_map_to_2021(geo, lon, lat, lsoa11, expected_lsoa21, why):
    assert _one(geo, lon, lat, lsoa11, "Maidstone 001B")["lsoa21_code"] == expected_lsoa21, why


def test_split_lsoa_with_a_point_outside_both_children_takes_the_nearest_child(geo):
    # a point just across the river west of 004F/004H; the nearest child of E01033090 is chosen
    got = _one(geo, 0.515, 51.2755, "E01033090", "Maidstone 004F")
    assert got["lsoa21_code"] in {"E01034991", "E01034992"}


def test_no_coordinates_fall_back_to_the_lsoa_lookup_and_are_flagged(geo):
    got = _one(geo, None, None, "E01024365", "Maidstone 017B")  # Headcorn LSOA
    assert got["location_method"] == "lsoa_lookup"
    assert got["ward_2022_code"] == "E05004994"  # Headcorn
    assert got["ward_2024_code"] == "E05015602"  # Headcorn & Sutton Valence


def test_other_districts_come_from_the_lsoa_name_and_get_no_ward(geo):
    got = _one(geo, 0.815069, 51.129778, "E01023999", "Ashford 010A")
    assert got["district"] == "Ashford"
    assert got["ward_2022_code"] is None and got["lsoa21_code"] is None


def test_pre_2018_shepway_lsoa_names_are_folkestone_and_hythe(geo):
    assert _one(geo, 1.005744, 51.057943, "E01024555", "Shepway 005C")["district"] == "Folkestone and Hythe"


def test_api_rows_without_lsoa_are_placed_by_their_point(geo):
    got = _one(geo, *WEEK_STREET, None, None)
    assert got["district"] == "Maidstone"
    assert got["lsoa21_code"] == "E01034991"
    assert got["ward_2024_code"] == HIGH_STREET_2024
    ashford = _one(geo, 0.815069, 51.129778, None, None)
    assert ashford["district"] == "Ashford"


def test_no_location_and_no_lsoa_has_no_district(geo):
    assert _one(geo, None, None, None, None)["district"] is None

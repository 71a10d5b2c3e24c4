"""Classification of every police.uk crime type into VBC / CAS / ASB and SMP priorities."""

import pytest

from smp_data.classify import (
    CRIME_TYPES,
    PRIORITIES,
    PRIORITY_CRIME_TYPES,
    UnknownCrimeType,
    crime_class,
    crime_type_from_slug,
)

# Expected classes worked out from Strategic Assessment para 26 (VBC and CAS lists).
EXPECTED = [
    ("Anti-social behaviour", "ASB"),
    ("Bicycle theft", "VBC"),
    ("Burglary", "VBC"),
    ("Criminal damage and arson", "VBC"),
    ("Drugs", "CAS"),
    ("Other crime", "CAS"),
    ("Other theft", "VBC"),
    ("Possession of weapons", "CAS"),
    ("Public order", "CAS"),
    ("Robbery", "VBC"),
    ("Shoplifting", "VBC"),
    ("Theft from the person", "VBC"),
    ("Vehicle crime", "VBC"),
    ("Violence and sexual offences", "VBC"),
]


@pytest.mark.parametrize("crime_type, expected", EXPECTED)
def test_every_current_police_uk_type_has_its_class(crime_type, expected):
    assert crime_class(crime_type) == expected


def test_the_table_covers_exactly_the_14_current_police_uk_types():
    assert sorted(c.name for c in CRIME_TYPES if c.is_current) == sorted(t for t, _ in EXPECTED)


@pytest.mark.parametrize("bad", ["", "Shop lifting", "anti-social behaviour", "Fraud"])
def test_unknown_types_raise_with_the_name(bad):
    with pytest.raises(UnknownCrimeType, match="unknown crime type"):
        crime_class(bad)


@pytest.mark.parametrize(
    "slug, name",
    [("violent-crime", "Violence and sexual offences"), ("anti-social-behaviour", "Anti-social behaviour"),
     ("criminal-damage-arson", "Criminal damage and arson"), ("other-crime", "Other crime")],
)
def test_api_slugs_map_to_archive_names(slug, name):
    assert crime_type_from_slug(slug) == name


def test_unknown_api_slug_raises():
    with pytest.raises(UnknownCrimeType):
        crime_type_from_slug("all-crime")


def test_unmeasurable_priorities_say_so_in_the_data():
    by_id = {p.priority_id: p for p in PRIORITIES}
    assert by_id["domestic_abuse"].measurable == "no"
    assert by_id["children_young_people"].measurable == "no"
    assert "no domestic-abuse flag" in by_id["domestic_abuse"].what_it_cannot
    # domestic abuse has only a context measure, never a counted one
    roles = {(p, r) for p, _, r in PRIORITY_CRIME_TYPES if p == "domestic_abuse"}
    assert roles == {("domestic_abuse", "context")}


def test_priority_crime_types_name_known_priorities_and_types():
    ids = {p.priority_id for p in PRIORITIES}
    names = {c.name for c in CRIME_TYPES}
    for pid, ctype, role in PRIORITY_CRIME_TYPES:
        assert pid in ids and ctype in names and role in {"measure", "context"}


def test_town_centre_is_high_street_ward_and_asb_is_asb():
    by_id = {p.priority_id: p for p in PRIORITIES}
    assert by_id["safe_town_centre"].area_rule == "ward:High Street"
    assert [c for p, c, _ in PRIORITY_CRIME_TYPES if p == "asb"] == ["Anti-social behaviour"]
    assert sorted(c for p, c, _ in PRIORITY_CRIME_TYPES if p == "substance_misuse") == ["Drugs"]

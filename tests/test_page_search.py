"""AppTest: Find my area on the full store (through the router, as a browser session runs it). Numbers are
checked against direct SQL and an independent distance computation; hostile text must stay plain text."""

import csv
import math

import pytest

from smp_data import settings
from tests.apptest_helpers import open_page, rerun, shown_tables, sql, texts

pytestmark = pytest.mark.integration

PAGE = "pages/search.py"
FANT_OAKWOOD = "E05015599"


def _metric(at, heading_start, nth: int = 0):
    """The nth headline card headed ``heading_start`` (0: the area's figures, 1: around the point)."""
    cards = []
    for col in at.columns:
        marks = [m.value for m in col.markdown]
        if marks and marks[0].startswith("**") and col.metric and marks[0].strip("*").startswith(heading_start):
            cards.append(col.metric[0])
    return cards[nth]


def _search(at, store, text):
    at.text_input(key="srch_box_text").input(text)
    next(b for b in at.button if b.label == "Search").click()
    return rerun(at, store)


def _crime_2025(store, where: str) -> int:
    (n,), = sql(store, f"select count(*) from crime_records where {where} and crime_class in ('VBC', 'CAS') "
                       "and year(month) = 2025")
    return n


def test_a_postcode_from_the_url_shows_its_wards_and_figures(full_store):
    at = open_page(PAGE, full_store, {"q": "me16 8hb", "cmp": "none"})
    assert not at.exception, at.exception
    assert [h.value for h in at.header] == ["ME16 8HB"]
    where = shown_tables(at)[0].to_string()
    assert "Fant & Oakwood" in where and "Fant" in where
    card = _metric(at, "All crime")
    assert card.value == f"{_crime_2025(full_store, f'ward_2024_code = {FANT_OAKWOOD!r}'):,}"
    assert card.label == "Jan–Dec 2025"  # each figure says which months it covers


def test_with_the_default_comparison_a_card_and_its_change_cover_the_same_months(full_store):
    at = open_page(PAGE, full_store, {"q": "ME16 8HB"})
    (now, before), = sql(full_store, "select count(*) filter (where month between '2025-01-01' and '2025-04-01'), "
                                     "count(*) filter (where month between '2024-01-01' and '2024-04-01') "
                                     f"from crime_records where ward_2024_code = '{FANT_OAKWOOD}' and crime_class = 'ASB'")
    card = _metric(at, "Anti-social")
    assert (card.label, card.value) == ("Jan–Apr 2025", f"{now:,}")
    assert card.delta.replace("\u2212", "-").startswith(f"{now - before:+,} (") and card.delta.endswith("Jan–Apr 2024")
    assert at.query_params["find"] == "postcode:ME16 8HB"
    assert "per 1,000 residents" in texts(at) and "across Maidstone borough" in texts(at)
    assert "snap points" in texts(at) and "not addresses" in texts(at)


def _haversine(lon1, lat1, lon2, lat2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def test_around_a_postcode_counts_the_records_within_the_radius(full_store):
    at = open_page(PAGE, full_store, {"q": "ME14 1PS", "radius": "250", "cmp": "none"})
    assert not at.exception
    (lon, lat), = sql(full_store, "select longitude, latitude from postcodes where postcode = 'ME14 1PS'")
    rows = sql(full_store, "select longitude, latitude from crime_records where district = 'Maidstone' "
                           "and crime_class in ('VBC', 'CAS') and year(month) = 2025 and longitude is not null")
    expected = sum(1 for x, y in rows if _haversine(lon, lat, x, y) <= 250)
    assert _metric(at, "All crime", 1).value == f"{expected:,}"  # the area's card, then the one around the point
    assert at.query_params["radius"] == "250"


def test_typing_a_street_with_a_typo_lists_the_wards_it_crosses(full_store):
    at = open_page(PAGE, full_store)
    _search(at, full_store, "lose rd")
    assert not at.exception
    assert at.header[0].value.startswith("Loose Road")
    wards = {w for (w,) in sql(full_store, "select distinct ward_2024_name from crime_records "
                                           "where location = 'On or near Loose Road' and district = 'Maidstone'")}
    passes = next(m.value for m in at.markdown if "passes through" in m.value)
    assert all(w in passes.replace("\\", "") for w in wards)
    assert at.query_params["find"] == "street:Loose Road" and at.query_params["q"] == "lose rd"


def test_a_2011_lsoa_code_offers_its_successors_and_a_click_opens_one(full_store):
    at = open_page(PAGE, full_store, {"q": "E01033090"})
    assert not at.exception
    assert "2011 LSOA" in texts(at)
    choice = next(b for b in at.button if "E01034991" in b.label)
    choice.click()
    rerun(at, full_store)
    assert at.header[0].value.replace("\\", "").startswith("LSOA Maidstone 004H")
    assert at.query_params["find"] == "lsoa:E01034991"


def test_outside_the_borough_and_not_found_messages(full_store):
    at = open_page(PAGE, full_store, {"q": "ME5 8AB"})
    assert not at.exception
    assert "covers Maidstone borough" in " ".join(w.body for w in at.warning).replace("\\", "")
    at = _search(at, full_store, "zzzzqqq")
    assert "Not found" in " ".join(w.body for w in at.warning).replace("\\", "")
    assert not at.header


@pytest.mark.parametrize("text", ["<img src=x onerror=alert(1)>", "**bold** [link](javascript:alert(1))",
                                  "'; drop table records; --", "🙂" * 60, "x" * 400])
def test_hostile_text_is_shown_only_as_plain_text(full_store, text):
    at = open_page(PAGE, full_store, {"q": text})
    assert not at.exception, at.exception
    shown = [t.value for t in at.text]
    assert shown and shown[0].startswith("You searched for: ")
    for md in at.markdown:  # nothing the reader typed reaches markdown unescaped
        assert "<img" not in md.value and "**bold**" not in md.value and "](javascript" not in md.value


def test_a_hostile_find_parameter_is_refused(full_store):
    at = open_page(PAGE, full_store, {"find": "postcode:'; select 1 --"})
    assert not at.exception
    assert not at.header and "not found in the current data" in texts(at)


def test_the_overview_search_box_opens_find_my_area(full_store):
    at = open_page("pages/overview.py", full_store)
    at.text_input(key="ov_search_text").input("ME14 1PS")
    next(b for b in at.button if b.label == "Search").click()
    rerun(at, full_store)
    assert not at.exception
    assert [h.value for h in at.header] == ["ME14 1PS"]


def test_open_on_the_overview_carries_the_area(full_store):
    at = open_page(PAGE, full_store, {"q": "ME16 8HB", "cmp": "none"})
    next(b for b in at.button if b.label == "Open this area on the Overview").click()
    rerun(at, full_store)
    assert not at.exception
    assert at.query_params["area"] == f"ward:{FANT_OAKWOOD}"
    (asb,), = sql(full_store, f"select count(*) from crime_records where ward_2024_code = '{FANT_OAKWOOD}' "
                              "and crime_class = 'ASB' and year(month) = 2025")
    assert _metric(at, "Anti-social").value == f"{asb:,}"


def test_postcode_file_names_no_other_district():
    """The shared file holds Maidstone postcodes only: no district can be named for ME5 8AB from it."""
    with (settings.postcodes_dir() / "codepoint_open_2025.4_maidstone.csv").open(newline="") as fh:
        assert {row[8] for row in csv.reader(fh)} == {"E07000110"}

"""2011 -> 2021 LSOA codes: the pure lookup (analytics.lsoa) on the real ONS lookup file, the area filter
accepting a 2011 code from a URL, and the codes the Strategic Assessment names (paras 35-37)."""

import csv
import datetime as dt

import pytest

from analytics.lsoa import LsoaLookup
from dashboard.filters import FilterContext, parse_query_params
from smp_data import settings
from tests.apptest_helpers import open_page, sql, texts

LOOKUP_CSV = "lookups/lookup_lsoa11_lsoa21_maidstone.csv"


@pytest.fixture(scope="module")
def ons_lookup() -> LsoaLookup:
    with open(settings.boundaries_dir() / LOOKUP_CSV, newline="", encoding="utf-8") as fh:
        rows = [(r["lsoa11_code"], r["lsoa21_code"], r["CHGIND"]) for r in csv.DictReader(fh)]
    return LsoaLookup.from_rows(rows)


@pytest.mark.parametrize("code, kind, successors", [
    ("E01033090", "split", ("E01034991", "E01034992")),  # para 35: the town-centre focus LSOA (High Street)
    ("E01024389", "split", ("E01034995", "E01034996")),  # para 37: Park Wood
    ("E01024372", "current", ("E01024372",)),  # para 37: High Street, unchanged
    ("E01024392", "current", ("E01024392",)),  # para 37: Shepway
    ("E01033088", "current", ("E01033088",)),  # para 37: Heath (Priority House)
    ("E01024334", "merged", ("E01034990",)),
    (" e01033090 ", "split", ("E01034991", "E01034992")),  # typed by a person
    ("E01099999", "unknown", ()),
    ("<b>x</b>", "invalid", ()),
])
def test_the_reports_2011_codes_resolve_to_their_2021_successors(ons_lookup, code, kind, successors):
    got = ons_lookup.resolve(code)
    assert (got.kind, got.successors) == (kind, successors)


def test_predecessors_invert_the_lookup(ons_lookup):
    assert ons_lookup.predecessors("E01034992") == ("E01033090",)
    assert ons_lookup.predecessors("E01034990") == ("E01024334", "E01024338")
    assert ons_lookup.changed_predecessors("E01024372") == ()


def _ctx(lookup: LsoaLookup) -> FilterContext:
    months = tuple(dt.date(2025, m, 1) for m in range(1, 13))
    lsoas = {"E01034991": "Maidstone 004H", "E01034992": "Maidstone 004I", "E01034990": "Maidstone 001F",
             "E01024372": "Maidstone 009B"}
    return FilterContext(months, frozenset(months), {"2024": {}, "2022": {}}, {"2024": (), "2022": ()}, lsoas, {},
                         {}, lsoa_lookup=lookup)


def test_a_2011_code_in_the_url_opens_its_2021_lsoa_and_says_so(ons_lookup):
    f = parse_query_params({"area": "lsoa:E01033090"}, _ctx(ons_lookup))
    assert (f.area_type, f.area_code) == ("lsoa", "E01034991")
    assert any("E01033090 is a 2011 LSOA code; in 2021 it was split into Maidstone 004H (E01034991) and "
               "Maidstone 004I (E01034992)" in n for n in f.notes)
    merged = parse_query_params({"area": "lsoa:E01024338"}, _ctx(ons_lookup))
    assert merged.area_code == "E01034990" and "merged with others into Maidstone 001F" in merged.notes[0]
    bad = parse_query_params({"area": "lsoa:E01099999"}, _ctx(ons_lookup))
    assert bad.area_type == "borough" and "is not a Maidstone LSOA (2021 or 2011 code)" in bad.notes[0]


@pytest.mark.integration
def test_the_overview_opened_with_a_2011_lsoa_code_counts_its_2021_successor(full_store):
    at = open_page("pages/overview.py", full_store, {"area": "lsoa:E01033090", "cmp": "none"})
    assert not at.exception
    assert "E01033090 is a 2011 LSOA code; in 2021 it was split into" in texts(at)
    (asb,), = sql(full_store, "select count(*) from crime_records where lsoa21_code = 'E01034991' "
                              "and crime_class = 'ASB' and year(month) = 2025")
    card = next(c for c in at.columns if c.markdown and c.markdown[0].value.startswith("**Anti-social"))
    assert card.metric[0].value == f"{asb:,}"
    assert at.query_params["area"] in ("lsoa:E01034991", ["lsoa:E01034991"])  # the bookmark now uses 2021
    option = at.selectbox(key="f_area_code")
    assert option.value == "E01034991"
    assert any("2011: E01033090" in o for o in option.options)  # the sidebar list finds the 2011 code

"""The 2011 → 2021 LSOA lookup for pages: one cached :class:`analytics.lsoa.LsoaLookup` per store, and
the "2011 code" column that lets a reader find the LSOAs older reports name (the Strategic Assessment's
hotspot LSOAs, paras 35-37, use 2011 codes). The pure logic is in :mod:`analytics.lsoa`."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from analytics.lsoa import LsoaLookup

__all__ = ["lookup", "codes_2011", "add_2011_codes", "COLUMN_2011"]

COLUMN_2011 = "2011 code (older reports)"


def lookup() -> LsoaLookup:
    """The store's lookup (cached per store version)."""
    from dashboard.data import query, store_version  # noqa: PLC0415

    return _cached(store_version(), query("lsoa_2011_lookup"), query("lsoas"))


@st.cache_resource(max_entries=2, show_spinner=False)
def _cached(version: str, _rows: pd.DataFrame, _lsoas: pd.DataFrame) -> LsoaLookup:
    """Built once per store version (the frames are not hashed: the version names them)."""
    return LsoaLookup.from_rows(zip(_rows["lsoa11_code"], _rows["lsoa21_code"], _rows["change"]),
                                current=_lsoas["lsoa21_code"])


def codes_2011(codes21: Iterable[str], lk: LsoaLookup) -> list[str]:
    """For each 2021 LSOA, the 2011 code(s) it came from: the same code when unchanged, "A + B" when
    merged, "E01033090 (split)" when it is one part of a split 2011 LSOA.

    >>> lk = LsoaLookup.from_rows([("E01033090", "E01034991", "S"), ("E01033090", "E01034992", "S"),
    ...     ("E01024334", "E01034990", "M"), ("E01024338", "E01034990", "M"), ("E01024372", "E01024372", "U")])
    >>> codes_2011(["E01034991", "E01034990", "E01024372", "E01099999"], lk)
    ['E01033090 (split)', 'E01024334 + E01024338', 'E01024372', '']
    """
    out = []
    for code in codes21:
        old = lk.predecessors(code)
        if len(old) == 1 and lk.change_of.get(old[0]) == "S":
            out.append(f"{old[0]} (split)")
        else:
            out.append(" + ".join(old))
    return out


def add_2011_codes(table: pd.DataFrame, codes21: Iterable[str], lk: LsoaLookup, after: str | None = None) -> pd.DataFrame:
    """``table`` with the 2011 code column inserted after ``after`` (last by default, so the numbers keep
    their place on a narrow screen).

    >>> lk = LsoaLookup.from_rows([("E01033090", "E01034991", "S")])
    >>> list(add_2011_codes(pd.DataFrame({"LSOA": ["x"], "Records": [1]}), ["E01034991"], lk).columns)
    ['LSOA', 'Records', '2011 code (older reports)']
    >>> list(add_2011_codes(pd.DataFrame({"LSOA": ["x"], "Records": [1]}), ["E01034991"], lk, after="LSOA").columns)
    ['LSOA', '2011 code (older reports)', 'Records']
    """
    out = table.copy()
    at = list(out.columns).index(after) + 1 if after else len(out.columns)
    out.insert(at, COLUMN_2011, codes_2011(list(codes21), lk))
    return out

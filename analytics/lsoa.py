"""LSOA codes across the 2011 and 2021 vintages: which 2021 LSOA(s) a 2011 code became, and which
2011 code(s) a 2021 LSOA came from.

police.uk files before 2023 and older reports (the Strategic Assessment's hotspot LSOAs, paras 35-37)
use 2011 LSOA codes; the dashboard stores and shows 2021 LSOAs. The ONS lookup (``lsoa_2011_to_2021``
in the store, from ``lookup_lsoa11_lsoa21_maidstone.csv``) says for each 2011 LSOA how it changed:
``U`` unchanged (same code), ``S`` split into several 2021 LSOAs, ``M`` merged with others into one,
``X`` redrawn (neither). Pure functions over plain values: no store, no Streamlit.

>>> lookup = LsoaLookup.from_rows([("E01033090", "E01034991", "S"), ("E01033090", "E01034992", "S"),
...                                ("E01024372", "E01024372", "U")])
>>> r = lookup.resolve("E01033090")
>>> r.kind, r.successors
('split', ('E01034991', 'E01034992'))
>>> lookup.predecessors("E01034992")
('E01033090',)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["LSOA_CODE", "LsoaLookup", "LsoaResolution", "normalise_code"]

LSOA_CODE = re.compile(r"E01[0-9]{6}")  # an English LSOA code (2011 or 2021)
_KINDS = {"U": "unchanged", "S": "split", "M": "merged", "X": "redrawn"}


def normalise_code(text: object) -> str | None:
    """An LSOA code from text a person typed or a URL carried: trimmed, upper-case, or None.

    >>> normalise_code(" e01033090 "), normalise_code("E0103309"), normalise_code(None)
    ('E01033090', None, None)
    """
    if not isinstance(text, str):
        return None
    code = text.strip().upper()
    return code if LSOA_CODE.fullmatch(code) else None


@dataclass(frozen=True)
class LsoaResolution:
    """What a code given by a user (or a report) is in 2021 LSOAs.

    ``kind``: ``current`` (already a 2021 code in use), ``unchanged`` / ``split`` / ``merged`` /
    ``redrawn`` (a 2011 code, by how it changed), ``unknown`` (not an LSOA of the area) or ``invalid``
    (not an LSOA code at all). ``successors`` are the 2021 codes, in code order.
    """

    code: str
    kind: str
    successors: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.successors)

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        """One plain sentence for the page (codes named when ``names`` has them).

        >>> LsoaResolution("E01033090", "split", ("E01034991", "E01034992")).describe({"E01034991": "Maidstone 004H"})
        'E01033090 is a 2011 LSOA code; in 2021 it was split into Maidstone 004H (E01034991) and E01034992.'
        >>> LsoaResolution("E01024372", "unchanged", ("E01024372",)).describe()
        'E01024372 is a 2011 LSOA code that is unchanged in 2021 (same code).'
        >>> LsoaResolution("E01999999", "unknown").describe()
        'E01999999 is not an LSOA of this area in 2011 or 2021.'
        """
        names = names or {}

        def named(code: str) -> str:
            return f"{names[code]} ({code})" if code in names else code

        listed = _and(named(c) for c in self.successors)
        if self.kind == "current":
            return f"{named(self.code)} is a 2021 LSOA code."
        if self.kind == "unchanged":
            return f"{self.code} is a 2011 LSOA code that is unchanged in 2021 (same code)."
        if self.kind == "split":
            return f"{self.code} is a 2011 LSOA code; in 2021 it was split into {listed}."
        if self.kind == "merged":
            return f"{self.code} is a 2011 LSOA code; in 2021 it was merged with others into {listed}."
        if self.kind == "redrawn":
            return f"{self.code} is a 2011 LSOA code; in 2021 its area was redrawn as {listed}."
        if self.kind == "invalid":
            return "That is not an LSOA code (E01 and six digits)."
        return f"{self.code} is not an LSOA of this area in 2011 or 2021."


def _and(parts: Iterable[str]) -> str:
    items = list(parts)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


@dataclass(frozen=True)
class LsoaLookup:
    """The ONS 2011 → 2021 LSOA lookup for one area, and the 2021 LSOAs in use.

    Build it with :meth:`from_rows` from ``(lsoa11_code, lsoa21_code, change)`` rows (the store's
    ``lsoa_2011_to_2021`` table or the ONS CSV's ``LSOA11CD, LSOA21CD, CHGIND`` columns).
    """

    successors_of: Mapping[str, tuple[str, ...]]
    change_of: Mapping[str, str]
    current: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str]], current: Iterable[str] | None = None) -> LsoaLookup:
        """The lookup from ``(lsoa11_code, lsoa21_code, change)`` rows; ``current`` defaults to every
        2021 code in the rows.

        >>> LsoaLookup.from_rows([("a11", "b21", "M"), ("c11", "b21", "M")]).predecessors("b21")
        ('a11', 'c11')
        """
        succ: dict[str, set[str]] = {}
        change: dict[str, str] = {}
        for old, new, kind in rows:
            succ.setdefault(old, set()).add(new)
            change[old] = str(kind).strip().upper()
        now = frozenset(current) if current is not None else frozenset(n for s in succ.values() for n in s)
        return cls({k: tuple(sorted(v)) for k, v in succ.items()}, change, now)

    def resolve(self, text: object) -> LsoaResolution:
        """What ``text`` (a 2011 or 2021 code, any case, spaces trimmed) is in 2021 LSOAs.

        A code that is both a 2011 and a 2021 code (unchanged) resolves to itself as ``current``.

        >>> lk = LsoaLookup.from_rows([("E01024334", "E01034990", "M"), ("E01024338", "E01034990", "M"),
        ...                            ("E01024372", "E01024372", "U")])
        >>> lk.resolve("e01024334")
        LsoaResolution(code='E01024334', kind='merged', successors=('E01034990',))
        >>> lk.resolve("E01024372").kind, lk.resolve("E01000001").kind, lk.resolve("nonsense").kind
        ('current', 'unknown', 'invalid')
        """
        code = normalise_code(text)
        if code is None:
            return LsoaResolution(str(text)[:20] if text is not None else "", "invalid")
        if code in self.current:
            return LsoaResolution(code, "current", (code,))
        if code in self.successors_of:
            kind = _KINDS.get(self.change_of.get(code, ""), "redrawn")
            return LsoaResolution(code, kind, tuple(c for c in self.successors_of[code] if c in self.current)
                                  or self.successors_of[code])
        return LsoaResolution(code, "unknown")

    def predecessors(self, code21: str) -> tuple[str, ...]:
        """The 2011 code(s) a 2021 LSOA came from (itself when unchanged), in code order.

        >>> LsoaLookup.from_rows([("E01033090", "E01034991", "S")]).predecessors("E01034991")
        ('E01033090',)
        """
        return tuple(sorted(old for old, new in self.successors_of.items() if code21 in new))

    def changed_predecessors(self, code21: str) -> tuple[str, ...]:
        """The 2011 code(s) of a 2021 LSOA when its code changed (empty when it kept its code).

        >>> lk = LsoaLookup.from_rows([("E01033090", "E01034991", "S"), ("E01024372", "E01024372", "U")])
        >>> lk.changed_predecessors("E01034991"), lk.changed_predecessors("E01024372")
        (('E01033090',), ())
        """
        return tuple(c for c in self.predecessors(code21) if c != code21)

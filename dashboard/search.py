"""Find my area: what a typed text means, as pure functions over the store's tables (no Streamlit).

A reader types a postcode (full, sector or district, any case or spacing), a street or place name as
police.uk writes it ("On or near Loose Road" -> "Loose Road"; "loose rd" and typos match through
rapidfuzz), a ward on either boundary set, a ward cluster, or an LSOA name or code (2021, or a 2011 code
from the Strategic Assessment, which leads to its 2021 successors with a note). :func:`search` answers
with a :class:`Result`: one :class:`Target` to show, a short list of choices, an out-of-borough message,
or "not found" with suggestions. The text is never used to build SQL and never rendered as markup: the
page shows it with ``st.text`` only.

Streets: police.uk snap points that share a name are grouped into one street when they lie within
:data:`STREET_GAP_M` of each other (single linkage), so "High Street" in Headcorn and in Maidstone town
centre are separate choices, while Loose Road's points (about 1 km apart at most) stay one street. police.uk's
place types ("Parking Area", "Supermarket"...) are grouped by May-2024 ward instead.

Targets are written to the URL as ``find=<kind>:<key>`` (:meth:`Target.param`) and read back with
:meth:`SearchIndex.target` (checked against the index, so a hostile URL finds nothing).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from smp_data.postcodes import MAIDSTONE_DISTRICT_CODE, normalise_postcode, parse_postcode_query

__all__ = [
    "MAX_QUERY_LENGTH",
    "STREET_GAP_M",
    "RADII",
    "PLACE_TYPES",
    "clean_text",
    "place_name",
    "display_name",
    "normalise_name",
    "street_groups",
    "Target",
    "Result",
    "SearchIndex",
    "search",
    "parse_find",
    "metres_between",
]

MAX_QUERY_LENGTH = 100  # longer text is cut (and the reader told)
STREET_GAP_M = 2000.0
RADII = {250: "250 m", 500: "500 m", 1000: "1 km"}
FUZZY_CUTOFF = 82  # rapidfuzz WRatio score (0-100) for a suggestion
FUZZY_SURE = 90  # a single match at or above this is taken without asking
MAX_CHOICES = 8
# police.uk's anonymisation uses these place types as location names (not streets)
PLACE_TYPES = frozenset({
    "Parking Area", "Sports/Recreation Area", "Petrol Station", "Park/Open Space", "Shopping Area", "Supermarket",
    "Hospital", "Nightclub", "Police Station", "Bus/Coach Station", "Pedestrian Subway", "Theatre/Concert Hall",
    "Conference/Exhibition Centre", "Further/Higher Educational Building", "Airport/Airfield", "Prison",
    "Train Station", "Railway Station", "Shopping Centre",
})
_ABBREVIATIONS = {
    "rd": "road", "st": "street", "ave": "avenue", "av": "avenue", "ln": "lane", "cl": "close", "dr": "drive",
    "gdns": "gardens", "gdn": "gardens", "pl": "place", "ct": "court", "cres": "crescent", "cr": "crescent",
    "sq": "square", "tce": "terrace", "terr": "terrace", "pk": "park", "gr": "grove", "hl": "hill",
    "wy": "way", "mws": "mews", "pde": "parade", "rdbt": "roundabout", "nth": "north", "sth": "south",
    "e": "east", "w": "west", "n": "north", "s": "south", "saint": "st", "and": "&",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_LSOA_CODE = re.compile(r"^E0[12][0-9]{6}$")
_WARD_CODE = re.compile(r"^E05[0-9]{6}$")
_LSOA_NAME = re.compile(r"^(maidstone)\s*([0-9]{3}[a-z])$")


def clean_text(text) -> tuple[str, bool]:
    """The typed text made safe to work with: Unicode NFKC, control and invisible characters removed,
    whitespace collapsed, cut to :data:`MAX_QUERY_LENGTH`. Returns (text, was_cut).

    >>> clean_text("  Loose\\tRoad\\u200b ")
    ('Loose Road', False)
    >>> clean_text("x" * 150)[1], len(clean_text("x" * 150)[0])
    (True, 100)
    >>> clean_text(None)
    ('', False)
    """
    if not isinstance(text, str):
        return "", False
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))
    text = _CONTROL.sub("", text).strip()
    return (text[:MAX_QUERY_LENGTH].strip(), True) if len(text) > MAX_QUERY_LENGTH else (text, False)


def place_name(location: str | None) -> str:
    """A police.uk location without its "On or near" prefix ('' when nothing is left).

    >>> place_name("On or near Loose Road"), place_name("On or near"), place_name(None)
    ('Loose Road', '', '')
    """
    if not location:
        return ""
    return re.sub(r"^\s*on or near\b", "", location, flags=re.I).strip()


def display_name(name: str) -> str:
    """A police.uk place name as people write it (police.uk title-cases after an apostrophe).

    >>> display_name("Gabriel'S Hill"), display_name("St Faith'S Street"), display_name("Loose Road")
    ("Gabriel's Hill", "St Faith's Street", 'Loose Road')
    """
    return re.sub(r"'S\b", "'s", name)


def normalise_name(text: str) -> str:
    """The form names are compared in: lower case, accents and punctuation dropped, common abbreviations
    expanded (a final 'st' is street, an initial one saint), 'on or near' dropped.

    >>> normalise_name("On or near Gabriel'S Hill"), normalise_name("loose rd"), normalise_name("LOOSE  ROAD")
    ('gabriels hill', 'loose road', 'loose road')
    >>> normalise_name("St Faith's St"), normalise_name("Saint Faiths Street"), normalise_name("Fant and Oakwood")
    ('st faiths street', 'st faiths street', 'fant & oakwood')
    >>> normalise_name("🙂🙂"), normalise_name("Sports/Recreation Area")
    ('', 'sports recreation area')
    """
    text = unicodedata.normalize("NFKD", place_name(text) if text else "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("'", "").replace("\u2019", "")
    text = re.sub(r"[^a-z0-9&]+", " ", text).strip()
    words = text.split()
    out = []
    for i, w in enumerate(words):
        if w == "st" and i == len(words) - 1 and i > 0:
            out.append("street")
        elif w in ("st", "saint") and i < len(words) - 1:
            out.append("st")
        else:
            out.append(_ABBREVIATIONS.get(w, w) if len(words) > 1 or w in ("and",) else w)
    return " ".join(out)


def metres_between(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Distance in metres (equirectangular; well under 0.5% error across a borough).

    >>> round(float(metres_between(0.52, 51.27, 0.52, 51.28)))
    1112
    """
    lat0 = np.radians((np.asarray(lat1, dtype=float) + np.asarray(lat2, dtype=float)) / 2)
    dx = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float)) * np.cos(lat0)
    dy = np.radians(np.asarray(lat2, dtype=float) - np.asarray(lat1, dtype=float))
    return 6_371_000.0 * np.hypot(dx, dy)


def street_groups(lon, lat, gap_m: float = STREET_GAP_M) -> list[int]:
    """Group points by single linkage: points within ``gap_m`` of any point of a group join it. Groups are
    numbered from the west.

    >>> street_groups([0.50, 0.505, 0.70], [51.2, 51.2, 51.2])
    [0, 0, 1]
    """
    n = len(lon)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    for i in range(n):
        near = np.flatnonzero(metres_between(lon[i], lat[i], lon, lat) <= gap_m)
        for j in near:
            a, b = find(i), find(int(j))
            if a != b:
                parent[b] = a
    roots = [find(i) for i in range(n)]
    west = {}
    for i, r in enumerate(roots):
        west[r] = min(west.get(r, np.inf), lon[i])
    order = {r: k for k, r in enumerate(sorted(west, key=lambda r: (west[r], r)))}
    return [order[r] for r in roots]


@dataclass(frozen=True)
class Target:
    """Something the page can show: kind is postcode | sector | district | street | ward | cluster | lsoa.

    ``ward_set`` is the boundary set of a ward or cluster ('2022' | '2024'); ``points`` are (lon, lat) of a
    postcode or a street's snap points; ``note`` says how the text was read (e.g. a 2011 LSOA code)."""

    kind: str
    key: str
    label: str
    ward_set: str = ""
    points: tuple[tuple[float, float], ...] = ()
    note: str = ""

    @property
    def param(self) -> str:
        return f"{self.kind}:{self.key}"

    @property
    def has_point(self) -> bool:
        return bool(self.points)


@dataclass(frozen=True)
class Result:
    """What a search found. status: found | choose | outside | not_found | empty."""

    status: str
    query: str
    target: Target | None = None
    choices: tuple[Target, ...] = ()
    message: str = ""
    notes: tuple[str, ...] = ()


def parse_find(value) -> tuple[str, str] | None:
    """A ``find`` URL value split into (kind, key), or None when it is not of that shape.

    >>> parse_find("postcode:ME15 9QL"), parse_find("ward:E05015603"), parse_find("bogus"), parse_find("x" * 300)
    (('postcode', 'ME15 9QL'), ('ward', 'E05015603'), None, None)
    """
    if not isinstance(value, str) or len(value) > 200:
        return None
    kind, sep, key = value.partition(":")
    if not sep or kind not in {"postcode", "sector", "district", "street", "ward", "cluster", "lsoa"} or not key:
        return None
    return kind, key


@dataclass
class SearchIndex:
    """Everything a search needs, built once per store from its tables (see :meth:`from_tables`); plain
    dictionaries so that a search is a few lookups and one rapidfuzz pass."""

    postcodes: dict[str, dict]  # postcode -> row of the ``search.postcodes`` query
    by_area: dict[tuple[str, str], list[str]]  # ('sector', 'ME15 6') / ('district', 'ME15') -> borough postcodes
    borough_outward: frozenset[str]
    streets: dict[str, dict]  # key -> name, norm, label, records, wards_2024, wards_2022, is_place_type, points
    wards: dict[tuple[str, str], dict]  # (ward_set, code) -> ward_name, cluster
    clusters: dict[tuple[str, str], dict]  # (ward_set, cluster) -> cluster_label, wards
    lsoas: dict[str, dict]  # lsoa21_code -> lsoa21_name, ward names, population
    lsoa11: dict[str, list[dict]]  # lsoa11 code and 2011 name -> lookup rows
    names: list[tuple[str, str, str]] = field(default_factory=list)  # (norm, kind, key) for fuzzy matching
    norms: list[str] = field(default_factory=list)
    # the search.* queries (queries/search/search.sql) that feed from_tables, in its argument order
    QUERIES = ("postcodes", "snap_points", "wards_both_sets", "clusters_both_sets", "lsoas", "lsoa_2011_to_2021")

    @classmethod
    def from_tables(cls, postcodes: pd.DataFrame, snap_points: pd.DataFrame, wards: pd.DataFrame,
                    clusters: pd.DataFrame, lsoas: pd.DataFrame, lsoa11: pd.DataFrame) -> "SearchIndex":
        """``snap_points``: the ``search.snap_points`` query (location, longitude, latitude, records,
        ward_2024_name, ward_2022_name); the others as the other ``search.*`` queries return them."""
        pcs = {r["postcode"]: r for r in postcodes.to_dict("records")}
        by_area: dict[tuple[str, str], list[str]] = {}
        for pc, r in pcs.items():
            if r["in_borough"]:
                by_area.setdefault(("sector", r["sector"]), []).append(pc)
                by_area.setdefault(("district", r["outward_code"]), []).append(pc)
        outward = frozenset(k for kind, k in by_area if kind == "district")
        streets = _streets(snap_points, postcodes)
        ward_map = {(r["ward_set"], r["ward_code"]): r for r in wards.to_dict("records")}
        cluster_map = {(r["ward_set"], r["cluster"]): r for r in clusters.to_dict("records")}
        lsoa_map = {r["lsoa21_code"]: r for r in lsoas.to_dict("records")}
        lk: dict[str, list[dict]] = {}
        for r in lsoa11.to_dict("records"):
            lk.setdefault(r["lsoa11_code"], []).append(r)
            lk.setdefault(r["lsoa11_name"], []).append(r)
        names = [(v["norm"], "street", k) for k, v in streets.items() if v["norm"]]
        names += [(normalise_name(r["ward_name"]), "ward", f"{s}|{c}") for (s, c), r in ward_map.items()]
        names += [(normalise_name(r["lsoa21_name"]), "lsoa", c) for c, r in lsoa_map.items()]
        return cls(pcs, by_area, outward, streets, ward_map, cluster_map, lsoa_map, lk, names,
                   [n for n, _, _ in names])

    @classmethod
    def from_connection(cls, con) -> "SearchIndex":
        """Build the index straight from a store connection (the ``search.*`` named queries)."""
        import queries  # noqa: PLC0415

        return cls.from_tables(*(queries.run_df(con, f"search.{n}") for n in cls.QUERIES))

    # ---- targets ---------------------------------------------------------------------------------------------

    def postcode_target(self, postcode: str) -> Target | None:
        r = self.postcodes.get(postcode)
        if r is None or not r["in_borough"]:
            return None
        return Target("postcode", postcode, postcode, points=((float(r["longitude"]), float(r["latitude"])),))

    def street_target(self, key: str) -> Target | None:
        s = self.streets.get(key)
        return None if s is None else Target("street", key, s["label"], points=s["points"])

    def ward_target(self, ward_set: str, code: str, note: str = "") -> Target | None:
        r = self.wards.get((ward_set, code))
        if r is None:
            return None
        label = f"{r['ward_name']} ward ({'May-2024' if ward_set == '2024' else 'pre-May-2024'} wards)"
        return Target("ward", f"{ward_set}|{code}", label, ward_set=ward_set, note=note)

    def cluster_target(self, ward_set: str, cluster: str) -> Target | None:
        r = self.clusters.get((ward_set, cluster))
        if r is None:
            return None
        derived = " (derived)" if ward_set == "2024" else ""
        label = f"{r['cluster_label']}{derived}, {'May-2024' if ward_set == '2024' else 'pre-May-2024'} wards"
        return Target("cluster", f"{ward_set}|{cluster}", label, ward_set=ward_set)

    def lsoa_target(self, code: str, note: str = "") -> Target | None:
        r = self.lsoas.get(code)
        return None if r is None else Target("lsoa", code, f"LSOA {r['lsoa21_name']} ({code})", note=note)

    def area_target(self, kind: str, key: str) -> Target | None:
        """A sector or district of the borough's postcodes."""
        pcs = self.by_area.get((kind, key))
        if not pcs:
            return None
        what = "Postcode sector" if kind == "sector" else "Postcode district"
        pts = tuple((float(self.postcodes[p]["longitude"]), float(self.postcodes[p]["latitude"])) for p in pcs)
        return Target(kind, key, f"{what} {key}", points=pts)

    def target(self, kind: str, key: str) -> Target | None:
        """The target a ``find`` URL value names, or None when the store has no such thing."""
        if kind == "postcode":
            pc = normalise_postcode(key)
            return self.postcode_target(pc) if pc else None
        if kind == "street":
            return self.street_target(key)
        if kind in ("ward", "cluster"):
            ward_set, _, code = key.partition("|")
            if ward_set not in ("2022", "2024"):
                return None
            return self.ward_target(ward_set, code) if kind == "ward" else self.cluster_target(ward_set, code)
        if kind == "lsoa":
            return self.lsoa_target(key)
        return self.area_target(kind, key)

    def _from_name(self, kind: str, key: str) -> Target | None:
        if kind == "street":
            return self.street_target(key)
        if kind == "ward":
            s, _, code = key.partition("|")
            return self.ward_target(s, code)
        return self.lsoa_target(key)

    # ---- facts the page shows ----------------------------------------------------------------------------------

    def area_postcodes(self, target: Target) -> pd.DataFrame:
        """The borough postcodes of a sector or district, one row each."""
        return pd.DataFrame([self.postcodes[p] for p in self.by_area.get((target.kind, target.key), [])])

    def street_wards(self, key: str) -> dict[str, list[str]]:
        """The wards (both sets) a street's snap points lie in, west to east."""
        s = self.streets[key]
        return {"2024": s["wards_2024"], "2022": s["wards_2022"]}

    @property
    def has_postcodes(self) -> bool:
        return bool(self.postcodes)


def _streets(snap: pd.DataFrame, postcodes: pd.DataFrame | None = None) -> dict[str, dict]:
    """Group snap points into streets and places (see the module docstring). A name found in several places
    has each place labelled with its wards and the postcode sector nearest to it."""
    by_name: dict[str, list[dict]] = {}
    for r in snap.to_dict("records"):
        name = place_name(r["location"])
        if name and r["longitude"] == r["longitude"]:  # not NaN
            by_name.setdefault(name, []).append(r)
    borough = postcodes[postcodes["in_borough"].astype(bool)] if postcodes is not None and len(postcodes) else None
    pc_lon = borough["longitude"].to_numpy(dtype=float) if borough is not None else None
    pc_lat = borough["latitude"].to_numpy(dtype=float) if borough is not None else None

    def nearest_sector(members) -> str:
        if borough is None:
            return ""
        lon = float(np.mean([r["longitude"] for r in members]))
        lat = float(np.mean([r["latitude"] for r in members]))
        return str(borough["sector"].iloc[int(np.argmin(metres_between(lon, lat, pc_lon, pc_lat)))])

    out: dict[str, dict] = {}
    for name in sorted(by_name):
        pts = sorted(by_name[name], key=lambda r: (r["longitude"], r["latitude"]))
        norm = normalise_name(name)
        is_type = name in PLACE_TYPES
        if is_type:
            wards = [r["ward_2024_name"] or "outside the wards" for r in pts]
            order = {w: k for k, w in enumerate(sorted(set(wards)))}
            groups = [order[w] for w in wards]
        else:
            groups = street_groups([r["longitude"] for r in pts], [r["latitude"] for r in pts]) if len(pts) > 1 else [0]
        n_groups = max(groups) + 1
        for g in range(n_groups):
            members = [r for r, k in zip(pts, groups) if k == g]
            key = f"{name}#{g}" if n_groups > 1 else name
            w24 = list(dict.fromkeys(r["ward_2024_name"] for r in members if isinstance(r["ward_2024_name"], str)))
            w22 = list(dict.fromkeys(r["ward_2022_name"] for r in members if isinstance(r["ward_2022_name"], str)))
            near = nearest_sector(members) if n_groups > 1 and not is_type else ""
            label = (f"{display_name(name)} ({'police.uk place type, ' if is_type else ''}"
                     f"{', '.join(w24) or 'no ward'}{', near ' + near if near else ''})")
            out[key] = {"name": name, "norm": norm, "label": label, "records": int(sum(r["records"] for r in members)),
                        "n_points": len(members), "wards_2024": w24, "wards_2022": w22, "is_place_type": is_type,
                        "points": tuple((float(r["longitude"]), float(r["latitude"])) for r in members)}
    return out


# ---- the search itself ------------------------------------------------------------------------------------------


def search(index: SearchIndex, text) -> Result:
    """Read ``text`` and find what it names (see the module docstring for the order of the readings)."""
    query, cut = clean_text(text)
    notes = (f"Only the first {MAX_QUERY_LENGTH} characters were used.",) if cut else ()
    if not query or not re.search(r"[0-9A-Za-z]", query):
        return Result("empty", query, message="Type a postcode (e.g. ME15 6JQ), a street or place, a ward, or an "
                      "LSOA name or code.", notes=notes)
    compact = re.sub(r"\s+", "", query).upper()
    # ONS codes: an LSOA (2021, or 2011 leading to its successors) or a ward on either set
    if _LSOA_CODE.match(compact):
        return _lsoa_code(index, compact, query, notes)
    if _WARD_CODE.match(compact):
        hits = [t for s in ("2024", "2022") if (t := index.ward_target(s, compact))]
        if hits:
            return Result("found", query, hits[0], notes=notes)
        return Result("not_found", query, message="No Maidstone ward has this code on either boundary set.",
                      notes=notes)
    readings = parse_postcode_query(query)
    if readings:
        return _postcode(index, readings, query, notes)
    norm = normalise_name(query)
    # an LSOA name: 'Maidstone 012A' (2021), or a 2011 name
    m = _LSOA_NAME.match(norm)
    if m:
        return _lsoa_name(index, f"Maidstone {m.group(2)[:3]}{m.group(2)[3].upper()}", query, notes)
    # a cluster: 'cluster 5', 'c5'
    m = re.match(r"^(?:ward )?(?:cluster|c) ?([1-8])$", norm)
    if m:
        choices = tuple(t for s in ("2024", "2022") if (t := index.cluster_target(s, f"Cluster {m.group(1)}")))
        return Result("choose", query, choices=choices, message="Clusters exist on both ward sets: choose one.",
                      notes=notes)
    return _names(index, norm, query, notes)


def _lsoa_code(index: SearchIndex, code: str, query: str, notes) -> Result:
    if code in index.lsoas:
        return Result("found", query, index.lsoa_target(code), notes=notes)
    succ = index.lsoa11.get(code)
    if not succ:
        return Result("not_found", query, message="This is not a Maidstone LSOA code (2011 or 2021).", notes=notes)
    return _successors(index, succ, query, notes)


def _lsoa_name(index: SearchIndex, name: str, query: str, notes) -> Result:
    hit = [c for c, r in index.lsoas.items() if r["lsoa21_name"] == name]
    if hit:
        return Result("found", query, index.lsoa_target(hit[0]), notes=notes)
    succ = index.lsoa11.get(name)
    if not succ:
        return Result("not_found", query, message=f"No Maidstone LSOA is called {name} (2011 or 2021 names).",
                      notes=notes)
    return _successors(index, succ, query, notes)


def _successors(index: SearchIndex, succ: list[dict], query: str, notes) -> Result:
    old_code, old_name = succ[0]["lsoa11_code"], succ[0]["lsoa11_name"]
    change = {"S": "was split into", "M": "was merged into", "X": "was redrawn as", "U": "is unchanged as"}.get(
        succ[0]["change"], "became")
    names = [f"{r['lsoa21_name']} ({r['lsoa21_code']})" for r in succ]
    note = (f"{old_name} ({old_code}) is a 2011 LSOA (as used in the Strategic Assessment); in 2021 ONS "
            f"{'it ' + change} {' and '.join(names)} (ONS LSOA 2011 to 2021 lookup).")
    targets = tuple(t for r in succ if (t := index.lsoa_target(r["lsoa21_code"], note=note)))
    if len(targets) == 1:
        return Result("found", query, targets[0], notes=(*notes, note))
    return Result("choose", query, choices=targets, message="Choose one of its 2021 successors.",
                  notes=(*notes, note))


def _postcode(index: SearchIndex, readings, query: str, notes) -> Result:
    borough_outward = index.borough_outward
    if not index.has_postcodes:
        return Result("not_found", query, message="Postcode search is not available: this data store was built "
                      "without postcodes. Search a street, a ward or an LSOA instead.", notes=notes)
    for kind, value in readings:
        if kind == "full":
            t = index.postcode_target(value)
            if t:
                return Result("found", query, t, notes=notes)
            return _outside_postcode(index, value, borough_outward, query, notes)
        t = index.area_target(kind, value)
        if t:
            return Result("found", query, t, notes=notes)
    kind, value = readings[0]
    outward = value.split(" ")[0]
    what = "postcode sector" if kind == "sector" else "postcode district"
    if outward in borough_outward:
        return Result("not_found", query, message=f"No live postcode of {what} {value} is in Maidstone borough. This "
                      f"dashboard covers Maidstone borough only; other postcodes of {outward} are.", notes=notes)
    return Result("outside", query, message=f"{value} is not in Maidstone borough: no live postcode of {what} {value} "
                  "is. This dashboard covers Maidstone borough only.", notes=notes)


def _outside_postcode(index: SearchIndex, postcode: str, borough_outward: set, query: str, notes) -> Result:
    outward = postcode.split(" ")[0]
    if postcode in index.postcodes:  # a fuller Code-Point Open file names its district
        r = index.postcodes[postcode]
        district = r["district_name"] if isinstance(r["district_name"], str) else r["district_code"]
        return Result("outside", query, message=f"{postcode} is in {district}, not in Maidstone borough. This "
                      "dashboard covers Maidstone borough only.", notes=notes)
    if outward in borough_outward:
        n = len(index.by_area.get(("district", outward), []))
        return Result("outside", query, message=f"{postcode} is not a live postcode in Maidstone borough. This dashboard "
                      f"covers Maidstone borough only: {n:,} live postcodes of {outward} are in the borough and the rest "
                      f"of {outward} is in neighbouring districts. Check the postcode, or search a street.",
                      notes=notes)
    return Result("outside", query, message=f"{postcode} is not in Maidstone borough (no live postcode of {outward} is). "
                  "This dashboard covers Maidstone borough only.", notes=notes)


def _names(index: SearchIndex, norm: str, query: str, notes) -> Result:
    from rapidfuzz import fuzz, process  # noqa: PLC0415

    if not norm:
        return Result("not_found", query, message="Nothing to search for in that text: type a postcode, a street, "
                      "a ward or an LSOA.", notes=notes)
    exact = [(k, key) for n, k, key in index.names if n == norm]
    if not exact:  # a ward name typed without '&'/'and' differences, e.g. 'fant oakwood'
        bare = norm.replace("& ", "")
        exact = [(k, key) for n, k, key in index.names if n.replace("& ", "") == bare]
    hits = exact
    fuzzy = False
    order: dict[tuple[str, str], float] = {}
    if not hits:
        # recall with WRatio (partial and token matches), then rank by whole-name similarity: a typo of a
        # whole name ('loose raod') beats a name that merely contains a word of the text
        found = process.extract(norm, index.norms, scorer=fuzz.WRatio, limit=MAX_CHOICES * 3,
                                score_cutoff=FUZZY_CUTOFF)
        scored = [(fuzz.ratio(norm, index.norms[i]), w, i) for _, w, i in found]
        if scored:
            best_full = max(f for f, _, _ in scored)
            if best_full >= FUZZY_SURE - 5:
                keep = [x for x in scored if x[0] >= best_full - 5]
            else:
                best = max(w for _, w, _ in scored)
                keep = [x for x in scored if x[1] >= best - 6]
            keep.sort(key=lambda x: (-x[0], -x[1]))
            hits = [(index.names[i][1], index.names[i][2]) for _, _, i in keep]
            order = {}
            for full, _, i in keep:
                order.setdefault((index.names[i][1], index.names[i][2]), full)
            fuzzy = not (best_full >= FUZZY_SURE - 5 and len({index.names[i][0] for _, _, i in keep}) == 1)
    targets = [t for kind, key in dict.fromkeys(hits) if (t := index._from_name(kind, key))]
    if order:  # fuzzy: best whole-name similarity first, then the usual order
        rank = {t: _rank_key(index, t) for t in targets}
        score = {t: order.get((t.kind, t.key if t.kind != "ward" else t.key), 0) for t in targets}
        targets = sorted(targets, key=lambda t: (-score[t], rank[t]))[:MAX_CHOICES]
    else:
        targets = _rank(index, targets)[:MAX_CHOICES]
    if not targets:
        return Result("not_found", query, message="Not found. Try a postcode (e.g. ME15 6JQ), a street name as on "
                      "police.uk (e.g. Loose Road), a ward or an LSOA.", choices=tuple(_suggest(index, norm)),
                      notes=notes)
    if len(targets) == 1 and not fuzzy:
        return Result("found", query, targets[0], notes=notes)
    msg = "Did you mean one of these?" if fuzzy else "Several places match: choose one."
    return Result("choose", query, choices=tuple(targets), message=msg, notes=notes)


def _rank_key(index: SearchIndex, t: Target) -> tuple:
    if t.kind == "ward":
        return (0, 0 if t.ward_set == "2024" else 1, 0, t.label)
    if t.kind == "street":
        return (1, 0, -int(index.streets[t.key]["records"]), t.label)
    return (2, 0, 0, t.label)


def _rank(index: SearchIndex, targets: list[Target]) -> list[Target]:
    """Wards first (May-2024, then pre-May-2024), then streets with most records, then LSOAs."""
    return sorted(targets, key=lambda t: _rank_key(index, t))


def _suggest(index: SearchIndex, norm: str) -> list[Target]:
    """Loose suggestions for text nothing matched (partial-token similarity)."""
    from rapidfuzz import fuzz, process  # noqa: PLC0415

    found = process.extract(norm, index.norms, scorer=fuzz.token_set_ratio, limit=5, score_cutoff=60)
    out: list[Target] = []
    for _, _, i in found:
        t = index._from_name(index.names[i][1], index.names[i][2])
        if t and t not in out:
            out.append(t)
    return out[:5]

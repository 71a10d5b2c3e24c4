"""Telling police.uk snap points apart: British National Grid coordinates, OS grid references and
the nearest named location.

police.uk publishes each record at an anonymised *snap point* named "On or near <name>". Many
names are generic place types ("Shopping Area", "Parking Area", "Supermarket"), so two different
points can share a name; street names repeat too (a "High Street" in several villages). A patrol
list therefore gives each point its ward, the nearest point with a proper name (a street or a
named place), and an Ordnance Survey grid reference.

Pure functions: no Streamlit, no store.

>>> grid_reference(575912, 155678)
'TQ 7591 5567'
>>> is_named("Shopping Area"), is_named("Week Street"), is_named("")
(False, True, False)
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = ["GENERIC_PLACES", "is_named", "to_bng", "grid_reference", "nearest_named", "place_name"]

# police.uk's generic snap-point names: place types, not places (several points share each one)
GENERIC_PLACES = frozenset({
    "Airport/Airfield", "Bus/Coach Station", "Conference/Exhibition Centre", "Further/Higher Educational Building",
    "Hospital", "Nightclub", "Park/Open Space", "Parking Area", "Pedestrian Subway", "Petrol Station",
    "Police Station", "Prison", "Shopping Area", "Sports/Recreation Area", "Supermarket", "Theatre/Concert Hall",
    "Theme/Adventure Park",
})
_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # the OS grid's 25 letters (no I)


def place_name(location) -> str:
    """The name in a police.uk ``Location`` ("On or near Week Street" -> "Week Street").

    >>> place_name("On or near Shopping Area"), place_name("On or near"), place_name(None)
    ('Shopping Area', '', '')
    >>> place_name("On or near Gabriel'S Hill")
    "Gabriel's Hill"
    """
    text = "" if location is None or (isinstance(location, float) and np.isnan(location)) else str(location)
    text = text.strip()
    if text.lower().startswith("on or near"):
        text = text[len("on or near"):]
    return re.sub(r"(?<=[a-z])'S\b", "'s", text.strip())  # police.uk writes "Gabriel'S Hill"


def is_named(name: str) -> bool:
    """True for a proper name (a street or a named place), False for a generic place type or no name."""
    return bool(name) and name not in GENERIC_PLACES


@lru_cache(maxsize=1)
def _transformer():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def to_bng(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude/latitude to British National Grid easting/northing in metres (pyproj)."""
    e, n = _transformer().transform(np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64"))
    return np.asarray(e, dtype="float64"), np.asarray(n, dtype="float64")


def grid_reference(easting: float, northing: float, digits: int = 8) -> str:
    """An Ordnance Survey grid reference: two letters for the 100 km square, then ``digits`` figures
    (8: to 10 metres, enough to tell neighbouring snap points apart).

    Examples
    --------
    >>> grid_reference(216600, 771200, 6)  # Ben Nevis summit, NN 166 712
    'NN 166 712'
    >>> grid_reference(651409, 313177, 10)
    'TG 51409 13177'
    >>> grid_reference(-5, 10)
    ''
    """
    if digits not in (4, 6, 8, 10):
        raise ValueError("a grid reference has 4, 6, 8 or 10 figures")
    if not (np.isfinite(easting) and np.isfinite(northing)) or not (0 <= easting < 700_000 and
                                                                       0 <= northing < 1_300_000):
        return ""
    e100, n100 = int(easting // 100_000), int(northing // 100_000)
    # first letter: 500 km squares from S (SV is the false origin), second: 100 km squares within it
    l1 = (19 - n100) - (19 - n100) % 5 + (e100 + 10) // 5
    l2 = (19 - n100) * 5 % 25 + e100 % 5
    half = digits // 2
    scale = 10 ** (5 - half)
    e = int(easting % 100_000) // scale
    n = int(northing % 100_000) // scale
    return f"{_LETTERS[l1]}{_LETTERS[l2]} {e:0{half}d} {n:0{half}d}"


def nearest_named(targets: pd.DataFrame, named: pd.DataFrame) -> pd.DataFrame:
    """For each target point, the nearest named point with a different name, and how far it is.

    Parameters
    ----------
    targets : DataFrame with ``place``, ``easting``, ``northing``
    named : DataFrame with ``place``, ``easting``, ``northing`` (candidate named points)

    Returns
    -------
    DataFrame (targets' index) with ``nearest_named`` and ``nearest_named_m`` (metres, rounded to
    10 m); empty text and NaN where there is no candidate.

    Examples
    --------
    >>> t = pd.DataFrame({"place": ["Shopping Area"], "easting": [0.0], "northing": [0.0]})
    >>> c = pd.DataFrame({"place": ["Week Street", "Shopping Area", "Earl Street"],
    ...                   "easting": [30.0, 1.0, 500.0], "northing": [40.0, 0.0, 0.0]})
    >>> nearest_named(t, c).values.tolist()
    [['Week Street', 50.0]]
    """
    out = pd.DataFrame({"nearest_named": [""] * len(targets), "nearest_named_m": np.nan}, index=targets.index)
    if named.empty or targets.empty:
        return out
    ce, cn = named["easting"].to_numpy(float), named["northing"].to_numpy(float)
    cp = named["place"].to_numpy(object)
    names, dists = [], []
    for place, e, n in zip(targets["place"], targets["easting"], targets["northing"]):
        d = np.hypot(ce - e, cn - n)
        d = np.where(cp == place, np.inf, d)
        i = int(np.argmin(d))
        ok = np.isfinite(d[i])
        names.append(cp[i] if ok else "")
        dists.append(round(float(d[i]), -1) if ok else np.nan)
    out["nearest_named"], out["nearest_named_m"] = names, dists
    return out

"""Placing records in their district, LSOA 2021, wards (both sets) and clusters.

Rules, in order (``location_method`` records which one placed the ward):

* district: the LSOA name prefix police.uk publishes (``Tonbridge and Malling 001A`` ->
  ``Tonbridge and Malling``; the pre-2018 name Shepway is read as Folkestone and Hythe); for API rows, which carry no LSOA, the Kent district
  polygon that contains the point.
* Maidstone rows (district Maidstone) get an LSOA 2021 code: the published code when it
  is already a 2021 code; for 2011 codes the ONS LSOA11->LSOA21 lookup (unchanged and
  merged LSOAs map one-to-one; a split LSOA is resolved by the point, or the nearest
  child LSOA to it); for API rows the LSOA 2021 polygon containing the point.
* wards on both sets: point-in-polygon on the published ONS boundaries
  (``location_method = 'point'``). Points outside every ward polygon, and records with
  no coordinates, fall back to the LSOA's ward from the ONS lookups
  (``'lsoa_lookup'``): best-fit for May-2024 wards, area-majority for pre-2024 wards.
* clusters follow from the wards (``boundaries/data/clusters_*.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from boundaries import BoundaryData, PointAssigner

__all__ = ["GeoContext", "ENRICHED_FIELDS"]

MAIDSTONE = "Maidstone"
# LSOA names published before a district was renamed (2011 LSOA names in 2022 files)
DISTRICT_ALIASES = {"Shepway": "Folkestone and Hythe"}
ENRICHED_FIELDS = ("district", "lsoa21_code", "ward_2022_code", "ward_2024_code", "location_method")


@dataclass
class _Split:
    children: list[str]


def _district_from_lsoa_name(name: str | None) -> str | None:
    """``'Tonbridge and Malling 001A'`` -> ``'Tonbridge and Malling'``; ``'Shepway 003B'`` ->
    ``'Folkestone and Hythe'`` (renamed in 2018).

    >>> _district_from_lsoa_name("Shepway 003B"), _district_from_lsoa_name(None)
    ('Folkestone and Hythe', None)
    """
    if not name:
        return None
    prefix = name.rsplit(" ", 1)[0]
    return DISTRICT_ALIASES.get(prefix, prefix)


class GeoContext:
    """Prepared spatial indexes and lookups; build once per store build."""

    def __init__(self, data: BoundaryData):
        self.lsoa = PointAssigner(data.lsoa21, "LSOA21CD")
        self.wards = {k: PointAssigner(g, "code") for k, g in data.wards.items()}
        self.districts = PointAssigner(data.districts, "LADNM")
        self.lsoa21_codes = set(data.lsoa21["LSOA21CD"])
        self.lsoa_geom = dict(zip(data.lsoa21["LSOA21CD"], data.lsoa21.geometry))
        self.lsoa_to_ward = {
            "2022": dict(zip(data.lsoa21["LSOA21CD"], data.lsoa21["WD22CD_derived"])),
            "2024": dict(zip(data.lsoa21["LSOA21CD"], data.lsoa21["WD24CD"])),
        }
        self.map_11_21: dict[str, str | _Split] = {}
        for code, grp in data.lsoa11_to_21.groupby("lsoa11_code"):
            kids = sorted(set(grp["lsoa21_code"]))
            self.map_11_21[code] = kids[0] if len(kids) == 1 else _Split(kids)

    def _nearest(self, candidates: list[str], lon: float, lat: float) -> str:
        if not np.isfinite(lon):
            return candidates[0]
        pt = shapely.Point(lon, lat)
        return min(candidates, key=lambda c: (self.lsoa_geom[c].distance(pt), c))

    def enrich(self, lon: list, lat: list, lsoa_codes: list, lsoa_names: list) -> dict[str, list]:
        """Return the ENRICHED_FIELDS columns for one file's records."""
        n = len(lon)
        lon_a = np.array([np.nan if v is None else v for v in lon], dtype="float64")
        lat_a = np.array([np.nan if v is None else v for v in lat], dtype="float64")
        district = [_district_from_lsoa_name(name) for name in lsoa_names]
        no_name = [i for i in range(n) if district[i] is None and np.isfinite(lon_a[i])]
        if no_name:
            found = self.districts.assign(lon_a[no_name], lat_a[no_name])
            for i, d in zip(no_name, found):
                district[i] = d
        out = {f: [None] * n for f in ENRICHED_FIELDS}
        out["district"] = district
        idx = np.array([i for i in range(n) if district[i] == MAIDSTONE], dtype="int64")
        if len(idx) == 0:
            return out
        x, y = lon_a[idx], lat_a[idx]
        pip_lsoa = self.lsoa.assign(x, y)
        pip_ward = {k: a.assign(x, y) for k, a in self.wards.items()}
        for j, i in enumerate(idx):
            published = lsoa_codes[i]
            if published in self.lsoa21_codes:
                lsoa21 = published
            elif published in self.map_11_21:
                target = self.map_11_21[published]
                if isinstance(target, _Split):
                    lsoa21 = pip_lsoa[j] if pip_lsoa[j] in target.children else self._nearest(target.children, x[j], y[j])
                else:
                    lsoa21 = target
            else:  # API rows (no LSOA) or a code outside the lookups
                lsoa21 = pip_lsoa[j]
            out["lsoa21_code"][i] = lsoa21
            w22, w24 = pip_ward["2022"][j], pip_ward["2024"][j]
            if w22 is not None and w24 is not None:
                method = "point"
            elif lsoa21 is not None:
                w22 = w22 or self.lsoa_to_ward["2022"][lsoa21]
                w24 = w24 or self.lsoa_to_ward["2024"][lsoa21]
                method = "lsoa_lookup"
            else:
                method = "none"
            out["ward_2022_code"][i] = w22
            out["ward_2024_code"][i] = w24
            out["location_method"][i] = method
        return out

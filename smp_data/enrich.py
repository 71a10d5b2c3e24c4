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
import pandas as pd
import shapely

from boundaries import BoundaryData, PointAssigner
from smp_data.districts import DISTRICT_ALIASES, MAIDSTONE, district_from_lsoa_name  # noqa: F401 (re-exported)

__all__ = ["GeoContext", "ENRICHED_FIELDS"]

ENRICHED_FIELDS = ("district", "lsoa21_code", "ward_2022_code", "ward_2024_code", "location_method")


@dataclass
class _Split:
    children: list[str]


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

    def districts_by_point(self, lon, lat) -> np.ndarray:
        """The Kent district polygon holding each point (None outside all of them, or no point)."""
        return self.districts.assign(lon, lat)

    def place(self, lon, lat, lsoa_codes) -> dict[str, np.ndarray]:
        """Place Maidstone records in bulk: LSOA 2021, wards on both sets and how (vectorised).

        ``lon``/``lat`` may hold NaN/None (no location); ``lsoa_codes`` the published LSOA codes (None
        for API rows). Returns object arrays ``lsoa21_code``, ``ward_2022_code``, ``ward_2024_code``,
        ``location_method``. A point on a shared boundary goes to the first polygon in layer order (the
        order of the ONS file), so the result is deterministic.
        """
        x = np.asarray([np.nan if v is None else v for v in lon] if isinstance(lon, list) else lon, dtype="float64")
        y = np.asarray([np.nan if v is None else v for v in lat] if isinstance(lat, list) else lat, dtype="float64")
        codes = pd.Series(list(lsoa_codes), dtype=object)
        n = len(x)
        pip_lsoa = self.lsoa.assign(x, y)
        pip22, pip24 = self.wards["2022"].assign(x, y), self.wards["2024"].assign(x, y)
        lsoa21 = pip_lsoa.copy()  # API rows and codes outside the lookups: the point decides
        is21 = codes.isin(self.lsoa21_codes).to_numpy()
        lsoa21[is21] = codes[is21].to_numpy()
        target = codes.map(self.map_11_21).to_numpy(dtype=object)
        mapped = ~is21 & pd.notna(target)
        for i in np.flatnonzero(mapped):
            t = target[i]
            if isinstance(t, _Split):
                lsoa21[i] = pip_lsoa[i] if pip_lsoa[i] in t.children else self._nearest(t.children, x[i], y[i])
            else:
                lsoa21[i] = t
        has22, has24, has_lsoa = pd.notna(pip22), pd.notna(pip24), pd.notna(lsoa21)
        point = has22 & has24
        lookup = ~point & has_lsoa
        w22, w24 = pip22.copy(), pip24.copy()
        fill22, fill24 = lookup & ~has22, lookup & ~has24
        w22[fill22] = pd.Series(lsoa21[fill22]).map(self.lsoa_to_ward["2022"]).to_numpy(dtype=object)
        w24[fill24] = pd.Series(lsoa21[fill24]).map(self.lsoa_to_ward["2024"]).to_numpy(dtype=object)
        method = np.full(n, "none", dtype=object)
        method[point] = "point"
        method[lookup] = "lsoa_lookup"
        return {"lsoa21_code": lsoa21, "ward_2022_code": w22, "ward_2024_code": w24, "location_method": method}

    def enrich(self, lon: list, lat: list, lsoa_codes: list, lsoa_names: list) -> dict[str, list]:
        """Return the ENRICHED_FIELDS columns for a list of records (district, then Maidstone placement)."""
        n = len(lon)
        lon_a = np.array([np.nan if v is None else v for v in lon], dtype="float64")
        lat_a = np.array([np.nan if v is None else v for v in lat], dtype="float64")
        district = [district_from_lsoa_name(name) for name in lsoa_names]
        no_name = [i for i in range(n) if district[i] is None and np.isfinite(lon_a[i])]
        if no_name:
            for i, d in zip(no_name, self.districts_by_point(lon_a[no_name], lat_a[no_name])):
                district[i] = d
        out = {f: [None] * n for f in ENRICHED_FIELDS}
        out["district"] = district
        idx = np.array([i for i in range(n) if district[i] == MAIDSTONE], dtype="int64")
        if len(idx) == 0:
            return out
        placed = self.place(lon_a[idx], lat_a[idx], [lsoa_codes[i] for i in idx])
        for f, values in placed.items():
            for j, i in enumerate(idx):
                out[f][i] = values[j]
        return out


_district_from_lsoa_name = district_from_lsoa_name  # the name the row-at-a-time build used

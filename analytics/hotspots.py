"""Spatial statistics for the Hotspots page: Getis-Ord Gi* hot and cold spots, the
repeat-location rule and a fixed hexagon grid for point density.

Small pure functions (no Streamlit, no store). Gi* uses PySAL: ``libpysal`` queen
contiguity weights and ``esda.G_Local`` with ``star=True`` and permutation inference
with a fixed seed, so the same numbers always give the same classes.

>>> repeat_threshold(3), repeat_threshold(12), repeat_threshold(2)
(3, 7, 2)
>>> gi_class(2.9, 0.004)
'Hot spot 99% confidence'
>>> gi_class(-1.8, 0.08)
'Cold spot 90% confidence'
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "GI_SEED",
    "GI_PERMUTATIONS",
    "GI_CLASSES",
    "HOT_CLASSES",
    "COLD_CLASSES",
    "NOT_SIGNIFICANT",
    "gi_class",
    "getis_ord_classes",
    "queen_weights",
    "repeat_threshold",
    "natural_breaks",
    "hex_bin",
    "hex_index",
    "hexagon_vertices",
    "HEX_ORIGIN",
]

GI_SEED = 20250101  # fixed, so the permutation p-values are the same on every run
GI_PERMUTATIONS = 999
NOT_SIGNIFICANT = "Not significant"
HOT_CLASSES = ("Hot spot 99% confidence", "Hot spot 95% confidence", "Hot spot 90% confidence")
COLD_CLASSES = ("Cold spot 90% confidence", "Cold spot 95% confidence", "Cold spot 99% confidence")
GI_CLASSES = (*HOT_CLASSES, NOT_SIGNIFICANT, *COLD_CLASSES)  # hottest first, coldest last
_LEVELS = ((0.01, 99), (0.05, 95), (0.10, 90))  # p_sim at or below -> confidence %

HEX_ORIGIN = (0.55, 51.27)  # lon, lat of the fixed grid origin (central Maidstone)
_M_PER_DEG_LAT = 111_320.0


def repeat_threshold(n_months: int) -> int:
    """Months with records a location needs to count as a REPEAT location.

    At least ``ceil(n/2) + 1`` of the ``n`` months, or all of them when ``n`` is 1 or 2
    (where ``ceil(n/2) + 1`` would exceed ``n``, or mean "every month" anyway).

    Examples
    --------
    >>> [repeat_threshold(n) for n in range(1, 13)]
    [1, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]
    """
    if isinstance(n_months, bool) or not isinstance(n_months, (int, np.integer)) or n_months < 1:
        raise ValueError(f"the window must be a whole number of months, at least 1; got {n_months!r}")
    n = int(n_months)
    return n if n <= 2 else min(n, math.ceil(n / 2) + 1)


def gi_class(z: float, p_sim: float) -> str:
    """The hot/cold spot class of one area from its Gi* z-score (direction) and folded
    permutation p-value (strength).

    Examples
    --------
    >>> gi_class(3.1, 0.001), gi_class(2.0, 0.03), gi_class(1.7, 0.2), gi_class(-2.5, 0.01)
    ('Hot spot 99% confidence', 'Hot spot 95% confidence', 'Not significant', 'Cold spot 99% confidence')
    """
    if z is None or p_sim is None or not np.isfinite(z) or not np.isfinite(p_sim) or z == 0:
        return NOT_SIGNIFICANT
    for cutoff, level in _LEVELS:
        if p_sim <= cutoff:
            return f"{'Hot' if z > 0 else 'Cold'} spot {level}% confidence"
    return NOT_SIGNIFICANT


def queen_weights(geometries: Iterable, ids: Sequence[str]):
    """Binary queen-contiguity weights (areas sharing an edge or a corner are neighbours).

    Parameters
    ----------
    geometries : sequence of shapely polygons (e.g. a GeoSeries), full resolution
    ids : area codes in the same order

    Raises
    ------
    ValueError
        If an area has no neighbour (Gi* is undefined for an island).
    """
    import geopandas as gpd
    from libpysal.weights import Queen

    ids = [str(i) for i in ids]
    if len(set(ids)) != len(ids):
        raise ValueError("area codes must be unique")
    gdf = gpd.GeoDataFrame({"code": ids}, geometry=list(geometries))
    w = Queen.from_dataframe(gdf, ids=ids, use_index=False, silence_warnings=True)
    if w.islands:
        raise ValueError(f"these areas have no neighbours, so Gi* cannot be computed: {sorted(w.islands)}")
    w.transform = "B"
    return w


def _aligned_values(values, id_order: list[str]) -> np.ndarray:
    if isinstance(values, pd.Series):
        missing = sorted(set(id_order) - set(map(str, values.index)))
        if missing:
            raise ValueError(f"no value for {len(missing)} area(s), e.g. {missing[:3]}")
        arr = values.rename(index=str).reindex(id_order).to_numpy(dtype="float64")
    else:
        arr = np.asarray(list(values), dtype="float64")
        if len(arr) != len(id_order):
            raise ValueError(f"{len(arr)} values for {len(id_order)} areas")
    if not np.isfinite(arr).all():
        raise ValueError("every area needs a value (no missing or infinite values)")
    if (arr < 0).any():
        raise ValueError("Gi* needs values of zero or more (counts or rates)")
    if arr.sum() == 0 or np.ptp(arr) == 0:
        raise ValueError("Gi* needs values that differ between areas (all areas have the same value)")
    return arr


def getis_ord_classes(values, weights, permutations: int = GI_PERMUTATIONS, seed: int = GI_SEED) -> pd.DataFrame:
    """Getis-Ord Gi* for every area, with permutation inference and hot/cold spot classes.

    Parameters
    ----------
    values : pandas.Series indexed by area id, or a sequence in ``weights.id_order``
        Counts or rates, zero or more.
    weights : libpysal.weights.W
        Contiguity weights (binary); not modified. Each area's own value is included in
        its neighbourhood sum (the "star" in Gi*).
    permutations : int
        Conditional random permutations for the pseudo p-values.
    seed : int
        Seed for the permutations: the same inputs and seed always give the same result.

    Returns
    -------
    pandas.DataFrame
        One row per area in ``weights.id_order``: ``area_id``, ``value``, ``gi_z`` (z-score
        of the observed Gi* against the permutations; > 0 means high values cluster
        here), ``p_sim`` (folded pseudo p-value, esda ``alternative="folded"``: the
        share of permutations whose Gi* is at least as far from the permutation mean as
        the observed one, in either direction; ties count as at least as far), ``gi_class`` (one of :data:`GI_CLASSES`).
        The p-values are per area and not corrected for multiple testing.

    Raises
    ------
    ValueError
        For missing, negative or constant values, or a length mismatch.

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> w = lat2W(5, 5, rook=False)
    >>> v = [9 if (i // 5 < 2 and i % 5 < 2) else 1 for i in range(25)]  # hot 2x2 corner
    >>> out = getis_ord_classes(v, w, permutations=99, seed=1)
    >>> out.loc[0, "gi_class"].startswith("Hot spot"), out.loc[24, "gi_class"]
    (True, 'Not significant')
    """
    import esda
    from esda.significance import calculate_significance
    from libpysal.weights import fill_diagonal

    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 9:
        raise ValueError("use at least 9 permutations")
    ids = [str(i) for i in weights.id_order]
    arr = _aligned_values(values, ids)
    w_star = fill_diagonal(weights, 1.0)  # a new W: self-weight 1 = Gi* (the input is untouched)
    with warnings.catch_warnings():
        # esda warns that its default p_sim ('directed') will change; we use 'folded' below
        warnings.simplefilter("ignore", DeprecationWarning)
        g = esda.G_Local(arr, w_star, transform="B", permutations=permutations, star=True,
                         keep_simulations=True, n_jobs=1, seed=seed)
    # Rounding makes a permutation that reproduces the observed neighbourhood sum compare
    # equal to it (ties count as "at least as extreme"), whatever the floating-point order.
    observed = np.round(np.asarray(g.Gs, dtype="float64"), 12)
    sims = np.round(np.asarray(g.rGs, dtype="float64"), 12)
    p = np.asarray(calculate_significance(observed, sims, alternative="folded"), dtype="float64").reshape(-1)
    spread = sims.std(axis=1)
    centre = sims.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(spread > 0, (observed - centre) / spread, 0.0)
    return pd.DataFrame({
        "area_id": ids,
        "value": arr,
        "gi_z": z,
        "p_sim": p,
        "gi_class": [gi_class(zi, pi) for zi, pi in zip(z, p)],
    })


def natural_breaks(values, k: int = 5) -> list[float]:
    """Fisher-Jenks natural breaks (exact), as class upper bounds, ascending.

    Classes minimise the total squared deviation from their means, as
    ``mapclassify.FisherJenks`` does, but the dynamic programme runs over the distinct
    values weighted by how often they occur, so thousands of small counts (hexagon
    totals, with many ties) classify in milliseconds without numba. ``k`` is reduced to
    the number of distinct values; missing values are ignored.

    Examples
    --------
    >>> natural_breaks([1, 2, 3, 10, 11, 12, 50], k=3)
    [3.0, 12.0, 50.0]
    >>> natural_breaks([1, 1, 1, 1, 2, 9], k=2)
    [2.0, 9.0]
    >>> natural_breaks([], k=3)
    []
    """
    arr = np.asarray(pd.to_numeric(pd.Series(list(values), dtype="object"), errors="coerce"), dtype="float64")
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return []
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a whole number of classes, at least 1; got {k!r}")
    v, c = np.unique(arr, return_counts=True)
    m = len(v)
    k = min(int(k), m)
    if k == 1:
        return [float(v[-1])]
    cw = np.concatenate([[0.0], np.cumsum(c)])
    cs = np.concatenate([[0.0], np.cumsum(c * v)])
    cq = np.concatenate([[0.0], np.cumsum(c * v * v)])

    def ssd(i: np.ndarray, j: int) -> np.ndarray:  # classes holding distinct values i..j-1
        w, s1, s2 = cw[j] - cw[i], cs[j] - cs[i], cq[j] - cq[i]
        return s2 - s1 * s1 / w

    cost = np.full((k + 1, m + 1), np.inf)
    back = np.zeros((k + 1, m + 1), dtype=int)
    cost[1, 1:] = [ssd(np.array([0]), j)[0] for j in range(1, m + 1)]
    for cls in range(2, k + 1):
        for j in range(cls, m + 1):
            starts = np.arange(cls - 1, j)
            total = cost[cls - 1, starts] + ssd(starts, j)
            best = int(np.argmin(total))
            cost[cls, j], back[cls, j] = total[best], starts[best]
    bounds, j = [], m
    for cls in range(k, 0, -1):
        bounds.append(float(v[j - 1]))
        j = back[cls, j]
    return bounds[::-1]


def _metres_per_deg_lon(lat0: float) -> float:
    return _M_PER_DEG_LAT * math.cos(math.radians(lat0))


def hex_bin(lon, lat, weight=None, radius_m: float = 200.0, origin: tuple[float, float] = HEX_ORIGIN) -> pd.DataFrame:
    """Sum point weights into a fixed grid of pointy-top hexagons.

    The grid is anchored at ``origin`` (not at the data), so a hexagon covers the same
    ground whatever the filters. Distances use a local flat projection around the
    origin's latitude (error well under 1% across a borough).

    Parameters
    ----------
    lon, lat : sequences of floats (WGS84 degrees)
    weight : sequence of numbers, optional (default 1 per point), e.g. records per snap point
    radius_m : hexagon circumradius in metres (centre to corner)

    Returns
    -------
    pandas.DataFrame
        ``q``, ``r`` (axial hexagon coordinates), ``lon``, ``lat`` (hexagon centre),
        ``records`` (sum of weights), sorted by records (largest first).

    Examples
    --------
    >>> out = hex_bin([0.55, 0.5501, 0.60], [51.27, 51.2701, 51.27], [2, 3, 1])
    >>> out[["q", "r", "records"]].values.tolist()
    [[0, 0, 5], [10, 0, 1]]
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    w = np.ones(len(lon)) if weight is None else np.asarray(weight, dtype="float64")
    if not (len(lon) == len(lat) == len(w)):
        raise ValueError("lon, lat and weight must have the same length")
    ok = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(w)
    lon, lat, w = lon[ok], lat[ok], w[ok]
    q, r = hex_index(lon, lat, radius_m, origin)
    lon0, lat0 = origin
    df = pd.DataFrame({"q": q, "r": r, "w": w})
    out = df.groupby(["q", "r"], as_index=False)["w"].sum().rename(columns={"w": "records"})
    cx = radius_m * math.sqrt(3) * (out["q"] + out["r"] / 2)
    cy = radius_m * 1.5 * out["r"]
    out["lon"] = lon0 + cx / _metres_per_deg_lon(lat0)
    out["lat"] = lat0 + cy / _M_PER_DEG_LAT
    if weight is None or np.all(np.mod(out["records"], 1) == 0):
        out["records"] = out["records"].astype("int64")
    out = out.sort_values(["records", "q", "r"], ascending=[False, True, True], kind="stable")
    return out[["q", "r", "lon", "lat", "records"]].reset_index(drop=True)


def hex_index(lon, lat, radius_m: float = 200.0,
              origin: tuple[float, float] = HEX_ORIGIN) -> tuple[np.ndarray, np.ndarray]:
    """The axial coordinates (q, r) of the grid hexagon holding each point.

    Examples
    --------
    >>> q, r = hex_index([0.55, 0.5529, 0.5515], [51.27, 51.27, 51.2727])
    >>> q.tolist(), r.tolist()
    ([0, 1, 0], [0, 0, 1])
    """
    if radius_m <= 0:
        raise ValueError("the hexagon radius must be positive")
    lon0, lat0 = origin
    x = (np.asarray(lon, dtype="float64") - lon0) * _metres_per_deg_lon(lat0) / radius_m
    y = (np.asarray(lat, dtype="float64") - lat0) * _M_PER_DEG_LAT / radius_m
    return _cube_round(math.sqrt(3) / 3 * x - y / 3, 2 / 3 * y)


def _cube_round(qf: np.ndarray, rf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype("int64"), r.astype("int64")


def hexagon_vertices(lon: float, lat: float, radius_m: float = 200.0,
                     origin: tuple[float, float] = HEX_ORIGIN) -> list[list[float]]:
    """The six corners (lon, lat) of the pointy-top hexagon centred at (lon, lat).

    Examples
    --------
    >>> corners = hexagon_vertices(0.55, 51.27, 200)
    >>> len(corners), round(corners[2][1] - 51.27, 6)  # the top corner is 200 m north
    (6, 0.001797)
    """
    mx, my = _metres_per_deg_lon(origin[1]), _M_PER_DEG_LAT
    out = []
    for k in range(6):
        angle = math.radians(60 * k - 30)
        out.append([round(lon + radius_m * math.cos(angle) / mx, 6), round(lat + radius_m * math.sin(angle) / my, 6)])
    return out

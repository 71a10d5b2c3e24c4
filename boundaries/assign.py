"""Point-in-polygon assignment of police.uk snap points to areas.

Assignment always uses the boundary geometry as published (ONS BGC), never the simplified
geometry drawn on the maps.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["PointAssigner"]


class PointAssigner:
    """Assign (longitude, latitude) points to the polygon of a layer that contains them.

    >>> import geopandas as gpd, shapely
    >>> layer = gpd.GeoDataFrame({"code": ["A", "B"]},
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs="EPSG:4326")
    >>> PointAssigner(layer, "code").assign([0.5, 1.5, 5.0, float("nan")], [0.5, 0.5, 5.0, float("nan")]).tolist()
    ['A', 'B', None, None]

    Repeated points (police.uk snap points recur) get the same answer wherever they stand in the input,
    and a point on the shared edge x = 1 goes to the first polygon, A:

    >>> PointAssigner(layer, "code").assign([1.5, 0.5, 1.5, 1.0, 5.0, 0.5], [0.5, 0.5, 0.5, 0.5, 5.0, 0.5]).tolist()
    ['B', 'A', 'B', 'A', None, 'A']
    """

    def __init__(self, layer: gpd.GeoDataFrame, code_col: str):
        self.codes = layer[code_col].to_numpy(dtype=object)
        self.geoms = layer.geometry.to_numpy()
        self.tree = shapely.STRtree(self.geoms)

    def assign(self, lon, lat) -> np.ndarray:
        """Return an object array of codes (None where no polygon contains the point).

        A point on a shared edge is given to the first polygon in layer order, so the
        result is deterministic.
        """
        lon = np.asarray(lon, dtype="float64")
        lat = np.asarray(lat, dtype="float64")
        out = np.full(lon.shape, None, dtype=object)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            return out
        idx = np.flatnonzero(ok)
        # police.uk publishes anonymised snap points, so the same point recurs many times: test each
        # distinct point once and give every row its point's answer
        xy, inverse = np.unique(lon[idx] + 1j * lat[idx], return_inverse=True)  # a 1-D sort: fast
        points = shapely.points(xy.real, xy.imag)
        point_i, poly_i = self.tree.query(points, predicate="intersects")
        # keep the lowest polygon index for each point (deterministic on shared edges)
        order = np.lexsort((poly_i, point_i))
        point_i, poly_i = point_i[order], poly_i[order]
        first = np.ones(len(point_i), dtype=bool)
        first[1:] = point_i[1:] != point_i[:-1]
        found = np.full(len(xy), None, dtype=object)
        found[point_i[first]] = self.codes[poly_i[first]]
        out[idx] = found[inverse.reshape(-1)]
        return out

"""Boundary sets, ward clusters and geometry helpers for Maidstone and Kent.

Public API: the two ward sets (``WARD_SETS``), loading every boundary input with clear
errors (``load_boundaries``), the ward clusters (``load_clusters``,
``derive_clusters_2024``) and point-in-polygon assignment (``PointAssigner``).
"""

from boundaries.assign import PointAssigner
from boundaries.clusters import CLUSTER_FILES, derive_clusters_2024, load_clusters
from boundaries.layers import WARD_SETS, BoundaryData, BoundaryError, WardSet, load_boundaries

__all__ = [
    "WARD_SETS",
    "WardSet",
    "BoundaryData",
    "BoundaryError",
    "load_boundaries",
    "CLUSTER_FILES",
    "load_clusters",
    "derive_clusters_2024",
    "PointAssigner",
]

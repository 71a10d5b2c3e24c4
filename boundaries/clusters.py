"""The SMP's eight ward clusters on both boundary sets.

* Pre-May-2024 wards: published in the Strategic Assessment 2024/25 (para 24 and the
  Appendix 2 legend), kept in ``boundaries/data/clusters_2022.csv``. Cluster 6 is split
  into (A) Headcorn and Staplehurst and (B) Marden and Yalding; that sub-group is kept.
* May-2024 wards: the partnership has not published its new clusters, so they are
  *derived*: each new ward joins the old cluster that supplied most of its residents,
  using the ONS old-ward/new-ward overlap with its areal Census 2021 population estimate.
  The result lives in ``boundaries/data/clusters_2024.csv``, an editable data file that
  carries the derivation (shares) so a reader can see how firm each assignment is; run
  ``python -m boundaries derive-clusters`` to regenerate it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = [
    "CLUSTER_FILES",
    "load_clusters",
    "derive_clusters_2024",
    "LOW_CONFIDENCE_SHARE",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
CLUSTER_FILES = {"2022": DATA_DIR / "clusters_2022.csv", "2024": DATA_DIR / "clusters_2024.csv"}
LOW_CONFIDENCE_SHARE = 0.6  # below this share of residents the derived cluster is flagged

_REQUIRED = ("cluster", "cluster_label", "cluster_type", "sub_group")


def load_clusters(boundary_set: str, path: Path | None = None) -> pd.DataFrame:
    """Return the ward -> cluster table for a boundary set ('2022' or '2024').

    Columns: ward_code, ward_name, cluster, cluster_label, cluster_type, sub_group,
    is_derived, plus the file's own derivation columns.
    """
    path = Path(path or CLUSTER_FILES[boundary_set])
    code_col, name_col = f"ward_{boundary_set}_code", f"ward_{boundary_set}_name"
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"cluster file {path} cannot be read: {exc}") from None
    missing = [c for c in (code_col, name_col, *_REQUIRED) if c not in df.columns]
    if missing:
        raise ValueError(f"cluster file {path} lacks column(s) {', '.join(missing)}")
    if df[code_col].duplicated().any():
        raise ValueError(f"cluster file {path} lists ward {df.loc[df[code_col].duplicated(), code_col].iloc[0]} twice")
    bad = ~df["cluster"].str.fullmatch(r"Cluster [1-8]")
    if bad.any():
        raise ValueError(f"cluster file {path}: {df.loc[bad, 'cluster'].iloc[0]!r} is not 'Cluster 1'..'Cluster 8'")
    df = df.rename(columns={code_col: "ward_code", name_col: "ward_name"})
    df["is_derived"] = boundary_set == "2024"
    return df


def derive_clusters_2024(overlap: pd.DataFrame, clusters_2022: pd.DataFrame) -> pd.DataFrame:
    """Assign each May-2024 ward to the pre-2024 cluster that supplied most of its residents.

    ``overlap`` is the ONS old/new ward intersection table (WD22CD, WD24CD, WD24NM,
    pop_census2021_areal_est, ...); ``clusters_2022`` is ``load_clusters('2022')``.
    A new ward inherits the Cluster 6 sub-group of the old wards it came from.

    >>> ov = pd.DataFrame({"WD22CD": ["a", "b"], "WD22NM": ["A", "B"], "WD24CD": ["X", "X"],
    ...                    "WD24NM": ["New", "New"],
    ...                    "pop_census2021_areal_est": [300.0, 100.0]})
    >>> old = pd.DataFrame({"ward_code": ["a", "b"], "cluster": ["Cluster 5", "Cluster 1"],
    ...                     "cluster_label": ["Cluster 5 (Urban)", "Cluster 1 (Urban)"],
    ...                     "cluster_type": ["Urban", "Urban"], "sub_group": ["", ""]})
    >>> derive_clusters_2024(ov, old)[["ward_2024_code", "cluster", "share_of_residents"]].values.tolist()
    [['X', 'Cluster 5', 0.75]]
    """
    old = clusters_2022.set_index("ward_code")
    missing = sorted(set(overlap["WD22CD"]) - set(old.index))
    if missing:
        raise ValueError(f"old wards without a cluster: {', '.join(missing)}")
    ov = overlap.assign(
        cluster=overlap["WD22CD"].map(old["cluster"]),
        sub_group=overlap["WD22CD"].map(old["sub_group"]),
        pop=pd.to_numeric(overlap["pop_census2021_areal_est"]),
    )
    rows = []
    for (code, name), grp in ov.groupby(["WD24CD", "WD24NM"], sort=True):
        by_cluster = grp.groupby("cluster")["pop"].sum().sort_values(ascending=False, kind="stable")
        total = by_cluster.sum()
        best = by_cluster.index[0]
        share = round(float(by_cluster.iloc[0] / total), 3)
        subs = sorted({s for s in grp.loc[grp["cluster"] == best, "sub_group"] if s})
        first = old[old["cluster"] == best].iloc[0]
        contributions = "; ".join(
            f"{c} {by_cluster[c] / total:.0%}" for c in by_cluster.index
        )
        sources = "; ".join(
            f"{r.WD22NM} {r.pop / total:.0%}" for r in grp.sort_values("pop", ascending=False).itertuples()
        )
        rows.append(
            {
                "ward_2024_code": code,
                "ward_2024_name": name,
                "cluster": best,
                "cluster_label": first["cluster_label"],
                "cluster_type": first["cluster_type"],
                "sub_group": "/".join(subs),
                "share_of_residents": share,
                "is_low_confidence": share < LOW_CONFIDENCE_SHARE,
                "residents_by_old_cluster": contributions,
                "residents_by_old_ward": sources,
                "method": "derived: old cluster supplying the most residents "
                "(ONS ward overlap, Census 2021 areal estimate)",
            }
        )
    return pd.DataFrame(rows)

"""``python -m boundaries derive-clusters``: regenerate the derived May-2024 ward clusters."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from boundaries.clusters import CLUSTER_FILES, derive_clusters_2024, load_clusters
from boundaries.layers import BoundaryError, load_boundaries
from smp_data.settings import boundaries_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m boundaries", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    derive = sub.add_parser("derive-clusters", help="write boundaries/data/clusters_2024.csv")
    derive.add_argument("--boundaries", default=str(boundaries_dir()), help="shared/data/boundaries folder")
    derive.add_argument("--out", default=str(CLUSTER_FILES["2024"]), help="where to write the CSV")
    args = parser.parse_args(argv)
    try:
        data = load_boundaries(Path(args.boundaries))
    except BoundaryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = derive_clusters_2024(data.ward_overlap, load_clusters("2022"))
    table.to_csv(args.out, index=False)
    print(f"wrote {len(table)} wards to {args.out}")
    for row in table.itertuples():
        flag = "  (low confidence)" if row.is_low_confidence else ""
        print(f"  {row.ward_2024_name:<36} {row.cluster}{'(' + row.sub_group + ')' if row.sub_group else ''}"
              f"  {row.share_of_residents:.0%}{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``python -m smp_data build`` (and ``status``).

Exit status 0 on success; on failure a one-line reason on stderr and a non-zero status.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smp_data import settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m smp_data",
        description="Build and inspect the Safer Maidstone Partnership crime & ASB DuckDB store.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser(
        "build",
        help="build the store from police.uk data",
        description="Read police.uk street-level crime and ASB, validate and place every record, and write "
        "the DuckDB store atomically (a failed build leaves the previous store untouched).",
    )
    b.add_argument("--source", default=settings.source_path(),
                   help="archive folder (YYYY-MM/YYYY-MM-<force>-street.csv), archive .zip, or police.uk API "
                   "base URL such as https://data.police.uk/api (env SMP_SOURCE; default %(default)s)")
    b.add_argument("--db", default=str(settings.db_path()),
                   help="store to write (env SMP_DB; default %(default)s)")
    b.add_argument("--boundaries", default=str(settings.boundaries_dir()),
                   help="ONS boundaries folder (env SMP_BOUNDARIES; default %(default)s)")
    b.add_argument("--partner", default=str(settings.partner_dir()),
                   help="partner indicator CSV folder (env SMP_PARTNER; default %(default)s); 'none' to skip")
    b.add_argument("--force", default=settings.default_force(),
                   help="police.uk force slug to load from archive files, or 'all' (default %(default)s)")
    b.add_argument("--update", action="store_true",
                   help="refresh the existing store: months in the source replace the same months; others stay")
    b.add_argument("--months", default="",
                   help="API source only: comma-separated YYYY-MM months (default: every month the API lists)")
    b.add_argument("--if-missing", action="store_true",
                   help="do nothing when the store already exists (used by the README's run command)")
    b.add_argument("--quiet", action="store_true", help="print only the final summary")
    s = sub.add_parser("status", help="print what a store holds (months, rows, rejects, build metadata)")
    s.add_argument("--db", default=str(settings.db_path()), help="store to read (default %(default)s)")
    return parser


def _build(args) -> int:
    from smp_data.build import BuildError, build_store

    if args.if_missing and Path(args.db).is_file():
        print(f"store exists: {args.db} (not rebuilt; run without --if-missing to rebuild)")
        return 0
    partner = None if args.partner.lower() == "none" else Path(args.partner)
    if partner is not None and not partner.is_dir():
        print(f"error: partner folder not found: {partner} (use --partner none to skip)", file=sys.stderr)
        return 2
    api_options = {}
    if args.months:
        api_options["months"] = [m.strip() for m in args.months.split(",") if m.strip()]
    lines = []
    progress = (lambda line: lines.append(line)) if args.quiet else (lambda line: print(line, flush=True))
    try:
        report = build_store(
            args.source, Path(args.db), Path(args.boundaries), force=args.force, update=args.update,
            partner_root=partner, progress=progress, api_options=api_options,
        )
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.quiet:
        print(lines[-1] if lines else f"built {report.db_path}")
    return 0


def _status(args) -> int:
    import duckdb

    db = Path(args.db)
    if not db.is_file():
        print(f"error: store not found: {db}", file=sys.stderr)
        return 1
    con = duckdb.connect(str(db), read_only=True)
    for key, value in con.execute("select key, value from build_metadata order by key").fetchall():
        print(f"{key:>16}: {value}")
    print("\nmonths (rows loaded; 'missing' = no data published/loaded):")
    for month, force, rows in con.execute("select month, force, rows from months_loaded order by force, month").fetchall():
        print(f"  {month:%Y-%m} {force:<8} {'missing' if rows is None else format(rows, ',')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "build":
        return _build(args)
    return _status(args)


if __name__ == "__main__":
    sys.exit(main())

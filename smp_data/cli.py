"""Command line: ``python -m smp_data build`` (and ``refresh``, ``status``, ``add-partner-user``).

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
    b.add_argument("--postcodes", default=str(settings.postcodes_dir() or "none"),
                   help="OS Code-Point Open postcode CSV folder or file, no header (env SMP_POSTCODES; "
                   "default %(default)s); 'none' builds without postcodes (no postcode search)")
    b.add_argument("--uploads", default=str(settings.uploads_dir()),
                   help="partner uploads folder whose uploads.duckdb rows are copied into the store "
                   "(env SMP_UPLOADS; default %(default)s); 'none' to keep the store's uploads as they are")
    b.add_argument("--force", default=settings.default_force(),
                   help="police.uk forces to load: a force slug, a comma list such as kent,btp, or 'all' "
                   "(env SMP_FORCE; default %(default)s); every record keeps its force")
    b.add_argument("--update", action="store_true",
                   help="refresh the existing store: months in the source replace the same months; others stay")
    b.add_argument("--months", default="",
                   help="API source only: comma-separated YYYY-MM months (default: every month the API lists)")
    b.add_argument("--if-missing", action="store_true",
                   help="do nothing when the store already exists (used by the README's run command)")
    b.add_argument("--quiet", action="store_true", help="print only the final summary")
    r = sub.add_parser(
        "refresh",
        help="bring the store up to date from the data.police.uk monthly archive (new and revised months)",
        description="Find the newest published data.police.uk archive (or --month), download only the force's "
        "street files (HTTP Range; retried with back-off; zip CRC, sizes and names checked), and replace the "
        "new and revised months in place in one transaction, with a change report per month (month_changes). "
        "Months the archive no longer holds stay. Exit 0 when the store is up to date, 1 with a one-line "
        "reason when the refresh failed (the store unchanged), 2 for a usage error.",
    )
    r.add_argument("--db", default=str(settings.db_path()), help="store to refresh (env SMP_DB; default %(default)s)")
    r.add_argument("--force", default=settings.default_force(),
                   help="police.uk force slug(s), comma-separated (env SMP_FORCE; default %(default)s)")
    r.add_argument("--month", default="",
                   help="the archive to use, YYYY-MM (default: the newest published; a 404 means not yet)")
    r.add_argument("--archive-url", default=settings.archive_url(),
                   help="where the YYYY-MM.zip archives are (env SMP_ARCHIVE_URL; default %(default)s)")
    r.add_argument("--cache", default=None,
                   help="folder for partial downloads and extracted files (env SMP_REFRESH_CACHE; default "
                   "police_uk_cache/ beside the store)")
    r.add_argument("--boundaries", default=str(settings.boundaries_dir()),
                   help="ONS boundaries folder (env SMP_BOUNDARIES; default %(default)s)")
    r.add_argument("--download", choices=("members", "whole"), default="members",
                   help="'members': read only the force's files from the remote zip with Range requests "
                   "(default; falls back to 'whole' when the server does not answer them); 'whole': download "
                   "the whole archive first (resumable)")
    r.add_argument("--dry-run", action="store_true", help="download and report the changes; do not write the store")
    r.add_argument("--retries", type=int, default=5, help="retries per request (default %(default)s)")
    r.add_argument("--retry-wait", type=float, default=2.0,
                   help="first back-off in seconds, doubled per retry up to 60 (default %(default)s)")
    r.add_argument("--timeout", type=float, default=60.0, help="seconds per network read (default %(default)s)")
    r.add_argument("--wait", type=float, default=120.0,
                   help="seconds to wait for running dashboards to let go of the store (default %(default)s)")
    r.add_argument("--quiet", action="store_true", help="print only the final summary")
    s = sub.add_parser("status", help="check the store's integrity (every table read; non-zero exit when damaged) "
                       "and print what it holds (months, rows, build metadata)")
    s.add_argument("--db", default=str(settings.db_path()), help="store to read (default %(default)s)")
    u = sub.add_parser(
        "add-partner-user",
        help="add (or replace) a partner sign-in user: the password is stored as a bcrypt hash",
        description="Write a partner user into the sign-in config (a streamlit-authenticator YAML kept OUTSIDE "
        "the repository). The config is created, with a random cookie key, if it does not exist. The password "
        "is prompted for (twice) or read from standard input with --password-stdin; only its bcrypt hash is "
        "written.",
    )
    u.add_argument("--config", default=str(settings.auth_config_path()),
                   help="the sign-in config YAML (env SMP_AUTH_CONFIG; default %(default)s)")
    u.add_argument("--username", required=True, help="sign-in name (lower case letters, digits, . _ -)")
    u.add_argument("--name", required=True, help="the person's name, shown when signed in")
    u.add_argument("--email", required=True, help="the person's email address")
    u.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input instead of prompting")
    u.add_argument("--replace", action="store_true",
                   help="replace the user if the username already exists (and revoke the user's earlier sign-ins "
                   "in the state folder, env SMP_STATE_DIR)")
    return parser


def _build(args) -> int:
    from smp_data.build import STORE_SCHEMA_VERSION, BuildError, build_store, store_schema_version

    if args.if_missing and Path(args.db).is_file():
        found = store_schema_version(args.db)
        if found == STORE_SCHEMA_VERSION:
            print(f"store exists: {args.db} (not rebuilt; run without --if-missing to rebuild)")
            return 0
        if found is None:
            print(f"store {args.db} cannot be read (damaged or not a store): rebuilding it", flush=True)
        else:
            print(f"store {args.db} was built by an older version of this project (store schema {found}, "
                  f"this code needs {STORE_SCHEMA_VERSION}): rebuilding it", flush=True)
    partner = None if args.partner.lower() == "none" else Path(args.partner)
    if partner is not None and not partner.is_dir():
        print(f"error: partner folder not found: {partner} (use --partner none to skip)", file=sys.stderr)
        return 2
    uploads = None if args.uploads.lower() == "none" else Path(args.uploads)
    postcodes = None if args.postcodes.lower() == "none" else Path(args.postcodes)
    if postcodes is not None and not postcodes.exists():
        print(f"error: postcodes folder not found: {postcodes} (use --postcodes none to skip)", file=sys.stderr)
        return 2
    api_options = {}
    if args.months:
        api_options["months"] = [m.strip() for m in args.months.split(",") if m.strip()]
    lines = []
    progress = (lambda line: lines.append(line)) if args.quiet else (lambda line: print(line, flush=True))
    try:
        report = build_store(
            args.source, Path(args.db), Path(args.boundaries), force=args.force, update=args.update,
            partner_root=partner, uploads_root=uploads, postcodes_root=postcodes, progress=progress, api_options=api_options,
        )
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.quiet:
        print(lines[-1] if lines else f"built {report.db_path}")
    return 0


def _status(args) -> int:
    """Integrity check (every column of every table read), then what the store holds."""
    import duckdb

    from smp_data import store

    db = Path(args.db)
    if not db.exists():
        print(f"error: store not found: {db}", file=sys.stderr)
        return 1
    writer = store.active_writer(db)
    if writer is not None:
        print(f"note: the store is being written right now ({writer.describe()})")
    report = store.check_integrity(db)
    if not report.ok:
        print(f"error: the data store is damaged: {report.reason}. Rebuild it with: python -m smp_data build",
              file=sys.stderr)
        return 1
    print(f"integrity: ok ({len(report.tables)} tables, {sum(report.tables.values()):,} rows, every column read "
          f"in {report.seconds:.1f} s)")
    try:
        con = store.read_only_connection(db)
        try:
            for key, value in con.execute("select key, value from build_metadata order by key").fetchall():
                print(f"{key:>16}: {value}")
            print("\nmonths (rows loaded; 'missing' = no data published/loaded):")
            for month, force, rows in con.execute(
                    "select month, force, rows from months_loaded order by force, month").fetchall():
                print(f"  {month:%Y-%m} {force:<8} {'missing' if rows is None else format(rows, ',')}")
        finally:
            con.close()
    except duckdb.Error as exc:
        print(f"error: the data store cannot be read: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


def _refresh(args) -> int:
    import re

    from smp_data import refresh as rf
    from smp_data.store import StoreError

    if args.month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        print(f"error: --month must be YYYY-MM, not {args.month!r}", file=sys.stderr)
        return 2
    if args.retries < 0 or args.retry_wait < 0 or args.timeout <= 0 or args.wait < 0:
        print("error: --retries, --retry-wait and --wait must be >= 0 and --timeout > 0", file=sys.stderr)
        return 2
    progress = (lambda _line: None) if args.quiet else (lambda line: print(line, flush=True))
    http = rf.Http(retries=args.retries, retry_wait=args.retry_wait, timeout=args.timeout, log=progress)
    db = Path(args.db)
    try:
        report = rf.refresh(db, Path(args.boundaries), force=args.force, month=args.month or None,
                            base_url=args.archive_url,
                            cache=Path(args.cache) if args.cache else settings.refresh_cache(db),
                            dry_run=args.dry_run, http=http, wait=args.wait, progress=progress,
                            download=args.download)
    except (rf.RefreshError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.summary(db, args.dry_run))
    return 0


def _add_partner_user(args) -> int:
    import getpass

    from smp_data.auth_config import AuthConfigError, add_user, inside_repository

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.username}: ")
        if getpass.getpass("Repeat the password: ") != password:
            print("error: the passwords do not match", file=sys.stderr)
            return 2
    try:
        created = add_user(Path(args.config).expanduser(), args.username, args.name, args.email, password,
                           replace=args.replace)
    except AuthConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    what = "created" if created else "updated"
    user = args.username.strip().lower()
    print(f"{what} {args.config}: user {user!r} (password stored as a bcrypt hash)")
    if args.replace:
        from smp_data import sign_ins

        try:
            sign_ins.revoke_user(user)  # a replaced password ends the user's existing sign-ins and cookies
            print(f"revoked every earlier sign-in of {user!r} ({sign_ins.revocations_path()})")
        except OSError as exc:
            print(f"warning: could not revoke earlier sign-ins of {user!r}: {exc}", file=sys.stderr)
    if inside_repository(Path(args.config)):
        print("warning: this config is inside the repository; keep sign-in configs outside it "
              "(e.g. ~/.config/smp-dashboard/partner_users.yaml) and never commit one", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "build":
        return _build(args)
    if args.command == "add-partner-user":
        return _add_partner_user(args)
    if args.command == "refresh":
        return _refresh(args)
    return _status(args)


if __name__ == "__main__":
    sys.exit(main())

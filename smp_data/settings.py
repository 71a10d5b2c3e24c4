"""Settings declared once, as data: name, default, environment variable, help.

Every path the project reads is overridable by an environment variable (and, for the
build, by a CLI option). Defaults point at ``../shared`` beside the repository, which is
where CI and a developer checkout find the read-only input data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str

    def value(self) -> str:
        return os.environ.get(self.env) or self.default


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "shared",
            "SMP_SHARED",
            str(REPO_ROOT.parent / "shared"),
            "Folder holding the read-only shared inputs (data/, context/).",
        ),
        Setting(
            "source",
            "SMP_SOURCE",
            "",  # derived from `shared` when unset
            "police.uk source: an archive-layout folder, an archive .zip, or an API URL "
            "(default <shared>/data/police_uk).",
        ),
        Setting(
            "db",
            "SMP_DB",
            str(REPO_ROOT / "smp.duckdb"),
            "The DuckDB store the build writes and the dashboard reads.",
        ),
        Setting(
            "boundaries",
            "SMP_BOUNDARIES",
            "",  # derived from `shared` when unset
            "ONS boundaries, lookups and populations (default <shared>/data/boundaries).",
        ),
        Setting(
            "partner",
            "SMP_PARTNER",
            "",  # derived from `shared` when unset
            "Partner indicator CSVs (default <shared>/data/partner).",
        ),
        Setting(
            "postcodes",
            "SMP_POSTCODES",
            "",  # derived from `shared` when unset
            "OS Code-Point Open postcode CSVs (no header) for postcode search (default <shared>/data/postcodes); "
            "'none' builds the store without postcodes.",
        ),
        Setting(
            "basemap_url",
            "SMP_BASEMAP_URL",
            "",
            "Optional street basemap for the maps: a raster tile URL template ({z}/{x}/{y}) or a MapLibre style "
            "URL (ending .json). Empty (the default) = no basemap, the maps draw offline. Also read from "
            "[smp] basemap_url in .streamlit/secrets.toml.",
        ),
        Setting(
            "basemap_attribution",
            "SMP_BASEMAP_ATTRIBUTION",
            "",
            "The attribution the basemap's licence requires, shown on every map that draws it (e.g. "
            "'© OpenStreetMap contributors'). Also [smp] basemap_attribution in .streamlit/secrets.toml.",
        ),
        Setting(
            "auth_config",
            "SMP_AUTH_CONFIG",
            str(Path("~/.config/smp-dashboard/partner_users.yaml")),
            "Partner sign-in: the streamlit-authenticator YAML (users with bcrypt password hashes, cookie "
            "name/key/expiry). Keep it OUTSIDE the repository; create or add users with "
            "`python -m smp_data add-partner-user`. No file = partner sign-in not configured.",
        ),
        Setting(
            "uploads",
            "SMP_UPLOADS",
            str(REPO_ROOT / "partner_uploads"),
            "Folder for partner uploads: uploads.duckdb (the system of record) and its exports "
            "public_uploads.parquet / all_uploads.parquet. Copied into the store by every build.",
        ),
        Setting(
            "state",
            "SMP_STATE_DIR",
            str(REPO_ROOT / "var"),
            "Folder for what the running dashboard writes besides uploads (owner-only): the partner sign-in "
            "revocation list (revoked_sign_ins.jsonl) and, by default, the audit log. Every app replica must "
            "see the same folder.",
        ),
        Setting(
            "audit_log",
            "SMP_AUDIT_LOG",
            "",  # derived from `state` when unset
            "Audit log of partner sign-ins, sign-outs and uploads (JSON lines, owner-only, never a password; "
            "default <state>/audit.log).",
        ),
        Setting(
            "force",
            "SMP_FORCE",
            "kent",
            "police.uk force slug to load from archive files (e.g. kent); 'all' loads every force.",
        ),
        Setting(
            "archive_url",
            "SMP_ARCHIVE_URL",
            "https://data.police.uk/data/archive/",
            "Where `python -m smp_data refresh` finds the monthly archives (<url>/YYYY-MM.zip).",
        ),
        Setting(
            "refresh_cache",
            "SMP_REFRESH_CACHE",
            "",  # derived from the store's folder when unset
            "Refresh downloads: partial downloads and the latest archive's extracted files "
            "(default police_uk_cache/ beside the store).",
        ),
    )
}


def shared_dir() -> Path:
    return Path(SETTINGS["shared"].value())


def source_path() -> str:
    return SETTINGS["source"].value() or str(shared_dir() / "data" / "police_uk")


def db_path() -> Path:
    return Path(SETTINGS["db"].value())


def boundaries_dir() -> Path:
    return Path(SETTINGS["boundaries"].value() or shared_dir() / "data" / "boundaries")


def partner_dir() -> Path:
    return Path(SETTINGS["partner"].value() or shared_dir() / "data" / "partner")


def postcodes_dir() -> Path | None:
    """The postcode CSV folder (or file); None when set to 'none'."""
    value = SETTINGS["postcodes"].value()
    if value.strip().lower() == "none":
        return None
    return Path(value or shared_dir() / "data" / "postcodes")


def default_force() -> str:
    return SETTINGS["force"].value()


def auth_config_path() -> Path:
    return Path(SETTINGS["auth_config"].value()).expanduser()


def uploads_dir() -> Path:
    return Path(SETTINGS["uploads"].value()).expanduser()


def state_dir() -> Path:
    return Path(SETTINGS["state"].value()).expanduser()


def audit_log_path() -> Path:
    return Path(SETTINGS["audit_log"].value() or state_dir() / "audit.log").expanduser()


def archive_url() -> str:
    return SETTINGS["archive_url"].value()


def refresh_cache(db: Path | None = None) -> Path:
    """Where refresh keeps downloads: SMP_REFRESH_CACHE, else police_uk_cache/ beside the store ``db``."""
    return Path(SETTINGS["refresh_cache"].value() or Path(db or db_path()).parent / "police_uk_cache").expanduser()

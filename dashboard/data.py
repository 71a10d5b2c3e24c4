"""The dashboard's only door to the store: one cached read-only DuckDB connection and
cached, bounded calls to the named queries in ``queries/``.

Pages never build SQL: they call :func:`query` with a query name and widget values; the
values are bound as DuckDB parameters by ``queries.run_df``.

Partner data and access control (enforced here, not only by hiding pages):

* ``partner.*`` queries (``queries/partner/``) read only the store's ``partner_indicators_public``
  view and the public uploads export; this module binds ``$public_uploads`` to that export's path
  from settings (callers cannot pass it).
* ``restricted.*`` queries (``queries/restricted/``, the only SQL that may read restricted rows)
  are refused with :class:`PartnerAccessRefused` unless this session is signed in as a partner
  (:func:`dashboard.auth.current_partner`); ``$all_uploads`` is bound here too.
* ``build.*`` blocks are build-time DDL and are never run by the dashboard.
Query names are constants in the code; nothing from the URL chooses a query, a parameter path or a mode.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

import queries
from smp_data import settings

__all__ = ["StoreMissing", "PartnerAccessRefused", "store_path", "connection", "query", "store_version",
           "uploads_version", "CACHE_TTL_SECONDS", "PUBLIC_PARTNER_PREFIX", "RESTRICTED_PREFIX"]

PUBLIC_PARTNER_PREFIX = "partner."
RESTRICTED_PREFIX = "restricted."
_BUILD_PREFIX = "build."
_BOUND_HERE = frozenset({"public_uploads", "all_uploads"})

CACHE_TTL_SECONDS = 3600  # a rebuilt store also changes store_version(), which busts the cache
CACHE_MAX_ENTRIES = 1024


class StoreMissing(RuntimeError):
    """The DuckDB store has not been built yet."""


class PartnerAccessRefused(PermissionError):
    """A restricted partner query (or its data) was asked for without a signed-in partner session."""


def store_path() -> Path:
    return settings.db_path()


@st.cache_resource(show_spinner=False)
def _connect(path: str, mtime_ns: int) -> duckdb.DuckDBPyConnection:
    """One read-only connection per store file version, shared by every session."""
    return duckdb.connect(path, read_only=True)


@st.cache_data(show_spinner=False)
def _schema_version(path: str, mtime_ns: int) -> str | None:
    from smp_data.build import store_schema_version  # noqa: PLC0415

    return store_schema_version(path)


def connection() -> duckdb.DuckDBPyConnection:
    from smp_data.build import STORE_SCHEMA_VERSION  # noqa: PLC0415

    path = store_path()
    if not path.is_file():
        raise StoreMissing(
            f"The data store {path} has not been built yet. Build it with: python -m smp_data build"
        )
    mtime = path.stat().st_mtime_ns
    found = _schema_version(str(path), mtime)
    if found != STORE_SCHEMA_VERSION:
        raise StoreMissing(
            f"The data store {path} was built by an older version of this dashboard (store schema "
            f"{found or 'unreadable'}, this version needs {STORE_SCHEMA_VERSION}). Rebuild it with: "
            "python -m smp_data build"
        )
    return _connect(str(path), mtime)


def store_version() -> str:
    """Changes whenever the store file is replaced by a new build."""
    path = store_path()
    return f"{path}:{path.stat().st_mtime_ns}" if path.is_file() else "missing"


def _freeze(value):
    if isinstance(value, (list, tuple)):
        return ("__list__", tuple(_freeze(v) for v in value))
    return value


def _thaw(value):
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "__list__":
        return [_thaw(v) for v in value[1]]
    return value


def _run(name: str, frozen: tuple) -> pd.DataFrame:
    cursor = connection().cursor()
    try:
        return queries.run_df(cursor, name, **{k: _thaw(v) for k, v in frozen})
    finally:
        cursor.close()


# Query results are cached as shared objects (st.cache_resource), not pickled copies (st.cache_data):
# query() hands every caller its own .copy(), so the cached frame is never changed, and a warm run no
# longer unpickles every frame it reads (bench/load.py: part of the server's CPU per run).
@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=CACHE_MAX_ENTRIES, show_spinner=False)
def _cached_query(name: str, frozen: tuple, version: str) -> pd.DataFrame:
    if name.startswith((RESTRICTED_PREFIX, _BUILD_PREFIX)):  # defence in depth: only query() may ask
        raise PartnerAccessRefused(f"query {name!r} is not a public query")
    return _run(name, frozen)


@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=256, show_spinner=False)
def _cached_restricted_query(name: str, frozen: tuple, version: str) -> pd.DataFrame:
    if not name.startswith(RESTRICTED_PREFIX):
        raise PartnerAccessRefused(f"query {name!r} is not a restricted query")
    return _run(name, frozen)


def _exports() -> tuple[Path, Path]:
    from smp_data import uploads  # noqa: PLC0415

    return uploads.ensure_exports(settings.uploads_dir())


def uploads_version(paths: tuple[Path, ...] | None = None) -> str:
    """Changes whenever an upload rewrites the exports (busts cached partner queries)."""
    return "|".join(f"{p}:{p.stat().st_mtime_ns if p.is_file() else 'missing'}" for p in (paths or _exports()))


def query(name: str, **params) -> pd.DataFrame:
    """Run a named query with bound parameters (cached per store version).

    ``partner.*`` and ``restricted.*`` queries get their uploads export path bound here;
    ``restricted.*`` ones raise :class:`PartnerAccessRefused` outside a partner session.
    """
    bound_here = _BOUND_HERE & set(params)
    if bound_here:
        raise PartnerAccessRefused(f"parameter(s) {', '.join(sorted(bound_here))} are bound by dashboard.data only")
    if name.startswith(_BUILD_PREFIX):
        raise PartnerAccessRefused(f"{name!r} is a build step, not a dashboard query")
    restricted = name.startswith(RESTRICTED_PREFIX)
    if restricted:
        from dashboard.auth import current_partner  # noqa: PLC0415

        if current_partner() is None:
            raise PartnerAccessRefused("restricted partner data needs a signed-in partner session")
    version = store_version()
    if restricted or name.startswith(PUBLIC_PARTNER_PREFIX):
        public_export, all_export = _exports()
        params = {**params, ("all_uploads" if restricted else "public_uploads"):
                  str(all_export if restricted else public_export)}
        version = f"{version}|{uploads_version((public_export, all_export))}"
    frozen = tuple(sorted((k, _freeze(v)) for k, v in params.items()))
    runner = _cached_restricted_query if restricted else _cached_query
    df = runner(name, frozen, version).copy()
    if "month" in df.columns and pd.api.types.is_datetime64_any_dtype(df["month"]):
        df["month"] = df["month"].dt.date  # months are plain dates everywhere in the app
    return df


def months_param(months) -> list[dt.date]:
    """Months as a list of dates, the form every query's ``$months`` parameter takes."""
    return [m if isinstance(m, dt.date) else dt.date.fromisoformat(str(m)) for m in months]

"""The dashboard's only door to the store: one cached read-only DuckDB connection and
cached, bounded calls to the named queries in ``queries/``.

Pages never build SQL: they call :func:`query` with a query name and widget values; the
values are bound as DuckDB parameters by ``queries.run_df``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

import queries
from smp_data import settings

__all__ = ["StoreMissing", "store_path", "connection", "query", "store_version", "CACHE_TTL_SECONDS"]

CACHE_TTL_SECONDS = 3600  # a rebuilt store also changes store_version(), which busts the cache
CACHE_MAX_ENTRIES = 1024


class StoreMissing(RuntimeError):
    """The DuckDB store has not been built yet."""


def store_path() -> Path:
    return settings.db_path()


@st.cache_resource(show_spinner=False)
def _connect(path: str, mtime_ns: int) -> duckdb.DuckDBPyConnection:
    """One read-only connection per store file version, shared by every session."""
    return duckdb.connect(path, read_only=True)


def connection() -> duckdb.DuckDBPyConnection:
    path = store_path()
    if not path.is_file():
        raise StoreMissing(
            f"The data store {path} has not been built yet. Build it with: python -m smp_data build"
        )
    return _connect(str(path), path.stat().st_mtime_ns)


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


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=CACHE_MAX_ENTRIES, show_spinner=False)
def _cached_query(name: str, frozen: tuple, version: str) -> pd.DataFrame:
    cursor = connection().cursor()
    try:
        return queries.run_df(cursor, name, **{k: _thaw(v) for k, v in frozen})
    finally:
        cursor.close()


def query(name: str, **params) -> pd.DataFrame:
    """Run a named query with bound parameters (cached per store version)."""
    frozen = tuple(sorted((k, _freeze(v)) for k, v in params.items()))
    df = _cached_query(name, frozen, store_version()).copy()
    if "month" in df.columns and pd.api.types.is_datetime64_any_dtype(df["month"]):
        df["month"] = df["month"].dt.date  # months are plain dates everywhere in the app
    return df


def months_param(months) -> list[dt.date]:
    """Months as a list of dates, the form every query's ``$months`` parameter takes."""
    return [m if isinstance(m, dt.date) else dt.date.fromisoformat(str(m)) for m in months]

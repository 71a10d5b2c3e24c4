"""Named, described, parameterised SQL blocks, and the one small runner that executes them.

Every ``queries/**/*.sql`` file holds blocks like::

    -- name: ward_counts
    -- Ward counts and rates for a period.
    select ... where month between $start_month and $end_month

The block's name is namespaced by its sub-folder (``build/schema.sql`` -> ``build.create_tables``).
Parameters are DuckDB named parameters (``$name``); values are always bound, never
formatted into the SQL text, and :func:`run` refuses unknown or missing parameters, except the
project-wide optional ones in :data:`OPTIONAL_PARAMS` (``$forces``: a query that uses it gets the default,
Kent Police, when the caller leaves it out; a query that does not use it ignores it, so the shared filters
can pass it to every query).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Query", "QueryError", "load_queries", "get", "run", "run_df", "run_script", "QUERY_DIR", "OPTIONAL_PARAMS"]

QUERY_DIR = Path(__file__).resolve().parent
# parameter -> default: bound with its default when a query uses it and the caller leaves it out, dropped
# when a query does not use it. forces: the police.uk forces whose records a figure counts ([] = all).
OPTIONAL_PARAMS: dict[str, tuple] = {"forces": ("kent",)}
_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$")
_PARAM = re.compile(r"(?<![:$\w])\$([a-z_][a-z0-9_]*)")
_STRING = re.compile(r"'(?:[^']|'')*'")


class QueryError(ValueError):
    """A query that does not exist or was given the wrong parameters."""


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    sql: str
    params: frozenset[str]
    source: str

    def statements(self) -> list[str]:
        """Split a DDL block into statements (blocks for ``run`` are a single statement)."""
        return list(_split_statements(_strip_comments(self.sql)))


def _parse(path: Path, namespace: str) -> dict[str, Query]:
    out: dict[str, Query] = {}
    name, desc, body = None, [], []

    def flush():
        if name is None:
            return
        sql = "\n".join(body).strip()
        if not sql:
            raise QueryError(f"{path}: query {name!r} has no SQL")
        if not desc:
            raise QueryError(f"{path}: query {name!r} has no description line")
        params = frozenset(_PARAM.findall(_STRING.sub("''", _strip_comments(sql))))
        full = f"{namespace}.{name}" if namespace else name
        if full in out:
            raise QueryError(f"{path}: query {full!r} defined twice")
        out[full] = Query(full, " ".join(desc), sql, params, f"{path.name}")

    for line in path.read_text(encoding="utf-8").splitlines():
        m = _NAME.match(line.strip())
        if m:
            flush()
            name, desc, body = m.group(1), [], []
            continue
        if name is None:
            continue
        stripped = line.strip()
        if not body and stripped.startswith("--"):
            desc.append(stripped.lstrip("-").strip())
        else:
            body.append(line)
    flush()
    return out


_COMMENT_OR_STRING = re.compile(r"('[^']*'?)|--[^\n]*")  # a string literal (to its closing quote or the end) | a comment


def _strip_comments(sql: str) -> str:
    r"""Remove ``--`` comments, leaving string literals (which may hold ``--``) intact.

    >>> _strip_comments("select '--a' as x -- note\nfrom t -- 'end")
    "select '--a' as x \nfrom t "
    >>> _strip_comments("select 'it''s' -- x")
    "select 'it''s' "
    """
    return _COMMENT_OR_STRING.sub(lambda m: m.group(1) or "", sql)


_STATEMENT = re.compile(r"(?:'[^']*'?|[^';])+")  # a run of string literals and characters other than ';'


@functools.lru_cache(maxsize=None)
def _split_statements(sql: str) -> tuple[str, ...]:
    """Split on semicolons outside string literals.

    >>> _split_statements("select ';' as a; ; select 2 ")
    ("select ';' as a", 'select 2')
    """
    return tuple(p.strip() for p in _STATEMENT.findall(sql) if p.strip())


_CACHE: dict[Path, dict[str, Query]] = {}


def load_queries(root: Path = QUERY_DIR) -> dict[str, Query]:
    """Parse every .sql file below ``root`` into {name: Query}."""
    root = Path(root)
    if root not in _CACHE:
        found: dict[str, Query] = {}
        for path in sorted(root.rglob("*.sql")):
            rel = path.relative_to(root).parent
            namespace = ".".join(rel.parts)
            for qname, q in _parse(path, namespace).items():
                if qname in found:
                    raise QueryError(f"query {qname!r} defined in {found[qname].source} and {path.name}")
                found[qname] = q
        _CACHE[root] = found
    return _CACHE[root]


def get(name: str) -> Query:
    try:
        return load_queries()[name]
    except KeyError:
        raise QueryError(f"no query named {name!r}") from None


def _bind(q: Query, params: dict) -> dict:
    params = dict(params)
    for key, default in OPTIONAL_PARAMS.items():
        if key in q.params:
            params.setdefault(key, list(default))
        else:
            params.pop(key, None)
    unknown = set(params) - q.params
    if unknown:
        raise QueryError(f"query {q.name!r} takes no parameter(s) {', '.join(sorted(unknown))}")
    missing = q.params - set(params)
    if missing:
        raise QueryError(f"query {q.name!r} needs parameter(s) {', '.join(sorted(missing))}")
    return params


def run(conn, name: str, **params):
    """Execute a named query with bound parameters; return the DuckDB relation result."""
    q = get(name)
    return conn.execute(q.sql, _bind(q, params)) if q.params else conn.execute(q.sql)


def run_df(conn, name: str, **params):
    """Execute a named query and return a pandas DataFrame."""
    return run(conn, name, **params).df()


def run_script(conn, name: str, **params) -> None:
    """Execute a multi-statement block (DDL), binding parameters statement by statement."""
    q = get(name)
    _bind(q, params)
    for stmt in q.statements():
        used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", stmt)}
        conn.execute(stmt, used) if used else conn.execute(stmt)

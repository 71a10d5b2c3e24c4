"""Shared fixtures.

* ``tiny_store``: a store built by the real build from the committed synthetic archive in
  ``tests/fixtures/police_uk`` (and the real ONS boundaries in ../shared). Unit tests use it.
* ``full_store``: a store built from the whole ../shared police.uk archive, for the
  integration tests (marked ``integration``); built once per test session.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from smp_data import settings
from smp_data.build import build_store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
POLICE_FIXTURE = FIXTURES / "police_uk"



@pytest.fixture(scope="session")
def boundaries_dir() -> Path:
    path = settings.boundaries_dir()
    if not path.is_dir():
        pytest.fail(f"ONS boundaries not found at {path}; set SMP_SHARED or SMP_BOUNDARIES")
    return path


@pytest.fixture(scope="session")
def partner_dir() -> Path | None:
    path = settings.partner_dir()
    return path if path.is_dir() else None


def _build(source, db, boundaries_dir, partner=None):
    build_store(str(source), db, boundaries_dir, partner_root=partner, progress=lambda _line: None,
                postcodes_root=settings.postcodes_dir())  # OS Code-Point Open (postcode search)
    return db


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory, boundaries_dir) -> Path:
    return _build(POLICE_FIXTURE, tmp_path_factory.mktemp("tiny") / "tiny.duckdb", boundaries_dir)


@pytest.fixture(scope="session")
def full_store(tmp_path_factory, boundaries_dir, partner_dir) -> Path:
    source = settings.source_path()
    if not Path(source).is_dir():
        pytest.fail(f"police.uk archive not found at {source}; set SMP_SHARED or SMP_SOURCE")
    return _build(source, tmp_path_factory.mktemp("full") / "full.duckdb", boundaries_dir, partner_dir)


@pytest.fixture()
def tiny_con(tiny_store):
    con = duckdb.connect(str(tiny_store), read_only=True)
    yield con
    con.close()


@pytest.fixture()
def archive_copy(tmp_path) -> Path:
    """A writable copy of the synthetic archive, for tests that break files."""
    dst = tmp_path / "police_uk"
    shutil.copytree(POLICE_FIXTURE, dst)
    return dst


@pytest.fixture(scope="session", autouse=True)
def _state_dir_outside_the_repo(tmp_path_factory):
    """Sign-in revocations and the audit log of test runs go to a temporary folder, never the repo's var/."""
    import os

    old = os.environ.get("SMP_STATE_DIR")
    os.environ["SMP_STATE_DIR"] = str(tmp_path_factory.mktemp("state"))
    yield
    if old is None:
        os.environ.pop("SMP_STATE_DIR", None)
    else:
        os.environ["SMP_STATE_DIR"] = old

"""Store swaps reach running servers (issue 10, item 1): the dashboard's reader (``dashboard.data``)
follows a full rebuild (a new file renamed over the store) and an update in place (the writer marker,
DuckDB's exclusive lock), without a restart, without a reader error, and lets go of the replaced file.

Builds and updates run in other processes, as an operator's would. The stores are built from the
committed synthetic archive: months 2022-01 and 2022-02 first ("Data as of Feb 2022"), then all four
months ("Data as of Jan 2024"), then an update in place removes 2024-01 ("Data as of Apr 2022").
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from smp_data import store
from smp_data.settings import REPO_ROOT
from tests.apptest_helpers import open_page, rerun, store_env, texts
from tests.conftest import POLICE_FIXTURE

SWAP_LIMIT = 60.0  # the bound: every server sees a new store within a minute
FIRST, ALL, UPDATED = "Data as of Feb 2022", "Data as of Jan 2024", "Data as of Apr 2022"


def _archive(folder: Path, months: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for m in months:
        (folder / m).symlink_to(POLICE_FIXTURE / m, target_is_directory=True)
    return folder


def _build(source: Path, db: Path) -> float:
    started = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "smp_data", "build", "--source", str(source), "--db", str(db),
                          "--partner", "none", "--uploads", "none", "--postcodes", "none", "--quiet"],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return time.monotonic() - started


UPDATE_SCRIPT = """
    import sys, time
    from smp_data import store
    started = time.monotonic()
    with store.open_for_update(sys.argv[1], timeout=float(sys.argv[3])) as con:
        waited = time.monotonic() - started
        for table in ("records", "records_maidstone", "source_files"):
            con.execute(f"delete from {table} where month = ?::date", [sys.argv[2] + "-01"])
    print(f"{waited:.2f} {time.monotonic() - started:.2f}")
"""


def _update_in_place(db: Path, drop_month: str, timeout: float = 60) -> tuple[float, float]:
    """Remove one month in place (one transaction through store.open_for_update) in another process;
    returns (seconds waiting for readers to let go, seconds in all)."""
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(UPDATE_SCRIPT), str(db), drop_month, str(timeout)],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout + 60)
    assert res.returncode == 0, res.stderr
    waited, total = map(float, res.stdout.split())
    return waited, total


def _deleted_store_files(pid: int, db: Path) -> list[str]:
    """Files of the store this process still has open although they were replaced (unlinked)."""
    out = []
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(db)) and target.endswith("(deleted)"):
            out.append(target)
    return out


def _open_store_files(pid: int, db: Path) -> list[str]:
    out = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(db)):
            out.append(target)
    return out


def _wait_for(predicate, limit: float = SWAP_LIMIT, step: float = 0.2):
    started = time.monotonic()
    while True:
        value = predicate()
        if value:
            return time.monotonic() - started
        if time.monotonic() - started > limit:
            return None
        time.sleep(step)


def _last_month(db: Path) -> str:
    from dashboard.data import query

    with store_env(db):
        months = query("months_loaded")
    present = months[months["is_present"]]
    return f"{present['month'].max():%Y-%m}"


@pytest.fixture()
def first_store(tmp_path) -> Path:
    db = tmp_path / "store" / "smp.duckdb"
    db.parent.mkdir()
    _build(_archive(tmp_path / "first", ["2022-01", "2022-02"]), db)
    return db


@pytest.fixture()
def all_months(tmp_path) -> Path:
    return _archive(tmp_path / "all", ["2022-01", "2022-02", "2022-04", "2024-01"])


def test_the_reader_follows_a_rebuild_and_an_update_and_lets_go_of_the_old_file(first_store, all_months):
    """Fails on the old reader: DuckDB handed it the already-open instance of the replaced file."""
    db = first_store
    assert _last_month(db) == "2022-02"
    _build(all_months, db)
    seconds = _wait_for(lambda: _last_month(db) == "2024-01")
    assert seconds is not None, f"still {_last_month(db)} {SWAP_LIMIT:.0f} s after the rebuild"
    released = _wait_for(lambda: not _deleted_store_files(os.getpid(), db), limit=10)
    assert released is not None, f"the replaced store is still open: {_deleted_store_files(os.getpid(), db)}"
    waited, total = _update_in_place(db, "2024-01")  # this process holds the store: its watcher lets go
    assert waited < 15, f"the writer waited {waited:.1f} s for this process to let go"
    seconds_update = _wait_for(lambda: _last_month(db) == "2022-04")
    assert seconds_update is not None
    print(f"\nrebuild seen after {seconds:.2f} s, replaced file released after {released:.2f} s more; "
          f"update waited {waited:.2f} s for readers ({total:.2f} s in all), seen after {seconds_update:.2f} s")


def test_queries_running_through_rebuilds_and_updates_never_fail_or_mix_versions(first_store, all_months):
    from dashboard.data import CHECK_INTERVAL_SECONDS, cursor

    db = first_store
    errors: list[str] = []
    seen: dict[str, set[int]] = {}
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                with store_env(db), cursor() as cur:
                    # two reads in one lease: the version and the rows must belong to the same store
                    (version,), = cur.execute("select value from build_metadata where key = ?",
                                              [store.VERSION_KEY]).fetchall()
                    (rows,), = cur.execute("select count(*) from records_maidstone").fetchall()
                    time.sleep(0.05)  # a query in flight when a swap begins
                    (again,), = cur.execute("select count(*) from records").fetchall()
                seen.setdefault(version, set()).add(rows * 1000 + again)
            except Exception as exc:  # noqa: BLE001 - any reader error fails the test
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        pause = CHECK_INTERVAL_SECONDS + 1  # long enough for every reader to have seen each version
        time.sleep(pause)
        _build(all_months, db)
        time.sleep(pause)
        _update_in_place(db, "2024-01")
        time.sleep(pause)
        _build(all_months, db)
        time.sleep(pause)
        _update_in_place(db, "2022-04")
        time.sleep(pause)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    assert len(seen) == 5, f"expected the first build, 2 rebuilds' and 2 updates' versions, saw {len(seen)}"
    assert all(len(values) == 1 for values in seen.values()), seen  # never a mix of two stores in one version


def test_apptest_sessions_see_a_rebuild_and_an_update_without_a_restart(first_store, all_months):
    db = first_store
    at = open_page(None, db)
    assert not at.exception and FIRST in texts(at)
    from dashboard.data import store_version

    with store_env(db):
        before = store_version()
    _build(all_months, db)
    # the running session, rerun, shows the new build (at most one check interval later)
    seconds = _wait_for(lambda: ALL in texts(rerun(at, db)), step=0.5)
    assert seconds is not None and not at.exception, texts(at)
    fresh = open_page(None, db)
    assert not fresh.exception and ALL in texts(fresh)
    with store_env(db):
        assert store_version() != before
    assert _wait_for(lambda: not _deleted_store_files(os.getpid(), db), limit=10) is not None
    _update_in_place(db, "2024-01")
    assert _wait_for(lambda: UPDATED in texts(rerun(at, db)), step=0.5) is not None and not at.exception
    fresh = open_page(None, db)
    assert not fresh.exception and UPDATED in texts(fresh)


def test_a_damaged_store_gives_a_clear_page_not_a_traceback(first_store):
    db = first_store
    at = open_page(None, db)
    assert FIRST in texts(at)
    data = db.read_bytes()
    replacement = db.with_name(".smp.duckdb.broken")
    replacement.write_bytes(data[: len(data) // 2])  # truncated: header intact, data blocks missing
    os.replace(replacement, db)
    shown = _wait_for(lambda: "The data store is damaged: rebuild it with: python -m smp_data build"
                      in texts(rerun(at, db)), step=0.5)
    assert shown is not None, texts(at)
    assert not at.exception
    fresh = open_page(None, db)
    assert not fresh.exception and "The data store is damaged" in texts(fresh)
    assert "older version" not in texts(fresh)


@pytest.mark.parametrize("content", [b"", b"\0" * 40000, b"Crime ID,Month\n1,2\n"], ids=["empty", "zeros", "csv"])
def test_an_unreadable_store_is_damaged_not_built_by_an_older_version(tmp_path, content):
    db = tmp_path / "smp.duckdb"
    db.write_bytes(content)
    at = open_page(None, db)
    assert not at.exception
    shown = texts(at)
    assert "The data store is damaged: rebuild it with: python -m smp_data build" in shown
    assert "older version" not in shown


# ------------------------------------------------------------------ a real server, a real browser


@pytest.mark.browser
def test_a_running_streamlit_server_sees_a_rebuild_and_an_update(first_store, all_months, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.test_browser import (
        CHROMIUM,
        CHROMIUM_ARGS,
        VIEWPORT,
        AppServer,
        exceptions,
        in_own_thread,
        open_url,
        wait_idle,
    )

    db = first_store
    server = AppServer(db, tmp_path)
    timings = {}

    def flow():
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            def fresh_session_shows(text: str) -> bool:
                ctx = browser.new_context(viewport=VIEWPORT)
                try:
                    pg = ctx.new_page()
                    open_url(pg, server.url)
                    assert not exceptions(pg), exceptions(pg)
                    return pg.get_by_text(text, exact=False).count() > 0
                finally:
                    ctx.close()

            def rerun_shows(pg, text: str) -> bool:
                pg.locator('[data-testid="stMain"] h1').first.click()
                pg.keyboard.press("r")  # Streamlit's rerun shortcut: the same session runs the script again
                wait_idle(pg)
                assert not exceptions(pg), exceptions(pg)
                return pg.get_by_text(text, exact=False).count() > 0

            existing = browser.new_context(viewport=VIEWPORT).new_page()
            open_url(existing, server.url)
            assert existing.get_by_text(FIRST, exact=False).count() > 0
            assert _open_store_files(server.proc.pid, db), "the server does not hold the store open"

            timings["rebuild"] = _build(all_months, db)
            started = time.monotonic()
            # the idle server notices the new file and closes the replaced one (its watcher thread)
            released = _wait_for(lambda: not _deleted_store_files(server.proc.pid, db), limit=15, step=0.05)
            assert released is not None, _deleted_store_files(server.proc.pid, db)
            timings["replaced file released by the idle server"] = released
            assert _wait_for(lambda: fresh_session_shows(ALL), step=1.0) is not None
            timings["fresh session shows the rebuild (incl. page load)"] = time.monotonic() - started
            started = time.monotonic()
            assert _wait_for(lambda: rerun_shows(existing, ALL), step=1.0) is not None
            timings["rerun of the existing session shows it"] = time.monotonic() - started

            waited, total = _update_in_place(db, "2024-01")  # the server must let go for the writer
            timings["update waited for the server"] = waited
            started = time.monotonic()
            assert _wait_for(lambda: rerun_shows(existing, UPDATED), step=1.0) is not None
            timings["rerun shows the update"] = time.monotonic() - started
            assert fresh_session_shows(UPDATED)
            browser.close()

    try:
        in_own_thread(flow)
    finally:
        server.stop()
    print("\n" + "; ".join(f"{k}: {v:.1f} s" for k, v in timings.items()))
    assert timings["update waited for the server"] < 15

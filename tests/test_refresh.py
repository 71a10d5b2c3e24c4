"""`python -m smp_data refresh` against a local fake of data.police.uk's archive downloads
(tests/fake_police_archive.py) serving zips built from ../shared/data/police_uk: discovery past months
not yet published (404), a new month and a revised month replaced in place with their change report,
months older than the archive kept, only the configured force's members downloaded, a download cut short
(resumed within a run and across runs), 503s retried, a corrupt member and a broken zip refused in one
line with the store untouched, a month that arrives empty kept.

Expected figures come from the CSV files and from what each test changed in them, never from the
refresh's own output.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from smp_data import refresh as rf
from smp_data import settings, store
from smp_data.settings import REPO_ROOT
from tests.fake_police_archive import FakePoliceArchive, build_archive, csv_bytes, csv_rows, member_span

pytestmark = pytest.mark.integration

SHARED = Path(settings.source_path())
WINDOW = [f"2024-0{m}" for m in range(1, 5)] + [f"2025-{m:02d}" for m in range(1, 13)]  # in ../shared, <= 36 months
OLD = [f"2022-{m:02d}" for m in range(1, 12)]  # in the store, older than the 2025-12 archive's window
NEW_MONTH, REVISED_MONTH, EMPTY_MONTH = "2025-12", "2025-06", "2025-05"
TODAY = dt.date(2026, 2, 10)  # archives 2026-02 and 2026-01 are "not published yet"
METRO = "2025-12/2025-12-metropolitan-street.csv"  # another force's file: never downloaded


def _rows(month: str) -> list[list[str]]:
    return csv_rows(SHARED / month / f"{month}-kent-street.csv")[1]


def _revise(month: str) -> tuple[bytes, dict]:
    """police.uk re-publishing a month: 5 outcomes changed, 2 rows withdrawn (a crime and an ASB
    incident), 1 crime added. Returns the new file and what changed."""
    header, rows = csv_rows(SHARED / month / f"{month}-kent-street.csv")
    ids = [r[0] for r in rows]
    unique = [i for i, r in enumerate(rows) if r[0] and ids.count(r[0]) == 1]
    outcome_rows, removed_crime, copied = unique[:5], unique[5], unique[6]
    asb = next(i for i, r in enumerate(rows) if not r[0])
    changed = []
    for i in outcome_rows:
        new = "Unable to prosecute suspect" if rows[i][10] != "Unable to prosecute suspect" else "Local resolution"
        rows[i] = rows[i][:10] + [new] + rows[i][11:]
        changed.append((rows[i][0], new))
    added = list(rows[copied])
    added[0] = "f" * 64
    removed_ids = {rows[removed_crime][0]}
    rows = [r for i, r in enumerate(rows) if i not in (removed_crime, asb)] + [added]
    return csv_bytes(header, rows), {"outcomes": changed, "removed_id": removed_ids.pop(), "added_id": added[0],
                                     "rows": len(rows)}


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    folder = tmp_path_factory.mktemp("archives")
    revised, what = _revise(REVISED_MONTH)
    metro = b"".join((SHARED / m / f"{m}-kent-street.csv").read_bytes() for m in WINDOW[4:12])
    extra = {METRO: metro, "2025-12/2025-12-kent-outcomes.csv": b"Crime ID,Month\n"}
    header = csv_rows(SHARED / "2025-01" / "2025-01-kent-street.csv")[0]
    good = build_archive(folder / "2025-12.zip", SHARED, WINDOW, replace={REVISED_MONTH: revised}, extra=extra)
    empty = build_archive(folder / "empty.zip", SHARED, WINDOW, replace={EMPTY_MONTH: csv_bytes(header, [])})
    start, size = member_span(good, f"{REVISED_MONTH}/{REVISED_MONTH}-kent-street.csv")

    def flip(data: bytes) -> bytes:
        at = start + size // 2
        return data[:at] + bytes(b ^ 0x5A for b in data[at:at + 16]) + data[at + 16:]

    corrupt = build_archive(folder / "corrupt.zip", SHARED, WINDOW, mutate=flip)
    broken = folder / "broken.zip"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])  # no central directory
    return {"good": good, "empty": empty, "corrupt": corrupt, "broken": broken, "revision": what,
            "metro": member_span(good, METRO)}


@pytest.fixture()
def store_before(tmp_path, full_store) -> Path:
    """The full ../shared store without its newest month, as it was before police.uk published it."""
    db = tmp_path / "store" / "smp.duckdb"
    db.parent.mkdir()
    shutil.copyfile(full_store, db)
    with store.open_for_update(db) as con:
        con.execute("delete from rejects where source_file in (select source_file from source_files "
                    "where month = ?::date)", [f"{NEW_MONTH}-01"])
        for table in ("records", "records_maidstone", "source_files"):
            con.execute(f"delete from {table} where month = ?::date", [f"{NEW_MONTH}-01"])
    return db


def _sql(db: Path, statement: str, params=None):
    con = store.read_only_connection(db)
    try:
        return con.execute(statement, params or []).fetchall()
    finally:
        con.close()


def _month_rows(db: Path) -> dict[str, int]:
    return dict(_sql(db, "select strftime(month, '%Y-%m'), rows_loaded from source_files where force = 'kent'"))


def _refresh(db, server, **kw):
    kw.setdefault("http", rf.Http(retry_wait=0.01))
    return rf.refresh(db, settings.boundaries_dir(), base_url=server.base_url, progress=lambda _l: None,
                      today=TODAY, **kw)


def test_refresh_adds_the_new_month_replaces_the_revised_one_in_place_and_keeps_the_rest(
        store_before, archives, tmp_path):
    db = store_before
    store_before_copy = tmp_path / "never_refreshed.duckdb"
    shutil.copyfile(db, store_before_copy)
    before = _month_rows(db)
    inode, version = db.stat().st_ino, _sql(db, "select value from build_metadata where key = 'store_version'")
    with FakePoliceArchive({"2025-12": archives["good"]}) as server:
        report = _refresh(db, server)
        requests = list(server.requests)
    # discovery: this month's and last month's archives are not published yet
    assert [r.status for r in requests[:3]] == [404, 404, 206]
    assert requests[0].path.endswith("/2026-02.zip") and requests[2].path.endswith("/2025-12.zip")
    # only Range requests, never the other force's member
    metro_start, metro_size = archives["metro"]
    assert all(r.status in (206, 404) for r in requests)
    assert report.bytes_downloaded < archives["good"].stat().st_size - metro_size + 2 * rf.BLOCK
    assert metro_size > 4 * rf.BLOCK

    def overlap(r):
        a, b = map(int, r.range[6:].split("-"))
        b = min(b, a + r.sent - 1)
        return max(0, min(b, metro_start + metro_size - 1) - max(a, metro_start) + 1)

    # at most the blocks it shares with its neighbours (the Kent member before, the zip directory after)
    assert sum(overlap(r) for r in requests if r.status == 206) <= 2 * rf.BLOCK
    # the change report, from what _revise did and the CSV files
    what = archives["revision"]
    changes = {c.month: c for c in report.changes}
    assert changes[NEW_MONTH].change == "new" and changes[NEW_MONTH].rows_after == len(_rows(NEW_MONTH))
    rev = changes[REVISED_MONTH]
    assert (rev.change, rev.rows_before, rev.rows_after) == ("revised", len(_rows(REVISED_MONTH)), what["rows"])
    assert (rev.rows_added, rev.rows_removed, rev.outcomes_revised) == (1, 2, 5)
    assert {c.change for m, c in changes.items() if m not in (NEW_MONTH, REVISED_MONTH)} == {"unchanged"}
    assert report.applied and report.kept_months == len(OLD)
    # the store: in place (same file), the new month and the revision in it, old months kept
    assert db.stat().st_ino == inode
    after = _month_rows(db)
    assert after[NEW_MONTH] == len(_rows(NEW_MONTH)) and after[REVISED_MONTH] == what["rows"]
    assert {m: n for m, n in after.items() if m not in (NEW_MONTH, REVISED_MONTH)} == \
        {m: n for m, n in before.items() if m != REVISED_MONTH}
    assert all(m in after for m in OLD)
    for crime_id, outcome in what["outcomes"]:
        assert _sql(db, "select last_outcome from crime_records where crime_id = ?", [crime_id]) == [(outcome,)]
    assert _sql(db, "select count(*) from records where crime_id = ?", [what["removed_id"]]) == [(0,)]
    assert _sql(db, "select count(*) from records where crime_id = ?", [what["added_id"]]) == [(1,)]
    (maid,), = _sql(db, "select count(*) from records where district = 'Maidstone' and month = ?::date",
                    [f"{NEW_MONTH}-01"])
    assert _sql(db, "select count(*) from records_maidstone where month = ?::date", [f"{NEW_MONTH}-01"]) == [(maid,)]
    assert maid > 0
    assert _sql(db, "select value from build_metadata where key = 'store_version'") != version
    assert store.check_integrity(db).ok
    rows = _sql(db, "select strftime(month, '%Y-%m'), change, rows_before, rows_after, rows_added, rows_removed, "
                    "outcomes_revised, archive from month_changes order by month")
    assert rows == [(REVISED_MONTH, "revised", len(_rows(REVISED_MONTH)), what["rows"], 1, 2, 5,
                     f"{server.base_url}2025-12.zip"),
                    (NEW_MONTH, "new", None, len(_rows(NEW_MONTH)), len(_rows(NEW_MONTH)), 0, 0,
                     f"{server.base_url}2025-12.zip")]
    # About the data shows the report (and a store never refreshed says so)
    from tests.apptest_helpers import open_page, shown_tables, texts

    at = open_page("pages/about.py", db)
    assert not at.exception
    shown = next(t for t in shown_tables(at) if "Outcomes revised" in t.columns)
    assert shown[["Month", "Change", "Rows before", "Rows now", "Rows added", "Rows removed",
                  "Outcomes revised"]].values.tolist() == [
        ["Dec 2025", "New month", "", f"{len(_rows(NEW_MONTH)):,}", f"{len(_rows(NEW_MONTH)):,}", "0", "0"],
        ["Jun 2025", "Revised", f"{len(_rows(REVISED_MONTH)):,}", f"{what['rows']:,}", "1", "2", "5"]]
    never = open_page("pages/about.py", store_before_copy)
    assert "has not been refreshed from police.uk since it was built" in texts(never)
    # run again (a daily job): the archive and the store are as the last run left them, nothing fetched
    version = _sql(db, "select value from build_metadata where key = 'store_version'")
    with FakePoliceArchive({"2025-12": archives["good"]}) as server:
        again = _refresh(db, server)
        assert [r.status for r in server.requests] == [404, 404, 206]  # discovery only
    assert not again.applied and again.unchanged_since and "is unchanged since the refresh of" in \
        again.summary(db, False)
    # and compared in full (no record of the last run): every month unchanged, nothing written
    with FakePoliceArchive({"2025-12": archives["good"]}) as server:
        full = _refresh(db, server, cache=tmp_path / "fresh_cache")
    assert not full.applied and {c.change for c in full.changes} == {"unchanged"}
    assert _sql(db, "select value from build_metadata where key = 'store_version'") == version


def test_a_download_cut_short_is_resumed_from_the_byte_it_stopped_at(store_before, archives):
    with FakePoliceArchive({"2025-12": archives["good"]}) as server:
        server.cut = [100_000, 250_000]
        report = _refresh(store_before, server, month="2025-12")
        ranges = [r.range for r in server.requests if r.status == 206]
    assert report.applied
    cut = [r for r in server.requests if r.status == 206 and r.sent in (100_000, 250_000)]
    assert len(cut) == 2
    starts = [int(r[6:].split("-")[0]) for r in ranges]
    for c in cut:  # a later request resumes inside the cut range (from the last whole chunk received)
        start = int(c.range[6:].split("-")[0])
        assert any(start < s <= start + c.sent for s in starts), (c, starts)


def test_a_whole_archive_download_resumes_across_runs(store_before, archives, tmp_path):
    cache = tmp_path / "cache"
    with FakePoliceArchive({"2025-12": archives["good"]}) as server:
        server.cut = [400_000, 400_000]
        with pytest.raises(rf.RefreshError, match="cut short"):
            _refresh(store_before, server, month="2025-12", cache=cache, download="whole",
                     http=rf.Http(retries=1, retry_wait=0.01))
        part = cache / "2025-12.zip.part"
        kept = part.stat().st_size  # what arrived whole before each cut (the chunk in flight is lost)
        assert 2 * (400_000 - 65_536) <= kept <= 800_000
        report = _refresh(store_before, server, month="2025-12", cache=cache, download="whole")
        resumed = [r for r in server.requests if r.range == f"bytes={kept}-"]
    assert report.applied and len(resumed) == 1 and resumed[0].status == 206
    assert not part.exists() and not (cache / "2025-12.zip").exists()  # the whole zip is not kept


def test_server_errors_are_retried_with_back_off(store_before, archives):
    slept = []
    with FakePoliceArchive({"2025-12": archives["good"]}) as server:
        server.fail = 3
        report = _refresh(store_before, server, month="2025-12",
                          http=rf.Http(retry_wait=0.5, sleep=slept.append))
    assert report.applied and slept == [0.0, 0.0, 0.0]  # Retry-After: 0 is honoured
    with FakePoliceArchive({"2025-12": archives["good"]}) as server:
        server.fail = 10
        with pytest.raises(rf.RefreshError, match=r"HTTP 503 \(gave up after 3 attempts\)"):
            _refresh(store_before, server, month="2025-12", http=rf.Http(retries=2, sleep=slept.append))


@pytest.mark.parametrize("kind, says", [
    ("corrupt", f"member {REVISED_MONTH}/{REVISED_MONTH}-kent-street.csv is corrupt"),
    ("broken", "not a readable zip archive"),
])
def test_a_corrupt_archive_is_refused_in_one_line_and_the_store_is_untouched(store_before, archives, kind, says,
                                                                            tmp_path):
    digest = store.check_integrity(store_before).digests
    cache = tmp_path / "cache"
    with FakePoliceArchive({"2025-12": archives[kind]}) as server:
        with pytest.raises(rf.RefreshError) as err:
            _refresh(store_before, server, month="2025-12", cache=cache)
    assert says in str(err.value) and "\n" not in str(err.value)
    assert store.check_integrity(store_before).digests == digest
    assert not list(cache.rglob("*.part"))
    assert sorted(p.name for p in store_before.parent.iterdir()) == ["smp.duckdb"]  # no staging left


def test_a_month_that_arrives_empty_keeps_its_rows(store_before, archives):
    before = _month_rows(store_before)
    with FakePoliceArchive({"2025-12": archives["empty"]}) as server:
        report = _refresh(store_before, server, month="2025-12")
    empty = next(c for c in report.changes if c.month == EMPTY_MONTH)
    assert empty.change == "empty" and "stays the store's" in empty.line()
    assert _month_rows(store_before)[EMPTY_MONTH] == before[EMPTY_MONTH]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "smp_data", "refresh", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=600, env={**os.environ})


def test_cli_exit_codes_and_one_line_reasons(store_before, archives, tmp_path):
    with FakePoliceArchive({"2025-12": archives["good"]}) as server:
        common = ["--db", str(store_before), "--archive-url", server.base_url, "--retry-wait", "0.01"]
        unpublished = _cli(*common, "--month", "2026-01")
        assert unpublished.returncode == 1
        assert unpublished.stderr.startswith("error: ") and "2026-01.zip: not published yet (HTTP 404)" in unpublished.stderr
        assert unpublished.stderr.strip().count("\n") == 0
        bad = _cli(*common, "--month", "December")
        assert bad.returncode == 2 and "YYYY-MM" in bad.stderr
        dry = _cli(*common, "--month", "2025-12", "--dry-run", "--quiet")
        assert dry.returncode == 0 and dry.stdout.startswith("Dry run (store not changed)")
        assert dry.stdout.strip().count("\n") == 0 and "1 new, 1 revised" in dry.stdout
        assert NEW_MONTH not in _month_rows(store_before)
        done = _cli(*common, "--month", "2025-12")
        assert done.returncode == 0, done.stderr
        assert f"  {NEW_MONTH} kent: new month, {len(_rows(NEW_MONTH)):,} rows" in done.stdout
        assert f"Refreshed {store_before}" in done.stdout
    missing = _cli("--db", str(tmp_path / "nothing.duckdb"), "--archive-url", "http://127.0.0.1:9/")
    assert missing.returncode == 1 and "store not found" in missing.stderr
    assert "Traceback" not in unpublished.stderr + bad.stderr + done.stderr + missing.stderr


def test_a_damaged_store_is_not_refreshed(tmp_path, archives):
    db = tmp_path / "smp.duckdb"
    db.write_bytes(b"\0" * 50_000)
    with FakePoliceArchive({"2025-12": archives["good"]}) as server:
        with pytest.raises(rf.RefreshError, match="the data store is damaged"):
            _refresh(db, server)
        assert server.requests == []


def test_discovery_gives_up_in_one_line_when_nothing_is_published():
    with FakePoliceArchive({}) as server:
        with pytest.raises(rf.RefreshError, match="no archive published at"):
            rf.discover_latest(rf.Http(retry_wait=0.01), server.base_url, TODAY, months_back=3)
        assert len(server.requests) == 4 and {r.status for r in server.requests} == {404}


def test_remote_file_reads_like_a_local_file(archives):
    import zipfile

    with FakePoliceArchive({"2025-12": archives["good"]}) as server:
        http = rf.Http()
        archive = rf.probe(http, rf.archive_url(server.base_url, "2025-12"), "2025-12")
        assert archive.ranges and archive.size == archives["good"].stat().st_size
        with zipfile.ZipFile(rf.RemoteFile(http, archive.url, archive.size, block=64 * 1024)) as remote, \
                zipfile.ZipFile(archives["good"]) as local:
            assert remote.namelist() == local.namelist()
            name = f"{NEW_MONTH}/{NEW_MONTH}-kent-street.csv"
            assert remote.read(name) == local.read(name)


def test_the_staging_files_of_a_killed_refresh_are_removed_by_the_next_build(tmp_path):
    db = tmp_path / "smp.duckdb"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftovers = [store.staging_path(db, dead.pid),
                 tmp_path / f"..smp.duckdb.staging-{dead.pid}.building-{dead.pid}",
                 tmp_path / f"..smp.duckdb.staging-{dead.pid}.building-{dead.pid}.wal"]
    for p in leftovers:
        p.write_bytes(b"x")
    assert sorted(p.name for p, _ in store.cleanup_stale(db)) == sorted(p.name for p in leftovers)


def test_month_changes_table_is_created_once(tmp_path, tiny_store):
    import queries

    db = tmp_path / "s.duckdb"
    shutil.copyfile(tiny_store, db)
    con = duckdb.connect(str(db))
    queries.run_script(con, "build.create_month_changes")
    queries.run_script(con, "build.create_month_changes")
    assert [r[0] for r in con.execute("describe month_changes").fetchall()][:5] == \
        ["refreshed_at_utc", "archive", "month", "force", "change"]
    con.close()


def test_a_full_disk_during_a_refresh_says_so_and_leaves_the_store_intact(tmp_path, tiny_store, archives):
    """A real full disk (a 10 MB tmpfs holding a 6.8 MB store): the refresh stops with one line, the
    store is as it was, no staging or partial file is left. Needs root to mount (CI runs as root)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs these tests as root)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=10m", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        db = disk / "smp.duckdb"
        shutil.copyfile(tiny_store, db)
        before = store.check_integrity(db).digests
        with FakePoliceArchive({"2025-12": archives["good"]}) as server:
            with pytest.raises(rf.RefreshError) as err:
                _refresh(db, server, month="2025-12")
        assert "disk full while" in str(err.value) and "\n" not in str(err.value)
        assert store.check_integrity(db).digests == before
        left = sorted(p.relative_to(disk).as_posix() for p in disk.rglob("*") if p.is_file())
        assert [p for p in left if p.endswith((".part", ".wal")) or "staging" in p or "building" in p] == []
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


_MEASURED_REFRESH = """
import datetime as dt, json, sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from smp_data import refresh as rf, settings

def wchar():
    with open("/proc/self/io") as fh:
        return int(next(line for line in fh if line.startswith("wchar:")).split()[1])

w0 = wchar()
r = rf.refresh(Path({db!r}), settings.boundaries_dir(), base_url={url!r}, progress=lambda _l: None,
               today=dt.date.fromisoformat({today!r}), month={month!r}, http=rf.Http(retry_wait=0.01))
print(json.dumps({{"written": wchar() - w0, "applied": r.applied, "changes": [c.change for c in r.changes]}}))
"""


def _refresh_measured(db: Path, archive: Path) -> tuple[SimpleNamespace, int, dict[str, int]]:
    """Refresh ``db`` from a one-month archive in a process of its own; the bytes that process wrote (every
    thread, DuckDB's included: a test worker's own threads cannot add to it) and the largest size each file
    beside the store reached while it ran (a watcher here samples the folder)."""
    import json
    import threading

    biggest: dict[str, int] = {}
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            for p in db.parent.rglob("*"):
                if p != db and p.is_file():
                    try:
                        biggest[p.name] = max(biggest.get(p.name, 0), p.stat().st_size)
                    except OSError:
                        pass  # removed between listing and stat
            stop.wait(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    with FakePoliceArchive({NEW_MONTH: archive}) as server:
        code = _MEASURED_REFRESH.format(repo=str(REPO_ROOT), db=str(db), url=server.base_url,
                                        today=TODAY.isoformat(), month=NEW_MONTH)
        watcher.start()
        try:
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        finally:
            stop.set()
            watcher.join()
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return SimpleNamespace(applied=result["applied"], changes=[SimpleNamespace(change=c) for c in result["changes"]]), \
        result["written"], biggest


def test_a_refresh_of_one_month_does_not_copy_the_store(store_before, tiny_store, tmp_path):
    """The monthly job on a store that keeps growing: the same one-month refresh into a small store and
    into the full one writes about the same bytes (a copy of the store would write the difference in their
    sizes again), the store keeps its inode (no new file renamed over it), and no file beside it ever
    grows to half the store's size (a watcher samples the folder while the refresh runs)."""
    one = build_archive(tmp_path / "one.zip", SHARED, [NEW_MONTH])
    small = tmp_path / "small" / "smp.duckdb"
    small.parent.mkdir()
    shutil.copyfile(tiny_store, small)
    big, size = store_before, store_before.stat().st_size
    grew = size - small.stat().st_size  # the history the refresh must not copy
    assert grew > 20e6
    inode = big.stat().st_ino
    small_report, small_written, _ = _refresh_measured(small, one)
    report, written, biggest = _refresh_measured(big, one)
    for r, db in ((small_report, small), (report, big)):
        assert r.applied and [c.change for c in r.changes] == ["new"]
        assert _month_rows(db)[NEW_MONTH] == len(_rows(NEW_MONTH))
    assert big.stat().st_ino == inode
    assert any("staging" in name for name in biggest), biggest  # the watcher saw the refresh's own files
    assert max(biggest.values()) < size / 2, (biggest, size)
    # a copy of the store would write at least `grew` more on the big store; checkpoints of the big store may
    # rewrite some of its metadata and last row groups (seen: 14 MB more of 25 MB grown, on a loaded machine)
    assert abs(written - small_written) < grew * 3 / 4, (written, small_written, grew)

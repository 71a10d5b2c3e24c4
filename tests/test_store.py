"""The store lifecycle (smp_data/store.py): publish, in-place update, the writer marker, stale files of
dead builds, integrity checks of damaged files, and a full disk in both build modes.

Other processes (a reader holding the store, a writer killed with SIGKILL) are real subprocesses:
DuckDB's file locks and the marker's flock are per process.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from smp_data import store
from smp_data.settings import REPO_ROOT
from tests.conftest import POLICE_FIXTURE

PY = sys.executable


def _cli(*args, env=None, timeout=300):
    return subprocess.run([PY, "-m", "smp_data", *args], capture_output=True, text=True, cwd=REPO_ROOT,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def _spawn(code: str) -> subprocess.Popen:
    """A Python subprocess that prints 'ready' once it holds what it was asked to hold."""
    proc = subprocess.Popen([PY, "-c", textwrap.dedent(code)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.strip() == "ready", proc.stderr.read()
    return proc


def _stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
    proc.wait(timeout=30)


def _records(db: Path) -> int:
    con = store.read_only_connection(db)
    try:
        return con.execute("select count(*) from records").fetchone()[0]
    finally:
        con.close()


def _meta(db: Path, key: str):
    con = store.read_only_connection(db)
    try:
        row = con.execute("select value from build_metadata where key = ?", [key]).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def live(tmp_path, tiny_store) -> Path:
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny_store, db)
    return db


# ------------------------------------------------------------------ the root cause of the stale-store bug


def test_duckdb_reuses_the_open_instance_of_a_replaced_path_but_a_fresh_attach_does_not(tmp_path):
    """DuckDB keeps one database instance per path: connect() after a rename returns the old, unlinked
    file while any connection to it is open. read_only_connection() attaches to a new instance."""
    db = tmp_path / "s.duckdb"
    for value, path in ((1, db), (2, tmp_path / "new.duckdb")):
        con = duckdb.connect(str(path))
        con.execute(f"create table t as select {value} as v")
        con.close()
    old = duckdb.connect(str(db), read_only=True)
    os.replace(tmp_path / "new.duckdb", db)
    again = duckdb.connect(str(db), read_only=True)
    assert again.execute("select v from t").fetchone()[0] == 1  # DuckDB's behaviour: the old file
    fresh = store.read_only_connection(db)
    assert fresh.execute("select v from t").fetchone()[0] == 2
    cur = fresh.cursor()
    cur.execute("use store")
    assert cur.execute("select v from t").fetchone()[0] == 2
    for c in (cur, fresh, again, old):
        c.close()


# ------------------------------------------------------------------ publish


def test_publish_replaces_the_store_atomically_with_a_new_version(tmp_path, tiny_store):
    db = tmp_path / "s.duckdb"
    shutil.copyfile(tiny_store, db)
    reader = store.read_only_connection(db)  # a dashboard still reading the old build
    temp = store.temp_path(db)
    shutil.copyfile(tiny_store, temp)
    con = duckdb.connect(str(temp))
    con.execute("delete from records where month = date '2022-01-01'")
    con.close()
    v1 = store.publish(temp, db)
    assert not temp.exists() and not store.marker_path(db).exists()
    assert _records(db) == 17 - 8 and _meta(db, store.VERSION_KEY) == v1
    assert reader.execute("select count(*) from records").fetchone()[0] == 17  # old file still readable
    reader.close()
    shutil.copyfile(tiny_store, temp)
    v2 = store.publish(temp, db)
    assert v2 != v1 and _meta(db, store.VERSION_KEY) == v2 and _records(db) == 17


def test_publish_of_a_temp_file_stamped_by_its_builder_does_not_reopen_it(tmp_path, tiny_store, monkeypatch):
    """A build stamps its version before its final checkpoint (store.stamp_version) and publish only
    fsyncs and renames the file: it never connects to it again."""
    db = tmp_path / "s.duckdb"
    shutil.copyfile(tiny_store, db)
    temp = store.temp_path(db)
    shutil.copyfile(tiny_store, temp)
    con = duckdb.connect(str(temp))
    version = store.stamp_version(con)
    con.execute("checkpoint")
    con.close()

    def no_connect(*_a, **_k):
        raise AssertionError("publish reopened a file its builder had stamped")

    monkeypatch.setattr(store.duckdb, "connect", no_connect)
    assert store.publish(temp, db, version=version) == version
    monkeypatch.undo()
    assert not temp.exists() and not store.marker_path(db).exists()
    assert _meta(db, store.VERSION_KEY) == version and _records(db) == 17
    missing = store.temp_path(db)
    with pytest.raises(store.StoreError) as err:  # the finished build is gone: the store is untouched
        store.publish(missing, db, version=store.new_version_id())
    assert "\n" not in str(err.value) and _meta(db, store.VERSION_KEY) == version


def test_a_full_build_publishes_the_version_it_stamped(tmp_path, boundaries_dir, monkeypatch):
    from smp_data import build

    published = []
    real = store.publish
    monkeypatch.setattr(store, "publish", lambda temp, db, **kw: published.append(kw) or real(temp, db, **kw))
    db = tmp_path / "b.duckdb"
    build.build_store(str(POLICE_FIXTURE), db, boundaries_dir, progress=lambda _l: None)
    assert len(published) == 1 and published[0]["version"]
    assert _meta(db, store.VERSION_KEY) == published[0]["version"]


def test_publish_of_a_broken_temp_file_leaves_the_store_untouched(live, tmp_path):
    before = _digest(live)
    temp = store.temp_path(live)
    temp.write_bytes(b"not a database")
    with pytest.raises(store.StoreError) as err:
        store.publish(temp, live)
    assert "\n" not in str(err.value) and str(temp) in str(err.value)
    assert _digest(live) == before


# ------------------------------------------------------------------ in-place update


def test_open_for_update_commits_one_transaction_and_bumps_the_version(live):
    before = _meta(live, store.VERSION_KEY)
    with store.open_for_update(live) as con:
        assert store.active_writer(live) is not None and store.active_writer(live).mode == "update"
        con.execute("delete from records where month = date '2022-01-01'")
    assert _records(live) == 9
    after = _meta(live, store.VERSION_KEY)
    assert after and after != before
    assert store.active_writer(live) is None and not store.marker_path(live).exists()
    assert not live.with_name(live.name + ".wal").exists()  # checkpointed


def test_open_for_update_rolls_back_on_any_error(live):
    before = _digest(live)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with store.open_for_update(live) as con:
            con.execute("delete from records")
            raise Boom()
    with pytest.raises(store.StoreError) as err:
        with store.open_for_update(live) as con:
            con.execute("delete from records")
            con.execute("select * from no_such_table")
    assert "\n" not in str(err.value)
    assert _records(live) == 17 and _digest(live) == before
    assert not store.marker_path(live).exists()


def test_open_for_update_waits_for_a_reader_and_names_it_when_it_does_not_let_go(live):
    reader = _spawn(f"""
        import sys, duckdb
        con = duckdb.connect({str(live)!r}, read_only=True)
        print("ready", flush=True)
        sys.stdin = None
        import time; time.sleep(60)
    """)
    try:
        started = time.monotonic()
        with pytest.raises(store.StoreBusy) as err:
            with store.open_for_update(live, timeout=1.0):
                pass
        assert 1.0 <= time.monotonic() - started < 10
        assert f"process {reader.pid}" in str(err.value) and "\n" not in str(err.value)
        assert not store.marker_path(live).exists()
        # the reader lets go after 1 s: the writer, still waiting, gets in
        _stop(reader)
        with store.open_for_update(live, timeout=5.0) as con:
            con.execute("delete from records where month = date '2022-02-01'")
        assert _records(live) == 17 - 3
    finally:
        _stop(reader)


def test_writers_take_turns_and_a_killed_writer_leaves_a_stale_marker_only(live):
    holder = _spawn(f"""
        from smp_data import store
        with store.open_for_update({str(live)!r}) as con:
            con.execute("delete from records")
            print("ready", flush=True)
            import time; time.sleep(60)
    """)
    try:
        writer = store.active_writer(live)
        assert writer is not None and writer.pid == holder.pid and writer.mode == "update"
        with pytest.raises(store.StoreBusy, match=f"pid {holder.pid}"):
            with store.open_for_update(live, timeout=0.5):
                pass
        temp = store.temp_path(live)
        shutil.copyfile(live, temp)
        with pytest.raises(store.StoreBusy):  # a full build does not land in the middle of an update
            store.publish(temp, live, timeout=0.5)
        temp.unlink()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        assert store.marker_path(live).exists() and store.active_writer(live) is None  # stale
        assert _records(live) == 17  # the killed update never committed
        with store.open_for_update(live, timeout=5.0) as con:  # takes over the stale marker
            con.execute("delete from records where month = date '2024-01-01'")
        assert _records(live) == 17 - 5 and not store.marker_path(live).exists()
    finally:
        _stop(holder, signal.SIGKILL)


# ------------------------------------------------------------------ stale files of dead builds


def _dead_pid() -> int:
    proc = subprocess.Popen([PY, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_cleanup_removes_only_files_of_dead_builds(live):
    dead = _dead_pid()
    folder = live.parent
    stale = [store.temp_path(live, "building", dead), store.temp_path(live, "staging", dead)]
    for p in stale:
        p.write_bytes(b"x" * 1000)
        p.with_name(p.name + ".wal").write_bytes(b"w" * 10)
    spill = store.temp_path(live, "building", dead).with_name(store.temp_path(live, "building", dead).name + ".tmp")
    spill.mkdir()
    (spill / "duckdb_temp_block-1.block").write_bytes(b"b" * 100)
    mine = store.temp_path(live)  # this process: a build in progress
    mine.write_bytes(b"m")
    live.with_name(live.name + ".wal").write_bytes(b"committed")  # the store's own WAL: never touched
    other = folder / "other.duckdb.building-1"
    other.write_bytes(b"o")
    # a build running in another container (its pid means nothing here) holds DuckDB's lock on its file
    foreign = store.temp_path(live, "building", _dead_pid())
    holder = _spawn(f"""
        import duckdb
        con = duckdb.connect({str(foreign)!r})
        con.execute("create table t as select 1")
        print("ready", flush=True)
        import time; time.sleep(60)
    """)
    try:
        removed = store.cleanup_stale(live)
    finally:
        _stop(holder)
    names = sorted(p.name for p, _ in removed)
    assert names == sorted([*(p.name for p in stale), *(p.name + ".wal" for p in stale), spill.name])
    assert sum(n for _, n in removed) == 2 * 1010 + 100
    assert mine.exists() and other.exists() and foreign.exists() and live.with_name(live.name + ".wal").exists()
    assert live.exists()


def test_a_killed_build_leaves_files_that_the_next_build_removes(tmp_path):
    db = tmp_path / "s.duckdb"
    env = {"SMP_DB": str(db)}
    proc = subprocess.Popen([PY, "-m", "smp_data", "build", "--partner", "none", "--uploads", "none"],
                            cwd=REPO_ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    temp = store.temp_path(db, pid=proc.pid)
    deadline = time.monotonic() + 120
    while not (temp.exists() and temp.stat().st_size > 1_000_000) and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert temp.exists(), "the build never started writing"
    left = [p.name for p in tmp_path.iterdir()]
    res = _cli("build", "--source", str(POLICE_FIXTURE), "--partner", "none", "--uploads", "none", env=env)
    assert res.returncode == 0, res.stderr
    assert f"Removed {len(left)} file(s) left by dead builds" in res.stdout and temp.name in res.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.duckdb"]


# ------------------------------------------------------------------ integrity


def _damaged_files(src: Path, folder: Path) -> dict[str, Path]:
    data = src.read_bytes()
    out = {}

    def put(name, content):
        p = folder / f"{name}.duckdb"
        p.write_bytes(content)
        out[name] = p

    put("truncated_half", data[: len(data) // 2])
    put("truncated_header_only", data[:20_000])
    put("zeroed_header", b"\0" * 12288 + data[12288:])
    put("random_bytes", os.urandom(1_000_000))
    put("empty", b"")
    put("csv_not_duckdb", (POLICE_FIXTURE / "2022-01" / "2022-01-kent-street.csv").read_bytes())
    # one data block of the records table overwritten (DuckDB checksums every block)
    con = duckdb.connect(str(src), read_only=True)
    block_id, offset, block_size = con.execute(
        "select s.block_id, s.block_offset, (select block_size from pragma_database_size()) "
        "from pragma_storage_info('records') as s where s.block_id >= 0 and s.column_name = 'crime_type' "
        "limit 1").fetchone()
    con.close()
    at = 3 * 4096 + block_id * block_size + offset + 8
    put("flipped_data_block", data[:at] + bytes(b ^ 0xFF for b in data[at:at + 64]) + data[at + 64:])
    not_store = folder / "not_a_store.duckdb"
    con = duckdb.connect(str(not_store))
    con.execute("create table t as select 1 as v")
    con.close()
    out["not_a_store"] = not_store
    return out


@pytest.fixture(scope="module")
def damaged(tmp_path_factory, full_store) -> dict[str, Path]:
    return _damaged_files(full_store, tmp_path_factory.mktemp("damaged"))


@pytest.mark.integration
def test_integrity_check_reads_every_table_of_a_good_store(full_store):
    report = store.check_integrity(full_store)
    assert report.ok and report.reason is None
    con = duckdb.connect(str(full_store), read_only=True)
    try:
        tables = dict(con.execute("select table_name, estimated_size from duckdb_tables()").fetchall())
        for table in tables:
            assert report.tables[table] == con.execute(f'select count(*) from "{table}"').fetchone()[0]
    finally:
        con.close()
    assert set(report.tables) == set(tables) and {"crime_records", "months_loaded"} <= set(report.views)


@pytest.mark.integration
@pytest.mark.parametrize("kind, says", [
    ("truncated_half", "cannot be"),  # read, or opened: where the catalog lies depends on the build's write order
    ("truncated_header_only", "cannot be opened"),
    ("zeroed_header", "not a DuckDB database"),
    ("random_bytes", "not a DuckDB database"),
    ("empty", "is empty"),
    ("csv_not_duckdb", "not a DuckDB database"),
    ("flipped_data_block", "table records cannot be read"),
    ("not_a_store", "not a store of this dashboard"),
])
def test_status_exits_nonzero_with_one_line_on_a_damaged_store(damaged, kind, says):
    report = store.check_integrity(damaged[kind])
    assert not report.ok and says in report.reason and "\n" not in report.reason
    res = _cli("status", "--db", str(damaged[kind]))
    assert res.returncode == 1
    assert res.stderr.startswith("error: the data store is damaged:") and says in res.stderr
    assert res.stderr.strip().count("\n") == 0 and "Traceback" not in res.stderr + res.stdout


@pytest.mark.integration
def test_status_of_a_good_store_reports_integrity_and_months(full_store):
    res = _cli("status", "--db", str(full_store))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("integrity: ok (") and "2025-12 kent" in res.stdout
    assert "2023-06 kent     missing" in res.stdout


# ------------------------------------------------------------------ a full disk


@pytest.fixture()
def small_disk(tmp_path):
    """A 10 MB tmpfs: a real full disk (ENOSPC), not a simulated one. Needs root (CI runs as root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs these tests as root)")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=10m", "tmpfs", str(mount)], capture_output=True,
                         text=True)
    if res.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the full-disk tests: {res.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _assert_one_line_disk_full(res):
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and res.stderr.strip().count("\n") == 0, res.stderr
    assert res.stderr.startswith("error: disk full while ") and "the previous store is unchanged" in res.stderr


@pytest.mark.parametrize("mode", ["full", "update"])
def test_a_full_disk_says_so_in_one_line_and_leaves_the_store_intact(small_disk, tiny_store, mode):
    db = small_disk / "s.duckdb"
    shutil.copyfile(tiny_store, db)  # 6.8 MB of 10: no room for a second copy
    before = _digest(db)
    args = ["build", "--source", str(POLICE_FIXTURE), "--db", str(db), "--partner", "none", "--uploads", "none"]
    res = _cli(*args, *(["--update"] if mode == "update" else []))
    _assert_one_line_disk_full(res)
    assert _digest(db) == before and store.check_integrity(db).ok
    assert sorted(p.name for p in small_disk.iterdir()) == ["s.duckdb"]


def test_an_update_transaction_on_a_full_disk_rolls_back(small_disk, tiny_store):
    db = small_disk / "s.duckdb"
    shutil.copyfile(tiny_store, db)
    before = store.check_integrity(db).digests
    with pytest.raises(store.DiskFull) as err:
        with store.open_for_update(db) as con:
            con.execute("insert into rejects select 'x.csv', i, 'padding', repeat(md5(i::varchar), 8) "
                        "from range(200000) as t(i)")
    assert "\n" not in str(err.value) and str(db) in str(err.value) and "disk full" in str(err.value)
    # DuckDB may have written the big insert into free blocks of the file before the commit failed:
    # the bytes differ, every table's content does not
    after = store.check_integrity(db)
    assert after.ok and after.digests == before and _records(db) == 17
    assert not store.marker_path(db).exists()

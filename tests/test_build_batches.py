"""A build of several batches: the next batch is read by DuckDB (on its own connection) while the one
before is written (``smp_data.build._ingest``). The fixtures are far smaller than a batch, so these tests
set ``BATCH_BYTES`` to one byte: every month is then a batch of its own, as an all-forces month is."""

from __future__ import annotations

import shutil
import threading
import zipfile

import duckdb
import pytest

import smp_data.build as build
from smp_data.build import BuildError, build_store
from tests.conftest import POLICE_FIXTURE
from tests.malformed import HEADER, write_malformed_archive
from tests.test_build_compare import _assert_same_stores


def _build(source, db, boundaries_dir, **kw):
    return build_store(str(source), db, boundaries_dir, progress=lambda _l: None, postcodes_root=None, **kw)


def _one_month_a_batch(monkeypatch) -> list[list[str]]:
    """Make every month a batch of its own; return the list the months of each batch written go to."""
    written = []
    write = build._write_batch

    def counting(con, reader, *args, **kw):
        written.append(sorted({fr.month for fr in reader.files.values()}))
        return write(con, reader, *args, **kw)

    monkeypatch.setattr(build, "BATCH_BYTES", 1)
    monkeypatch.setattr(build, "_write_batch", counting)
    return written


@pytest.fixture
def month_batches(monkeypatch):
    return _one_month_a_batch(monkeypatch)


def _no_build_threads() -> bool:
    return not [t.name for t in threading.enumerate() if t.name.startswith(("smp-build-extract", "smp-build-read"))]


@pytest.mark.parametrize("as_zip", [False, True])
def test_one_month_a_batch_gives_the_same_store_as_one_batch(tmp_path, boundaries_dir, monkeypatch, as_zip):
    src = write_malformed_archive(tmp_path / "archive", big_field=False)
    shutil.copytree(POLICE_FIXTURE / "2022-04", src / "2022-04")  # a fourth month
    if as_zip:
        zpath = tmp_path / "archive.zip"
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
            for p in sorted(src.rglob("*.csv")):
                z.write(p, p.relative_to(src).as_posix())
        src = zpath
    one = _build(src, tmp_path / "one.duckdb", boundaries_dir, force="kent,btp")
    written = _one_month_a_batch(monkeypatch)
    many = _build(src, tmp_path / "many.duckdb", boundaries_dir, force="kent,btp")
    assert written == [["2022-01"], ["2022-02"], ["2022-04"], ["2024-01"]]
    _assert_same_stores(tmp_path / "many.duckdb", tmp_path / "one.duckdb")
    assert (many.rows_read, many.rows_loaded, many.rows_rejected) == (one.rows_read, one.rows_loaded, one.rows_rejected)
    assert [f["source_file"] for f in many.files] == [f["source_file"] for f in one.files]
    assert _no_build_threads()


def test_a_broken_file_in_a_later_batch_fails_cleanly(archive_copy, tmp_path, boundaries_dir, tiny_store,
                                                      month_batches):
    """The third month's file is empty: the error names it, whether it was found while the month before was
    being written or not; the store in place is untouched and no temporary file or thread is left."""
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny_store, db)
    (archive_copy / "2022-04" / "2022-04-kent-street.csv").write_bytes(b"")
    with pytest.raises(BuildError, match="^[^\n]*2022-04/2022-04-kent-street.csv: the file is empty[^\n]*$"):
        _build(archive_copy, db, boundaries_dir)
    assert month_batches[:2] == [["2022-01"], ["2022-02"]] and len(month_batches) == 2
    assert duckdb.connect(str(db), read_only=True).execute("select count(*) from records").fetchone()[0] == 17
    assert [p.name for p in tmp_path.iterdir() if ".building-" in p.name] == []
    assert _no_build_threads()


def test_a_failure_while_the_next_batch_is_read_leaves_the_store_intact(tmp_path, boundaries_dir, tiny_store,
                                                                         month_batches):
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny_store, db)
    with pytest.raises(BuildError, match="simulated failure before file 3"):
        _build(POLICE_FIXTURE, db, boundaries_dir, _fail_after_files=2)
    assert len(month_batches) == 2
    assert duckdb.connect(str(db), read_only=True).execute("select count(*) from records").fetchone()[0] == 17
    assert [p.name for p in tmp_path.iterdir() if ".building-" in p.name] == []
    assert _no_build_threads()


def test_a_batch_is_whole_months_up_to_the_limit():
    from smp_data.sources import StreetFile as F

    files = [F("a", "2024-01", "kent", size=60), F("b", "2024-01", "btp", size=10), F("c", "2024-02", "kent", size=50),
             F("d", "2024-03", "kent", size=80), F("e", "2024-04", "kent", size=10)]
    assert [[f.source_file for f in b] for b in build._batches(files, 110)] == [["a", "b"], ["c"], ["d", "e"]]
    assert [[f.source_file for f in b] for b in build._batches(files, 1)] == [["a", "b"], ["c"], ["d"], ["e"]]


def _big_month(path, month: str, rows: int, seed: int) -> None:
    """A plain street file of ``rows`` rows (random 64-hex crime IDs, as police.uk's), Ashford LSOA."""
    import random

    rnd = random.Random(seed)
    lines = [HEADER]
    for i in range(rows):
        cid = "%064x" % rnd.getrandbits(256)
        lon, lat = 0.86 + rnd.random() / 100, 51.14 + rnd.random() / 100
        lines.append(f"{cid},{month},Kent Police,Kent Police,{lon:.6f},{lat:.6f},On or near Street {i % 997},"
                     f"E01023999,Ashford 010A,{('Shoplifting', 'Burglary', 'Other theft')[i % 3]},"
                     "Under investigation,")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def _written_bytes() -> int:
    with open("/proc/self/io") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("wchar:"))


def test_replacing_a_month_of_a_store_built_month_by_month_rewrites_the_month_not_the_store(
        tmp_path, boundaries_dir, monkeypatch):
    """Each batch leaves a partly filled row group; a checkpoint's vacuum on the update would merge them
    all, rewriting the whole table (an update of one Kent month wrote 148 MB of a 157 MB national store).
    Replacing one month of six must write about that month, not the store."""
    months = [f"2023-0{m}" for m in range(1, 7)]
    for k, month in enumerate(months):
        _big_month(tmp_path / "src" / month / f"{month}-kent-street.csv", month, 150_000, k)
    db = tmp_path / "store.duckdb"
    written = _one_month_a_batch(monkeypatch)
    _build(tmp_path / "src", db, boundaries_dir)
    assert len(written) == 6
    _big_month(tmp_path / "upd" / "2023-03" / "2023-03-kent-street.csv", "2023-03", 150_000, 99)
    size = db.stat().st_size
    before = _written_bytes()
    report = _build(tmp_path / "upd", db, boundaries_dir, update=True)
    wrote = _written_bytes() - before
    assert report.rows_loaded == 150_000
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from records").fetchone()[0] == 900_000
    assert con.execute("select count(*) from records where month = date '2023-03-01' and "
                       "crime_id in (select crime_id from records where month = date '2023-02-01')").fetchone()[0] == 0
    con.close()
    # the month is a sixth of the store; the staging file holds it once more, and the store writes it once
    assert wrote < size * 0.6, (wrote, size)
    assert db.stat().st_size < size * 1.3, (db.stat().st_size, size)

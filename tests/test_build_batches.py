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
from tests.malformed import write_malformed_archive
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

"""Reading police.uk files: headers, encodings, line endings, zip and folder layouts."""

import zipfile

import pytest

from smp_data.sources import POLICE_UK_COLUMNS, DirectorySource, SourceError, ZipSource, open_source, read_police_csv

HEADER = ",".join(POLICE_UK_COLUMNS)
ROW = "id1,2022-01,Kent Police,Kent Police,0.52,51.27,On or near X,E01024379,Maidstone 008A,Shoplifting,,"


def _read(tmp_path, data: bytes):
    p = tmp_path / "2022-01-kent-street.csv"
    p.write_bytes(data)
    _, rows = read_police_csv(lambda: p.open("rb"), p.name)
    return list(rows)


def test_bom_is_stripped_from_the_header(tmp_path):
    rows = _read(tmp_path, b"\xef\xbb\xbf" + (HEADER + "\r\n" + ROW + "\r\n").encode())
    assert rows == [(2, ROW.split(","))]


def test_crlf_and_lf_mixed_in_one_file_keep_line_numbers(tmp_path):
    data = (HEADER + "\r\n" + ROW + "\n" + ROW.replace("id1", "id2") + "\r\n" + ROW.replace("id1", "id3") + "\n").encode()
    rows = _read(tmp_path, data)
    assert [(line, f[0]) for line, f in rows] == [(2, "id1"), (3, "id2"), (4, "id3")]


def test_empty_file_is_a_clear_error_naming_the_file(tmp_path):
    with pytest.raises(SourceError, match="2022-01-kent-street.csv: the file is empty"):
        _read(tmp_path, b"")


def test_missing_column_is_named(tmp_path):
    header = HEADER.replace(",Crime type", "")
    with pytest.raises(SourceError, match="missing column\\(s\\) 'Crime type'"):
        _read(tmp_path, (header + "\n").encode())


def test_columns_out_of_order_is_an_error(tmp_path):
    cols = list(POLICE_UK_COLUMNS)
    cols[0], cols[1] = cols[1], cols[0]
    with pytest.raises(SourceError, match="out of order"):
        _read(tmp_path, (",".join(cols) + "\n").encode())


def test_header_only_file_has_no_rows(tmp_path):
    assert _read(tmp_path, (HEADER + "\n").encode()) == []


def test_non_utf8_bytes_do_not_crash(tmp_path):
    rows = _read(tmp_path, (HEADER + "\n").encode() + ROW.replace("On or near X", "On or near Caf\xe9").encode("cp1252") + b"\n")
    assert rows[0][1][6] == "On or near Caf\u00e9"


def test_folder_source_lists_months_in_order_and_filters_force(archive_copy):
    other = archive_copy / "2022-01" / "2022-01-metropolitan-street.csv"
    other.write_text(HEADER + "\n")
    (archive_copy / "2022-01" / "2022-01-kent-outcomes.csv").write_text("ignored\n")
    months = [(b.month, b.force) for b in DirectorySource(archive_copy, "kent").batches()]
    assert months == [("2022-01", "kent"), ("2022-02", "kent"), ("2022-04", "kent"), ("2024-01", "kent")]
    both = {(b.month, b.force) for b in DirectorySource(archive_copy, "all").batches()}
    assert ("2022-01", "metropolitan") in both


def test_zip_source_gives_the_same_rows_as_the_folder(archive_copy, tmp_path):
    zpath = tmp_path / "archive.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for p in sorted(archive_copy.rglob("*.csv")):
            z.write(p, "police-data/" + p.relative_to(archive_copy).as_posix())
    folder = [(b.month, list(b.rows)) for b in DirectorySource(archive_copy).batches()]
    zipped = [(b.month, list(b.rows)) for b in open_source(str(zpath)).batches()]
    assert folder == zipped and len(folder) == 4


def test_a_broken_zip_is_named(tmp_path):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SourceError, match="broken.zip: not a readable zip"):
        ZipSource(bad)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(SourceError, match="source folder not found"):
        DirectorySource(tmp_path / "nope")


def test_folder_and_file_month_must_agree(archive_copy):
    src = archive_copy / "2022-02" / "2022-02-kent-street.csv"
    (archive_copy / "2022-05").mkdir()
    src.rename(archive_copy / "2022-05" / "2022-02-kent-street.csv")
    with pytest.raises(SourceError, match="folder month 2022-05 does not match file month 2022-02"):
        list(DirectorySource(archive_copy).batches())

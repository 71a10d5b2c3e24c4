"""A generated police.uk archive full of malformed and unusual rows (test helper, not a test).

Every row below says what the row-at-a-time build (``smp_data.legacy_build``, the reference) does with
it; ``tests/test_build_compare.py`` checks that the set-based build gives the same store. Cases where
the set-based build deliberately differs (issue 10's input faults: an unclosed quote, a file mixing
UTF-8 and Windows-1252, over-long lines) are in ``tests/test_input_faults.py`` instead.
"""

from __future__ import annotations

from pathlib import Path

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
          "Last outcome category,Context")
K = "Kent Police,Kent Police"
WEEK = "0.522001,51.276833"  # Week Street, Maidstone (High Street ward)


def _row(cid="x", month="2022-01", who=K, coords=WEEK, location="On or near Week Street", lsoa="E01033090",
         name="Maidstone 004F", ctype="Shoplifting", outcome="Under investigation", context="") -> str:
    return ",".join([cid, month, who, coords, location, lsoa, name, ctype, outcome, context])


# (line text, what the reference build does) for 2022-01 (CRLF, UTF-8 with BOM)
JAN_ROWS = [
    (_row("g1"), "loaded"),
    ("", "blank line: skipped, not counted"),
    (_row("q1", location='"On or near Week Street, Maidstone"'), "loaded (quoted comma)"),
    (_row("q2", location='"On or near ""The Mall"""'), "loaded (escaped quotes)"),
    (_row("q3", location='On or near O"Brien Way'), "loaded (a quote inside an unquoted field is kept)"),
    (_row("p1", coords="+0.522001,51.276833"), "loaded (float() takes a sign)"),
    (_row("p2", coords=" 0.522001 , 51.276833 "), "loaded (stripped)"),
    (_row("p3", coords="0.5_22001,51.276833"), "loaded (float() takes underscores)"),
    (_row("p4", coords="5.22001e-1,51.276833"), "loaded (exponent)"),
    (_row("p5", coords="0.522001,51.276833", ctype="\tShoplifting\x1c"), "loaded (tab and \\x1c stripped)"),
    (_row("p6", location="On or near Week\x00Street"), "loaded (NUL kept)"),
    (_row("p7", location="On or near " + "Long Street " * 400), "loaded (a long line, read by Python)"),
    (_row("b1", coords="nan,51.276833"), "rejected: outside the UK (NaN)"),
    (_row("b2", coords="inf,51.276833"), "rejected: outside the UK"),
    (_row("b3", coords="zz,51.2"), "rejected: not numbers"),
    (_row("b4", coords="0.52,"), "rejected: only one coordinate"),
    (_row("b5", coords="151.2,-33.9"), "rejected: outside the UK"),
    (_row("b6", month="2022-1"), "rejected: month not YYYY-MM"),
    (_row("b7", month="2022-02"), "rejected: month does not match the file"),
    (_row("b8", month="\uff12\uff10\uff12\uff12-01"), "rejected: full-width digits match \\d, then mismatch"),
    (_row("b9", ctype="Jaywalking"), "rejected: unknown crime type"),
    (_row("b10", ctype=""), "rejected: crime type empty"),
    (_row("b11", lsoa="E0102437"), "rejected: not an ONS LSOA code"),
    ("b12,2022-01,Kent Police", "rejected: 3 fields"),
    (_row("b13") + ",extra", "rejected: 13 fields"),
    ("   ", "rejected: 1 field"),
    (_row("b14", location="On or near 'Quoted' \\ Lane", ctype="Fraud's"), "rejected: repr() quoting in the reason"),
    (_row("n1", coords="0.622337,51.167825", lsoa="", name=""), "loaded: no LSOA name, district by point"),
    (_row("n2", coords=",", lsoa="", name=""), "loaded: no location, no district"),
    (_row("n3", coords="1.005744,51.057943", lsoa="E01024555", name="Shepway 005C"), "loaded: Shepway alias"),
    (_row("n4", coords="0.515,51.2755"), "loaded: split LSOA, point outside both children -> nearest"),
    (_row("n5", coords=",", lsoa="E01024334", name="Maidstone 002A"), "loaded: merged LSOA, no point"),
    (_row("n6", coords="0.555885,51.240844", lsoa="E01099999", name="Maidstone 999Z"), "loaded: unknown code"),
    (_row("n7", coords=",", lsoa="E01099999", name="Maidstone 999Z"), "loaded: nothing to place it by"),
    (_row("n8", location="On or near Caf\u00e9 Row"), "loaded: UTF-8 text"),
]
# a second force in the same month: British Transport Police at Maidstone East
BTP_ROWS = [
    (_row("t1", who="British Transport Police,British Transport Police", coords="0.520497,51.277935",
          location="On or near Maidstone East (Station)", ctype="Bicycle theft", outcome=""), "loaded"),
    (_row("t2", who="British Transport Police,British Transport Police", coords="0.868447,51.146378",
          location="On or near Ashford International (Station)", lsoa="E01023999", name="Ashford 010A",
          ctype="Public order", outcome=""), "loaded"),
]
# 2022-02: a whole file in Windows-1252 (both builds decode it as cp1252)
FEB_ROWS = [
    (_row("w1", month="2022-02", location="On or near Caf\u00e9 \u2019s Row"), "loaded"),
    (_row("w2", month="2022-02", ctype="Burglary\u2019"), "rejected: unknown type (cp1252 text in the reason)"),
]
# 2024-01: mixed line endings and a lone CR (DuckDB cannot split it: the streaming Python reader does)
MIXED = ("\r\n", "\n", "\r", "\n")
MIXED_ROWS = [
    (_row(f"m{i}", month="2024-01", lsoa="E01034991", name="Maidstone 004H"), "loaded") for i in range(8)
]


def write_malformed_archive(root: Path, *, big_field: bool = True) -> Path:
    """Write the archive under ``root`` (folder layout) and return ``root``."""
    root = Path(root)
    jan = [HEADER] + [line for line, _ in JAN_ROWS]
    if big_field:  # a field longer than the csv module's limit: both builds reject it as unparseable
        jan.append(_row("b15", location='"' + "x" * 140_000 + '"'))
    jan.append(_row("g2"))
    (root / "2022-01").mkdir(parents=True, exist_ok=True)
    (root / "2022-01" / "2022-01-kent-street.csv").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(jan).encode() + b"\r\n")
    btp = [HEADER] + [line for line, _ in BTP_ROWS]
    (root / "2022-01" / "2022-01-btp-street.csv").write_bytes("\n".join(btp).encode() + b"\n")
    (root / "2022-02").mkdir(exist_ok=True)
    feb = [HEADER] + [line for line, _ in FEB_ROWS]
    (root / "2022-02" / "2022-02-kent-street.csv").write_bytes("\r\n".join(feb).encode("cp1252") + b"\r\n")
    (root / "2024-01").mkdir(exist_ok=True)
    lines = [HEADER] + [line for line, _ in MIXED_ROWS]
    text = "".join(line + MIXED[i % len(MIXED)] for i, line in enumerate(lines))
    (root / "2024-01" / "2024-01-kent-street.csv").write_bytes(text.encode())
    return root


# 2023-01: a file DuckDB's CSV reader reads (UTF-8 with BOM, CRLF, simply quoted fields, non-ASCII text).
# Rows with non-ASCII text are decided by validate_row (str.strip() trims Unicode spaces); the others in SQL.
CSV_READER_ROWS = [
    (_row("u1", month="2023-01"), "loaded"),
    (_row("u2", month="2023-01", location='"On or near Week Street, Maidstone"'), "loaded (quoted comma)"),
    (_row("u3", month="2023-01", location='"On or near ""The Mall"" "'), "loaded (escaped quotes, stripped)"),
    (_row("u4", month="2023-01", name='"Maidstone 004F"', context='""'), "loaded (quoted name, quoted empty)"),
    (_row("u5", month="2023-01", location="On or near S\u0175n Yr Afon"), "loaded (UTF-8 text)"),
    (_row("u6", month="2023-01", location="On or near Week Street\u00a0"), "loaded (no-break space stripped)"),
    (_row("u7", month="2023-01", ctype="\u2003Shoplifting"), "loaded (em space stripped)"),
    (_row("u8", month="2023-01", coords="0.522001\u00a0,51.276833"), "loaded (float() after strip)"),
    (_row("u9", month="\uff12\uff10\uff12\uff13-01"), "rejected: full-width digits"),
    (_row("u10", month="2023-01", ctype='"Burglary\u2019"'), "rejected: unknown crime type"),
    (_row("u11", month="2023-01", ctype='"Shoplifting "'), "loaded (quoted, stripped)"),
    (_row("u12", month="2023-01", coords='"0.522001","51.276833"'), "loaded (quoted coordinates)"),
]
# 2023-01, a second force: a quote inside an unquoted field (the csv module keeps it; read line by line)
ODD_QUOTE_ROWS = [
    (_row("v1", month="2023-01", location='On or near O"Brien Way'), "loaded"),
    (_row("v2", month="2023-01", location='"On or near Week Street"x'), "loaded (text after a closing quote)"),
]

# 2023-01, a third force: simply quoted, but one row has 13 fields: DuckDB's strict read of the file fails,
# so it is read line by line (the row rejected as before, the others loaded)
ESSEX = "Essex Police,Essex Police"
WRONG_COUNT_ROWS = [
    (_row("w1", month="2023-01", who=ESSEX, location='"On or near Week Street, Maidstone"'), "loaded"),
    (_row("w2", month="2023-01", who=ESSEX) + ',"extra"', "rejected: 13 fields"),
    (_row("w3", month="2023-01", who=ESSEX), "loaded"),
]


def write_csv_reader_archive(root: Path) -> Path:
    """Write a 2023-01 archive under ``root``: Kent's file for DuckDB's CSV reader (``CSV_READER_ROWS``),
    British Transport Police's with quotes the CSV reader would not read as the csv module does, Essex's
    with a row of 13 fields."""
    root = Path(root)
    (root / "2023-01").mkdir(parents=True, exist_ok=True)
    kent = [HEADER] + [line for line, _ in CSV_READER_ROWS]
    (root / "2023-01" / "2023-01-kent-street.csv").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(kent).encode() + b"\r\n")
    btp = [HEADER] + [line for line, _ in ODD_QUOTE_ROWS]
    (root / "2023-01" / "2023-01-btp-street.csv").write_bytes("\n".join(btp).encode() + b"\n")
    essex = [HEADER] + [line for line, _ in WRONG_COUNT_ROWS]
    (root / "2023-01" / "2023-01-essex-street.csv").write_bytes("\n".join(essex).encode() + b"\n")
    return root

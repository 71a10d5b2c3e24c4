"""Row validation: every bad row becomes a reject with a reason; good rows are typed."""

import pytest

from smp_data.ingest import validate_batch, validate_row
from smp_data.sources import Batch

GOOD = ["id1", "2022-01", "Kent Police", "Kent Police", "0.522001", "51.276833", "On or near Week Street",
        "E01033090", "Maidstone 004F", "Shoplifting", "Under investigation", ""]


def _with(**changes):
    row = list(GOOD)
    index = {"month": 1, "lon": 4, "lat": 5, "lsoa": 7, "type": 9}
    for k, v in changes.items():
        row[index[k]] = v
    return row


def test_a_good_row_is_typed():
    values, reason = validate_row(GOOD, "2022-01")
    assert reason is None
    assert values[0] == "2022-01-01"
    assert values[4:6] == (0.522001, 51.276833)
    assert values[9:11] == ("Shoplifting", "VBC")


def test_no_location_rows_are_kept_not_rejected():
    values, reason = validate_row(_with(lon="", lat="", lsoa="") , "2022-01")
    assert reason is None and values[4] is None and values[7] is None


@pytest.mark.parametrize(
    "row, reason",
    [
        (_with(month="2022-1"), "Month '2022-1' is not YYYY-MM"),
        (_with(month="January"), "Month 'January' is not YYYY-MM"),
        (_with(month="2022-02"), "Month 2022-02 does not match the file's month 2022-01"),
        (_with(lon="abc"), "coordinates ('abc', '51.276833') are not numbers"),
        (_with(lon="0.52", lat=""), "only one of Longitude/Latitude is given"),
        (_with(lon="0", lat="0"), "coordinates (0, 0) are outside the UK"),
        (_with(lon="151.2", lat="-33.9"), "coordinates (151.2, -33.9) are outside the UK"),
        (_with(type="Fraud"), "unknown Crime type 'Fraud'"),
        (_with(type=""), "Crime type is empty"),
        (_with(lsoa="Maidstone"), "LSOA code 'Maidstone' is not an ONS LSOA code"),
        (GOOD[:11], "expected 12 fields, found 11"),
        (GOOD + ["extra"], "expected 12 fields, found 13"),
    ],
)
def test_bad_rows_are_rejected_with_their_reason(row, reason):
    values, got = validate_row(row, "2022-01")
    assert values is None
    assert got == reason


def test_batch_reconciles_and_keeps_line_numbers_and_raw_text():
    rows = [(2, GOOD), (3, _with(type="Fraud")), (5, GOOD[:3]), (6, _with(lon="x"))]
    result = validate_batch(Batch("2022-01/2022-01-kent-street.csv", "2022-01", "kent", iter(rows)))
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 1, 3)
    assert [(r[1], r[2]) for r in result.rejects] == [
        (3, "unknown Crime type 'Fraud'"),
        (5, "expected 12 fields, found 3"),
        (6, "coordinates ('x', '51.276833') are not numbers"),
    ]
    assert result.rejects[0][0] == "2022-01/2022-01-kent-street.csv"
    assert "Fraud" in result.rejects[0][3]
    assert result.records["source_line"] == [2]

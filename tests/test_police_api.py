"""The police.uk API source (smp_data.police_api) against a local fake API.

The fake (tests/fake_police_api.py) serves archive CSVs as API answers. Expected values
are derived here from the CSVs themselves (rows read with ``csv`` and placed with
shapely), never from the client's output.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import duckdb
import pytest
import requests
import shapely

from boundaries import load_boundaries
from tests.fake_police_api import FakePoliceApi
from smp_data import settings
from smp_data.build import build_store
from smp_data.police_api import MAX_GET_URL, ApiSource, poly_string
from smp_data.sources import POLICE_UK_COLUMNS, SourceError

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "police_uk"
WEEK_STREET = (0.522001, 51.276833)  # lon, lat: High Street ward on both boundary sets
SHARED_MONTH = "2025-01"


# --------------------------------------------------------------------------- helpers


class FakeClock:
    """A clock that only moves when something sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class TimedSession(requests.Session):
    """A real session that notes the (fake) clock time of every request it sends."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock, self.times = clock, []

    def request(self, method, url, *args, **kwargs):
        self.times.append(self.clock())
        return super().request(method, url, *args, **kwargs)


def archive_rows(root: Path, month: str) -> list[dict]:
    path = root / month / f"{month}-kent-street.csv"
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def rows_covered_by(rows: list[dict], area) -> list[dict]:
    """Archive rows whose point lies in ``area`` (boundary included), by shapely."""
    located = [r for r in rows if r["Longitude"] and r["Latitude"]]
    points = shapely.points([float(r["Longitude"]) for r in located], [float(r["Latitude"]) for r in located])
    return [r for r, inside in zip(located, shapely.covers(area, points)) if inside]


def row_key(r: dict) -> tuple:
    return (r["Crime ID"], r["Crime type"], r["Longitude"], r["Latitude"], r["Last outcome category"])


def batch_rows(source: ApiSource) -> dict[str, list[tuple[int, dict]]]:
    """Every batch of the source as {month: [(line, {column: value})]}."""
    return {b.month: [(line, dict(zip(POLICE_UK_COLUMNS, f))) for line, f in b.rows] for b in source.batches()}


def all_crime_requests(api: FakePoliceApi):
    return [r for r in api.requests if r.path == "crimes-street/all-crime"]


@pytest.fixture(scope="module")
def borough(boundaries_dir):
    return load_boundaries(boundaries_dir).borough


@pytest.fixture(scope="module")
def shared_archive() -> Path:
    root = Path(settings.source_path())
    if not (root / SHARED_MONTH).is_dir():
        pytest.fail(f"police.uk archive month {SHARED_MONTH} not found under {root}; set SMP_SHARED or SMP_SOURCE")
    return root


@pytest.fixture(scope="module")
def _shared_server(shared_archive):
    with FakePoliceApi(shared_archive, months=[SHARED_MONTH]) as api:
        yield api


@pytest.fixture()
def shared_api(_shared_server):
    """A fake serving one real month of the shared archive (loaded once; reset per test)."""
    _shared_server.crime_limit = None
    _shared_server.requests.clear()
    yield _shared_server
    _shared_server.crime_limit = None


@pytest.fixture()
def fixture_api():
    with FakePoliceApi(FIXTURE) as api:
        yield api


def make_source(api: FakePoliceApi, polygon, clock: FakeClock | None = None, **options) -> ApiSource:
    clock = clock or FakeClock()
    return ApiSource(api.base_url, polygon=polygon, clock=clock, sleep=clock.sleep, **options)


# --------------------------------------------------------------------------- months and rows


def test_months_listed_and_fetched_oldest_first(fixture_api, borough):
    expected = sorted(p.name for p in FIXTURE.iterdir() if p.is_dir())
    source = make_source(fixture_api, borough)
    assert source.available_months() == expected
    batches = list(source.batches())
    assert [b.month for b in batches] == expected
    assert [b.source_file for b in batches] == [f"api:crimes-street/all-crime/{m}" for m in expected]
    assert all(b.force == "kent" for b in batches)


def test_months_option_limits_and_rejects_unlisted_months(fixture_api, borough):
    source = make_source(fixture_api, borough, months=["2024-01", "2022-02"])
    assert [b.month for b in source.batches()] == ["2022-02", "2024-01"]
    fetched = {r.params["date"] for r in all_crime_requests(fixture_api)}
    assert fetched == {"2022-02", "2024-01"}
    with pytest.raises(SourceError, match="2022-03"):  # a gap in the archive: never a zero month
        list(make_source(fixture_api, borough, months=["2022-03"]).batches())
    with pytest.raises(SourceError, match="not YYYY-MM"):
        make_source(fixture_api, borough, months=["2022-3"])


@pytest.mark.parametrize("month", ["2022-01", "2024-01"])
def test_month_rows_are_the_archive_rows_inside_the_borough(fixture_api, borough, month):
    rows = archive_rows(FIXTURE, month)
    by_name = [r for r in rows if r["LSOA name"].startswith("Maidstone ")]
    by_point = rows_covered_by(rows, borough)
    assert Counter(map(row_key, by_name)) == Counter(map(row_key, by_point))  # the fixture agrees with itself

    got = batch_rows(make_source(fixture_api, borough, months=[month]))[month]
    assert [line for line, _ in got] == list(range(1, len(by_name) + 1))
    assert Counter(row_key(r) for _, r in got) == Counter(map(row_key, by_name))
    for _, r in got:
        assert r["Month"] == month
        assert r["Reported by"] == r["Falls within"] == "Kent Police"
        assert r["LSOA code"] == r["LSOA name"] == ""
        assert r["Location"].startswith("On or near ")
    asb = [r for _, r in got if r["Crime type"] == "Anti-social behaviour"]
    assert asb and all(r["Crime ID"] == "" and r["Last outcome category"] == "" for r in asb)


def test_real_month_matches_archive_rows_inside_request_polygon(shared_archive, shared_api, borough):
    rows = archive_rows(shared_archive, SHARED_MONTH)
    source = make_source(shared_api, borough, months=[SHARED_MONTH])
    got = [r for _, r in batch_rows(source)[SHARED_MONTH]]
    polys = source.request_polygons()
    area = shapely.union_all(polys)
    assert area.covers(borough)  # the short request outline loses nothing of the true borough
    expected = rows_covered_by(rows, area)
    assert len(got) == len(expected) > 500
    assert Counter(r["Crime ID"] for r in got) == Counter(r["Crime ID"] for r in expected)
    inside_borough = Counter(map(row_key, rows_covered_by(rows, borough)))
    assert not inside_borough - Counter(map(row_key, got))  # every crime in the borough came back


# --------------------------------------------------------------------------- 503: splitting


def test_503_splits_the_area_and_returns_the_unlimited_set(shared_api, borough):
    whole = make_source(shared_api, borough).fetch_month(SHARED_MONTH)
    limit = 250
    assert len(whole) > 2 * limit
    shared_api.crime_limit = limit
    shared_api.requests.clear()
    split = make_source(shared_api, borough).fetch_month(SHARED_MONTH)
    answered = all_crime_requests(shared_api)
    ids = [c["id"] for c in split]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(c["id"] for c in whole)
    assert any(r.status == 503 for r in answered)
    assert all(r.count <= limit for r in answered if r.status == 200)


@pytest.mark.parametrize("edge_inclusive", [True, False])
def test_split_removes_crimes_returned_twice_on_cut_lines(tmp_path, edge_inclusive):
    area = shapely.box(0.50, 51.25, 0.56, 51.29)
    with FakePoliceApi(FIXTURE) as probe:
        poly = make_source(probe, area).request_polygons()[0]
    minx, miny, maxx, maxy = poly.bounds
    midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
    points = [(midx, 51.26), (midx, 51.28), (0.52, midy), (0.54, midy), (midx, midy)]  # on the cut lines
    points += [(0.51, 51.26), (0.55, 51.26), (0.51, 51.28), (0.55, 51.28)]  # one in each quadrant
    (tmp_path / "2025-01").mkdir()
    with (tmp_path / "2025-01" / "2025-01-kent-street.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(POLICE_UK_COLUMNS)
        for i, (lon, lat) in enumerate(points):
            w.writerow([f"c{i}", "2025-01", "Kent Police", "Kent Police", f"{lon:.6f}", f"{lat:.6f}",
                        "On or near Somewhere", "", "", "Burglary", "Under investigation", ""])
    with FakePoliceApi(tmp_path, crime_limit=4, edge_inclusive=edge_inclusive) as api:
        crimes = make_source(api, area).fetch_month("2025-01")
        answered = all_crime_requests(api)
    # whether or not the API counts a point on an edge as inside, none on a cut is lost
    assert sorted(c["persistent_id"] for c in crimes) == sorted(f"c{i}" for i in range(len(points)))
    assert sum(r.count for r in answered if r.status == 200) > len(points)  # the API did repeat some


def test_split_depth_is_bounded_with_a_clear_error(tmp_path):
    (tmp_path / "2025-01").mkdir()
    with (tmp_path / "2025-01" / "2025-01-kent-street.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(POLICE_UK_COLUMNS)
        for i in range(3):  # three crimes on one snap point: no split can separate them
            w.writerow([f"c{i}", "2025-01", "Kent Police", "Kent Police", "0.522001", "51.276833",
                        "On or near Week Street", "", "", "Shoplifting", "", ""])
    with FakePoliceApi(tmp_path, crime_limit=2) as api:
        source = make_source(api, shapely.box(0.5, 51.25, 0.56, 51.29), max_split_depth=3)
        with pytest.raises(SourceError, match=r"2025-01.*503.*3 times"):
            source.fetch_month("2025-01")
        assert len(api.requests) < 1 + 4 + 16 + 64


# --------------------------------------------------------------------------- GET, POST and 414


def star(center, n=260, r_out=0.15, r_in=0.08) -> shapely.Polygon:
    lon0, lat0 = center
    pts = []
    for i in range(n):
        r = r_out if i % 2 == 0 else r_in
        a = 2 * math.pi * i / n
        pts.append((lon0 + r * math.cos(a) / 0.63, lat0 + r * math.sin(a)))
    return shapely.Polygon(pts)


def test_long_polygon_is_posted_and_never_hits_414(fixture_api):
    area = star(WEEK_STREET)
    source = make_source(fixture_api, area, months=["2022-01"])
    polys = source.request_polygons()
    poly = poly_string(polys[0])
    get_url = f"{fixture_api.base_url}/crimes-street/all-crime?poly={poly}&date=2022-01"
    assert len(get_url) > MAX_GET_URL  # precondition: this polygon is too long for a GET
    assert requests.get(get_url, timeout=10).status_code == 414  # and the fake enforces the limit
    fixture_api.requests.clear()

    got = [r for _, r in batch_rows(source)["2022-01"]]
    posts = all_crime_requests(fixture_api)
    assert [r.method for r in posts] == ["POST"] and posts[0].params["poly"] == poly
    assert all(r.status != 414 for r in fixture_api.requests)
    expected = rows_covered_by(archive_rows(FIXTURE, "2022-01"), shapely.union_all(polys))
    assert Counter(map(row_key, got)) == Counter(map(row_key, expected)) and expected


def test_short_polygon_uses_get(fixture_api, borough):
    make_source(fixture_api, borough).fetch_month("2022-01")
    (req,) = all_crime_requests(fixture_api)
    assert req.method == "GET" and req.status == 200 and req.url_length <= MAX_GET_URL
    lat, lng = map(float, req.params["poly"].split(":")[0].split(","))  # lat,lng order
    assert 51.0 < lat < 51.5 and 0.3 < lng < 0.9


# --------------------------------------------------------------------------- 429 and other errors


def test_429_honours_retry_after_then_succeeds(borough):
    clock = FakeClock()
    with FakePoliceApi(FIXTURE, fail_429=3, retry_after="2") as api:
        crimes = make_source(api, borough, clock).fetch_month("2022-01")
        statuses = [r.status for r in api.requests]
    assert statuses == [429, 429, 429, 200]
    assert clock.sleeps == [2.0, 2.0, 2.0]
    assert len(crimes) == len([r for r in archive_rows(FIXTURE, "2022-01") if r["LSOA name"].startswith("Maidstone ")])


def test_429_without_retry_after_backs_off_exponentially_with_a_cap(borough):
    clock = FakeClock()
    with FakePoliceApi(FIXTURE, fail_429=4) as api:
        make_source(api, borough, clock, backoff_base=0.5, backoff_cap=2.0).fetch_month("2022-01")
        assert [r.status for r in api.requests] == [429] * 4 + [200]
    assert clock.sleeps == [0.5, 1.0, 2.0, 2.0]


def test_429_gives_up_after_max_retries_with_a_clear_error(borough):
    clock = FakeClock()
    with FakePoliceApi(FIXTURE, fail_429=100, retry_after="1") as api:
        source = make_source(api, borough, clock, max_retries=3)
        with pytest.raises(SourceError, match=r"month 2022-01.*3 retries.*429.*crimes-street/all-crime"):
            source.fetch_month("2022-01")
        assert len(api.requests) == 4
    assert clock.sleeps == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("answer", "pattern"),
    [((500, {}, b"oops"), r"month 2022-01: HTTP 500"), ((200, {}, b"<html>"), r"month 2022-01:.*not valid JSON"),
     ((200, {}, b'{"a": 1}'), r"month 2022-01: expected a JSON list")],
)
def test_http_errors_and_bad_json_name_the_month(borough, answer, pattern):
    def override(method, path, params):
        return answer if path == "crimes-street/all-crime" else None

    with FakePoliceApi(FIXTURE, override=override) as api:
        with pytest.raises(SourceError, match=pattern):
            list(make_source(api, borough, months=["2022-01"]).batches())


def test_unreachable_api_is_retried_then_a_clear_error(borough):
    with FakePoliceApi(FIXTURE) as api:
        url = api.base_url  # the server stops: nothing listens on this port any more
    clock = FakeClock()
    source = ApiSource(url, polygon=borough, clock=clock, sleep=clock.sleep, max_retries=2, timeout=2)
    with pytest.raises(SourceError, match="month list.*2 retries.*connection error"):
        source.available_months()
    assert clock.sleeps == [1.0, 2.0]


# --------------------------------------------------------------------------- throttle


def windows_max(times: list[float], width: float = 1.0) -> int:
    """Most requests in any half-open window [t, t + width)."""
    return max(sum(1 for u in times if t <= u < t + width) for t in times)


def test_client_throttle_never_exceeds_15_requests_in_any_second(fixture_api):
    clock = FakeClock()
    session = TimedSession(clock)
    source = make_source(fixture_api, shapely.box(0.50, 51.25, 0.56, 51.29), clock, session=session)
    for _ in range(50):
        source.fetch_month("2022-01")
    assert len(session.times) == 50
    assert windows_max(session.times) <= 15
    assert session.times[-1] >= (50 - 15) / 15 - 1e-9  # it really waited (the clock only moves on sleep)
    assert all(r.status == 200 for r in fixture_api.requests)

    unthrottled = TimedSession(FakeClock())  # the check above can fail: no throttle -> 50 at once
    src = ApiSource(fixture_api.base_url, polygon=shapely.box(0.5, 51.25, 0.56, 51.29), rate=None,
                    session=unthrottled, clock=unthrottled.clock, sleep=unthrottled.clock.sleep)
    for _ in range(20):
        src.fetch_month("2022-01")
    assert windows_max(unthrottled.times) == 20


def test_throttled_client_passes_a_real_rate_check():
    box = shapely.box(0.50, 51.25, 0.56, 51.29)
    limit = (15, 16)  # 15 a second, one request of slack for network jitter
    with FakePoliceApi(FIXTURE, rate_limit=limit) as api:
        burst = [requests.get(f"{api.base_url}/crimes-street-dates", timeout=10).status_code for _ in range(20)]
        assert 429 in burst  # the fake does enforce the limit on an unthrottled client
    with FakePoliceApi(FIXTURE, rate_limit=limit) as api:
        source = ApiSource(api.base_url, polygon=box)  # real clock and sleep
        for _ in range(20):
            source.fetch_month("2022-01")
        assert [r.status for r in api.requests] == [200] * 20


# --------------------------------------------------------------------------- the real build


UNKNOWN = {
    "category": "hoverboard-crime", "location_type": "Force",
    "location": {"latitude": "51.276833", "street": {"id": 9, "name": "On or near Week Street"}, "longitude": "0.522001"},
    "context": "", "outcome_status": None, "persistent_id": "unknown1", "id": 999, "location_subtype": "",
    "month": "2022-01",
}
BUILD_MONTHS = ["2022-01", "2024-01"]


@pytest.fixture(scope="module")
def api_store(tmp_path_factory, boundaries_dir):
    db = tmp_path_factory.mktemp("api") / "api.duckdb"
    with FakePoliceApi(FIXTURE, extra_crimes=[UNKNOWN]) as api:
        build_store(api.base_url, db, boundaries_dir, partner_root=None,
                    api_options={"months": BUILD_MONTHS}, progress=lambda _l: None)
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def test_build_from_api_places_records_by_point(api_store):
    maidstone = [r for m in BUILD_MONTHS for r in archive_rows(FIXTURE, m) if r["LSOA name"].startswith("Maidstone ")]
    n, n_maid, n_published = api_store.execute(
        "select count(*), count(*) filter (where district = 'Maidstone'), count(lsoa_code_published) from records"
    ).fetchone()
    assert n == n_maid == len(maidstone)
    assert n_published == 0
    week = api_store.execute(
        "select ward_2022_code, ward_2024_code, lsoa21_code, location_method, count(*) from records "
        "where longitude = $x and latitude = $y group by all", {"x": WEEK_STREET[0], "y": WEEK_STREET[1]}
    ).fetchall()
    n_week = sum(1 for r in maidstone if (float(r["Longitude"]), float(r["Latitude"])) == WEEK_STREET)
    assert week == [("E05004996", "E05015603", "E01034991", "point", n_week)]
    assert api_store.execute("select count(*) from records where ward_2024_code is null").fetchone()[0] == 0


def test_unknown_api_category_is_a_reject_not_a_drop(api_store):
    rejects = api_store.execute("select source_file, line, reason, raw from rejects").fetchall()
    assert len(rejects) == 1
    source_file, line, reason, raw = rejects[0]
    assert source_file == "api:crimes-street/all-crime/2022-01"
    assert reason == "unknown Crime type 'hoverboard-crime'"
    assert "unknown1" in raw and line >= 1
    files = api_store.execute(
        "select source_file, rows_read, rows_loaded, rows_rejected from source_files order by month"
    ).fetchall()
    expected_2022 = sum(1 for r in archive_rows(FIXTURE, "2022-01") if r["LSOA name"].startswith("Maidstone ")) + 1
    assert files[0] == ("api:crimes-street/all-crime/2022-01", expected_2022, expected_2022 - 1, 1)
    assert all(read == loaded + rejected for _, read, loaded, rejected in files)

"""The police.uk API as a source: street-level crime and ASB for an area, month by month.

Implements the documented data.police.uk API (https://data.police.uk/docs/):

* ``GET {base}/crimes-street-dates`` lists the months the API holds;
* ``{base}/crimes-street/all-crime`` with ``poly`` (``lat,lng:lat,lng:...``) and ``date``
  (``YYYY-MM``) returns every crime and ASB incident in a custom area for one month. It is
  a GET, or a form-encoded POST when the GET URL would be too long for the API's URL
  length limit. The API answers 503 when the area holds more than 10,000 crimes: the
  area is then split into quadrants and each is asked for in turn (recursively, to a
  bounded depth); the results are merged and de-duplicated by crime ``id``.
* The API allows 15 requests a second: requests are throttled on the client, and a 429
  answer is retried after ``Retry-After`` (or an exponential, capped back-off), a bounded
  number of times.

Each month becomes one :class:`~smp_data.sources.Batch` whose rows are in the archive
column order (:data:`~smp_data.sources.POLICE_UK_COLUMNS`), so the shared validator and
enrichment treat API rows exactly like archive rows. API rows carry no LSOA: enrichment
places them by their coordinates.

The default area is the Maidstone borough (the union of the pre-2024 wards), buffered
outward by 150 m and then simplified, so the request polygon is short but still covers
every point of the true borough.
"""

from __future__ import annotations

import collections
import email.utils
import math
import re
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Iterator

import requests
import shapely
from shapely.geometry.base import BaseGeometry

from smp_data.classify import UnknownCrimeType, crime_type_from_slug
from smp_data.sources import Batch, SourceError

__all__ = [
    "ApiSource",
    "RateLimiter",
    "crime_to_fields",
    "poly_string",
    "request_polygons",
    "split_polygon",
]

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
FORCE_NAMES = {"kent": "Kent Police"}  # police.uk force slug -> display name in the archive
DATES_PATH = "crimes-street-dates"
CRIMES_PATH = "crimes-street/all-crime"
MAX_GET_URL = 4000  # the API rejects longer GET URLs (documented limit ~4094 characters)
RATE_PER_SECOND = 15  # the API's documented rate limit
COORD_DECIMALS = 5  # ~1 m; the request polygon is buffered far more than that
SPLIT_OVERLAP_DEG = 1e-4  # quadrants overlap by ~10 m so no point on a cut is missed
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0


# --------------------------------------------------------------------------- rate limit


class RateLimiter:
    """Allow at most ``rate`` requests in any ``per``-second window (client-side throttle).

    A token bucket of ``rate`` tokens in which a spent token comes back ``per`` seconds
    after it was spent: :meth:`wait` sleeps until a token is free. Unlike a bucket with a
    burst allowance, no window of ``per`` seconds ever holds more than ``rate`` requests.

    Parameters
    ----------
    rate : int
        Requests allowed per window.
    per : float
        Window length in seconds.
    clock, sleep : callable
        Time source and sleep function (injectable for tests).

    Examples
    --------
    >>> now = [0.0]
    >>> limiter = RateLimiter(2, 1.0, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    >>> [round(limiter.wait(), 3) for _ in range(5)]
    [0.0, 0.0, 1.0, 0.0, 1.0]
    """

    def __init__(self, rate: int = RATE_PER_SECOND, per: float = 1.0, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        if rate < 1 or per <= 0:
            raise ValueError("rate must be >= 1 and per > 0")
        self.rate, self.per = int(rate), float(per)
        self.clock, self.sleep = clock, sleep
        self._spent: collections.deque[float] = collections.deque()

    def wait(self) -> float:
        """Block until a request may be sent, record it, and return the seconds slept."""
        slept = 0.0
        while True:
            now = self.clock()
            while self._spent and now - self._spent[0] >= self.per:
                self._spent.popleft()
            if len(self._spent) < self.rate:
                self._spent.append(now)
                return slept
            delay = max(self._spent[0] + self.per - now, 1e-6)  # never a zero sleep: always progress
            self.sleep(delay)
            slept += delay


def _retry_after_seconds(value: str | None) -> float | None:
    """Parse a ``Retry-After`` header (seconds or an HTTP date); None if absent or unusable.

    >>> _retry_after_seconds("3"), _retry_after_seconds(None), _retry_after_seconds("soon")
    (3.0, None, None)
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(when.timestamp() - time.time(), 0.0)


def backoff_delay(attempt: int, base: float = 1.0, cap: float = 30.0) -> float:
    """Exponential back-off for retry ``attempt`` (0-based): ``base * 2**attempt``, at most ``cap``.

    >>> [backoff_delay(i, 1.0, 5.0) for i in range(5)]
    [1.0, 2.0, 4.0, 5.0, 5.0]
    """
    return float(min(base * (2 ** attempt), cap))


# --------------------------------------------------------------------------- geometry


def _to_metres(geom: BaseGeometry, lat0: float) -> BaseGeometry:
    kx = _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
    return shapely.transform(geom, lambda xy: xy * [kx, _M_PER_DEG_LAT])


def _to_degrees(geom: BaseGeometry, lat0: float) -> BaseGeometry:
    kx = _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
    return shapely.transform(geom, lambda xy: xy / [kx, _M_PER_DEG_LAT])


def _polygons(geom: BaseGeometry) -> list[shapely.Polygon]:
    """The polygonal parts of any geometry, as exterior-only polygons (holes dropped)."""
    parts = shapely.get_parts(geom)
    out = []
    for part in parts:
        if isinstance(part, shapely.Polygon) and not part.is_empty:
            out.append(shapely.Polygon(part.exterior))
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            out.extend(_polygons(part))
    return out


def _rounded(poly: shapely.Polygon) -> shapely.Polygon:
    """The polygon exactly as the API sees it (coordinates rounded for the request)."""
    return shapely.Polygon(shapely.get_coordinates(poly.exterior).round(COORD_DECIMALS))


def request_polygons(geom: BaseGeometry, buffer_m: float = 150.0, simplify_m: float = 100.0) -> list[shapely.Polygon]:
    """Polygons to ask the API for so that together they cover ``geom`` (lon/lat degrees).

    The area is buffered outward by ``buffer_m`` metres, then simplified with a tolerance
    below the buffer (so the short outline still covers the original), holes are dropped,
    and each part of a multipolygon becomes its own request polygon. The result is checked:
    if the rounded request polygons did not cover ``geom``, less simplification is used.

    Parameters
    ----------
    geom : shapely geometry
        The area of interest in EPSG:4326 (x = longitude, y = latitude).
    buffer_m, simplify_m : float
        Outward buffer and simplification tolerance in metres (``simplify_m`` is capped
        at 80 % of ``buffer_m``).

    Returns
    -------
    list of shapely.Polygon

    Examples
    --------
    >>> box = shapely.box(0.5, 51.2, 0.6, 51.3)
    >>> [p.covers(box) for p in request_polygons(box)]
    [True]
    """
    if geom is None or geom.is_empty:
        raise SourceError("the police.uk API area (polygon) is empty")
    lat0 = (geom.bounds[1] + geom.bounds[3]) / 2
    grown = _to_metres(geom, lat0).buffer(buffer_m)
    tolerance = min(simplify_m, 0.8 * buffer_m)
    while True:
        simple = grown.simplify(tolerance, preserve_topology=True) if tolerance > 0.5 else grown
        polys = [_rounded(p) for p in _polygons(_to_degrees(simple, lat0))]
        if shapely.union_all(polys).covers(geom) or tolerance <= 0.5:
            return polys
        tolerance /= 2


def split_polygon(poly: shapely.Polygon) -> list[shapely.Polygon]:
    """Split a polygon into the parts of it inside the four quadrants of its bounding box.

    Quadrants overlap by a few metres so a point on a cut line is in both halves (the
    merged result is de-duplicated by crime id).

    Examples
    --------
    >>> parts = split_polygon(shapely.box(0, 50, 2, 52))
    >>> len(parts), round(sum(p.area for p in parts), 3) >= 4.0
    (4, True)
    """
    minx, miny, maxx, maxy = poly.bounds
    midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
    e = SPLIT_OVERLAP_DEG
    boxes = [
        shapely.box(minx - e, miny - e, midx + e, midy + e),
        shapely.box(midx - e, miny - e, maxx + e, midy + e),
        shapely.box(minx - e, midy - e, midx + e, maxy + e),
        shapely.box(midx - e, midy - e, maxx + e, maxy + e),
    ]
    out = []
    for box in boxes:
        out.extend(_rounded(p) for p in _polygons(poly.intersection(box)) if p.area > 0)
    return out


def _num(v: float) -> str:
    s = f"{v:.{COORD_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def poly_string(poly: shapely.Polygon) -> str:
    """The API's ``poly`` parameter: ``lat,lng:lat,lng:...`` (the ring is closed by the API).

    >>> poly_string(shapely.box(0.5, 51.25, 0.6, 51.3))
    '51.25,0.6:51.3,0.6:51.3,0.5:51.25,0.5'
    """
    coords = shapely.get_coordinates(poly.exterior)[:-1]  # drop the repeated closing vertex
    return ":".join(f"{_num(lat)},{_num(lon)}" for lon, lat in coords)


# --------------------------------------------------------------------------- rows


def crime_to_fields(crime: dict, force_name: str = "Kent Police") -> list[str]:
    """One API crime as 12 strings in the police.uk archive column order.

    The category slug is mapped to the archive name; an unknown slug is passed through
    unchanged so the validator rejects the row with its reason (nothing is dropped).

    Examples
    --------
    >>> crime = {"category": "violent-crime", "persistent_id": "abc", "month": "2025-01",
    ...          "location": {"latitude": "51.27", "longitude": "0.52",
    ...                       "street": {"id": 1, "name": "On or near Week Street"}},
    ...          "context": "", "outcome_status": None, "id": 7}
    >>> crime_to_fields(crime)
    ['abc', '2025-01', 'Kent Police', 'Kent Police', '0.52', '51.27', 'On or near Week Street', '', '', 'Violence and sexual offences', '', '']
    >>> crime_to_fields(dict(crime, category="hoverboard-theft"))[9]
    'hoverboard-theft'
    """
    slug = _text(crime.get("category"))
    try:
        crime_type = crime_type_from_slug(slug)
    except UnknownCrimeType:
        crime_type = slug
    location = crime.get("location") or {}
    street = location.get("street") or {}
    outcome = crime.get("outcome_status") or {}
    return [
        _text(crime.get("persistent_id")),
        _text(crime.get("month")),
        force_name,
        force_name,
        _text(location.get("longitude")),
        _text(location.get("latitude")),
        _text(street.get("name")),
        "",  # LSOA code: the API gives none; enrichment places the row by its point
        "",  # LSOA name
        crime_type,
        _text(outcome.get("category") if isinstance(outcome, dict) else None),
        _text(crime.get("context")),
    ]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _merge(results: list[list[dict]]) -> tuple[list[dict], int]:
    """Merge area results, dropping repeats of a crime ``id``; sort by id for a stable order.

    >>> _merge([[{"id": 2}, {"id": 1}], [{"id": 2}, {"id": None}]])
    ([{'id': 1}, {'id': 2}, {'id': None}], 1)
    """
    seen: dict[Any, dict] = {}
    anonymous: list[dict] = []
    duplicates = 0
    for crimes in results:
        for crime in crimes:
            key = crime.get("id")
            if key is None:
                anonymous.append(crime)
            elif key in seen:
                duplicates += 1
            else:
                seen[key] = crime
    ordered = sorted(seen.values(), key=_id_order)
    return ordered + anonymous, duplicates


def _id_order(crime: dict) -> tuple:
    key = crime["id"]
    return (0, key, "") if isinstance(key, int) else (1, 0, str(key))


# --------------------------------------------------------------------------- the source


def _default_area(boundaries_root: Path | None) -> BaseGeometry:
    from boundaries import BoundaryError, load_boundaries  # noqa: PLC0415  (heavy: only when needed)
    from smp_data import settings  # noqa: PLC0415

    root = Path(boundaries_root) if boundaries_root is not None else settings.boundaries_dir()
    try:
        return load_boundaries(root).borough
    except (BoundaryError, ValueError) as exc:
        raise SourceError(f"police.uk API: cannot build the Maidstone borough polygon: {exc}") from None


class ApiSource:
    """The police.uk API for one area: one :class:`~smp_data.sources.Batch` per month.

    Parameters
    ----------
    base_url : str
        API root, e.g. ``https://data.police.uk/api``.
    force : str
        police.uk force slug stored with the rows (the API itself does not say).
    months : list of str (or a comma-separated str), optional
        ``YYYY-MM`` months to fetch; default every month ``crimes-street-dates`` lists.
        A month the API does not list is an error (it would otherwise look like zero).
    polygon : shapely geometry, optional
        Area in lon/lat degrees; default the Maidstone borough from ``boundaries_root``.
    boundaries_root : path, optional
        ONS boundaries folder for the default area (default ``settings.boundaries_dir()``).
    force_name : str, optional
        "Reported by"/"Falls within" value; default "Kent Police" for force ``kent``.
    buffer_m, simplify_m : float
        Outward buffer and simplification of the area before it is sent (metres).
    session : requests.Session, optional
        HTTP session (injectable for tests); a new one by default.
    timeout : float or (connect, read) tuple
        Per-request timeout in seconds.
    rate : int or None
        Client-side limit in requests per second (None: no throttle).
    max_retries : int
        Retries after a 429 or a connection error before giving up.
    backoff_base, backoff_cap : float
        Exponential back-off (seconds) when no ``Retry-After`` is given.
    max_split_depth : int
        How many times an area may be split into quadrants after 503 answers.
    max_get_url : int
        Longest GET URL; longer requests are sent as a form-encoded POST.
    clock, sleep : callable
        Time source and sleep (injectable for tests).
    """

    def __init__(self, base_url: str, force: str = "kent", *, months: list[str] | None = None,
                 polygon: BaseGeometry | None = None, boundaries_root: Path | None = None,
                 force_name: str | None = None, buffer_m: float = 150.0, simplify_m: float = 100.0,
                 session: requests.Session | None = None, timeout: float | tuple[float, float] = (10.0, 120.0),
                 rate: int | None = RATE_PER_SECOND, max_retries: int = 5, backoff_base: float = 1.0,
                 backoff_cap: float = 30.0, max_split_depth: int = 8, max_get_url: int = MAX_GET_URL,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        if force == "all":
            raise SourceError("the police.uk API source loads one force: give a force slug such as 'kent', not 'all'")
        self.force = force
        self.force_name = force_name or FORCE_NAMES.get(force)
        if not self.force_name:
            raise SourceError(f"police.uk API: no display name known for force {force!r}; pass force_name")
        self.months = None if months is None else self._checked_months(months)
        self._area, self._boundaries_root = polygon, boundaries_root
        self.buffer_m, self.simplify_m = buffer_m, simplify_m
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.limiter = RateLimiter(rate, 1.0, clock=clock, sleep=sleep) if rate else None
        self.max_retries, self.backoff_base, self.backoff_cap = max_retries, backoff_base, backoff_cap
        self.max_split_depth, self.max_get_url = max_split_depth, max_get_url
        self.sleep = sleep
        self._request_polygons: list[shapely.Polygon] | None = None
        area = "Maidstone borough" if polygon is None else "custom area"
        self.description = f"police.uk API {self.base_url} ({area} +{buffer_m:g} m, force {force})"

    @staticmethod
    def _checked_months(months: list[str] | str) -> list[str]:
        if isinstance(months, str):
            months = [m.strip() for m in months.split(",") if m.strip()]
        bad = [m for m in months if not MONTH.match(str(m))]
        if bad:
            raise SourceError(f"police.uk API: month(s) {', '.join(map(repr, bad))} are not YYYY-MM")
        return sorted(set(months))

    # ----------------------------------------------------------------- public API

    def request_polygons(self) -> list[shapely.Polygon]:
        """The polygons sent to the API (the area buffered, simplified, split into parts)."""
        if self._request_polygons is None:
            area = self._area if self._area is not None else _default_area(self._boundaries_root)
            self._request_polygons = request_polygons(area, self.buffer_m, self.simplify_m)
        return self._request_polygons

    def available_months(self) -> list[str]:
        """Months the API lists in ``crimes-street-dates``, oldest first."""
        data = self._get_json(DATES_PATH, {}, "the month list")
        if not isinstance(data, list):
            raise SourceError(f"police.uk API {DATES_PATH}: expected a JSON list, got {type(data).__name__}")
        months = {str(item.get("date", "")) for item in data if isinstance(item, dict)}
        bad = sorted(m for m in months if not MONTH.match(m))
        if bad:
            raise SourceError(f"police.uk API {DATES_PATH}: date(s) not YYYY-MM: {', '.join(bad[:3])}")
        return sorted(months)

    def fetch_month(self, month: str) -> list[dict]:
        """Every crime in the area for ``month``: merged over parts and splits, unique by id."""
        results = [self._fetch_area(poly, month, 0) for poly in self.request_polygons()]
        crimes, _ = _merge(results)
        return crimes

    def batches(self) -> Iterator[Batch]:
        """Yield one batch per month (oldest first), fetching each month when it is reached."""
        months = self._months_to_fetch()
        for month in months:
            crimes = self.fetch_month(month)
            rows = [(i, crime_to_fields(c, self.force_name)) for i, c in enumerate(crimes, start=1)]
            yield Batch(f"api:{CRIMES_PATH}/{month}", month, self.force, iter(rows), {"crimes": len(rows)})

    # ----------------------------------------------------------------- internals

    def _months_to_fetch(self) -> list[str]:
        available = self.available_months()
        if self.months is None:
            if not available:
                raise SourceError(f"police.uk API {self.base_url}: {DATES_PATH} lists no months")
            return available
        missing = [m for m in self.months if m not in set(available)]
        if missing:
            span = f"{available[0]}..{available[-1]}" if available else "none"
            raise SourceError(
                f"police.uk API does not hold month(s) {', '.join(missing)} (it lists {len(available)}: {span})"
            )
        return self.months

    def _fetch_area(self, poly: shapely.Polygon, month: str, depth: int) -> list[dict]:
        params = {"poly": poly_string(poly), "date": month}
        status, data = self._call(CRIMES_PATH, params, f"month {month}", split_ok=True)
        if status != 503:
            return self._crime_list(data, month)
        if depth >= self.max_split_depth:
            raise SourceError(
                f"police.uk API month {month}: still HTTP 503 (more than 10,000 crimes, or the service is "
                f"unavailable) after splitting the area {depth} times"
            )
        parts = split_polygon(poly)
        return [c for part in parts for c in self._fetch_area(part, month, depth + 1)]

    @staticmethod
    def _crime_list(data: Any, month: str) -> list[dict]:
        if not isinstance(data, list) or not all(isinstance(c, dict) for c in data):
            raise SourceError(f"police.uk API month {month}: expected a JSON list of crimes")
        return data

    def _get_json(self, path: str, params: dict, what: str) -> Any:
        return self._call(path, params, what, split_ok=False)[1]

    def _call(self, path: str, params: dict, what: str, split_ok: bool) -> tuple[int, Any]:
        """Send one request (GET, or POST if the URL is too long) with throttle and retries.

        Returns (status, parsed JSON); a 503 is returned as (503, None) when ``split_ok``.
        """
        url = f"{self.base_url}/{path}"
        query = urllib.parse.urlencode(params, safe=",:")
        get_url = f"{url}?{query}" if query else url
        method = "GET" if len(get_url) <= self.max_get_url else "POST"
        response, problem = None, ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.sleep(self._retry_wait(response, attempt - 1))
            response, problem = self._send(method, get_url, url, params)
            if problem:
                continue
            if response.status_code == 429:
                problem = "HTTP 429 (rate limited)"
                continue
            if response.status_code == 503 and split_ok:
                return 503, None
            return response.status_code, self._parse(response, method, url, what)
        raise SourceError(
            f"police.uk API {what}: gave up after {self.max_retries} retries, last {problem}: {method} {url}"
        )

    def _retry_wait(self, response: requests.Response | None, attempt: int) -> float:
        """Seconds to wait before retry ``attempt``: ``Retry-After`` if given, else back-off."""
        wait = _retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
        return wait if wait is not None else backoff_delay(attempt, self.backoff_base, self.backoff_cap)

    def _send(self, method: str, get_url: str, url: str, params: dict) -> tuple[requests.Response | None, str]:
        """One throttled request; (response, "") or (None, problem) for a connection error."""
        if self.limiter is not None:
            self.limiter.wait()
        try:
            if method == "GET":
                return self.session.request("GET", get_url, timeout=self.timeout), ""
            return self.session.request("POST", url, data=params, timeout=self.timeout), ""
        except (requests.ConnectionError, requests.Timeout) as exc:  # transient: retried
            return None, f"connection error ({type(exc).__name__})"
        except requests.RequestException as exc:  # e.g. an invalid URL: retrying cannot help
            raise SourceError(f"police.uk API: {method} {url} failed: {type(exc).__name__}: {exc}") from None

    @staticmethod
    def _parse(response: requests.Response, method: str, url: str, what: str) -> Any:
        if response.status_code != 200:
            raise SourceError(f"police.uk API {what}: HTTP {response.status_code} from {method} {url}")
        try:
            return response.json()
        except ValueError:
            raise SourceError(f"police.uk API {what}: the answer from {method} {url} is not valid JSON") from None

"""A local fake of the police.uk API, serving recorded answers built from archive CSVs.

:class:`FakePoliceApi` reads a folder in the data.police.uk archive layout
(``YYYY-MM/YYYY-MM-<force>-street.csv``) and serves, on ``http://127.0.0.1:<port>/api``:

* ``GET crimes-street-dates``: the archive's months, newest first, like the API;
* ``GET``/``POST crimes-street/all-crime`` (``poly`` = ``lat,lng:lat,lng:...``, ``date``):
  the archive rows of that month whose point lies in the polygon (edges included unless
  ``edge_inclusive=False``: the real API's edge rule is not documented), in the
  API's JSON shape (category slugs, ``persistent_id`` "" for ASB, ``outcome_status`` null
  when there is no outcome).

Failure modes the tests switch on: ``crime_limit`` (503 above it, like the API's 10,000),
``fail_429`` leading 429 answers (with ``retry_after`` as the Retry-After header, or none),
``rate_limit`` (a real token bucket: ``(per_second, burst)``, 429 when exceeded),
``url_limit`` (414 for a longer GET URL) and ``override`` (any answer for any request).
Every request is recorded in :attr:`FakePoliceApi.requests`.
"""

from __future__ import annotations

import csv
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import numpy as np
import shapely

from smp_data.classify import CRIME_TYPES

NAME_TO_SLUG = {c.name: c.slug for c in CRIME_TYPES if c.is_current}
PREFIX = "/api/"


@dataclass
class RecordedRequest:
    method: str
    path: str  # below /api/, e.g. 'crimes-street/all-crime'
    params: dict[str, str]  # query and form fields together
    url_length: int  # length of the full request URL
    status: int = 0
    count: int | None = None  # crimes answered (200 answers of all-crime only)


@dataclass
class _Month:
    crimes: list[dict] = field(default_factory=list)
    points: np.ndarray | None = None  # shapely points (None where a row has no location)


def _crime_from_row(row: dict, crime_id: int, street_ids: dict[str, int]) -> dict:
    outcome = row["Last outcome category"].strip()
    name = row["Location"].strip()
    street_id = street_ids.setdefault(name, 1000 + len(street_ids))
    return {
        "category": NAME_TO_SLUG.get(row["Crime type"].strip(), row["Crime type"].strip()),
        "location_type": "Force",
        "location": {
            "latitude": row["Latitude"].strip(),
            "street": {"id": street_id, "name": name},
            "longitude": row["Longitude"].strip(),
        },
        "context": row["Context"].strip(),
        "outcome_status": {"category": outcome, "date": row["Month"].strip()} if outcome else None,
        "persistent_id": row["Crime ID"].strip(),
        "id": crime_id,
        "location_subtype": "",
        "month": row["Month"].strip(),
    }


def load_archive(root: Path, force: str = "kent", months: list[str] | None = None) -> dict[str, list[dict]]:
    """Archive CSV rows as API crimes, by month. Crime ids are ``YYYYMM`` * 10**6 + row number."""
    out: dict[str, list[dict]] = {}
    street_ids: dict[str, int] = {}
    for path in sorted(Path(root).glob(f"*/*-{force}-street.csv")):
        month = path.parent.name
        if months is not None and month not in months:
            continue
        base = int(month.replace("-", "")) * 10**6
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        out[month] = [_crime_from_row(r, base + i, street_ids) for i, r in enumerate(rows, start=1)]
    return out


def _point(crime: dict):
    loc = crime.get("location") or {}
    try:
        return shapely.Point(float(loc["longitude"]), float(loc["latitude"]))
    except (KeyError, TypeError, ValueError):
        return None


def parse_poly(text: str) -> shapely.Polygon:
    """``lat,lng:lat,lng:...`` -> a lon/lat polygon (closed like the API closes it)."""
    pairs = [p.split(",") for p in text.strip().split(":") if p]
    coords = [(float(lng), float(lat)) for lat, lng in pairs]
    if len(coords) < 3:
        raise ValueError("a polygon needs at least 3 points")
    poly = shapely.Polygon(coords)
    return poly if poly.is_valid else shapely.make_valid(poly)


class FakePoliceApi:
    """The fake server; use as a context manager (``with FakePoliceApi(root) as api: api.base_url``).

    Parameters
    ----------
    archive : path
        Folder in the archive layout.
    force : str
        Force slug of the files to read.
    months : list of str, optional
        Only these archive months (default all).
    crime_limit : int, optional
        Answer 503 when an area holds more crimes than this.
    fail_429 : int
        Answer 429 to this many requests first.
    retry_after : str, optional
        ``Retry-After`` header on those 429 answers.
    rate_limit : (float, int), optional
        Real rate check ``(per_second, burst)`` (token bucket on the wall clock); 429 when empty.
    url_limit : int
        Longest GET URL accepted; longer ones get 414.
    extra_crimes : list of dict, optional
        API-shaped crimes added to their ``month`` (e.g. an unknown category).
    override : callable, optional
        ``override(method, path, params)`` -> ``(status, headers, body bytes)`` or None.
    edge_inclusive : bool
        Whether a point on the polygon's edge is inside (default True).
    """

    def __init__(self, archive: Path, *, force: str = "kent", months: list[str] | None = None,
                 crime_limit: int | None = None, fail_429: int = 0, retry_after: str | None = None,
                 rate_limit: tuple[float, int] | None = None, url_limit: int = 4094,
                 extra_crimes: list[dict] | None = None,
                 override: Callable[[str, str, dict], tuple[int, dict, bytes] | None] | None = None,
                 edge_inclusive: bool = True):
        by_month = load_archive(archive, force, months)
        for crime in extra_crimes or []:
            by_month.setdefault(crime["month"], []).append(crime)
        self.months = {m: _Month(c, np.array([_point(x) for x in c], dtype=object)) for m, c in by_month.items()}
        self.crime_limit, self.fail_429, self.retry_after = crime_limit, fail_429, retry_after
        self.rate_limit, self.url_limit, self.override = rate_limit, url_limit, override
        self.edge_inclusive = edge_inclusive
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._tokens = float(rate_limit[1]) if rate_limit else 0.0
        self._refilled = time.monotonic()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "FakePoliceApi":
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api"

    # ------------------------------------------------------------------ answers

    def crimes_in(self, month: str, poly: shapely.Polygon) -> list[dict]:
        """The month's crimes whose point lies in ``poly`` (see ``edge_inclusive``)."""
        m = self.months[month]
        has_point = np.array([p is not None for p in m.points], dtype=bool)
        inside = np.zeros(len(m.crimes), dtype=bool)
        if has_point.any():
            test = shapely.covers if self.edge_inclusive else shapely.contains
            inside[has_point] = test(poly, m.points[has_point])
        return [c for c, ok in zip(m.crimes, inside) if ok]

    def _rate_ok(self) -> bool:
        per_second, burst = self.rate_limit
        now = time.monotonic()
        self._tokens = min(burst, self._tokens + (now - self._refilled) * per_second)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def answer(self, rec: RecordedRequest) -> tuple[int, dict, bytes]:
        """Status, headers and body for one request (the lock is held)."""
        if self.override is not None:
            custom = self.override(rec.method, rec.path, rec.params)
            if custom is not None:
                return custom
        if rec.method == "GET" and rec.url_length > self.url_limit:
            return 414, {}, b"Request-URI Too Long"
        if self.fail_429 > 0:
            self.fail_429 -= 1
            return 429, ({"Retry-After": self.retry_after} if self.retry_after is not None else {}), b""
        if self.rate_limit is not None and not self._rate_ok():
            return 429, {}, b""
        if rec.path == "crimes-street-dates" and rec.method == "GET":
            dates = [{"date": m, "stop-and-search": []} for m in sorted(self.months, reverse=True)]
            return 200, {}, json.dumps(dates).encode()
        if rec.path == "crimes-street/all-crime":
            return self._all_crime(rec)
        return 404, {}, b"Not found"

    def _all_crime(self, rec: RecordedRequest) -> tuple[int, dict, bytes]:
        month, poly_text = rec.params.get("date"), rec.params.get("poly")
        if not month or not poly_text:
            return 400, {}, b"poly and date are required"
        if month not in self.months:
            return 404, {}, b"date not available"
        try:
            poly = parse_poly(poly_text)
        except ValueError:
            return 400, {}, b"bad poly"
        crimes = self.crimes_in(month, poly)
        if self.crime_limit is not None and len(crimes) > self.crime_limit:
            return 503, {}, b""
        rec.count = len(crimes)
        return 200, {}, json.dumps(crimes).encode()


class _Handler(BaseHTTPRequestHandler):
    api: FakePoliceApi

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _handle(self, method: str) -> None:
        split = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            params.update(urllib.parse.parse_qsl(body, keep_blank_values=True))
        host, port = self.server.server_address[:2]
        path = split.path[len(PREFIX):] if split.path.startswith(PREFIX) else split.path
        rec = RecordedRequest(method, path, params, len(f"http://{host}:{port}{self.path}"))
        with self.api._lock:
            status, headers, body = self.api.answer(rec)
            rec.status = status
            self.api.requests.append(rec)
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

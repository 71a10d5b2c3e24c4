"""A local fake of data.police.uk's monthly archive downloads (``/data/archive/YYYY-MM.zip``), for the
refresh tests, serving zips built from ``../shared/data/police_uk`` by :func:`build_archive`.

It answers like a static file server: 404 for a month not published, HTTP Range requests with 206 and
``Content-Range`` (or, with ``ranges=False``, always the whole file with 200). Faults the tests switch
on: ``cut`` (a list of byte budgets: the next responses with a longer body send their full
``Content-Length`` header but only that many body bytes, then drop the connection), ``fail`` (the next N requests answer 503 with
``Retry-After: 0``). Every request is recorded in :attr:`FakePoliceArchive.requests`.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

_PATH = re.compile(r"^/data/archive/(\d{4}-\d{2})\.zip$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


@dataclass
class Request:
    path: str
    range: str | None
    status: int
    sent: int  # body bytes written


class FakePoliceArchive:
    def __init__(self, archives: dict[str, Path], *, ranges: bool = True):
        self.archives = dict(archives)  # 'YYYY-MM' -> zip file
        self.ranges = ranges
        self.cut: list[int] = []
        self.fail = 0
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FakePoliceArchive":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/data/archive/"

    def take_fail(self) -> bool:
        with self._lock:
            if self.fail:
                self.fail -= 1
                return True
            return False

    def take_cut(self, body_length: int) -> int | None:
        """The next cut budget smaller than this body (a 1-byte probe is never cut)."""
        with self._lock:
            if self.cut and self.cut[0] < body_length:
                return self.cut.pop(0)
            return None

    def record(self, req: Request) -> None:
        with self._lock:
            self.requests.append(req)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        fake: FakePoliceArchive = self.server.fake  # type: ignore[attr-defined]
        rng = self.headers.get("Range")
        m = _PATH.match(self.path)
        # requests are recorded before they are answered, so a client that has its answer finds it recorded
        if fake.take_fail():
            fake.record(Request(self.path, rng, 503, 4))
            self._answer(503, b"busy", {"Retry-After": "0"})
            return
        if not m or m.group(1) not in fake.archives:
            fake.record(Request(self.path, rng, 404, 0))
            self._answer(404, b"<h1>Not found</h1>", {"Content-Type": "text/html"})
            return
        data = fake.archives[m.group(1)].read_bytes()
        status, body, headers = 200, data, {"Content-Type": "application/zip"}
        if fake.ranges:
            headers["Accept-Ranges"] = "bytes"
            r = _RANGE.match(rng or "")
            if r:
                start = int(r.group(1))
                end = min(int(r.group(2)) if r.group(2) else len(data) - 1, len(data) - 1)
                if start >= len(data):
                    fake.record(Request(self.path, rng, 416, 0))
                    self._answer(416, b"", {"Content-Range": f"bytes */{len(data)}"})
                    return
                status, body = 206, data[start:end + 1]
                headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        budget = fake.take_cut(len(body))
        fake.record(Request(self.path, rng, status, len(body) if budget is None else budget))
        self._answer(status, body, headers, budget)

    def _answer(self, status: int, body: bytes, headers: dict, budget: int | None = None) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if budget is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if budget is None:
            self.wfile.write(body)
            return
        self.wfile.write(body[:budget])  # then drop the connection: a download cut short
        self.wfile.flush()
        self.close_connection = True


# ------------------------------------------------------------------ building archives


def csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def build_archive(dest: Path, source: Path, months: list[str], *, force: str = "kent",
                  replace: dict[str, bytes] | None = None, extra: dict[str, bytes] | None = None,
                  mutate: Callable[[bytes], bytes] | None = None) -> Path:
    """A data.police.uk-style archive zip: ``YYYY-MM/YYYY-MM-<force>-street.csv`` for each month of
    ``source`` listed in ``months`` (``replace`` swaps a month's content), plus ``extra`` members
    (other forces, outcomes files) that a refresh must leave alone. ``mutate`` edits the finished bytes."""
    replace, extra = replace or {}, extra or {}
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for month in months:
            name = f"{month}/{month}-{force}-street.csv"
            if month in replace:
                zf.writestr(name, replace[month])
            else:
                zf.write(source / month / f"{month}-{force}-street.csv", name)
        for name, content in extra.items():
            zf.writestr(name, content)
    if mutate is not None:
        dest.write_bytes(mutate(dest.read_bytes()))
    return dest


def member_span(zip_path: Path, member: str) -> tuple[int, int]:
    """(offset of the member's compressed data, its compressed size) inside ``zip_path``."""
    with zipfile.ZipFile(zip_path) as zf:
        info = zf.getinfo(member)
    with open(zip_path, "rb") as fh:
        fh.seek(info.header_offset + 26)
        name_len, extra_len = int.from_bytes(fh.read(2), "little"), int.from_bytes(fh.read(2), "little")
    return info.header_offset + 30 + name_len + extra_len, info.compress_size

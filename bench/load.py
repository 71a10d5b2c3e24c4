"""Capacity benchmark: N concurrent sessions against the real dashboard server(s), on loopback only.

Run from the repository root (the store must exist: python -m smp_data build --if-missing)::

    python bench/load.py                              # browsers, N = 5, 20, 50, one server and two replicas
    python bench/load.py --client ws --sessions 5,20,50,100
    python bench/load.py --client browser --sessions 5 --servers 1 --json bench/results/load.json

Servers are started as the container starts them (``python -m streamlit run app.py`` with the
production settings of deploy/streamlit/config.toml as the user's global config) on free loopback
ports; "two replicas" puts deploy/nginx/nginx.conf (Debian's nginx) in front of two of them, as
deploy/compose.yaml does.

Two clients:

* ``browser``: one headless Debian Chromium, N contexts at once; each session opens the Overview,
  goes to the Ward map, switches the ward boundaries, goes to SMP priorities and to the Town centre.
  A step's time runs from the click (or the page load) until the page has *settled*: the expected
  heading is shown and Streamlit's running indicator has been gone for 0.5 s.
* ``ws``: a light client speaking Streamlit's own websocket protocol (protobuf BackMsg/ForwardMsg),
  N sessions in one asyncio loop. Each session asks for the same five views (page + filters in the
  query string, as a bookmark would) and times each run until the server's ``script_finished``.
  It costs the machine almost nothing, so it finds the server's own limit.

Reported per (client, servers, N): sessions completed, errors (exceptions shown, timeouts, failed
runs), p50 / p95 time to a settled page, peak server memory (RSS, all server processes), and the
CPU seconds used by the servers and by the client (where the time went). Every request loop is
bounded in count and time (``--session-timeout``, ``--run-timeout``) and stops by itself.

The machine this runs on has 2 cores; results say so and include the CPU split, since Chromium
saturates the machine long before the server does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEPLOY = REPO_ROOT / "deploy"
CHROMIUM = "/usr/bin/chromium"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

# (label, page url path, query string, heading that shows the page is there)
VIEWS = [
    ("overview", "", "", "Overview"),
    ("ward_map", "ward_map", "", "Ward map"),
    ("ward_map_2022", "ward_map", "wards=2022", "Ward map"),
    ("priorities", "priorities", "", "SMP priorities"),
    ("town_centre", "town_centre", "", "Town centre"),
]


# ------------------------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def _proc_tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            children = []
        todo += [int(c) for c in children]
    return out


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for p in _proc_tree(pid):
            try:
                m = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{p}/status").read_text())
                total += int(m.group(1)) * 1024 if m else 0
            except OSError:
                pass
    return total


def cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        for p in _proc_tree(pid):
            try:
                fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
            except (OSError, IndexError, ValueError):
                pass
    return total


class Servers:
    """One Streamlit server, or two behind nginx (deploy/nginx/nginx.conf verbatim)."""

    def __init__(self, count: int, db: Path, work: Path, options: list[str] = ()):
        self.work = work
        home = work / "home"
        (home / ".streamlit").mkdir(parents=True, exist_ok=True)
        shutil.copy2(DEPLOY / "streamlit" / "config.toml", home / ".streamlit" / "config.toml")
        self.apps: list[subprocess.Popen] = []
        self.ports: list[int] = []
        for i in range(count):
            port = free_port()
            env = {**os.environ, "HOME": str(home), "SMP_DB": str(db), "STREAMLIT_SERVER_PORT": str(port),
                   "STREAMLIT_SERVER_ADDRESS": "127.0.0.1", "SMP_STATE_DIR": str(work / "state"),
                   "SMP_UPLOADS": str(work / "uploads"), "PYTHONDONTWRITEBYTECODE": "1"}
            log = open(work / f"app{i + 1}.log", "w")  # noqa: SIM115
            flags = [f"--{o}" if o.startswith(("server.", "runner.", "global.", "client.")) else o for o in options]
            self.apps.append(subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", *flags], cwd=REPO_ROOT,
                                              env=env, stdout=log, stderr=subprocess.STDOUT))
            self.ports.append(port)
        for port, proc in zip(self.ports, self.apps):
            wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc)
        self.proxy = None
        if count == 1:
            self.url = f"http://127.0.0.1:{self.ports[0]}"
            return
        prefix = work / "nginx"
        conf = prefix / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        shutil.copy2(DEPLOY / "nginx" / "nginx.conf", conf / "nginx.conf")
        port = free_port()
        (conf / "listen.conf").write_text(f"listen 127.0.0.1:{port};\n")
        servers = "".join(f"    server 127.0.0.1:{p} max_fails=2 fail_timeout=10s;\n" for p in self.ports)
        (conf / "upstream.conf").write_text(
            "upstream smp_app {\n    hash $smp_replica_key consistent;\n" + servers + "    keepalive 32;\n}\n")
        log = open(work / "nginx.log", "w")  # noqa: SIM115
        self.proxy = subprocess.Popen([NGINX, "-e", "stderr", "-p", f"{prefix}/", "-c", str(conf / "nginx.conf"),
                                       "-g", "daemon off; user root;"], stdout=log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        wait_http(f"{self.url}/_stcore/health", self.proxy)

    @property
    def server_pids(self) -> list[int]:
        return [p.pid for p in self.apps]

    def warm(self) -> None:
        """One light session through every view first, so the runs measure warm caches."""
        asyncio.run(ws_session(self.url, 0, run_timeout=300))

    def stop(self) -> None:
        for proc in [*self.apps, *([self.proxy] if self.proxy else [])]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*self.apps, *([self.proxy] if self.proxy else [])]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


# ------------------------------------------------------------------------------------------- clients


@dataclass
class Session:
    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    completed: bool = False
    bytes_in: int = 0


async def ws_session(base: str, index: int, run_timeout: float = 60.0) -> Session:
    """One session over Streamlit's websocket protocol: each view is one script run."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    result = Session()
    host = base.split("://", 1)[1]
    try:
        async with websockets.connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"],
                                      origin=base, max_size=256 * 1024 * 1024, open_timeout=run_timeout,
                                      ping_interval=None) as ws:  # like a browser: answers pings, sends none
            for label, page, query, heading in VIEWS:
                titled = False
                msg = BackMsg()
                msg.rerun_script.query_string = query
                msg.rerun_script.page_name = page
                started = time.monotonic()
                await ws.send(msg.SerializeToString())
                deadline = started + run_timeout
                while True:
                    raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic()))
                    result.bytes_in += len(raw)
                    fwd = ForwardMsg()
                    fwd.ParseFromString(raw)
                    kind = fwd.WhichOneof("type")
                    if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                        element = fwd.delta.new_element
                        what = element.WhichOneof("type")
                        if what == "exception":
                            result.errors.append(f"{label}: exception {element.exception.message[:120]}")
                        elif what == "heading" and element.heading.body == heading:
                            titled = True
                        elif what == "alert" and "data store" in element.alert.body:
                            result.errors.append(f"{label}: {element.alert.body[:120]}")
                    if kind == "script_finished":
                        if fwd.script_finished not in (ForwardMsg.FINISHED_SUCCESSFULLY,):
                            result.errors.append(f"{label}: script finished with status {fwd.script_finished}")
                        elif not titled:
                            result.errors.append(f"{label}: the page's title {heading!r} was not drawn")
                        break
                result.times.append(time.monotonic() - started)
        result.completed = not result.errors
    except (asyncio.TimeoutError, TimeoutError):
        result.errors.append(f"session {index}: timed out after {run_timeout:.0f} s")
    except Exception as exc:  # noqa: BLE001  (reported, not raised: a load test counts errors)
        result.errors.append(f"session {index}: {type(exc).__name__}: {exc}"[:200])
    return result


async def browser_sessions(base: str, n: int, session_timeout: float) -> list[Session]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            return await asyncio.gather(*(browser_session(browser, base, i, session_timeout) for i in range(n)))
        finally:
            await browser.close()


async def _settle(page, heading: str, deadline: float) -> None:
    await page.get_by_role("heading", name=heading, exact=True).first.wait_for(
        timeout=max(1, deadline - time.monotonic()) * 1000)
    quiet = 0
    while quiet < 2:
        if time.monotonic() > deadline:
            raise TimeoutError("page did not settle")
        await page.wait_for_timeout(250)
        quiet = quiet + 1 if await page.locator('[data-testid="stStatusWidget"]').count() == 0 else 0


async def browser_session(browser, base: str, index: int, session_timeout: float) -> Session:
    result = Session()
    deadline = time.monotonic() + session_timeout
    ctx = await browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.set_default_timeout(session_timeout * 1000)
    try:
        page = await ctx.new_page()
        nav = page.locator('[data-testid="stSidebarNav"]')
        for label, path, query, heading in VIEWS:
            started = time.monotonic()
            if label == "overview":
                await page.goto(base + "/")
            elif label == "ward_map_2022":
                await page.get_by_text("Pre-May-2024 wards (26)").first.click()
                await page.wait_for_url(re.compile(r"wards=2022"))
            else:
                await nav.get_by_role("link", name=heading, exact=True).click()
                await page.wait_for_url(re.compile(rf"/{path}"))
            await _settle(page, heading, deadline)
            if await page.locator('[data-testid="stException"]').count():
                result.errors.append(f"{label}: exception shown")
            result.times.append(time.monotonic() - started)
        result.completed = not result.errors
    except Exception as exc:  # noqa: BLE001
        result.errors.append(f"session {index}: {type(exc).__name__}: {str(exc).splitlines()[0]}"[:200])
    finally:
        await ctx.close()
    return result


# ------------------------------------------------------------------------------------------- runs


@dataclass
class Row:
    client: str
    servers: int
    sessions: int
    completed: int = 0
    errors: int = 0
    p50_s: float | None = None
    p95_s: float | None = None
    wall_s: float = 0.0
    server_peak_rss_mb: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    runs_per_s: float = 0.0
    sample_errors: list[str] = field(default_factory=list)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def run(servers: Servers, client: str, n: int, session_timeout: float, run_timeout: float) -> Row:
    row = Row(client, len(servers.apps), n)
    peak = [rss_bytes(servers.server_pids)]
    stop = [False]
    others = [*servers.server_pids, *([servers.proxy.pid] if servers.proxy else [])]
    client_cpu = [0.0]

    async def sample():
        while not stop[0]:
            peak[0] = max(peak[0], rss_bytes(servers.server_pids))
            client_cpu[0] = max(client_cpu[0], _client_cpu(others))  # Chromium's processes before they exit
            await asyncio.sleep(0.5)

    async def go():
        sampler = asyncio.create_task(sample())
        try:
            if client == "ws":
                coros = [asyncio.wait_for(ws_session(servers.url, i, run_timeout), session_timeout) for i in range(n)]
                return await asyncio.gather(*coros, return_exceptions=True)
            return await asyncio.wait_for(browser_sessions(servers.url, n, session_timeout), session_timeout + 120)
        finally:
            stop[0] = True
            await sampler

    cpu0_server, cpu0_self = cpu_seconds(servers.server_pids), _client_cpu(others)
    started = time.monotonic()
    results = asyncio.run(go())
    row.wall_s = time.monotonic() - started
    row.server_cpu_s = cpu_seconds(servers.server_pids) - cpu0_server
    row.client_cpu_s = max(client_cpu[0], _client_cpu(others)) - cpu0_self
    sessions = [r if isinstance(r, Session) else Session(errors=[f"{type(r).__name__}: {r}"]) for r in results]
    times = [t for s in sessions for t in s.times]
    row.completed = sum(s.completed for s in sessions)
    row.errors = sum(len(s.errors) for s in sessions) + sum(1 for s in sessions if not s.completed and not s.errors)
    row.p50_s, row.p95_s = pct(times, 0.5), pct(times, 0.95)
    row.server_peak_rss_mb = peak[0] / 1e6
    row.runs_per_s = len(times) / row.wall_s if row.wall_s else 0.0
    row.sample_errors = sorted({e for s in sessions for e in s.errors})[:5]
    return row


def _client_cpu(exclude: list[int]) -> float:
    """CPU of the client: this process and its other children (Chromium and its helpers), still running."""
    t = os.times()
    children = [int(c) for c in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()]
    return t.user + t.system + cpu_seconds([c for c in children if c not in exclude])


def fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=os.environ.get("SMP_DB", str(REPO_ROOT / "smp.duckdb")))
    ap.add_argument("--client", default="browser,ws", help="browser, ws or both (comma-separated)")
    ap.add_argument("--sessions", default="5,20,50", help="comma-separated N")
    ap.add_argument("--servers", default="1,2", help="1 (one server), 2 (two replicas behind nginx), or both")
    ap.add_argument("--session-timeout", type=float, default=300.0, help="bound on one session, seconds")
    ap.add_argument("--run-timeout", type=float, default=120.0, help="ws client: bound on one script run")
    ap.add_argument("--json", default="", help="also write the rows as JSON here")
    ap.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE",
                    help="a Streamlit option for the servers, e.g. --set runner.postScriptGC=false (repeatable)")
    args = ap.parse_args(argv)
    db = Path(args.db)
    if not db.is_file():
        print(f"error: store not found: {db} (python -m smp_data build --if-missing)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO_ROOT))
    from smp_data.build import STORE_SCHEMA_VERSION, store_schema_version

    if store_schema_version(str(db)) != STORE_SCHEMA_VERSION:
        print(f"error: {db} was built by older code: python -m smp_data build --if-missing", file=sys.stderr)
        return 2
    rows: list[Row] = []
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))  # clean up servers
    print(f"machine: {os.cpu_count()} cores, shared with other work while measured: treat absolute times with "
          "care; compare rows of one run", flush=True)
    for count in [int(x) for x in args.servers.split(",")]:
        work = Path(tempfile.mkdtemp(prefix="smp-load-"))
        servers = Servers(count, db, work, [f"{kv.split('=', 1)[0]}={kv.split('=', 1)[1]}" for kv in args.set])
        try:
            servers.warm()
            for client in args.client.split(","):
                for n in [int(x) for x in args.sessions.split(",")]:
                    row = run(servers, client, n, args.session_timeout, args.run_timeout)
                    rows.append(row)
                    print(f"{client:>7} servers={count} {' '.join(args.set)} N={n:>3}: completed {row.completed}/{n}, errors {row.errors}, "
                          f"p50 {fmt(row.p50_s)} s, p95 {fmt(row.p95_s)} s, wall {row.wall_s:.0f} s, "
                          f"{row.runs_per_s:.2f} runs/s, server RSS peak {row.server_peak_rss_mb:.0f} MB, "
                          f"CPU server {row.server_cpu_s:.0f} s / client {row.client_cpu_s:.0f} s"
                          + (f"; e.g. {row.sample_errors[0]}" if row.sample_errors else ""), flush=True)
        finally:
            servers.stop()
            shutil.rmtree(work, ignore_errors=True)
    print("\n| client | servers | N | completed | errors | p50 s | p95 s | runs/s | server RSS peak MB | "
          "CPU s server / client |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.client} | {r.servers} | {r.sessions} | {r.completed} | {r.errors} | {fmt(r.p50_s)} | "
              f"{fmt(r.p95_s)} | {r.runs_per_s:.2f} | {r.server_peak_rss_mb:.0f} | "
              f"{r.server_cpu_s:.0f} / {r.client_cpu_s:.0f} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

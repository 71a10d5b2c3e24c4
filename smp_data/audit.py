"""The audit log: partner sign-ins, sign-outs and uploads (who, when, what), one JSON object a line.

Location: setting ``audit_log`` (env ``SMP_AUDIT_LOG``, default ``<SMP_STATE_DIR>/audit.log``). The
file is created owner-only (0600) in an owner-only folder and only ever appended to (every app
replica appends to the same file; each event is one ``write`` under an exclusive ``flock``).

An event never holds a password, a cookie or a token: :func:`record` refuses field names that could
carry one, and callers pass only usernames, file names, hashes and counts. Text a person typed
(e.g. an unknown username at a failed sign-in) is not written at all.

Example line::

    {"time": "2025-06-01T09:14:03Z", "event": "upload", "user": "jsmith", "ip": "203.0.113.7",
     "file": "needles.csv", "sha256": "…", "rows_read": 12, "rows_loaded": 12, "rows_rejected": 0,
     "access": "restricted", "upload_id": "20250601T091403Z-…"}
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
from pathlib import Path

from smp_data import settings
from smp_data.private_files import FILE_MODE, private_dir, tighten

__all__ = ["EVENTS", "FORBIDDEN_FIELD_PARTS", "audit_log_path", "record", "read_events"]

_LOG = logging.getLogger(__name__)

EVENTS = frozenset({
    "sign_in",            # password accepted, or a valid re-sign-in cookie (method: password | cookie)
    "sign_in_failed",     # wrong password for a known user, or an unknown username (never the text typed)
    "sign_in_refused",    # a re-sign-in cookie that was revoked, expired or not signed with our key
    "sign_out",           # the partner signed out (the sign-in and its cookie are revoked on the server)
    "session_ended",      # a session found its sign-in revoked (signed out elsewhere) and was ended
    "upload",             # rows recorded in the uploads store
    "upload_refused",     # an upload refused before validation (too large, not the partner format)
})
# any field whose name contains one of these is refused: such values must never reach the log
FORBIDDEN_FIELD_PARTS = ("password", "passwd", "secret", "token", "cookie", "credential")


def audit_log_path() -> Path:
    return settings.audit_log_path()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(event: str, user: str | None = None, *, path: Path | None = None, **fields) -> bool:
    """Append one event; True if written. A log that cannot be written is reported in the server log.

    Raises ``ValueError`` for an unknown event or a field name that could hold a secret (a
    programming error, caught by the tests).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    bad = [k for k in fields if any(part in k.lower() for part in FORBIDDEN_FIELD_PARTS)]
    if bad:
        raise ValueError(f"audit fields {bad} could hold a secret and are never logged")
    entry = {"time": _now(), "event": event, "user": user, **fields}
    line = (json.dumps(entry, ensure_ascii=False, default=str, separators=(", ", ": ")) + "\n").encode("utf-8")
    target = Path(path) if path is not None else audit_log_path()
    try:
        private_dir(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
        finally:
            os.close(fd)
        tighten(target, FILE_MODE)
        return True
    except OSError as exc:
        _LOG.error("audit log %s not writable (%s): %s", target, exc.strerror or exc, line.decode().strip())
        return False


def read_events(path: Path | None = None) -> list[dict]:
    """Every event in the log (oldest first); an unreadable line is skipped with a warning."""
    target = Path(path) if path is not None else audit_log_path()
    if not target.is_file():
        return []
    out = []
    with open(target, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                _LOG.warning("%s line %d is not a JSON event", target, n)
    return out

"""Partner sign-ins the server can revoke: signed re-sign-in tokens and a shared revocation list.

Every successful sign-in gets a random id. The re-sign-in cookie carries that id in a JWT signed
(HS256) with the config's cookie key, with an absolute expiry (``exp``, not extended when the cookie
is used). Signing out appends the id to the revocation list, a JSON-lines file in the state folder
(setting ``state``, env ``SMP_STATE_DIR``) that every app replica reads: a copied cookie is refused
from then on, and a session that signed in with it is ended at its next run. Replacing a user's
password (``add-partner-user --replace``) revokes every sign-in of that user issued before.

The check is made on every use: each cookie sign-in, and each script run of a partner session
(:func:`dashboard.auth.current_partner`); the file is re-read only when it changed (one ``stat``).

No Streamlit here, so it is tested directly.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import secrets
import threading
import time
from pathlib import Path

import jwt

from smp_data import settings
from smp_data.private_files import FILE_MODE, private_dir, tighten

__all__ = ["REVOCATIONS_FILE", "TOKEN_TYPE", "SignIn", "new_sign_in", "encode", "decode", "revoke",
           "revoke_user", "is_revoked", "revocations_path"]

REVOCATIONS_FILE = "revoked_sign_ins.jsonl"
TOKEN_TYPE = "smp-partner-sign-in"
_COMPACT_AFTER_LINES = 500


@dataclasses.dataclass(frozen=True)
class SignIn:
    username: str
    sign_in_id: str
    issued_at: float  # seconds since the epoch
    expires_at: float

    @property
    def remaining_seconds(self) -> float:
        return self.expires_at - time.time()


def revocations_path() -> Path:
    return settings.state_dir() / REVOCATIONS_FILE


def new_sign_in(username: str, lifetime_seconds: float, now: float | None = None) -> SignIn:
    now = int(time.time() if now is None else now)  # whole seconds, as in the token's iat
    return SignIn(username, secrets.token_urlsafe(18), now, now + int(max(0.0, float(lifetime_seconds))))


def encode(sign_in: SignIn, key: str) -> str:
    """The cookie value. ``username`` and ``exp_date`` are the fields streamlit-authenticator reads."""
    return jwt.encode({
        "typ": TOKEN_TYPE, "username": sign_in.username, "jti": sign_in.sign_in_id,
        "iat": int(sign_in.issued_at), "exp": int(sign_in.expires_at), "exp_date": float(sign_in.expires_at),
    }, key, algorithm="HS256")


def decode(token: str, key: str, *, path: Path | None = None, now: float | None = None
           ) -> tuple[SignIn | None, str]:
    """(the sign-in, "") for a valid, unexpired, unrevoked token; else (None, why) in a few words."""
    try:
        claims = jwt.decode(str(token), key, algorithms=["HS256"], options={"require": ["exp", "iat", "jti"]},
                            leeway=0)
    except jwt.ExpiredSignatureError:
        return None, "expired"
    except jwt.InvalidTokenError:
        return None, "not signed with this server's key, or malformed"
    if claims.get("typ") != TOKEN_TYPE or not isinstance(claims.get("username"), str):
        return None, "not a sign-in token of this dashboard"
    sign_in = SignIn(claims["username"], str(claims["jti"]), float(claims["iat"]), float(claims["exp"]))
    if now is not None and sign_in.expires_at <= now:
        return None, "expired"
    if is_revoked(sign_in, path=path):
        return None, "revoked (signed out)"
    return sign_in, ""


# ------------------------------------------------------------------------ the revocation list

_CACHE_LOCK = threading.Lock()
_CACHE: dict[str, tuple[tuple, frozenset[str], dict[str, float]]] = {}


def _stat_key(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _parse(lines) -> tuple[set[str], dict[str, float]]:
    ids: set[str] = set()
    not_before: dict[str, float] = {}
    for line in lines:
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, TypeError):
            continue  # a torn last line from a crash: ignore it
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("sign_in_id"), str):
            ids.add(entry["sign_in_id"])
        elif isinstance(entry.get("user"), str) and isinstance(entry.get("not_before"), (int, float)):
            not_before[entry["user"]] = max(not_before.get(entry["user"], 0.0), float(entry["not_before"]))
    return ids, not_before


def _load(path: Path) -> tuple[frozenset[str], dict[str, float]]:
    key = _stat_key(path)
    if key is None:
        return frozenset(), {}
    with _CACHE_LOCK:
        hit = _CACHE.get(str(path))
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
    with open(path, encoding="utf-8") as fh:
        ids, not_before = _parse(fh)
    with _CACHE_LOCK:
        _CACHE[str(path)] = (key, frozenset(ids), not_before)
    return frozenset(ids), not_before


def is_revoked(sign_in: SignIn, *, path: Path | None = None) -> bool:
    ids, not_before = _load(Path(path) if path is not None else revocations_path())
    return sign_in.sign_in_id in ids or sign_in.issued_at < not_before.get(sign_in.username, float("-inf"))


def _append(entry: dict, path: Path | None) -> None:
    """Append one entry holding the list's lock file (the list itself may be replaced by compaction)."""
    target = Path(path) if path is not None else revocations_path()
    private_dir(target.parent)
    lock_fd = os.open(target.with_name(f".{target.name}.lock"), os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        try:
            os.write(fd, (json.dumps(entry) + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        tighten(target, FILE_MODE)
        _compact_locked(target)
    finally:
        os.close(lock_fd)  # releases the lock


def _compact_locked(target: Path) -> None:
    """Drop revoked ids whose token has expired anyway (the caller holds the lock file)."""
    with open(target, encoding="utf-8") as fh:
        lines = fh.readlines()
    if len(lines) < _COMPACT_AFTER_LINES:
        return
    now = time.time()
    keep = []
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "sign_in_id" in entry and float(entry.get("expires_at", now + 1)) <= now:
            continue
        keep.append(json.dumps(entry) + "\n")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.writelines(keep)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def revoke(sign_in: SignIn, *, path: Path | None = None) -> None:
    """Revoke one sign-in (its cookie, wherever it was copied, and every session that used it)."""
    _append({"sign_in_id": sign_in.sign_in_id, "user": sign_in.username, "expires_at": sign_in.expires_at,
             "revoked_at": time.time()}, path)


def revoke_user(username: str, *, path: Path | None = None, now: float | None = None) -> None:
    """Revoke every sign-in of ``username`` issued before now (e.g. after a password change)."""
    _append({"user": username, "not_before": time.time() if now is None else now}, path)

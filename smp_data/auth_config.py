"""Partner sign-in config: the streamlit-authenticator YAML, read and written without Streamlit.

The file lives OUTSIDE the repository (setting ``auth_config``, env ``SMP_AUTH_CONFIG``)::

    credentials:
      usernames:
        jsmith:
          name: Jo Smith
          email: jo.smith@example.org
          password: $2b$12$...          # bcrypt hash, never the password itself
    cookie:
      name: smp_partner_auth
      key: <random secret, 32+ characters>
      expiry_hours: 8                 # 0 = no re-sign-in cookie (sign-in lasts for the browser tab)
      secure: true                    # send the cookie over HTTPS only (false only for plain-HTTP testing)

``expiry_days`` (the library's own field) is read when ``expiry_hours`` is absent. The cookie's
lifetime is absolute from the password sign-in; signing out revokes it on the server
(:mod:`smp_data.sign_ins`).

:func:`add_user` (used by ``python -m smp_data add-partner-user``) writes users with bcrypt
hashes; :func:`load_auth_config` refuses a file holding a plain-text password.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt
import yaml

from smp_data.settings import REPO_ROOT

__all__ = ["AuthConfig", "AuthConfigError", "load_auth_config", "add_user", "hash_password", "is_bcrypt_hash",
           "EXAMPLE_COOKIE_KEY", "MIN_PASSWORD_LENGTH", "DEFAULT_COOKIE_HOURS"]

MIN_PASSWORD_LENGTH = 10
DEFAULT_COOKIE_HOURS = 8  # a working day; was one day before sign-out revoked cookies on the server
MIN_COOKIE_KEY_LENGTH = 32
# the committed example's cookie key: public, so a config using it never gets a re-sign-in cookie
EXAMPLE_COOKIE_KEY = "example-only-not-secret-change-me-in-a-real-config"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_BCRYPT = re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$")


class AuthConfigError(ValueError):
    """The sign-in config is missing, unreadable or not usable (the message says how to fix it)."""


@dataclass(frozen=True)
class AuthConfig:
    path: Path
    users: dict[str, dict] = field(default_factory=dict)  # username -> {name, email, password (hash)}
    cookie_name: str = "smp_partner_auth"
    cookie_key: str = ""
    cookie_expiry_days: float = 0.0
    notes: tuple[str, ...] = ()  # why the re-sign-in cookie is off, when it is
    cookie_secure: bool = True  # the cookie's Secure attribute (HTTPS only)

    @property
    def cookie_enabled(self) -> bool:
        return self.cookie_expiry_days > 0

    @property
    def cookie_lifetime_seconds(self) -> int:
        return int(round(self.cookie_expiry_days * 86400))

    def credentials(self) -> dict:
        """A fresh copy of the credentials in the form ``streamlit_authenticator.Authenticate`` takes."""
        return {"usernames": {u: dict(v) for u, v in self.users.items()}}


def is_bcrypt_hash(value: str) -> bool:
    """
    >>> is_bcrypt_hash(hash_password("a long password"))
    True
    >>> is_bcrypt_hash("a long password")
    False
    """
    return bool(_BCRYPT.match(str(value or "")))


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AuthConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise AuthConfigError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AuthConfigError(f"{path}: expected a mapping with 'credentials' and 'cookie'")
    return data


def load_auth_config(path: Path) -> AuthConfig:
    """Read and check the sign-in config; raise :class:`AuthConfigError` saying what is wrong."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise AuthConfigError(f"{path} does not exist")
    data = _read_yaml(path)
    users_in = ((data.get("credentials") or {}).get("usernames")) or {}
    if not isinstance(users_in, dict) or not users_in:
        raise AuthConfigError(f"{path}: no users under credentials.usernames")
    users: dict[str, dict] = {}
    for raw_name, user in users_in.items():
        username = str(raw_name).strip().lower()
        if not isinstance(user, dict):
            raise AuthConfigError(f"{path}: user {raw_name!r} is not a mapping")
        if not is_bcrypt_hash(user.get("password", "")):
            raise AuthConfigError(
                f"{path}: the password of user {raw_name!r} is not a bcrypt hash; set it with "
                "`python -m smp_data add-partner-user --replace` (plain-text passwords are refused)"
            )
        users[username] = {"name": str(user.get("name") or username), "email": str(user.get("email") or ""),
                           "password": user["password"]}
    cookie = data.get("cookie") or {}
    name = str(cookie.get("name") or "smp_partner_auth")
    key = str(cookie.get("key") or "")
    try:
        if cookie.get("expiry_hours") is not None:
            expiry = float(cookie.get("expiry_hours") or 0) / 24
        else:
            expiry = float(cookie.get("expiry_days", 0) or 0)
    except (TypeError, ValueError):
        raise AuthConfigError(f"{path}: cookie.expiry_hours (or expiry_days) must be a number") from None
    secure = cookie.get("secure", True)
    if not isinstance(secure, bool):
        raise AuthConfigError(f"{path}: cookie.secure must be true or false")
    notes = []
    if expiry > 0 and key == EXAMPLE_COOKIE_KEY:
        notes.append("the cookie key is the public example key")
    elif expiry > 0 and len(key) < MIN_COOKIE_KEY_LENGTH:
        notes.append(f"the cookie key is shorter than {MIN_COOKIE_KEY_LENGTH} characters")
    if notes:
        expiry = 0.0
    return AuthConfig(path, users, name, key, max(expiry, 0.0), tuple(notes), secure)


def add_user(path: Path, username: str, name: str, email: str, password: str, *, replace: bool = False) -> bool:
    """Add a user (bcrypt-hashed password) to the config, creating it if needed; True if created.

    A new config gets a random cookie key and an 8-hour re-sign-in cookie (``DEFAULT_COOKIE_HOURS``).
    The file is written with owner-only permissions.
    """
    path = Path(path).expanduser()
    username = str(username or "").strip().lower()
    if not _USERNAME.match(username):
        raise AuthConfigError(f"username {username!r} must be 2-64 characters: a-z, 0-9, '.', '_', '-'")
    if not str(name or "").strip():
        raise AuthConfigError("--name is required")
    if "@" not in str(email or ""):
        raise AuthConfigError(f"--email {email!r} is not an email address")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AuthConfigError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    created = not path.is_file()
    data = {} if created else _read_yaml(path)
    users = data.setdefault("credentials", {}).setdefault("usernames", {}) or {}
    data["credentials"]["usernames"] = users
    if username in {str(u).lower() for u in users} and not replace:
        raise AuthConfigError(f"{path}: user {username!r} already exists (use --replace to change it)")
    users.pop(next((u for u in users if str(u).lower() == username), username), None)
    users[username] = {"email": email.strip(), "name": name.strip(), "password": hash_password(password)}
    cookie = data.setdefault("cookie", {})
    cookie.setdefault("name", "smp_partner_auth")
    if not cookie.get("key") or cookie.get("key") == EXAMPLE_COOKIE_KEY:
        cookie["key"] = secrets.token_urlsafe(48)
    if "expiry_hours" not in cookie and "expiry_days" not in cookie:
        cookie["expiry_hours"] = DEFAULT_COOKIE_HOURS
    cookie.setdefault("secure", True)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# Partner sign-in users for the SMP dashboard (streamlit-authenticator format).\n"
                 "# Passwords are bcrypt hashes. Keep this file outside the repository.\n")
        yaml.safe_dump(data, fh, sort_keys=True)
    os.replace(tmp, path)
    return created


def inside_repository(path: Path) -> bool:
    """True if ``path`` is inside this repository (where a secrets file must not be committed)."""
    try:
        Path(path).expanduser().resolve().relative_to(REPO_ROOT)
        return True
    except ValueError:
        return False

"""Partner sign-in: who is signed in, the sign-in form, sign-out, and the refusal partner pages show.

Sign-in uses the maintained library ``streamlit-authenticator`` with credentials stored as bcrypt
hashes in a YAML file OUTSIDE the repository (setting ``auth_config``, env ``SMP_AUTH_CONFIG``;
see :mod:`smp_data.auth_config`). The app never writes that file: the credentials are handed to
the library as a fresh dict each run.

A session is a *partner session* only when the library's ``authentication_status`` is exactly
``True``, the library's ``username`` is a user in the current config, and this module's own marker
(set only after the library's login succeeded) names the same user. Nothing from the URL is read
here: query parameters cannot sign anyone in. :func:`dashboard.data.query` calls
:func:`current_partner` before it runs any ``restricted.*`` query.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard.safe_text import md_escape
from smp_data import settings
from smp_data.auth_config import AuthConfig, AuthConfigError, load_auth_config

__all__ = ["Partner", "ROUTER_RAN", "SESSION_MARKER", "current_partner", "is_partner", "config_status",
           "make_authenticator", "sign_in_form", "keep_cookie", "sign_out", "ensure_router", "refuse_unless_partner",
           "mode_caption"]

_LOG = logging.getLogger(__name__)
SESSION_MARKER = "smp_partner_user"
ROUTER_RAN = "smp_router_ran"  # set by app.py after st.navigation in every run
_COOKIE_DELETE_PENDING = "smp_partner_cookie_delete"
_COOKIE_SET_PENDING = "smp_partner_cookie_set"
_LIBRARY_KEYS = ("name", "username", "authentication_status", "email", "roles")
# used instead of the configured cookie key when the re-sign-in cookie is off: no cookie can verify
_NO_COOKIE_KEY = secrets.token_urlsafe(48)


@dataclass(frozen=True)
class Partner:
    username: str
    name: str
    email: str


def config_path() -> Path:
    return settings.auth_config_path()


@st.cache_resource(show_spinner=False, max_entries=8)
def _load(path: str, mtime_ns: int) -> AuthConfig:
    return load_auth_config(Path(path))


def config_status() -> tuple[AuthConfig | None, str]:
    """(config, "") when partner sign-in is configured, else (None, why not, without server paths).

    The detailed reason (with the path) goes to the server log only.
    """
    path = config_path()
    try:
        if not path.is_file():
            return None, "no sign-in config file was found at the configured path"
        return _load(str(path), path.stat().st_mtime_ns), ""
    except (AuthConfigError, OSError) as exc:
        _LOG.warning("partner sign-in config not usable: %s", exc)
        return None, "the sign-in config file could not be used (the server log says why)"


def current_partner() -> Partner | None:
    """The signed-in partner of this session, or None (public mode). Never raises."""
    try:
        ss = st.session_state
        status, username, marker = ss.get("authentication_status"), ss.get("username"), ss.get(SESSION_MARKER)
    except Exception:  # noqa: BLE001  (no Streamlit session, e.g. a plain script: public mode)
        return None
    if status is not True or not isinstance(username, str) or marker != username:
        return None
    cfg, _ = config_status()
    if cfg is None or username not in cfg.users:
        return None
    user = cfg.users[username]
    return Partner(username, user["name"], user["email"])


def is_partner() -> bool:
    return current_partner() is not None


def make_authenticator(cfg: AuthConfig):
    """The library's authenticator for this run (construct at most once per run: it draws a cookie reader)."""
    import streamlit_authenticator as stauth  # noqa: PLC0415  (only the sign-in page needs it)

    key = cfg.cookie_key if cfg.cookie_enabled else _NO_COOKIE_KEY
    return stauth.Authenticate(cfg.credentials(), cfg.cookie_name, key, cfg.cookie_expiry_days, auto_hash=False)


def sign_in_form(cfg: AuthConfig) -> Partner | None:
    """Draw the library's login form (or finish a cookie sign-in); rerun once signed in."""
    from streamlit_authenticator.utilities import LoginError  # noqa: PLC0415

    authenticator = make_authenticator(cfg)
    ss = st.session_state
    if ss.pop(_COOKIE_DELETE_PENDING, False) and cfg.cookie_enabled:
        authenticator.cookie_controller.delete_cookie()
    try:
        authenticator.login(location="main", key="partner_login", fields={
            "Form name": "Sign in with your partner account", "Username": "Username", "Password": "Password",
            "Login": "Sign in"})
    except LoginError as exc:
        st.error(f"Sign-in refused: {exc}")
        return None
    status, username = ss.get("authentication_status"), ss.get("username")
    if status is True and isinstance(username, str) and username in cfg.users:
        ss[SESSION_MARKER] = username
        ss[_COOKIE_SET_PENDING] = cfg.cookie_enabled  # set the cookie again in a run that is not cut short
        st.rerun()  # redraw the navigation with the partner pages
    if status is False:
        st.error("The username or password is not correct.")
    return None


def keep_cookie(cfg: AuthConfig) -> None:
    """After a sign-in rerun, write the re-sign-in cookie (when the config enables it)."""
    if st.session_state.pop(_COOKIE_SET_PENDING, False) and cfg.cookie_enabled:
        make_authenticator(cfg).cookie_controller.set_cookie()


def sign_out() -> None:
    """Button callback: the library's logout logic (clears its session keys), then this module's marker.

    It runs before the next script run, so that run's navigation no longer lists the partner pages.
    The re-sign-in cookie, if any, is deleted by the sign-in page in that run.
    """
    from streamlit_authenticator.controllers import AuthenticationController  # noqa: PLC0415

    cfg, _ = config_status()
    if cfg is not None:
        AuthenticationController(cfg.credentials(), None, False, None, None, _NO_COOKIE_KEY, None).logout()
        st.session_state[_COOKIE_DELETE_PENDING] = cfg.cookie_enabled
    ss = st.session_state
    ss["logout"] = True
    for key in _LIBRARY_KEYS:
        ss[key] = None
    ss.pop(SESSION_MARKER, None)


def ensure_router(depth: int = 1) -> None:
    """Partner pages call this first: hand over to the router when this page runs without it.

    A deep link on a freshly started server runs a ``pages/`` file on its own (Streamlit's
    pages-folder mode, until ``st.navigation`` has run once). Without the router's marker this
    remembers the page and switches to ``app.py``, which comes straight back to it
    (:func:`dashboard.state.resume_deep_link`). URL parameters are dropped: partner pages take none.
    """
    if st.session_state.get(ROUTER_RAN):
        return
    import sys  # noqa: PLC0415

    st.session_state["_resume_page"] = sys._getframe(depth).f_globals.get("__file__", "")
    st.session_state["_resume_params"] = {}
    st.switch_page("app.py")


def refuse_unless_partner() -> Partner | None:
    """For partner pages: the signed-in partner, or None after showing a clear refusal.

    A page shows nothing else when this returns None. (No ``st.stop()``: the router still
    finishes the run and writes the attribution.)
    """
    ensure_router(depth=2)
    partner = current_partner()
    if partner is None:
        st.error("This page is for signed-in partners only. Partner data, including restricted figures, is "
                 "never shown without signing in.", icon=":material/lock:")
        st.page_link("pages/partner_sign_in.py", label="Go to partner sign-in", icon=":material/login:")
    return partner


def mode_caption() -> None:
    """One sidebar line: public mode, or who is signed in."""
    partner = current_partner()
    with st.sidebar:
        if partner is None:
            st.caption("Public mode: police.uk data and published partner figures.")
        else:
            st.caption(f"Partner mode: signed in as **{md_escape(partner.name)}** ({md_escape(partner.username)}). "
                       "Restricted partner figures are visible to you.")

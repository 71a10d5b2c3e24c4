"""Partner sign-in: who is signed in, the sign-in form, sign-out, and the refusal partner pages show.

Sign-in uses the maintained library ``streamlit-authenticator`` with credentials stored as bcrypt
hashes in a YAML file OUTSIDE the repository (setting ``auth_config``, env ``SMP_AUTH_CONFIG``;
see :mod:`smp_data.auth_config`). The app never writes that file: the credentials are handed to
the library as a fresh dict each run.

A session is a *partner session* only when the library's ``authentication_status`` is exactly
``True``, the library's ``username`` is a user in the current config, this module's own marker
(set only after the library's login succeeded) names the same user, and the session's sign-in
(:class:`smp_data.sign_ins.SignIn`) is neither revoked nor expired. Nothing from the URL is read
here: query parameters cannot sign anyone in. :func:`dashboard.data.query` calls
:func:`current_partner` before it runs any ``restricted.*`` query.

The re-sign-in cookie. The library (streamlit-authenticator 0.4.2) writes its cookie from
JavaScript (the ``extra_streamlit_components`` CookieManager component calls ``document.cookie``)
and reads it back from the websocket request (``st.context.cookies``); its token is a JWT of
``username`` and ``exp_date`` that nothing on the server can revoke, and its ``set_cookie`` passes
no ``secure`` flag. This module keeps the library's form and password check but puts its own cookie
handling in the library's place (:class:`_RevocableCookie`): the token carries a sign-in id checked
against the server's revocation list on every use (signing out revokes it for every copy), its
lifetime is absolute, and the cookie is set ``Secure`` (config ``cookie.secure``, default true) and
``SameSite=Strict``. It cannot be ``HttpOnly``: a cookie written by ``document.cookie`` never can be,
and Streamlit gives a page no way to send a ``Set-Cookie`` header; a proxy cannot add the flag
either, as the cookie never passes through it in a response. What limits a stolen cookie instead:
it is refused after sign-out, it expires (8 hours by default), and the project's rule that text
from data, URLs or uploads is never rendered as HTML.

Sign-ins (password or cookie), failed sign-ins, refused cookies, sign-outs and ended sessions
go to the audit log (:mod:`smp_data.audit`), never with a password or a token.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard.safe_text import md_escape
from smp_data import audit, settings, sign_ins
from smp_data.auth_config import AuthConfig, AuthConfigError, load_auth_config
from smp_data.sign_ins import SignIn

__all__ = ["Partner", "ROUTER_RAN", "SESSION_MARKER", "SIGN_IN_KEY", "current_partner", "is_partner",
           "config_status", "make_authenticator", "sign_in_form", "keep_cookie", "sign_out", "ensure_router",
           "refuse_unless_partner", "mode_caption", "client_info"]

_LOG = logging.getLogger(__name__)
SESSION_MARKER = "smp_partner_user"
ROUTER_RAN = "smp_router_ran"  # set by app.py after st.navigation in every run
_COOKIE_DELETE_PENDING = "smp_partner_cookie_delete"
_COOKIE_SET_PENDING = "smp_partner_cookie_set"
SIGN_IN_KEY = "smp_partner_sign_in"  # this session's SignIn: its id is what signing out revokes
_COOKIE_SIGN_IN = "smp_partner_cookie_sign_in"  # a verified cookie's SignIn, in the run it signs in with
_COOKIE_REFUSED = "smp_partner_cookie_refused"  # a refused cookie is logged once per session
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
    sign_in = ss.get(SIGN_IN_KEY)
    if not isinstance(sign_in, SignIn) or sign_in.username != username:
        return None
    why = _sign_in_ended(sign_in)
    if why:
        _end_session(sign_in, why)
        return None
    user = cfg.users[username]
    return Partner(username, user["name"], user["email"])


def _sign_in_ended(sign_in: SignIn) -> str:
    """Why this session's sign-in no longer holds ("" while it does). Checked on every run."""
    try:
        if sign_ins.is_revoked(sign_in):
            return "revoked (signed out in another session, or the password was replaced)"
    except OSError as exc:  # an unreadable revocation list: fail closed
        _LOG.error("sign-in revocation list not readable: %s", exc)
        return "the revocation list could not be read"
    if sign_in.expires_at > sign_in.issued_at and time.time() >= sign_in.expires_at:
        return "expired"
    return ""


def _end_session(sign_in: SignIn, why: str) -> None:
    ss = st.session_state
    for key in _LIBRARY_KEYS:
        ss[key] = None
    ss["logout"] = True  # the library must not sign this session back in from a cookie
    ss.pop(SESSION_MARKER, None)
    ss.pop(SIGN_IN_KEY, None)
    audit.record("session_ended", sign_in.username, reason=why, sign_in_id=sign_in.sign_in_id, **client_info())


def client_info() -> dict:
    """Where a request came from, for the audit log: the socket's address and the proxy's headers."""
    def text(value, limit: int = 200):
        return value[:limit] if isinstance(value, str) and value else None

    try:
        headers = st.context.headers
        return {"ip": text(st.context.ip_address), "forwarded_for": text(headers.get("X-Forwarded-For")),
                "user_agent": text(headers.get("User-Agent"))}
    except Exception:  # noqa: BLE001  (no request context, e.g. AppTest)
        return {"ip": None, "forwarded_for": None, "user_agent": None}


def is_partner() -> bool:
    return current_partner() is not None


class _RevocableCookie:
    """Takes the place of the library's ``CookieModel`` (same three methods its controller calls).

    The library's model is kept for its ``CookieManager`` component (which writes and deletes
    the cookie in the browser); tokens are made and checked by :mod:`smp_data.sign_ins`.
    """

    def __init__(self, model, cfg: AuthConfig):
        self._model = model
        self._cfg = cfg

    def get_cookie(self):
        ss = st.session_state
        if ss.get("logout") or not self._cfg.cookie_enabled:
            return False
        try:
            raw = st.context.cookies.get(self._cfg.cookie_name)
        except Exception:  # noqa: BLE001  (no request context)
            raw = None
        if not isinstance(raw, str) or not raw:
            return None
        sign_in, why = sign_ins.decode(raw, self._cfg.cookie_key)
        if sign_in is None:
            if not ss.get(_COOKIE_REFUSED):
                ss[_COOKIE_REFUSED] = True
                ss[_COOKIE_DELETE_PENDING] = True  # removed from the browser in the next run
                audit.record("sign_in_refused", None, method="cookie", reason=why, **client_info())
            return None
        ss[_COOKIE_SIGN_IN] = sign_in
        return {"username": sign_in.username, "exp_date": sign_in.expires_at}

    def set_cookie(self) -> None:
        sign_in = st.session_state.get(SIGN_IN_KEY)
        if not self._cfg.cookie_enabled or not isinstance(sign_in, SignIn) or sign_in.remaining_seconds <= 0:
            return
        self._model.cookie_manager.set(
            self._cfg.cookie_name, sign_ins.encode(sign_in, self._cfg.cookie_key),
            expires_at=dt.datetime.fromtimestamp(sign_in.expires_at), secure=self._cfg.cookie_secure,
            same_site="strict")

    def delete_cookie(self) -> None:
        self._model.delete_cookie()


def make_authenticator(cfg: AuthConfig):
    """The library's authenticator for this run (construct at most once per run: it draws a cookie reader),
    with this module's revocable cookie in place of the library's."""
    import streamlit_authenticator as stauth  # noqa: PLC0415  (only the sign-in page needs it)

    key = cfg.cookie_key if cfg.cookie_enabled else _NO_COOKIE_KEY
    authenticator = stauth.Authenticate(cfg.credentials(), cfg.cookie_name, key, cfg.cookie_expiry_days,
                                        auto_hash=False)
    controller = authenticator.cookie_controller
    controller.cookie_model = _RevocableCookie(controller.cookie_model, cfg)
    return authenticator


def _observe_attempts(authenticator) -> list[tuple[str, bool | None]]:
    """Record the (username, result) of each password check the library makes in this run."""
    attempts: list[tuple[str, bool | None]] = []
    controller = authenticator.authentication_controller
    check = controller.login

    def observed(username=None, password=None, *args, **kwargs):
        result = check(username, password, *args, **kwargs)
        if username:
            attempts.append((str(username).lower().strip(), result))
        return result

    controller.login = observed
    return attempts


def sign_in_form(cfg: AuthConfig) -> Partner | None:
    """Draw the library's login form (or finish a cookie sign-in); rerun once signed in."""
    from streamlit_authenticator.utilities import LoginError  # noqa: PLC0415

    authenticator = make_authenticator(cfg)
    attempts = _observe_attempts(authenticator)
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
    for name, ok in attempts:
        if ok is not True:  # the typed text is logged only when it is a known username
            audit.record("sign_in_failed", name if name in cfg.users else None, method="password",
                         reason="wrong password" if name in cfg.users else "unknown username", **client_info())
    status, username = ss.get("authentication_status"), ss.get("username")
    if status is True and isinstance(username, str) and username in cfg.users:
        # the cookie's sign-in, if the library signed in with it (maybe in an earlier, interrupted run)
        by_cookie = ss.pop(_COOKIE_SIGN_IN, None)
        if any(ok is True for _, ok in attempts) or not isinstance(by_cookie, SignIn) \
                or by_cookie.username != username:
            sign_in, method = sign_ins.new_sign_in(username, cfg.cookie_lifetime_seconds), "password"
        else:
            sign_in, method = by_cookie, "cookie"
        ss[SIGN_IN_KEY] = sign_in
        ss[SESSION_MARKER] = username
        ss[_COOKIE_SET_PENDING] = cfg.cookie_enabled  # set the cookie again in a run that is not cut short
        audit.record("sign_in", username, method=method, sign_in_id=sign_in.sign_in_id,
                     expires=dt.datetime.fromtimestamp(sign_in.expires_at, dt.timezone.utc).strftime(
                         "%Y-%m-%dT%H:%M:%SZ") if cfg.cookie_enabled else None, **client_info())
        st.rerun()  # redraw the navigation with the partner pages
    if status is False:
        st.error("The username or password is not correct.")
    return None


def keep_cookie(cfg: AuthConfig) -> None:
    """After a sign-in rerun, write the re-sign-in cookie (when the config enables it)."""
    if st.session_state.pop(_COOKIE_SET_PENDING, False) and cfg.cookie_enabled:
        make_authenticator(cfg).cookie_controller.set_cookie()


def sign_out() -> None:
    """Button callback: revoke this sign-in on the server (every copy of its cookie, every session that
    used it), then the library's logout logic (clears its session keys) and this module's marker.

    It runs before the next script run, so that run's navigation no longer lists the partner pages.
    The re-sign-in cookie, if any, is deleted by the sign-in page in that run.
    """
    from streamlit_authenticator.controllers import AuthenticationController  # noqa: PLC0415

    st.session_state.pop(_COOKIE_SIGN_IN, None)
    sign_in = st.session_state.pop(SIGN_IN_KEY, None)
    if isinstance(sign_in, SignIn):
        try:
            sign_ins.revoke(sign_in)
        except OSError as exc:
            _LOG.error("could not record the sign-out of %s in the revocation list: %s", sign_in.username, exc)
            st.session_state["smp_partner_revoke_failed"] = True
        audit.record("sign_out", sign_in.username, sign_in_id=sign_in.sign_in_id, **client_info())
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

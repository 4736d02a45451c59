"""Who may see the dashboard: a signed session cookie, or the control API's bearer token.

The session cookie holds no state of ours: ``<issued>.<HMAC(admin token, issued)>``,
so any worker of a multi-process server accepts it, and changing the admin token
ends every session. It is HttpOnly (no script reads it) and SameSite=Strict (no other
site's page sends it). A state-changing form carries a CSRF token derived from the
session (``HMAC(admin token, "csrf:" + session)``), so a request that rides on the
cookie alone is refused. A bearer caller sends no cookie a browser could replay and
needs no CSRF token (README, the dashboard). Every comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from litestar.connection import ASGIConnection

COOKIE = "zoomlive_session"
#: A session lasts a working day; then the login form again.
SESSION_SECONDS = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """No valid session and no admin bearer token."""


class CsrfRefused(Exception):
    """A cookie-authenticated state change without the form's CSRF token."""


def _mac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def new_session(admin_token: str, now: float | None = None) -> str:
    issued = str(int(time.time() if now is None else now))
    return f"{issued}.{_mac(admin_token, 'session:' + issued)}"


def session_valid(admin_token: str, value: str, now: float | None = None) -> bool:
    issued, _, mac = value.partition(".")
    if not issued.isdigit() or not mac:
        return False
    expected = _mac(admin_token, "session:" + issued)
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return False
    age = (time.time() if now is None else now) - int(issued)
    return -60 <= age <= SESSION_SECONDS


def csrf_token(admin_token: str, session: str) -> str:
    return _mac(admin_token, "csrf:" + session)


def token_matches(admin_token: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), admin_token.encode())


def bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def viewer(connection: ASGIConnection[Any, Any, Any, Any], admin_token: str) -> str | None:
    """``"bearer"``, the session cookie's value, or ``None`` (not logged in)."""
    if token_matches(admin_token, bearer(connection)):
        return "bearer"
    value = connection.cookies.get(COOKIE, "")
    if value and session_valid(admin_token, value):
        return value
    return None


def check_csrf(admin_token: str, who: str, given: str) -> None:
    """Raise ``CsrfRefused`` unless the caller is a bearer or ``given`` is this
    session's token."""
    if who == "bearer":
        return
    if not given or not hmac.compare_digest(given.encode(), csrf_token(admin_token, who).encode()):
        raise CsrfRefused

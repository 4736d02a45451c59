"""Who may see the dashboard: a signed session cookie, or the control API's bearer token.

The session cookie is ``<issued>.<id>.<HMAC(admin token, issued.id)>``: any worker of
a multi-process server checks it without asking anyone, and changing the admin token
ends every session. Logging out records the session's random id in the database
(``revoked_key``), where every worker looks before it serves a page, so a copy of
the cookie is dead from then on rather than until it expires. It is HttpOnly (no
script reads it) and SameSite=Strict (no other site's page sends it). A
state-changing form carries a CSRF token derived from the session
(``HMAC(admin token, "csrf:" + session)``), so a request that rides on the cookie
alone is refused. A bearer caller sends no cookie a browser could replay and
needs no CSRF token (README, the dashboard). Every comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
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


#: ``<issued>.<id>.<mac>``, each part bounded before anything reads it as a number.
_SESSION = re.compile(r"([0-9]{1,12})\.([0-9a-f]{32})\.([0-9a-f]{64})")


def new_session(admin_token: str, now: float | None = None) -> str:
    issued = str(int(time.time() if now is None else now))
    body = f"{issued}.{secrets.token_hex(16)}"
    return f"{body}.{_mac(admin_token, 'session:' + body)}"


def session_valid(admin_token: str, value: str, now: float | None = None) -> bool:
    """The cookie is one this server signed and has not expired (whether it was
    revoked is the database's to say: ``revoked_key``)."""
    found = _SESSION.fullmatch(value)
    if found is None:
        return False
    issued, sid, mac = found.groups()
    expected = _mac(admin_token, f"session:{issued}.{sid}")
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return False
    age = (time.time() if now is None else now) - int(issued)
    return -60 <= age <= SESSION_SECONDS


def revoked_key(value: str) -> str:
    """The database's ``zl_meta`` key marking a valid session ``value`` logged out:
    its id, never the MAC (a stored key lets no one make a cookie)."""
    return f"ui_logout:{value.split('.')[1]}"


def session_expires(value: str) -> float:
    return int(value.split(".")[0]) + SESSION_SECONDS


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

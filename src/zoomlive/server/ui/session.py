"""Who may see the dashboard: a signed session cookie, or the control API's bearer token.

The session cookie is a random session id signed with the admin token and stamped
with its issue time (``itsdangerous``'s timed serializer, HMAC-SHA256, salted for
sessions): any worker of a multi-process server checks it without asking anyone, and
changing the admin token ends every session. Logging out records the session's id
in the database (``revoked_key``), where every worker looks before it serves a page,
so a copy of the cookie is dead from then on rather than until it expires. It is
HttpOnly (no script reads it) and SameSite=Strict (no other site's page sends it). A
state-changing form carries a CSRF token: the session's id signed under a salt of its
own, so a request that rides on the cookie alone is refused and neither token can
stand for the other. A bearer caller sends no cookie a browser could replay and needs
no CSRF token (docs, the dashboard). Every comparison is constant-time (the
library's, and ``hmac.compare_digest`` for the bearer token).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer
from litestar.connection import ASGIConnection

COOKIE = "zoomlive_session"
#: A session lasts a working day; then the login form again.
SESSION_SECONDS = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: Longer than any cookie or CSRF token made here: a longer one is refused unread.
MAX_TOKEN_CHARS = 256
_SID = re.compile(r"[0-9a-f]{32}")
_SHA256 = {"digest_method": hashlib.sha256}


class LoginRequired(Exception):
    """No valid session and no admin bearer token."""


class CsrfRefused(Exception):
    """A cookie-authenticated state change without the form's CSRF token."""


def _sessions(admin_token: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(admin_token, salt="zoomlive.ui-session", signer_kwargs=_SHA256)


def _csrf(admin_token: str) -> URLSafeSerializer:
    return URLSafeSerializer(admin_token, salt="zoomlive.ui-csrf", signer_kwargs=_SHA256)


def _text(token: str | bytes) -> str:
    return token if isinstance(token, str) else token.decode()


def new_session(admin_token: str) -> str:
    return _text(_sessions(admin_token).dumps(secrets.token_hex(16)))


def _opened(admin_token: str, value: str) -> tuple[str, float] | None:
    """The session's id and issue time, if ``value`` is a cookie this server signed
    that has not expired."""
    if not value or len(value) > MAX_TOKEN_CHARS:
        return None
    try:
        sid, issued = _sessions(admin_token).loads(
            value, max_age=SESSION_SECONDS, return_timestamp=True
        )
    except BadData:
        return None
    if not isinstance(sid, str) or _SID.fullmatch(sid) is None:
        return None
    return sid, issued.timestamp()


def session_valid(admin_token: str, value: str) -> bool:
    """The cookie is one this server signed and has not expired (whether it was
    revoked is the database's to say: ``revoked_key``)."""
    return _opened(admin_token, value) is not None


def revoked_key(admin_token: str, value: str) -> str:
    """The database's ``zl_meta`` key marking a valid session ``value`` logged out:
    its id, never the signature (a stored key lets no one make a cookie)."""
    opened = _opened(admin_token, value)
    return f"ui_logout:{opened[0] if opened else ''}"


def session_expires(admin_token: str, value: str) -> float:
    opened = _opened(admin_token, value)
    return (opened[1] if opened else 0.0) + SESSION_SECONDS


def csrf_token(admin_token: str, session: str) -> str:
    opened = _opened(admin_token, session)
    return _text(_csrf(admin_token).dumps(opened[0])) if opened else ""


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
    opened = _opened(admin_token, who)
    if opened is None or not given or len(given) > MAX_TOKEN_CHARS:
        raise CsrfRefused
    try:
        sid = _csrf(admin_token).loads(given)
    except BadData:
        raise CsrfRefused from None
    if not isinstance(sid, str) or not hmac.compare_digest(sid, opened[0]):
        raise CsrfRefused

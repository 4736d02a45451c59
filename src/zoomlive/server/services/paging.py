"""Zoom's list paging: ``page_size`` and the opaque ``next_page_token``.

Zoom documents ``page_size`` (default 30, at most 300) and a ``next_page_token``
that is empty on the last page and expires after 15 minutes. zoomlive's token is
keyset paging: it carries the last id returned, so a list read page by page
returns each record exactly once even while records are created (a new record with
a higher id shows up later; one with a lower id, never in this walk). The token is
bound to the list it came from (``scope``) and signed, so it cannot be forged or
reused for another list; an expired, foreign or garbled token is Zoom's 400/300.

Shared by every paged list (the Zoom API's and, where wanted, the control API's).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import NamedTuple

from zoomlive.server.problems import ZoomProblem
from zoomlive.wire import errors as E
from zoomlive.wire.models import FieldError

#: Zoom: "The next page token … expires in 15 minutes."
TOKEN_TTL_SECONDS = 15 * 60
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 300


class Page(NamedTuple):
    size: int
    after: int  # the last key of the previous page (0: from the start)


class TokenCodec:
    """Encodes and checks page tokens. The key is the database's (``Runtime.start``
    keeps it in the meta table), so processes sharing a database accept each other's
    tokens; without one given, a key of this process alone."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:12]

    def encode(self, scope: str, after: int, now: float) -> str:
        body = f"{after}:{int(now)}".encode()
        raw = body + b"." + self._mac(scope.encode() + b"|" + body)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, scope: str, token: str, now: float) -> int | None:
        """The key the token resumes after, or None if it is not a valid, fresh token
        for ``scope``."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            return None
        body, dot, mac = raw.partition(b".")
        if not dot or not hmac.compare_digest(mac, self._mac(scope.encode() + b"|" + body)):
            return None
        after, _, issued = body.decode("ascii", "replace").partition(":")
        if not (after.isdigit() and issued.isdigit()):
            return None
        if now - int(issued) > TOKEN_TTL_SECONDS:
            return None
        return int(after)


def _invalid(name: str) -> ZoomProblem:
    return ZoomProblem.of(
        E.VALIDATION_FAILED, errors=[FieldError(name, f"Invalid parameter: {name}.")]
    )


def parse_page(codec: TokenCodec, scope: str, query: Mapping[str, str], now: float) -> Page:
    """``page_size`` and ``next_page_token`` from a query string. A ``page_size``
    above 300 is Zoom's 300 (Zoom caps it rather than refusing it)."""
    raw_size = query.get("page_size")
    size = DEFAULT_PAGE_SIZE
    if raw_size:
        if not raw_size.isascii() or not raw_size.isdigit() or int(raw_size) < 1:
            raise _invalid("page_size")
        size = min(int(raw_size), MAX_PAGE_SIZE)
    token = query.get("next_page_token") or ""
    after = 0
    if token:
        found = codec.decode(scope, token, now)
        if found is None:
            raise _invalid("next_page_token")
        after = found
    return Page(size, after)

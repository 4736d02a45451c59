"""Zoom's list paging: ``page_size`` and the opaque ``next_page_token``.

Zoom documents ``page_size`` (default 30, at most 300) and a ``next_page_token``
that is empty on the last page and expires after 15 minutes. zoomlive's token is
keyset paging: it carries the last key returned, so a list read page by page
returns each record exactly once even while records are created (a new record with
a higher key shows up later; one with a lower key, never in this walk). The token is
bound to the list it came from (``scope``) and signed, so it cannot be forged or
reused for another list; an expired, foreign or garbled token is Zoom's 400/300.

The one codec of every paged list: the Zoom API's meeting lists (``parse_page``)
and the control API's lists (``keyset_page``: meetings, accounts, users, apps, the
journal and webhook events), which answer ``{page_size, next_page_token,
total_records, <items>}`` as Zoom's list APIs do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from zoomlive.server.problems import ZoomProblem
from zoomlive.wire import errors as E
from zoomlive.wire.ids import parse_uint
from zoomlive.wire.models import FieldError

#: Zoom: "The next page token … expires in 15 minutes."
TOKEN_TTL_SECONDS = 15 * 60
DEFAULT_PAGE_SIZE = 30
MAC_BYTES = 12
MAX_PAGE_SIZE = 300

T = TypeVar("T")
K = TypeVar("K", int, str)


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
        return hmac.new(self._key, body, hashlib.sha256).digest()[:MAC_BYTES]

    def encode(self, scope: str, after: int | str, now: float) -> str:
        """A token resuming after the key ``after`` (a number or an id)."""
        body = f"{after}:{int(now)}".encode()
        raw = body + b"." + self._mac(scope.encode() + b"|" + body)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode_key(self, scope: str, token: str, now: float) -> str | None:
        """The key the token resumes after, as text, or None if it is not a valid,
        fresh token for ``scope``."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            return None
        # body "." mac, the MAC's length fixed (a key may hold dots, and so may a MAC)
        body, dot, mac = raw[: -MAC_BYTES - 1], raw[-MAC_BYTES - 1 : -MAC_BYTES], raw[-MAC_BYTES:]
        if dot != b"." or not hmac.compare_digest(mac, self._mac(scope.encode() + b"|" + body)):
            return None
        try:
            after, colon, issued = body.decode().rpartition(":")
        except UnicodeDecodeError:  # pragma: no cover - the MAC held: we wrote it
            return None
        issued_at = parse_uint(issued) if colon else None
        if issued_at is None or now - issued_at > TOKEN_TTL_SECONDS:
            return None
        return after

    def decode(self, scope: str, token: str, now: float) -> int | None:
        """The numeric key the token resumes after, or None (see ``decode_key``)."""
        after = self.decode_key(scope, token, now)
        return None if after is None else parse_uint(after)


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
        # Above 300 is capped, not refused; a number past int64 is no page size.
        found = parse_uint(raw_size, 1)
        if found is None:
            raise _invalid("page_size")
        size = min(found, MAX_PAGE_SIZE)
    token = query.get("next_page_token") or ""
    after = 0
    if token:
        found = codec.decode(scope, token, now)
        if found is None:
            raise _invalid("next_page_token")
        after = found
    return Page(size, after)


async def keyset_page(
    codec: TokenCodec,
    scope: str,
    now: float,
    name: str,
    fetch: Callable[[K | None, int], Awaitable[Sequence[T]]],
    count: Callable[[], Awaitable[int]],
    key_of: Callable[[T], K],
    key_type: type[K],
    page_size: int,
    token: str | None,
) -> dict[str, Any]:
    """One page of a list as Zoom's list APIs answer it: ``{page_size,
    next_page_token, total_records, <name>: [...]}``. ``fetch(after, limit)`` returns
    up to ``limit`` items after the key ``after`` (None: from the start) in key order;
    one more than the page is asked for, to know whether another page follows.
    ``page_size`` was bounded by the caller (the control API refuses one out of
    1..300, naming it, as its other parameters are refused)."""
    after: K | None = None
    if token:
        raw = codec.decode_key(scope, token, now)
        key = raw if raw is None or key_type is str else parse_uint(raw)
        if key is None:
            raise _invalid("next_page_token")
        after = key_type(key)
    rows = list(await fetch(after, page_size + 1))
    more = len(rows) > page_size
    rows = rows[:page_size]
    return {
        "page_size": page_size,
        "next_page_token": codec.encode(scope, key_of(rows[-1]), now) if more else "",
        "total_records": await count(),
        name: rows,
    }

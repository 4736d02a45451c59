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

import hashlib
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from itsdangerous import BadData, URLSafeSerializer

from zoomlive.server.problems import ZoomProblem
from zoomlive.wire import errors as E
from zoomlive.wire.ids import parse_uint
from zoomlive.wire.models import FieldError

#: Zoom: "The next page token … expires in 15 minutes."
TOKEN_TTL_SECONDS = 15 * 60
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 300
#: Longer than any token this codec makes (a key of at most a few hundred characters):
#: a longer one is refused before it is decoded.
MAX_TOKEN_CHARS = 1024
#: The salt of every page token; the list it pages is added to it (``scope``), so a
#: token of one list is a bad signature on another.
SALT = "zoomlive.page-token"

T = TypeVar("T")
K = TypeVar("K", int, str)


class Page(NamedTuple):
    size: int
    after: int  # the last key of the previous page (0: from the start)
    #: Zoom's ``page_number``: 1 for the first page, one more for each token followed.
    number: int = 1


class Resume(NamedTuple):
    """What a valid token says: the key to resume after, and the page it opens."""

    after: str
    number: int


class TokenCodec:
    """Signs and checks page tokens with ``itsdangerous`` (HMAC-SHA256, salted per
    list). The key is the database's (``Runtime.start`` keeps it in the meta table),
    so processes sharing a database accept each other's tokens; without one given, a
    key of this process alone. Expiry is on the server clock (``now``), which a test
    may move, so the token carries its issue time in its signed body."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _serializer(self, scope: str) -> URLSafeSerializer:
        return URLSafeSerializer(
            self._key, salt=f"{SALT}|{scope}", signer_kwargs={"digest_method": hashlib.sha256}
        )

    def encode(self, scope: str, after: int | str, now: float, number: int = 2) -> str:
        """A token resuming after the key ``after`` (a number or an id), opening page
        ``number``."""
        token = self._serializer(scope).dumps([str(after), int(now), number])
        return token if isinstance(token, str) else token.decode()

    def resume(self, scope: str, token: str, now: float) -> Resume | None:
        """What the token says, or None if it is not a valid, fresh token for
        ``scope`` (forged, of another list, garbled, expired or too long)."""
        if len(token) > MAX_TOKEN_CHARS:
            return None
        try:
            body = self._serializer(scope).loads(token)
        except BadData:
            return None
        match body:
            case [str(after), int(issued), int(number)] if number >= 2:
                if now - issued <= TOKEN_TTL_SECONDS:
                    return Resume(after, number)
        return None

    def decode_key(self, scope: str, token: str, now: float) -> str | None:
        """The key the token resumes after, as text, or None (see ``resume``)."""
        found = self.resume(scope, token, now)
        return None if found is None else found.after


def _invalid(name: str) -> ZoomProblem:
    return ZoomProblem.of(
        E.VALIDATION_FAILED, errors=[FieldError(name, f"Invalid parameter: {name}.")]
    )


def parse_size(query: Mapping[str, str]) -> int:
    """``page_size`` from a query string: 30 when absent; above 300 is Zoom's 300 (Zoom
    caps it rather than refusing it); anything else not a positive number, 400/300."""
    raw_size = query.get("page_size")
    if not raw_size:
        return DEFAULT_PAGE_SIZE
    # A number past int64 is no page size.
    found = parse_uint(raw_size, 1)
    if found is None:
        raise _invalid("page_size")
    return min(found, MAX_PAGE_SIZE)


def parse_resume(codec: TokenCodec, scope: str, query: Mapping[str, str], now: float) -> Resume:
    """Where ``next_page_token`` resumes (from the start, page 1, without one)."""
    token = query.get("next_page_token") or ""
    if not token:
        return Resume("", 1)
    resume = codec.resume(scope, token, now)
    if resume is None:
        raise _invalid("next_page_token")
    return resume


def parse_page(codec: TokenCodec, scope: str, query: Mapping[str, str], now: float) -> Page:
    """``page_size`` and ``next_page_token`` of a list keyed by number."""
    size = parse_size(query)
    resume = parse_resume(codec, scope, query, now)
    after = parse_uint(resume.after) if resume.after else 0
    if after is None:
        raise _invalid("next_page_token")
    return Page(size, after, resume.number)


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

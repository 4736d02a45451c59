"""Server-to-server OAuth: the token endpoint and bearer-token checks (Decision 7)."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from zoomlive.server.clock import Clock
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.storage.hotreads import RequestRows
from zoomlive.server.storage.records import Token
from zoomlive.server.storage.store import Store
from zoomlive.wire import errors as E
from zoomlive.wire.models import TokenResponse


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the app's account, client id and scopes."""

    account_id: str
    client_id: str
    scopes: frozenset[str]
    #: The rows read with the token, for a request naming a meeting (one statement).
    rows: RequestRows | None = field(default=None, compare=False, repr=False)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    def __init__(self, store: Store, clock: Clock, token_ttl: int) -> None:
        self._store = store
        self._clock = clock
        self._ttl = token_ttl
        self.token_requests = 0

    async def issue_token(
        self,
        authorization: str | None,
        grant_type: str | None,
        account_id: str | None,
        api_url: str,
    ) -> tuple[TokenResponse, str]:
        """``POST /oauth/token`` with ``grant_type=account_credentials``; the token
        and the client id it was issued to."""
        self.token_requests += 1
        client_id, client_secret = _basic_credentials(authorization)
        app = await self._store.get_app(client_id)
        # Compare the secret even when the app is unknown, so timing says nothing.
        expected = app.client_secret if app is not None else secrets.token_hex(16)
        if not hmac.compare_digest(expected.encode(), client_secret.encode()) or app is None:
            raise ZoomProblem.oauth(E.OAUTH_INVALID_CLIENT)
        if not grant_type:
            raise ZoomProblem.oauth(E.OAUTH_MISSING_GRANT)
        if grant_type != "account_credentials":
            raise ZoomProblem.oauth(E.OAUTH_UNSUPPORTED_GRANT)
        if not account_id:
            raise ZoomProblem.oauth(E.OAUTH_MISSING_ACCOUNT)
        if account_id != app.account_id:
            raise ZoomProblem.oauth(E.OAUTH_INVALID_ACCOUNT)
        token = secrets.token_urlsafe(48)
        now = self._clock.now()
        await self._store.add_token(
            Token(
                token_hash=hash_token(token),
                client_id=app.client_id,
                account_id=app.account_id,
                scopes=app.scopes,
                issued_at=now,
                expires_at=now + self._ttl,
            )
        )
        issued = TokenResponse(
            access_token=token,
            token_type="bearer",
            expires_in=self._ttl,
            scope=app.scopes,
            api_url=api_url,
        )
        return issued, app.client_id

    async def authenticate(self, authorization: str | None, token_in_query: bool) -> Principal:
        """Resolve ``Authorization: Bearer …`` to a principal, or raise 401/124."""
        token_hash = _bearer_hash(authorization, token_in_query)
        return self._principal(await self._store.get_token(token_hash), None)

    async def authenticate_for(
        self,
        authorization: str | None,
        token_in_query: bool,
        meeting_id: int | None,
        defer_meeting: bool = False,
    ) -> Principal:
        """As ``authenticate``, reading the meeting, its host and the account with the
        token (one statement on PostgreSQL); the principal carries them. With
        ``defer_meeting``, a meeting the read model misses may be left unread
        (``Store.request_rows``)."""
        token_hash = _bearer_hash(authorization, token_in_query)
        rows = await self._store.request_rows(token_hash, meeting_id, defer_meeting)
        return self._principal(rows.token, rows)

    def _principal(self, token: Token | None, rows: RequestRows | None) -> Principal:
        if token is None:
            raise ZoomProblem.of(E.TOKEN_INVALID)
        if token.expires_at <= self._clock.now():
            raise ZoomProblem.of(E.TOKEN_EXPIRED)
        return Principal(token.account_id, token.client_id, _scope_set(token.scopes), rows)

    async def peek_account(self, authorization: str | None) -> str | None:
        """The account behind a bearer token, if any (for account-scoped faults)."""
        if not authorization or authorization[:7].lower() != "bearer ":
            return None
        token = await self._store.get_token(hash_token(authorization[7:].strip()))
        return token.account_id if token is not None else None


@functools.lru_cache(maxsize=1024)
def _scope_set(scopes: str) -> frozenset[str]:
    """A token's scopes as a set; tokens share a few distinct scope strings, so each
    is split once, not on every request."""
    return frozenset(scopes.split())


def _bearer_hash(authorization: str | None, token_in_query: bool) -> str:
    """The SHA-256 of a well-formed bearer token, or 401/124. Tokens are looked up
    by their digest: the token itself is never stored, and the hash lookup needs no
    constant-time comparison."""
    if token_in_query:
        raise ZoomProblem.of(E.TOKEN_IN_QUERY)
    if not authorization or authorization[:7].lower() != "bearer ":
        raise ZoomProblem.of(E.TOKEN_INVALID)
    raw = authorization[7:].strip()
    if not raw or len(raw) > 4096:
        raise ZoomProblem.of(E.TOKEN_INVALID)
    return hash_token(raw)


_CLIENT_ID = re.compile(r"[^\x00-\x1f\x7f]{1,128}")


def _basic_credentials(authorization: str | None) -> tuple[str, str]:
    if not authorization or authorization[:6].lower() != "basic ":
        raise ZoomProblem.oauth(E.OAUTH_INVALID_CLIENT)
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ZoomProblem.oauth(E.OAUTH_INVALID_CLIENT) from None
    client_id, sep, client_secret = decoded.partition(":")
    # No app's client id holds a control character or is longer than its column:
    # such a one is refused before the database is asked.
    if not sep or not _CLIENT_ID.fullmatch(client_id) or not client_secret:
        raise ZoomProblem.oauth(E.OAUTH_INVALID_CLIENT)
    return client_id, client_secret

"""Server-to-server OAuth as an ``httpx.Auth``.

The token is fetched through the same client (the auth flow yields the token
request), cached in memory or in a pluggable ``TokenStore``, refreshed a minute
before it expires, fetched by exactly one thread or task at a time, and
refreshed once more if the API answers 401/124 anyway.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import Protocol

import httpx
import msgspec

from zoomlive.client import errors as err
from zoomlive.client.core import error_for, is_expired_token
from zoomlive.wire.models import TokenResponse


@dataclass(frozen=True, slots=True)
class CachedToken:
    access_token: str
    expires_at: float
    scopes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"CachedToken(access_token=***, expires_at={self.expires_at}, scopes={self.scopes})"


class TokenStore(Protocol):
    """Where tokens are kept between calls (and, if you like, between processes)."""

    def load(self, key: str) -> CachedToken | None: ...

    def save(self, key: str, token: CachedToken) -> None: ...


class MemoryTokenStore:
    def __init__(self) -> None:
        self._tokens: dict[str, CachedToken] = {}

    def load(self, key: str) -> CachedToken | None:
        return self._tokens.get(key)

    def save(self, key: str, token: CachedToken) -> None:
        self._tokens[key] = token


class StaticTokenAuth(httpx.Auth):
    """A pre-issued access token."""

    def __init__(self, access_token: str) -> None:
        self._header = f"Bearer {access_token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "StaticTokenAuth(access_token=***)"


class ServerToServerAuth(httpx.Auth):
    def __init__(
        self,
        account_id: str,
        client_id: str,
        client_secret: str,
        oauth_url: str,
        *,
        store: TokenStore | None = None,
        refresh_margin: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._account_id = account_id
        self._client_id = client_id
        self._basic = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._oauth_url = oauth_url
        self._store = store or MemoryTokenStore()
        self._margin = refresh_margin
        self._clock = clock
        self._key = f"{oauth_url}|{account_id}|{client_id}"
        self._thread_lock = threading.Lock()
        self._async_lock: asyncio.Lock | None = None
        #: How many token requests this auth has made (for tests and metrics).
        self.token_requests = 0

    def __repr__(self) -> str:
        return (
            f"ServerToServerAuth(account_id={self._account_id!r}, client_id={self._client_id!r}, "
            "client_secret=***)"
        )

    # -- the token ------------------------------------------------------------------------

    def _valid(self, not_before: float = 0.0) -> CachedToken | None:
        token = self._store.load(self._key)
        if token is None or token.expires_at - self._margin <= self._clock():
            return None
        if not_before and token.expires_at <= not_before:
            return None
        return token

    def _token_request(self) -> httpx.Request:
        self.token_requests += 1
        return httpx.Request(
            "POST",
            self._oauth_url,
            data={"grant_type": "account_credentials", "account_id": self._account_id},
            headers={"Authorization": self._basic, "Accept": "application/json"},
        )

    def _accept(self, response: httpx.Response) -> CachedToken:
        if response.status_code != 200:
            raise err.AuthenticationError(
                response.status_code,
                None,
                error_for(response, self._clock()).message,
                headers=dict(response.headers),
            )
        issued = msgspec.json.decode(response.content, type=TokenResponse)
        token = CachedToken(
            issued.access_token, self._clock() + issued.expires_in, tuple(issued.scopes)
        )
        self._store.save(self._key, token)
        return token

    def current(self) -> CachedToken | None:
        return self._store.load(self._key)

    def fetch(self, http: httpx.Client) -> CachedToken:
        """A fresh token now, through ``http`` (for ``zoomlive token``)."""
        with self._thread_lock:
            response = http.send(self._token_request(), auth=None)
            response.read()
            return self._accept(response)

    # -- flows --------------------------------------------------------------------------

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        stale = 0.0
        for attempt in range(2):
            token = self._valid(stale)
            if token is None:
                with self._thread_lock:
                    token = self._valid(stale)
                    if token is None:
                        response = yield self._token_request()
                        response.read()
                        token = self._accept(response)
            request.headers["Authorization"] = f"Bearer {token.access_token}"
            response = yield request
            if attempt == 0 and response.status_code == 401:
                response.read()
                if is_expired_token(response):
                    stale = token.expires_at + 1e-6
                    continue
            return

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._async_lock is None:
            self._async_lock = asyncio.Lock()
        stale = 0.0
        for attempt in range(2):
            token = self._valid(stale)
            if token is None:
                async with self._async_lock:
                    token = self._valid(stale)
                    if token is None:
                        response = yield self._token_request()
                        await response.aread()
                        token = self._accept(response)
            request.headers["Authorization"] = f"Bearer {token.access_token}"
            response = yield request
            if attempt == 0 and response.status_code == 401:
                await response.aread()
                if is_expired_token(response):
                    stale = token.expires_at + 1e-6
                    continue
            return

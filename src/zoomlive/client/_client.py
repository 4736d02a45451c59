"""``Client`` and ``AsyncClient``: the same surface, thin over ``core``."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import httpx
from msgspec import UNSET

from zoomlive.client import core
from zoomlive.client.auth import CachedToken, ServerToServerAuth, StaticTokenAuth, TokenStore
from zoomlive.client.config import ClientSettings
from zoomlive.client.core import RequestSpec, RetryPolicy
from zoomlive.client.limiter import AsyncRateLimiter, RateLimiter, plan_rate
from zoomlive.client.meetings import AsyncMeetingOps, MeetingOps
from zoomlive.wire.models import LiveStream, LiveStreamStatusUpdate, LiveStreamUpdate, Resolution
from zoomlive.wire.paths import DEFAULT_API_BASE_URL, DEFAULT_OAUTH_URL, Kind

USER_AGENT = "zoomlive-python/0.1"


def _auth(
    settings: ClientSettings, store: TokenStore | None, clock: Callable[[], float]
) -> httpx.Auth:
    if settings.access_token:
        return StaticTokenAuth(settings.access_token)
    if not (settings.account_id and settings.client_id and settings.client_secret):
        raise ValueError(
            "give access_token, or account_id + client_id + client_secret "
            "(or set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)"
        )
    return ServerToServerAuth(
        settings.account_id,
        settings.client_id,
        settings.client_secret,
        settings.oauth_url,
        store=store,
        clock=clock,
    )


class _Base:
    def __init__(
        self,
        *,
        account_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        access_token: str | None = None,
        base_url: str = DEFAULT_API_BASE_URL,
        oauth_url: str = DEFAULT_OAUTH_URL,
        retry: RetryPolicy | None = None,
        token_store: TokenStore | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
        settings: ClientSettings | None = None,
    ) -> None:
        self.settings = settings or ClientSettings(
            account_id, client_id, client_secret, access_token, base_url, oauth_url
        )
        self.retry = retry or RetryPolicy()
        self._clock = clock
        self.auth = _auth(self.settings, token_store, clock)
        self._timeout = timeout
        self._base = self.settings.base_url.rstrip("/")

    def _headers(self, spec: RequestSpec) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if spec.body is not None:
            headers["Content-Type"] = "application/json"
        return headers

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base!r}, auth={self.auth!r})"


class LiveStreams:
    """``client.meetings.livestream`` / ``client.webinars.livestream`` (sync)."""

    def __init__(self, client: Client, kind: Kind) -> None:
        self._client = client
        self._kind = kind

    def get(self, object_id: int) -> LiveStream:
        response = self._client._send(core.get_request(self._kind, object_id))
        return core.parse_livestream(response)

    def update(
        self,
        object_id: int,
        *,
        stream_url: str,
        stream_key: str,
        page_url: str,
        resolution: Resolution | None = None,
    ) -> None:
        body = LiveStreamUpdate(stream_url, stream_key, page_url, resolution or UNSET)
        self._client._send(core.update_request(self._kind, object_id, body))

    def start(
        self,
        object_id: int,
        *,
        display_name: str | None = None,
        active_speaker_name: bool | None = None,
        layout: str | None = None,
        close_caption: str | None = None,
    ) -> None:
        body = core.start_body(display_name, active_speaker_name, layout, close_caption)
        self._client._send(core.status_request(self._kind, object_id, body))

    def stop(self, object_id: int) -> None:
        body = LiveStreamStatusUpdate(action="stop")
        self._client._send(core.status_request(self._kind, object_id, body))


class Meetings(MeetingOps):
    """``client.meetings``: meetings (create, get, update, delete, list, iter, end)
    and their ``livestream`` (sync)."""

    def __init__(self, client: Client) -> None:
        super().__init__(client, Kind.MEETING)
        self.livestream = LiveStreams(client, Kind.MEETING)


class Webinars(MeetingOps):
    """``client.webinars``: webinars and their ``livestream`` (sync)."""

    def __init__(self, client: Client) -> None:
        super().__init__(client, Kind.WEBINAR)
        self.livestream = LiveStreams(client, Kind.WEBINAR)


class Client(_Base):
    """Synchronous client. ``Client.from_env()`` reads the ZOOM_* variables."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rate_limit: int | str | None = None,
        **kw: Any,
    ) -> None:
        """``rate_limit``: requests per second, or a plan name (``"pro"``), to stay
        under on the client side; ``None`` sends at once and relies on retries."""
        super().__init__(**kw)
        self._sleep = sleep
        rate = plan_rate(rate_limit) if isinstance(rate_limit, str) else rate_limit
        self.limiter = RateLimiter(rate) if rate else None
        self._http = httpx.Client(auth=self.auth, timeout=self._timeout, transport=transport)
        self.meetings = Meetings(self)
        self.webinars = Webinars(self)

    @classmethod
    def from_env(cls, **kw: Any) -> Self:
        return cls(settings=ClientSettings.from_env(), **kw)

    def _send(self, spec: RequestSpec) -> httpx.Response:
        attempts = core.Attempts(self.retry, self._clock)
        url, headers = self._base + spec.path, self._headers(spec)
        while True:
            try:
                with self.limiter.slot() if self.limiter else contextlib.nullcontext():
                    response = self._http.request(
                        spec.method, url, content=spec.body, headers=headers
                    )
            except httpx.TransportError as exc:
                self._sleep(attempts.after_failure(exc))
                continue
            if response.is_success:
                return response
            self._sleep(attempts.after_response(response))

    def fetch_token(self) -> CachedToken:
        """Fetch a new server-to-server token now and cache it."""
        if not isinstance(self.auth, ServerToServerAuth):
            raise ValueError("fetch_token needs account_id, client_id and client_secret")
        try:
            return self.auth.fetch(self._http)
        except httpx.TransportError as exc:
            raise core.transport_error(exc) from exc

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncLiveStreams:
    """``client.meetings.livestream`` / ``client.webinars.livestream`` (async)."""

    def __init__(self, client: AsyncClient, kind: Kind) -> None:
        self._client = client
        self._kind = kind

    async def get(self, object_id: int) -> LiveStream:
        response = await self._client._send(core.get_request(self._kind, object_id))
        return core.parse_livestream(response)

    async def update(
        self,
        object_id: int,
        *,
        stream_url: str,
        stream_key: str,
        page_url: str,
        resolution: Resolution | None = None,
    ) -> None:
        body = LiveStreamUpdate(stream_url, stream_key, page_url, resolution or UNSET)
        await self._client._send(core.update_request(self._kind, object_id, body))

    async def start(
        self,
        object_id: int,
        *,
        display_name: str | None = None,
        active_speaker_name: bool | None = None,
        layout: str | None = None,
        close_caption: str | None = None,
    ) -> None:
        body = core.start_body(display_name, active_speaker_name, layout, close_caption)
        await self._client._send(core.status_request(self._kind, object_id, body))

    async def stop(self, object_id: int) -> None:
        body = LiveStreamStatusUpdate(action="stop")
        await self._client._send(core.status_request(self._kind, object_id, body))


class AsyncMeetings(AsyncMeetingOps):
    """``client.meetings``: meetings and their ``livestream`` (async)."""

    def __init__(self, client: AsyncClient) -> None:
        super().__init__(client, Kind.MEETING)
        self.livestream = AsyncLiveStreams(client, Kind.MEETING)


class AsyncWebinars(AsyncMeetingOps):
    """``client.webinars``: webinars and their ``livestream`` (async)."""

    def __init__(self, client: AsyncClient) -> None:
        super().__init__(client, Kind.WEBINAR)
        self.livestream = AsyncLiveStreams(client, Kind.WEBINAR)


class AsyncClient(_Base):
    """Asynchronous client, the same surface as ``Client``."""

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
        rate_limit: int | str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self._sleep = sleep
        rate = plan_rate(rate_limit) if isinstance(rate_limit, str) else rate_limit
        self.limiter = AsyncRateLimiter(rate) if rate else None
        self._http = httpx.AsyncClient(auth=self.auth, timeout=self._timeout, transport=transport)
        self.meetings = AsyncMeetings(self)
        self.webinars = AsyncWebinars(self)

    @classmethod
    def from_env(cls, **kw: Any) -> Self:
        return cls(settings=ClientSettings.from_env(), **kw)

    async def _send(self, spec: RequestSpec) -> httpx.Response:
        attempts = core.Attempts(self.retry, self._clock)
        url, headers = self._base + spec.path, self._headers(spec)
        while True:
            try:
                async with self.limiter.slot() if self.limiter else contextlib.nullcontext():
                    response = await self._http.request(
                        spec.method, url, content=spec.body, headers=headers
                    )
            except httpx.TransportError as exc:
                await self._sleep(attempts.after_failure(exc))
                continue
            if response.is_success:
                return response
            await self._sleep(attempts.after_response(response))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

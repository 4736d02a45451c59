"""The I/O-free core shared by ``Client`` and ``AsyncClient``: build requests, parse
answers, map errors, decide retries. Nothing here touches the network or sleeps."""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from msgspec import UNSET

from zoomlive.client import errors as err
from zoomlive.wire import ratelimit as rl
from zoomlive.wire.ids import parse_id
from zoomlive.wire.models import (
    ErrorBody,
    LiveStream,
    LiveStreamSettings,
    LiveStreamStatusUpdate,
    LiveStreamUpdate,
)
from zoomlive.wire.paths import Kind, Operation, livestream_path
from zoomlive.wire.validate import validate_status, validate_update


@dataclass(frozen=True, slots=True)
class RequestSpec:
    method: str
    path: str
    body: bytes | None = None


def check_id(object_id: int) -> int:
    if isinstance(object_id, bool) or not isinstance(object_id, int) or parse_id(object_id) is None:
        raise ValueError(f"a Zoom meeting or webinar id is a positive int64, not {object_id!r}")
    return object_id


def get_request(kind: Kind, object_id: int) -> RequestSpec:
    return RequestSpec("GET", livestream_path(kind, check_id(object_id)))


def update_request(kind: Kind, object_id: int, update: LiveStreamUpdate) -> RequestSpec:
    check = validate_update(msgspec.to_builtins(update))
    if isinstance(check, list):
        raise ValueError("; ".join(f"{e.field}: {e.message}" for e in check))
    path = livestream_path(kind, check_id(object_id), Operation.UPDATE)
    return RequestSpec("PATCH", path, msgspec.json.encode(update))


def status_request(kind: Kind, object_id: int, status: LiveStreamStatusUpdate) -> RequestSpec:
    body = msgspec.to_builtins(status)
    check = validate_status(kind, body)
    if isinstance(check, list):
        raise ValueError("; ".join(f"{e.field}: {e.message}" for e in check))
    path = livestream_path(kind, check_id(object_id), Operation.STATUS)
    return RequestSpec("PATCH", path, msgspec.json.encode(status))


def start_body(
    display_name: str | None,
    active_speaker_name: bool | None,
    layout: str | None,
    close_caption: str | None,
) -> LiveStreamStatusUpdate:
    given: dict[str, Any] = {
        k: v
        for k, v in {
            "display_name": display_name,
            "active_speaker_name": active_speaker_name,
            "layout": layout,
            "close_caption": close_caption,
        }.items()
        if v is not None
    }
    settings = LiveStreamSettings(**given) if given else UNSET
    return LiveStreamStatusUpdate(action="start", settings=settings)


def parse_livestream(response: httpx.Response) -> LiveStream:
    return msgspec.json.decode(response.content, type=LiveStream)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds: a number, an HTTP date, or an ISO-8601 time (Zoom's daily)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)


def error_for(response: httpx.Response, now: float) -> err.ZoomAPIError:
    """Map an error answer to the exception tree, keeping everything it said."""
    code: int | None = None
    message = response.reason_phrase or "error"
    errors: list[Any] = []
    try:
        body = msgspec.json.decode(response.content, type=ErrorBody)
        code, message = body.code, body.message
        errors = list(body.errors) if body.errors is not UNSET else []
    except (msgspec.DecodeError, msgspec.ValidationError):
        try:
            raw = msgspec.json.decode(response.content)
            if isinstance(raw, dict) and "reason" in raw:
                message = str(raw["reason"])
        except msgspec.DecodeError:
            pass
    status = response.status_code
    kw: dict[str, Any] = {
        "tracking_id": response.headers.get(rl.HEADER_TRACKING_ID),
        "headers": {k.lower(): v for k, v in response.headers.items()},
        "errors": errors,
    }
    if status == 429:
        retry = retry_after_seconds(response.headers.get(rl.HEADER_RETRY_AFTER), now)
        return err.RateLimitExceeded(status, code, message, retry_after=retry, **kw)
    cls: type[err.ZoomAPIError]
    if status == 401:
        cls = err.AuthenticationError
    elif status == 403 or code == 4711:
        cls = err.PermissionDenied
    elif status == 404:
        cls = err.NotFound
    elif status >= 500:
        cls = err.ServerError
    else:
        cls = err.ValidationError
    return cls(status, code, message, **kw)


@dataclass(frozen=True)
class RetryPolicy:
    """How the client retries. Sleep and clock are injectable for tests."""

    max_attempts: int = 4
    #: Give up once this many seconds have passed since the first attempt.
    max_total: float = 60.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    #: Wait used for a per-second 429 that carries no Retry-After.
    qps_wait: float = 1.0
    rng: Callable[[], float] = field(default=random.random)

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**attempt)]."""
        cap = min(self.backoff_max, self.backoff_base * (2**attempt))
        return float(cap * self.rng())


def retry_delay(
    policy: RetryPolicy,
    attempt: int,
    started: float,
    now: float,
    *,
    response: httpx.Response | None = None,
    failed_transport: bool = False,
) -> float | None:
    """Seconds to wait before another attempt, or ``None`` to stop.

    Retried: a per-second 429 (as Retry-After says), 5xx and transport failures
    (jittered exponential backoff). Never: a daily-limit 429, other 4xx.
    """
    if attempt + 1 >= policy.max_attempts:
        return None
    delay: float
    if failed_transport:
        delay = policy.backoff(attempt)
    elif response is None:
        return None
    elif response.status_code == 429:
        if response.headers.get(rl.HEADER_TYPE, "").lower() == "daily-limit":
            return None
        after = retry_after_seconds(response.headers.get(rl.HEADER_RETRY_AFTER), now)
        delay = after if after is not None else policy.qps_wait * (0.5 + policy.rng())
    elif response.status_code >= 500:
        delay = policy.backoff(attempt)
    else:
        return None
    if now + delay - started > policy.max_total:
        return None
    return delay


class Attempts:
    """One call's retry bookkeeping, shared by the sync and async send loops.

    After each failed attempt the loop asks for the delay before the next one;
    when no retry is due, these raise the error the caller should see.
    """

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float]) -> None:
        self._policy = policy
        self._clock = clock
        self._started = clock()
        self._attempt = 0

    def _next(self, delay: float) -> float:
        self._attempt += 1
        return delay

    def after_failure(self, exc: httpx.TransportError) -> float:
        delay = retry_delay(
            self._policy, self._attempt, self._started, self._clock(), failed_transport=True
        )
        if delay is None:
            raise err.TransportError(str(exc) or type(exc).__name__) from exc
        return self._next(delay)

    def after_response(self, response: httpx.Response) -> float:
        now = self._clock()
        delay = retry_delay(self._policy, self._attempt, self._started, now, response=response)
        if delay is None:
            raise error_for(response, now)
        return self._next(delay)


def is_expired_token(response: httpx.Response) -> bool:
    if response.status_code != 401:
        return False
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return False
    return isinstance(body, Mapping) and body.get("code") == 124

"""Receiving Zoom's webhooks in your own app, with any framework: bytes and headers in.

    receiver = WebhookReceiver(secret_token)
    result = receiver.handle(raw_body, request_headers)
    # -> (status, json_body) to send back, and result.event if it was an event

``verify`` checks the v0 signature in constant time and refuses timestamps outside
the replay window; ``handle`` also answers the ``endpoint.url_validation``
challenge and parses events into typed models (live streaming events, and the
meeting/webinar lifecycle events ``meeting.created`` … ``webinar.ended``).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from zoomlive.client.errors import ZoomError
from zoomlive.wire import webhooks as wh
from zoomlive.wire.webhooks import (
    LifecycleEvent,
    LiveStreamingEvent,
    UrlValidationEvent,
    UrlValidationResponse,
)


class WebhookVerificationError(ZoomError):
    """The request is not a genuine, fresh Zoom webhook (answer it with 401)."""


@dataclass(frozen=True)
class WebhookResult:
    """What to answer, and the event if there was one."""

    status: int
    body: dict[str, Any] | None
    event: LiveStreamingEvent | LifecycleEvent | None = None
    event_name: str = ""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, val in headers.items():
        if key.lower() == lowered:
            return val
    return None


class WebhookReceiver:
    def __init__(
        self,
        secret_token: str,
        *,
        tolerance: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret_token:
            raise ValueError("the app's secret token is required")
        self._secret = secret_token
        self._tolerance = tolerance
        self._clock = clock

    def __repr__(self) -> str:
        return f"WebhookReceiver(secret_token=***, tolerance={self._tolerance})"

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise ``WebhookVerificationError`` unless signed by Zoom within the window."""
        timestamp = _header(headers, wh.HEADER_TIMESTAMP)
        given = _header(headers, wh.HEADER_SIGNATURE)
        if not timestamp or not given:
            raise WebhookVerificationError("missing x-zm-request-timestamp or x-zm-signature")
        try:
            sent = int(timestamp)
        except ValueError:
            raise WebhookVerificationError("bad x-zm-request-timestamp") from None
        if abs(self._clock() - sent) > self._tolerance:
            raise WebhookVerificationError("timestamp outside the replay window")
        expected = wh.signature(self._secret, timestamp, body)
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise WebhookVerificationError("signature mismatch")

    def url_validation(self, plain_token: str) -> dict[str, str]:
        """The answer to Zoom's ``endpoint.url_validation`` challenge."""
        answer = UrlValidationResponse(plain_token, wh.encrypted_token(self._secret, plain_token))
        return msgspec.to_builtins(answer)  # type: ignore[no-any-return]

    def handle(self, body: bytes, headers: Mapping[str, str]) -> WebhookResult:
        """Verify, then answer a challenge or parse an event. Never raises: a bad
        request gets 401 (signature) or 400 (body)."""
        try:
            self.verify(body, headers)
        except WebhookVerificationError as exc:
            return WebhookResult(401, {"error": str(exc)})
        try:
            head = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return WebhookResult(400, {"error": "body is not JSON"})
        name = head.get("event", "") if isinstance(head, dict) else ""
        try:
            if name == wh.URL_VALIDATION:
                challenge = msgspec.json.decode(body, type=UrlValidationEvent)
                return WebhookResult(200, self.url_validation(challenge.payload.plainToken),
                                     event_name=name)  # fmt: skip
            if name in wh.LIVESTREAM_EVENTS:
                return WebhookResult(200, None, parse_event(body), event_name=name)
            if name in wh.LIFECYCLE_EVENTS:
                lifecycle = msgspec.json.decode(body, type=LifecycleEvent)
                return WebhookResult(200, None, lifecycle, event_name=name)
        except msgspec.ValidationError as exc:
            return WebhookResult(400, {"error": f"bad {name} payload: {exc}"}, event_name=name)
        return WebhookResult(200, None, event_name=str(name))


def parse_event(body: bytes) -> LiveStreamingEvent:
    """A live streaming event as its typed model (``msgspec.ValidationError`` if not)."""
    return msgspec.json.decode(body, type=LiveStreamingEvent)

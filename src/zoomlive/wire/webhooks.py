"""Zoom's webhooks for live streams: event payloads, headers and v0 signatures.

Shared by the server (which signs and sends) and the library's receiver helper
(which verifies). Zoom signs ``v0:{x-zm-request-timestamp}:{raw body}`` with
HMAC-SHA256 keyed by the app's secret token, and sends compact JSON.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from zoomlive.wire.models import LiveStream

LIVE_STREAMING_STARTED = "meeting.live_streaming_started"
LIVE_STREAMING_STOPPED = "meeting.live_streaming_stopped"
URL_VALIDATION = "endpoint.url_validation"
LIVESTREAM_EVENTS: tuple[str, ...] = (LIVE_STREAMING_STARTED, LIVE_STREAMING_STOPPED)
#: The lifecycle events, ``meeting.created`` … ``webinar.ended`` (Zoom's names).
LIFECYCLE_ACTIONS: tuple[str, ...] = ("created", "updated", "deleted", "started", "ended")
LIFECYCLE_EVENTS: tuple[str, ...] = tuple(
    f"{kind}.{action}" for kind in ("meeting", "webinar") for action in LIFECYCLE_ACTIONS
)
#: Every event zoomlive sends (an app subscribes to any of them).
ALL_EVENTS: tuple[str, ...] = LIVESTREAM_EVENTS + LIFECYCLE_EVENTS

HEADER_TIMESTAMP = "x-zm-request-timestamp"
HEADER_SIGNATURE = "x-zm-signature"
HEADER_REQUEST_ID = "x-zm-request-id"
HEADER_TRACKING_ID = "x-zm-trackingid"
USER_AGENT = "Zoom Marketplace/1.0a"
CONTENT_TYPE = "application/json; charset=utf-8"

#: Zoom's retry schedule: after the first failure +5 min, then +20, then +60.
RETRY_SCHEDULE_SECONDS: tuple[int, ...] = (5 * 60, 20 * 60, 60 * 60)
#: A delivery counts only if answered (200 or 204) within this many seconds.
DELIVERY_TIMEOUT = 3.0
#: Endpoints are revalidated every 72 hours, and disabled after 6 failures in a row.
REVALIDATE_EVERY_SECONDS = 72 * 3600
MAX_VALIDATION_FAILURES = 6


#: ``custom_live_streaming_settings`` has the very shape of GET livestream's answer.
CustomLiveStreamingSettings = LiveStream


class LiveStreaming(msgspec.Struct, frozen=True, omit_defaults=True):
    service: str
    date_time: str
    custom_live_streaming_settings: CustomLiveStreamingSettings | UnsetType = UNSET


class EventObject(msgspec.Struct, frozen=True, omit_defaults=True):
    id: int
    uuid: str
    host_id: str
    topic: str
    type: int
    start_time: str
    duration: int
    live_streaming: LiveStreaming
    timezone: str | UnsetType = UNSET


class EventPayload(msgspec.Struct, frozen=True):
    account_id: str
    operator: str
    operator_id: str
    object: EventObject


class LiveStreamingEvent(msgspec.Struct, frozen=True):
    """``meeting.live_streaming_started`` / ``meeting.live_streaming_stopped``."""

    event: Literal["meeting.live_streaming_started", "meeting.live_streaming_stopped"]
    event_ts: int
    payload: EventPayload

    @property
    def object_id(self) -> int:
        """The meeting or webinar id, as ``LifecycleEvent.object_id`` gives it: one
        handler reads the id of any event the receiver parses."""
        return self.payload.object.id


class LifecyclePayload(msgspec.Struct, frozen=True, omit_defaults=True):
    """The payload of ``meeting.*``/``webinar.*`` lifecycle events. ``object`` stays a
    mapping: Zoom sends ``id`` as a number in created/updated/deleted and as a
    string in started/ended (README, Decisions)."""

    account_id: str
    object: dict[str, Any]
    operator: str | UnsetType = UNSET
    operator_id: str | UnsetType = UNSET
    operation: str | UnsetType = UNSET
    scope: str | UnsetType = UNSET
    time_stamp: int | UnsetType = UNSET
    old_object: dict[str, Any] | UnsetType = UNSET


class LifecycleEvent(msgspec.Struct, frozen=True):
    """``meeting.created`` … ``webinar.ended``."""

    event: str
    event_ts: int
    payload: LifecyclePayload

    @property
    def object_id(self) -> int:
        """The meeting or webinar id, whichever JSON type it came as."""
        return int(self.payload.object["id"])


class UrlValidationPayload(msgspec.Struct, frozen=True):
    plainToken: str


class UrlValidationEvent(msgspec.Struct, frozen=True):
    event: Literal["endpoint.url_validation"]
    event_ts: int
    payload: UrlValidationPayload


class UrlValidationResponse(msgspec.Struct, frozen=True):
    plainToken: str
    encryptedToken: str


def signature(secret_token: str, timestamp: str | int, body: bytes) -> str:
    """``v0=`` + hex HMAC-SHA256(secret, ``v0:{timestamp}:{body}``)."""
    message = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret_token.encode(), message, hashlib.sha256).hexdigest()


def encrypted_token(secret_token: str, plain_token: str) -> str:
    """The URL-validation answer: hex HMAC-SHA256(secret, plainToken)."""
    return hmac.new(secret_token.encode(), plain_token.encode(), hashlib.sha256).hexdigest()


def encode(event: msgspec.Struct) -> bytes:
    """Compact JSON, as Zoom sends (so JSON.stringify-based verifiers agree)."""
    return msgspec.json.encode(event)

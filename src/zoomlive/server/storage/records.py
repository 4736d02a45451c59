"""Rows as typed, immutable records. Services read these; only storage builds them."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec


class Account(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    plan: str = "pro"
    live_streaming: bool = True
    webinar_plan: bool = True
    rate_limit_qps: int | None = None
    rate_limit_daily: int | None = None


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    account_id: str
    email: str
    type: int = 2
    can_host: bool = True
    in_account: bool = True
    deleted: bool = False


class App(msgspec.Struct, frozen=True, kw_only=True):
    client_id: str
    client_secret: str
    account_id: str
    name: str = "Server-to-Server app"
    scopes: str = ""
    owner_id: str | None = None

    def __repr__(self) -> str:
        return (
            f"App(client_id={self.client_id!r}, client_secret=***, "
            f"account_id={self.account_id!r}, scopes={self.scopes!r})"
        )


class Token(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An issued token (its SHA-256). Only strings and floats: no reference cycles, so
    not tracked by the garbage collector (a server may hold many)."""

    token_hash: str
    client_id: str
    account_id: str
    scopes: str
    issued_at: float
    expires_at: float


class Meeting(msgspec.Struct, frozen=True, kw_only=True):
    """A meeting or a webinar (``kind``), with its live stream configuration and state."""

    id: int
    kind: str
    uuid: str
    account_id: str
    host_id: str
    topic: str = "Zoom Meeting"
    type: int = 2
    status: str = "waiting"
    e2ee: bool = False
    start_time: str = ""
    timezone: str = "UTC"
    duration: int = 60
    stream_url: str = ""
    stream_key: str = ""
    page_url: str = ""
    resolution: str | None = None
    configured: bool = False
    stream_live: bool = False
    display_name: str | None = None
    active_speaker_name: bool | None = None
    layout: str | None = None
    close_caption: str | None = None
    stream_changed_at: float | None = None
    agenda: str = ""
    password: str = ""
    created_at: str = ""
    #: Zoom's ``settings`` object, as JSON text.
    settings: str = "{}"
    pre_schedule: bool = False

    def __repr__(self) -> str:
        return (
            f"Meeting(id={self.id}, kind={self.kind!r}, account_id={self.account_id!r}, "
            f"host_id={self.host_id!r}, status={self.status!r}, configured={self.configured}, "
            f"stream_live={self.stream_live}, stream_key=***)"
        )


R = TypeVar("R", bound=msgspec.Struct)


def to_row(record: msgspec.Struct) -> dict[str, Any]:
    return msgspec.structs.asdict(record)


def from_row(cls: type[R], row: Any) -> R:
    """A record from a result row (an ``sa.Row``) of its table."""
    return cls(**row._asdict())


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    """An app's event subscription: where Zoom sends which events, signed with what."""

    client_id: str
    url: str
    events: str
    secret_token: str
    enabled: bool = False
    validated_at: float | None = None
    failures: int = 0
    last_error: str | None = None

    def __repr__(self) -> str:
        return (
            f"Subscription(client_id={self.client_id!r}, url={self.url!r}, "
            f"enabled={self.enabled}, secret_token=***)"
        )


class OutboxRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    request_id: str
    client_id: str
    account_id: str
    event: str
    body: str
    status: str
    attempts: int
    next_attempt_at: float
    lease_until: float | None
    lease_token: str | None
    created_at: float
    finished_at: float | None


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    outbox_id: int
    number: int
    at: float
    url: str
    status_code: int | None
    error: str | None
    duration_ms: float

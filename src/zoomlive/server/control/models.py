"""Bodies of the control API (documented on the served OpenAPI page)."""

from __future__ import annotations

from typing import Literal

import msgspec

Plan = Literal["free", "pro", "business"]
MeetingStatus = Literal["waiting", "started", "ended"]


class AccountIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str | None = None
    plan: Plan = "pro"
    live_streaming: bool = True
    webinar_plan: bool = True
    rate_limit_qps: int | None = None
    rate_limit_daily: int | None = None


class AccountPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    plan: Plan | None = None
    live_streaming: bool | None = None
    webinar_plan: bool | None = None
    rate_limit_qps: int | None = None
    rate_limit_daily: int | None = None


class UserIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str | None = None
    email: str | None = None
    #: Zoom user type: 1 Basic, 2 Licensed.
    type: int = 2
    can_host: bool = True
    in_account: bool = True
    deleted: bool = False


class UserPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    email: str | None = None
    type: int | None = None
    can_host: bool | None = None
    in_account: bool | None = None
    deleted: bool | None = None


class AppIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str = "Server-to-Server app"
    #: Scopes granted; omitted = every live stream scope.
    scopes: list[str] | None = None
    client_id: str | None = None
    client_secret: str | None = None


class AppPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    name: str | None = None
    scopes: list[str] | None = None


class MeetingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    host_id: str
    id: int | None = None
    topic: str | None = None
    type: int | None = None
    status: MeetingStatus = "waiting"
    e2ee: bool = False
    timezone: str = "UTC"
    duration: int = 60


class MeetingPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    topic: str | None = None
    status: MeetingStatus | None = None
    e2ee: bool | None = None
    host_id: str | None = None
    timezone: str | None = None
    duration: int | None = None


class ResetIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: Seed the demo again after wiping.
    demo: bool = False


class ClockIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: True freezes, False unfreezes; omitted leaves it.
    freeze: bool | None = None
    #: Epoch seconds to set the clock to.
    set: float | None = None
    #: Seconds to move the clock by.
    advance: float | None = None
    reset: bool = False


class ClockOut(msgspec.Struct):
    now: float
    iso: str
    frozen: bool


class ExpireIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    client_id: str | None = None


def changes(patch: msgspec.Struct) -> dict[str, object]:
    """The fields a PATCH body actually set."""
    return {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not None}


class SubscriptionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: str
    #: Omitted = both live streaming events.
    events: list[str] | None = None
    #: The app's secret token; generated when omitted.
    secret_token: str | None = None


class AttemptOut(msgspec.Struct):
    number: int
    at: float
    url: str
    status_code: int | None
    error: str | None
    duration_ms: float


class EventOut(msgspec.Struct):
    id: int
    request_id: str
    client_id: str
    event: str
    status: str
    attempts: list[AttemptOut]
    created_at: float
    next_attempt_at: float
    finished_at: float | None
    body: str

"""Bodies of the control API (documented on the served OpenAPI page).

Every field is bounded declaratively (msgspec ``Meta``), so a value the database
cannot hold never reaches it: integers fit PostgreSQL's ``integer`` (or ``bigint``
for ids), strings fit their column and hold no control characters (PostgreSQL text
cannot hold NUL). A bad value is a 400 naming the field (README, the control API).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from zoomlive.server.clock import MAX_TIME, MIN_TIME
from zoomlive.wire.ids import MAX_ID

Plan = Literal["free", "pro", "business"]
MeetingStatus = Literal["waiting", "started", "ended"]
#: Zoom's user types: 1 Basic, 2 Licensed, 99 None.
UserType = Literal[1, 2, 99]
#: Zoom's meeting types (1 instant, 2 scheduled, 3 and 8 recurring, 4 PMI, 10 screen
#: share only) and webinar types (5, 6 and 9 recurring).
MeetingType = Literal[1, 2, 3, 4, 5, 6, 8, 9, 10]

#: The largest value of a PostgreSQL ``integer`` column.
INT32_MAX = 2**31 - 1
#: Printable text: no C0 control characters, no DEL. Every pattern ends ``$(?!\n)``:
#: Python's ``$`` also matches before a final newline, which would let one through.
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$(?!\n)"
#: An id used in a control-API path: printable, no ``/``.
ID_PATTERN = r"^[^\x00-\x1f\x7f/]+$(?!\n)"


#: An absolute http(s) URL of RFC 3986 characters; the host is checked after decoding.
URL_PATTERN = (
    r"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9\-._~!$&'()*+,;=:%@\[\]]+"
    r"(?:[/?#][A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*)?$(?!\n)"
)
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def invalid(field: str, reason: str) -> ValueError:
    """A failure raised from ``__post_init__``. msgspec keeps only the message, so
    the control API's error handler reads the field back from its first words."""
    return ValueError(f"Invalid parameter: {field}. {reason}")


def check_url(url: str) -> None:
    """What the pattern cannot say: a host (a name or an IP literal) and a valid port."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
        if host.startswith("[") or ":" in host:
            ipaddress.IPv6Address(host.strip("[]"))
        elif not _HOST.fullmatch(host):
            raise ValueError(host)
    except ValueError:
        raise invalid("url", "Expected an absolute http(s) URL with a host.") from None
    if port == 0:
        raise invalid("url", "Port 0 is not a port.")


def text(max_length: int) -> Meta:
    return Meta(max_length=max_length, pattern=TEXT_PATTERN)


def ident(max_length: int) -> Meta:
    return Meta(min_length=1, max_length=max_length, pattern=ID_PATTERN)


AccountId = Annotated[str, ident(64)]
UserId = Annotated[str, ident(64)]
ClientId = Annotated[str, ident(128)]
Secret = Annotated[str, Meta(min_length=1, max_length=256, pattern=TEXT_PATTERN)]
EMAIL_PATTERN = r"^[^\x00-\x20\x7f@]+@[^\x00-\x20\x7f@]+$(?!\n)"
Email = Annotated[str, Meta(min_length=3, max_length=320, pattern=EMAIL_PATTERN)]
#: A scope name (scopes are stored space-separated).
SCOPE_PATTERN = r"^[^\x00-\x20\x7f]+$(?!\n)"
Scope = Annotated[str, Meta(min_length=1, max_length=128, pattern=SCOPE_PATTERN)]
Scopes = Annotated[list[Scope], Meta(max_length=256)]
Topic = Annotated[str, text(200)]
Timezone = Annotated[str, Meta(min_length=1, max_length=64, pattern=TEXT_PATTERN)]
#: Minutes, as Zoom's ``duration``.
Duration = Annotated[int, Meta(ge=0, le=INT32_MAX)]
MeetingId = Annotated[int, Meta(ge=1, le=MAX_ID)]
#: Per-second budget; 0 (or omitted) means the plan's.
Qps = Annotated[int, Meta(ge=0, le=INT32_MAX)]
#: Daily budget; 0 rejects every call.
Daily = Annotated[int, Meta(ge=0, le=INT32_MAX)]


class AccountIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: AccountId | None = None
    plan: Plan = "pro"
    live_streaming: bool = True
    webinar_plan: bool = True
    rate_limit_qps: Qps | None = None
    rate_limit_daily: Daily | None = None


class AccountPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    plan: Plan | None = None
    live_streaming: bool | None = None
    webinar_plan: bool | None = None
    rate_limit_qps: Qps | None = None
    rate_limit_daily: Daily | None = None


class UserIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: UserId | None = None
    email: Email | None = None
    #: Zoom user type: 1 Basic, 2 Licensed, 99 None.
    type: UserType = 2
    can_host: bool = True
    in_account: bool = True
    deleted: bool = False


class UserPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    email: Email | None = None
    type: UserType | None = None
    can_host: bool | None = None
    in_account: bool | None = None
    deleted: bool | None = None


class AppIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, text(128)] = "Server-to-Server app"
    #: Scopes granted; omitted = every scope zoomlive checks (``factory.every_scope``).
    scopes: Scopes | None = None
    client_id: ClientId | None = None
    client_secret: Secret | None = None
    #: The user ``me`` names in the Zoom API (README, Decisions).
    owner_id: UserId | None = None


class AppPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    name: Annotated[str, text(128)] | None = None
    scopes: Scopes | None = None
    owner_id: UserId | None = None


class MeetingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    host_id: UserId
    id: MeetingId | None = None
    topic: Topic | None = None
    type: MeetingType | None = None
    status: MeetingStatus = "waiting"
    e2ee: bool = False
    timezone: Timezone = "UTC"
    duration: Duration = 60


class MeetingPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    topic: Topic | None = None
    status: MeetingStatus | None = None
    e2ee: bool | None = None
    host_id: UserId | None = None
    timezone: Timezone | None = None
    duration: Duration | None = None


class ResetIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: Seed the demo again after wiping.
    demo: bool = False
    #: Give the demo new credentials (by default it keeps the ones it had, so
    #: exported ``ZOOM_*`` variables keep working).
    new_credentials: bool = False


class ClockIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: True freezes, False unfreezes; omitted leaves it.
    freeze: bool | None = None
    #: Epoch seconds to set the clock to: 1970-01-01T00:00:00Z to 9999-12-30T23:59:59Z.
    set: Annotated[float, Meta(ge=MIN_TIME, le=MAX_TIME)] | None = None
    #: Seconds to move the clock by; the result must stay in the range of ``set``.
    advance: Annotated[float, Meta(ge=-MAX_TIME, le=MAX_TIME)] | None = None
    reset: bool = False


class ClockOut(msgspec.Struct):
    now: float
    iso: str
    frozen: bool


class ExpireIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    client_id: ClientId | None = None


def changes(patch: msgspec.Struct) -> dict[str, object]:
    """The fields a PATCH body actually set."""
    return {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not None}


class SubscriptionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: An absolute http(s) URL (RFC 3986 characters only).
    url: Annotated[str, Meta(max_length=2048, pattern=URL_PATTERN)]
    #: Omitted = both live streaming events (list the lifecycle events to get them).
    events: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=16)] | None = None
    #: The app's secret token; generated when omitted.
    secret_token: Secret | None = None

    def __post_init__(self) -> None:
        check_url(self.url)


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

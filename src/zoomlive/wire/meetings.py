"""Zoom's meeting and webinar operations: paths, scopes, rate-limit labels, bodies.

The operations, scopes and labels are those of Zoom's 2025 Meetings OpenAPI
(``meetingCreate``, ``meetings``, ``meeting``, ``meetingUpdate``, ``meetingDelete``,
``meetingStatus`` and their webinar twins); the labels follow the spec's
``Rate Limit Label`` (create and list meetings Medium, list webinars Medium, the
rest Light; shared/reference/zoom-facts-workflow-media.md §6).
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

import msgspec
from msgspec import UNSET, UnsetType

from zoomlive.wire import zoom_fields as zf
from zoomlive.wire.paths import API_PREFIX, Kind
from zoomlive.wire.ratelimit import Label


class Op(enum.StrEnum):
    """The six operations on the meeting (or webinar) object itself."""

    CREATE = "create"
    LIST = "list"
    GET = "get"
    UPDATE = "update"
    DELETE = "delete"
    STATUS = "status"

    @property
    def method(self) -> str:
        return _METHODS[self]

    @property
    def on_user(self) -> bool:
        """Whether the path is under ``/users/{userId}`` (create and list)."""
        return self in (Op.CREATE, Op.LIST)


_METHODS = {
    Op.CREATE: "POST", Op.LIST: "GET", Op.GET: "GET",
    Op.UPDATE: "PATCH", Op.DELETE: "DELETE", Op.STATUS: "PUT",
}  # fmt: skip
_OPERATION_IDS = {
    Op.CREATE: "{k}Create", Op.LIST: "{k}s", Op.GET: "{k}",
    Op.UPDATE: "{k}Update", Op.DELETE: "{k}Delete", Op.STATUS: "{k}Status",
}  # fmt: skip
#: Granular scopes per operation (the ``:admin`` twin is accepted too); the classic
#: scope is ``{kind}:read`` for reads and ``{kind}:write`` for the rest.
_GRANULAR = {
    Op.CREATE: "write:{k}", Op.LIST: "read:list_{k}s", Op.GET: "read:{k}",
    Op.UPDATE: "update:{k}", Op.DELETE: "delete:{k}", Op.STATUS: "update:status",
}  # fmt: skip


class MeetingRoute(NamedTuple):
    kind: Kind
    op: Op

    @property
    def method(self) -> str:
        return self.op.method

    @property
    def operation_id(self) -> str:
        return _OPERATION_IDS[self.op].format(k=self.kind.value)

    @property
    def label(self) -> Label:
        if self.op is Op.LIST or (self.op is Op.CREATE and self.kind is Kind.MEETING):
            return Label.MEDIUM
        return Label.LIGHT

    def granular_scopes(self) -> tuple[str, str]:
        base = f"{self.kind.value}:" + _GRANULAR[self.op].format(k=self.kind.value)
        return base, f"{base}:admin"

    def classic_scopes(self) -> tuple[str, str]:
        action = "read" if self.op in (Op.LIST, Op.GET) else "write"
        base = f"{self.kind.value}:{action}"
        return f"{base}:admin", base

    def accepted_scopes(self) -> frozenset[str]:
        return frozenset(self.granular_scopes() + self.classic_scopes())

    def template(self, param: str | None = None) -> str:
        """``/v2/users/{userId}/meetings`` or ``/v2/meetings/{meetingId}[/status]``;
        ``param`` replaces the placeholder's text (a router's ``{userId:str}``)."""
        if self.op.on_user:
            return f"{API_PREFIX}/users/{{{param or 'userId'}}}/{self.kind.collection}"
        suffix = "/status" if self.op is Op.STATUS else ""
        placeholder = "{" + (param or self.kind.id_param) + "}"
        return f"{API_PREFIX}/{self.kind.collection}/{placeholder}{suffix}"

    def path(self, key: str | int) -> str:
        """The path relative to the API base URL, for a user id or an object id."""
        return (
            self.template()
            .removeprefix(API_PREFIX)
            .replace("{userId}" if self.op.on_user else "{" + self.kind.id_param + "}", str(key))
        )


MEETING_ROUTES: tuple[MeetingRoute, ...] = tuple(MeetingRoute(k, op) for k in Kind for op in Op)


def all_meeting_scopes() -> tuple[str, ...]:
    """Every granular scope of these operations (both kinds, admin twins)."""
    out: list[str] = []
    for route in MEETING_ROUTES:
        out.extend(route.granular_scopes())
    return tuple(out)


#: Meeting ``type`` values (instant, scheduled, recurring without and with a fixed
#: time, PMI, screen share only) and webinar ones (webinar, recurring, recurring with
#: a fixed time): Zoom's enums.
MEETING_TYPES: tuple[int, ...] = (1, 2, 3, 8, 10)
WEBINAR_TYPES: tuple[int, ...] = (5, 6, 9)
TOPIC_MAX = 200
AGENDA_MAX = 2000
PASSWORD_MAX = 10
PAGE_SIZE_DEFAULT = 30
PAGE_SIZE_MAX = 300
#: Zoom's per-host cap on meeting and webinar create/update requests per UTC day.
DAILY_CREATE_CAP = 100
STATUS_ACTIONS: dict[Kind, tuple[str, ...]] = {
    Kind.MEETING: ("end", "recover"),
    Kind.WEBINAR: ("end",),
}

#: ``settings`` values a new account's user settings have, over the schema's defaults
#: (``zoom_fields``) where they differ or the schema gives none.
MEETING_SETTINGS_DEFAULTS: dict[str, Any] = {
    "host_video": False,
    "participant_video": False,
    "cn_meeting": False,
    "in_meeting": False,
    "join_before_host": False,
    "jbh_time": 0,
    "mute_upon_entry": False,
    "watermark": False,
    "use_pmi": False,
    "approval_type": 2,
    "registration_type": 1,
    "audio": "both",
    "auto_recording": "none",
    "enforce_login": False,
    "alternative_hosts": "",
    "alternative_hosts_email_notification": True,
    "close_registration": False,
    "waiting_room": False,
    "email_notification": True,
    "meeting_authentication": False,
    "encryption_type": "enhanced_encryption",
    "device_testing": False,
    "private_meeting": False,
}
WEBINAR_SETTINGS_DEFAULTS: dict[str, Any] = {
    "host_video": False,
    "panelists_video": False,
    "practice_session": False,
    "hd_video": False,
    "approval_type": 2,
    "registration_type": 1,
    "audio": "both",
    "auto_recording": "none",
    "enforce_login": False,
    "alternative_hosts": "",
    "close_registration": False,
    "show_share_button": False,
    "allow_multiple_devices": False,
    "on_demand": False,
    "contact_name": "",
    "contact_email": "",
    "email_language": "en-US",
    "panelists_invitation_email_notification": True,
    "meeting_authentication": False,
    "send_1080p_video_to_attendees": False,
}


_SETTINGS: dict[Kind, dict[str, Any]] = {
    Kind.MEETING: {**zf.MEETING_OBJECT["settings"], **MEETING_SETTINGS_DEFAULTS},
    Kind.WEBINAR: {**zf.WEBINAR_OBJECT["settings"], **WEBINAR_SETTINGS_DEFAULTS},
}
#: The scalar ``settings`` a create or update body may set, by Zoom's type, and the
#: one table of their enums (Zoom's 2025 schema, ``zoom_fields``).
SETTINGS_TYPES: dict[Kind, dict[str, str]] = {
    Kind.MEETING: zf.MEETING_SETTINGS_TYPES,
    Kind.WEBINAR: zf.WEBINAR_SETTINGS_TYPES,
}
SETTINGS_ENUMS: dict[Kind, dict[str, tuple[Any, ...]]] = {
    Kind.MEETING: zf.MEETING_SETTINGS_ENUMS,
    Kind.WEBINAR: zf.WEBINAR_SETTINGS_ENUMS,
}
#: The create/update body's field types, by which a form's text fields are read.
BODY_TYPES: dict[Kind, dict[str, str]] = {
    Kind.MEETING: zf.MEETING_BODY_TYPES,
    Kind.WEBINAR: zf.WEBINAR_BODY_TYPES,
}
#: Every field of the object with Zoom's defaults (``settings`` with a new account's),
#: what an answer holds where zoomlive keeps no state of its own.
OBJECT_DEFAULTS: dict[Kind, dict[str, Any]] = {
    Kind.MEETING: {**zf.MEETING_OBJECT, "settings": _SETTINGS[Kind.MEETING]},
    Kind.WEBINAR: {**zf.WEBINAR_OBJECT, "settings": _SETTINGS[Kind.WEBINAR]},
}
#: Types whose object carries ``recurrence``: Zoom's schema has it "only for a meeting
#: with type 8" (a webinar of type 9); any other answer has none.
RECURRING_TYPES: tuple[int, ...] = (8, 9)


def settings_defaults(kind: Kind) -> dict[str, Any]:
    return dict(_SETTINGS[kind])


class MeetingObject(msgspec.Struct, frozen=True, omit_defaults=True):
    """A meeting or webinar as Zoom's create/get answers give it. Fields Zoom added
    over time and fields only one kind has are left out where they do not apply.
    The client keeps every other key the server sent in ``extra``."""

    id: int
    uuid: str
    host_id: str
    host_email: str
    topic: str
    type: int
    start_time: str
    duration: int
    timezone: str
    agenda: str
    created_at: str
    start_url: str
    join_url: str
    password: str
    settings: dict[str, Any]
    creation_source: str = "open_api"
    status: str | UnsetType = UNSET
    h323_password: str | UnsetType = UNSET
    pstn_password: str | UnsetType = UNSET
    encrypted_password: str | UnsetType = UNSET
    h323_passcode: str | UnsetType = UNSET
    encrypted_passcode: str | UnsetType = UNSET
    pre_schedule: bool | UnsetType = UNSET
    is_simulive: bool | UnsetType = UNSET
    extra: dict[str, Any] = {}

    def __repr__(self) -> str:
        # start_url carries the host's key (zak) and join_url the passcode.
        return (
            f"MeetingObject(id={self.id}, topic={self.topic!r}, type={self.type}, "
            f"status={self.status!r}, host_id={self.host_id!r}, start_url=***, password=***)"
        )


class MeetingListItem(msgspec.Struct, frozen=True, omit_defaults=True):
    """One entry of a list answer (Zoom's list items carry fewer fields)."""

    id: int
    uuid: str
    host_id: str
    topic: str
    type: int
    start_time: str
    duration: int
    timezone: str
    agenda: str
    created_at: str
    join_url: str
    status: str | UnsetType = UNSET


class MeetingList(msgspec.Struct, frozen=True, omit_defaults=True):
    """A page of ``GET /users/{userId}/meetings`` (or ``webinars``)."""

    page_size: int
    total_records: int
    next_page_token: str
    page_count: int | UnsetType = UNSET
    page_number: int | UnsetType = UNSET
    meetings: list[MeetingListItem] | UnsetType = UNSET
    webinars: list[MeetingListItem] | UnsetType = UNSET

    @property
    def items(self) -> list[MeetingListItem]:
        found = self.meetings if self.meetings is not UNSET else self.webinars
        return found if found is not UNSET else []

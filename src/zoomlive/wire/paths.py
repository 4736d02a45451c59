"""The live stream operations and their URL paths."""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    """What a live stream belongs to: a meeting or a webinar."""

    MEETING = "meeting"
    WEBINAR = "webinar"

    @property
    def collection(self) -> str:
        return "meetings" if self is Kind.MEETING else "webinars"

    @property
    def label(self) -> str:
        return "Meeting" if self is Kind.MEETING else "Webinar"


class Operation(enum.StrEnum):
    """The three live stream operations, per kind."""

    GET = "get"
    UPDATE = "update"
    STATUS = "status"

    @property
    def method(self) -> str:
        return "GET" if self is Operation.GET else "PATCH"


API_PREFIX = "/v2"
TOKEN_PATH = "/oauth/token"
DEFAULT_API_BASE_URL = "https://api.zoom.us/v2"
DEFAULT_OAUTH_URL = "https://zoom.us/oauth/token"


def livestream_path(kind: Kind, object_id: int | str, op: Operation = Operation.GET) -> str:
    """Path relative to the API base URL (which ends in ``/v2``)."""
    suffix = "/livestream/status" if op is Operation.STATUS else "/livestream"
    return f"/{kind.collection}/{object_id}{suffix}"

"""The live stream operations and their URL paths."""

from __future__ import annotations

import enum
import re
from typing import NamedTuple


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

    @property
    def id_param(self) -> str:
        """The path parameter's name in Zoom's OpenAPI: ``meetingId``, ``webinarId``."""
        return f"{self.value}Id"


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


class Route(NamedTuple):
    """One of the six live stream operations, as Zoom's OpenAPI names it."""

    kind: Kind
    op: Operation

    @property
    def method(self) -> str:
        return self.op.method

    @property
    def operation_id(self) -> str:
        label = self.kind.label
        if self.op is Operation.GET:
            return f"get{label}LiveStreamDetails"
        return f"{self.kind.value}LiveStream{'Status' if self.op is Operation.STATUS else ''}Update"

    def template(self, param: str | None = None) -> str:
        """The server-side path, ``/v2/meetings/{meetingId}/livestream``; ``param``
        replaces the placeholder's text (a router's ``{meetingId:str}``)."""
        placeholder = "{" + (param or self.kind.id_param) + "}"
        return API_PREFIX + livestream_path(self.kind, placeholder, self.op)


#: The route table: every front door of the server is generated from it.
LIVESTREAM_ROUTES: tuple[Route, ...] = tuple(Route(k, op) for k in Kind for op in Operation)

_LIVESTREAM_PATH = re.compile(
    re.escape(API_PREFIX)
    + "/(" + "|".join(k.collection for k in Kind) + ")/([^/]*)/livestream(/status)?/?"
)  # fmt: skip
_BY_COLLECTION = {k.collection: k for k in Kind}


def match_livestream(path: str) -> tuple[Kind, bool, str] | None:
    """A server-side path's kind, whether it is the status route, and the raw id
    (unvalidated); None when it is not a live stream path."""
    m = _LIVESTREAM_PATH.fullmatch(path)
    if m is None:
        return None
    return _BY_COLLECTION[m.group(1)], m.group(3) is not None, m.group(2)

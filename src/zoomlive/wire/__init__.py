"""Zoom's wire format, in one place.

Paths, request/response models (the live stream's and the meetings'), the error
catalogue, scopes, rate-limit labels and webhook signing. Shared by the client and the
server; imports nothing else of ours.
"""

from zoomlive.wire.errors import ZoomErrorSpec
from zoomlive.wire.ids import MAX_ID, parse_id
from zoomlive.wire.meetings import MeetingList, MeetingListItem, MeetingObject, MeetingRoute
from zoomlive.wire.models import (
    ErrorBody,
    FieldError,
    LiveStream,
    LiveStreamSettings,
    LiveStreamStatusUpdate,
    LiveStreamUpdate,
    TokenResponse,
)
from zoomlive.wire.paths import Kind, Operation

__all__ = [
    "MAX_ID",
    "ErrorBody",
    "FieldError",
    "Kind",
    "LiveStream",
    "LiveStreamSettings",
    "LiveStreamStatusUpdate",
    "LiveStreamUpdate",
    "MeetingList",
    "MeetingListItem",
    "MeetingObject",
    "MeetingRoute",
    "Operation",
    "TokenResponse",
    "ZoomErrorSpec",
    "parse_id",
]

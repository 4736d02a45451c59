"""A typed Python client for Zoom's live stream API (real Zoom, or a zoomlive server).

Imports only ``zoomlive.wire`` and httpx: the base install needs no server framework.
"""

from zoomlive.client._client import (
    AsyncClient,
    AsyncLiveStreams,
    AsyncMeetings,
    AsyncWebinars,
    Client,
    LiveStreams,
    Meetings,
    Webinars,
)
from zoomlive.client.auth import CachedToken, MemoryTokenStore, TokenStore
from zoomlive.client.config import ClientSettings
from zoomlive.client.core import RetryPolicy
from zoomlive.client.errors import (
    AuthenticationError,
    NotFound,
    PermissionDenied,
    RateLimitExceeded,
    ServerError,
    TransportError,
    ValidationError,
    ZoomAPIError,
    ZoomError,
)
from zoomlive.wire.meetings import MeetingList, MeetingListItem, MeetingObject

__all__ = [
    "AsyncClient",
    "AsyncLiveStreams",
    "AsyncMeetings",
    "AsyncWebinars",
    "AuthenticationError",
    "CachedToken",
    "Client",
    "ClientSettings",
    "LiveStreams",
    "MeetingList",
    "MeetingListItem",
    "MeetingObject",
    "Meetings",
    "MemoryTokenStore",
    "NotFound",
    "PermissionDenied",
    "RateLimitExceeded",
    "RetryPolicy",
    "ServerError",
    "TokenStore",
    "TransportError",
    "ValidationError",
    "Webinars",
    "ZoomAPIError",
    "ZoomError",
]

"""Request and response bodies, as msgspec structs shared by client and server.

Structs that hold a secret (a stream key, an access token) redact it in ``repr``
so that logging a model never leaks it.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

Resolution = Literal["720p", "1080p"]
Action = Literal["start", "stop", "mode"]
Layout = Literal["follow_host", "gallery_view", "speaker_view"]
CloseCaption = Literal["burnt-in", "embedded", "off"]

RESOLUTIONS: tuple[str, ...] = ("720p", "1080p")
MEETING_ACTIONS: tuple[str, ...] = ("start", "stop", "mode")
WEBINAR_ACTIONS: tuple[str, ...] = ("start", "stop")
LAYOUTS: tuple[str, ...] = ("follow_host", "gallery_view", "speaker_view")
CLOSE_CAPTIONS: tuple[str, ...] = ("burnt-in", "embedded", "off")

STREAM_URL_MAX = 1024
STREAM_KEY_MAX = 512
PAGE_URL_MAX = 1024
DISPLAY_NAME_MIN = 1
DISPLAY_NAME_MAX = 50

REDACTED = "***"


def _mask(value: str) -> str:
    return REDACTED if value else "''"


class LiveStream(msgspec.Struct, frozen=True, omit_defaults=True):
    """``GET …/livestream`` 200 body. Empty strings before any configuration."""

    stream_url: str
    stream_key: str
    page_url: str
    resolution: str | UnsetType = UNSET

    def __repr__(self) -> str:
        return (
            f"LiveStream(stream_url={self.stream_url!r}, stream_key={_mask(self.stream_key)}, "
            f"page_url={self.page_url!r}, resolution={self.resolution!r})"
        )


class LiveStreamUpdate(msgspec.Struct, frozen=True, omit_defaults=True):
    """``PATCH …/livestream`` body."""

    stream_url: str
    stream_key: str
    page_url: str
    resolution: Resolution | UnsetType = UNSET

    def __repr__(self) -> str:
        return (
            f"LiveStreamUpdate(stream_url={self.stream_url!r}, "
            f"stream_key={_mask(self.stream_key)}, page_url={self.page_url!r}, "
            f"resolution={self.resolution!r})"
        )


class LiveStreamSettings(msgspec.Struct, frozen=True, omit_defaults=True):
    """``settings`` of ``PATCH …/livestream/status``."""

    active_speaker_name: bool | UnsetType = UNSET
    display_name: str | UnsetType = UNSET
    layout: Layout | UnsetType = UNSET
    close_caption: CloseCaption | UnsetType = UNSET


class LiveStreamStatusUpdate(msgspec.Struct, frozen=True, omit_defaults=True):
    """``PATCH …/livestream/status`` body."""

    action: Action
    settings: LiveStreamSettings | UnsetType = UNSET


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class ErrorBody(msgspec.Struct, frozen=True, omit_defaults=True):
    """Zoom's error envelope: ``{"code": …, "message": …}`` plus ``errors`` on validation."""

    code: int
    message: str
    errors: list[FieldError] | UnsetType = UNSET


class TokenResponse(msgspec.Struct, frozen=True, omit_defaults=True):
    """``POST /oauth/token`` (account_credentials) 200 body."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str
    api_url: str | UnsetType = UNSET

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self.scope.split())

    def __repr__(self) -> str:
        return (
            f"TokenResponse(access_token={REDACTED}, token_type={self.token_type!r}, "
            f"expires_in={self.expires_in}, scope={self.scope!r})"
        )


class OAuthError(msgspec.Struct, frozen=True, omit_defaults=True):
    """Token endpoint failure body: ``{"reason": …, "error": …}``."""

    reason: str
    error: str

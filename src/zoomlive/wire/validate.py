"""Validation of live stream request bodies, reporting every bad field at once.

msgspec stops at the first error; Zoom lists one ``errors`` entry per bad field,
so bodies are decoded to plain objects first and checked here. The client uses
the same functions to refuse a bad body before sending it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from msgspec import UNSET

from zoomlive.wire import models as m
from zoomlive.wire.models import FieldError, LiveStreamSettings, LiveStreamStatusUpdate
from zoomlive.wire.paths import Kind

# RFC 3986 absolute URI: a scheme, ":", then only characters a URI may hold
# (unreserved, reserved, and %HH escapes). No whitespace or control characters.
_URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:"
    r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+"
)


def is_uri(value: str) -> bool:
    return _URI.fullmatch(value) is not None


#: The schemes a stream may be published by: Zoom's custom live streaming service takes
#: RTMP ingest URLs (``zoom-facts-workflow-media.md`` §5.1-5.3), README Decision "Stream URLs".
STREAM_SCHEMES = ("rtmp", "rtmps")


def is_stream_url(value: str) -> bool:
    """An RTMP(S) ingest URL with a host: the only thing the media worker may be
    asked to connect to (README Decision "Stream URLs"), whatever path stored it."""
    if not is_uri(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- a port that is not a number raises here
    except ValueError:
        return False
    return parts.scheme.lower() in STREAM_SCHEMES and bool(parts.hostname)


def _missing(name: str) -> FieldError:
    return FieldError(name, f"Required field is missing: {name}.")


def _invalid(path: str) -> FieldError:
    """``field`` is the full dotted path, the message names the leaf, as in Zoom's own
    example: ``{"field": "settings.jbh_time", "message": "Invalid parameter: jbh_time."}``."""
    return FieldError(path, f"Invalid parameter: {path.rpartition('.')[2]}.")


def _too_long(name: str, limit: int) -> FieldError:
    return FieldError(name, f"Length of {name} must be at most {limit}.")


def _string(body: Mapping[str, Any], name: str, limit: int, errors: list[FieldError]) -> str | None:
    if name not in body or body[name] is None:
        errors.append(_missing(name))
        return None
    value = body[name]
    if not isinstance(value, str):
        errors.append(_invalid(name))
        return None
    if len(value) > limit:
        errors.append(_too_long(name, limit))
        return None
    return value


def validate_update(body: Mapping[str, Any]) -> m.LiveStreamUpdate | list[FieldError]:
    """Check a ``PATCH …/livestream`` body. Unknown fields are ignored."""
    errors: list[FieldError] = []
    stream_url = _string(body, "stream_url", m.STREAM_URL_MAX, errors)
    if stream_url is not None and not is_stream_url(stream_url):
        errors.append(_invalid("stream_url"))
        stream_url = None
    stream_key = _string(body, "stream_key", m.STREAM_KEY_MAX, errors)
    page_url = _string(body, "page_url", m.PAGE_URL_MAX, errors)
    if page_url is not None and not is_uri(page_url):
        errors.append(_invalid("page_url"))
        page_url = None
    resolution = body.get("resolution")
    if resolution is not None and resolution not in m.RESOLUTIONS:
        errors.append(_invalid("resolution"))
    if errors or stream_url is None or stream_key is None or page_url is None:
        return errors
    return m.LiveStreamUpdate(
        stream_url=stream_url,
        stream_key=stream_key,
        page_url=page_url,
        resolution=resolution if resolution is not None else UNSET,
    )


def _settings(kind: Kind, raw: object, errors: list[FieldError]) -> LiveStreamSettings | None:
    if not isinstance(raw, Mapping):
        errors.append(_invalid("settings"))
        return None
    out: dict[str, Any] = {}
    if "active_speaker_name" in raw and raw["active_speaker_name"] is not None:
        value = raw["active_speaker_name"]
        if isinstance(value, bool):
            out["active_speaker_name"] = value
        else:
            errors.append(_invalid("settings.active_speaker_name"))
    if "display_name" in raw and raw["display_name"] is not None:
        value = raw["display_name"]
        if isinstance(value, str) and m.DISPLAY_NAME_MIN <= len(value) <= m.DISPLAY_NAME_MAX:
            out["display_name"] = value
        else:
            errors.append(_invalid("settings.display_name"))
    enums: list[tuple[str, tuple[str, ...]]] = [("close_caption", m.CLOSE_CAPTIONS)]
    if kind is Kind.MEETING:
        enums.append(("layout", m.LAYOUTS))
    for name, allowed in enums:
        if name in raw and raw[name] is not None:
            if raw[name] in allowed:
                out[name] = raw[name]
            else:
                errors.append(_invalid(f"settings.{name}"))
    return LiveStreamSettings(**out)


def validate_status(
    kind: Kind, body: Mapping[str, Any]
) -> LiveStreamStatusUpdate | list[FieldError]:
    """Check a ``PATCH …/livestream/status`` body. Enums are case-sensitive."""
    errors: list[FieldError] = []
    allowed = m.MEETING_ACTIONS if kind is Kind.MEETING else m.WEBINAR_ACTIONS
    action = body.get("action")
    if action is None:
        errors.append(_missing("action"))
    elif action not in allowed:
        errors.append(_invalid("action"))
    settings = None
    if body.get("settings") is not None:
        settings = _settings(kind, body["settings"], errors)
    if errors or not isinstance(action, str):
        return errors
    return LiveStreamStatusUpdate(
        action=action,  # type: ignore[arg-type]
        settings=settings if settings is not None else UNSET,
    )

"""Validation of meeting and webinar create/update bodies, every bad field at once.

Unknown fields are ignored, as Zoom does (``schedule_for``, ``recurrence``,
``tracking_fields``, ``template_id``… are accepted and not kept). A known field
with the wrong type or outside Zoom's range gets Zoom's validation error, in the
shape of README Decision 2. ``settings`` keys of Zoom's schema that hold a scalar
are checked by the schema's type and enum (``wire.zoom_fields``); other ``settings``
keys (objects, lists) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from zoomlive.wire import meetings as mt
from zoomlive.wire.models import FieldError
from zoomlive.wire.paths import Kind

#: Zoom's passcode alphabet (2023 spec: ``[a-zA-Z0-9@-_*!]``).
_PASSWORD = re.compile(r"[A-Za-z0-9@\-_*!]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Zoom's integers are int32.
INT_MAX = 2_147_483_647


def _invalid(path: str) -> FieldError:
    return FieldError(path, f"Invalid parameter: {path.rpartition('.')[2]}.")


def _too_long(name: str, limit: int) -> FieldError:
    return FieldError(name, f"Length of {name} must be at most {limit}.")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_time(value: str) -> bool:
    """``yyyy-MM-ddTHH:mm:ssZ`` (UTC) or without the ``Z`` (local to ``timezone``)."""
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value


def _text(body: Mapping[str, Any], name: str, limit: int, out: dict[str, Any],
          errors: list[FieldError]) -> None:  # fmt: skip
    value = body[name]
    if not isinstance(value, str) or _CONTROL.search(value.replace("\n", "").replace("\t", "")):
        errors.append(_invalid(name))
    elif len(value) > limit:
        errors.append(_too_long(name, limit))
    else:
        out[name] = value


def validate_meeting_body(kind: Kind, body: Mapping[str, Any]) -> dict[str, Any] | list[FieldError]:
    """The known fields of a create or update body, checked; or the errors.
    Nothing is required (Zoom's create has no required field: ``type`` defaults to
    2, a webinar's to 5)."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    present = {k for k, v in body.items() if v is not None}
    if "topic" in present:
        _text(body, "topic", mt.TOPIC_MAX, out, errors)
    if "agenda" in present:
        _text(body, "agenda", mt.AGENDA_MAX, out, errors)
    if "timezone" in present:
        _text(body, "timezone", 64, out, errors)
    if "type" in present:
        allowed = mt.MEETING_TYPES if kind is Kind.MEETING else mt.WEBINAR_TYPES
        if _is_int(body["type"]) and body["type"] in allowed:
            out["type"] = body["type"]
        else:
            errors.append(_invalid("type"))
    if "duration" in present:
        value = body["duration"]
        if _is_int(value) and 0 <= value <= INT_MAX:
            out["duration"] = value
        else:
            errors.append(_invalid("duration"))
    if "start_time" in present:
        value = body["start_time"]
        if isinstance(value, str) and _is_time(value):
            out["start_time"] = value
        else:
            errors.append(_invalid("start_time"))
    if "password" in present:
        value = body["password"]
        if not isinstance(value, str) or _PASSWORD.fullmatch(value) is None:
            errors.append(_invalid("password"))
        elif len(value) > mt.PASSWORD_MAX:
            errors.append(_too_long("password", mt.PASSWORD_MAX))
        else:
            out["password"] = value
    if "pre_schedule" in present and kind is Kind.MEETING:
        if isinstance(body["pre_schedule"], bool):
            out["pre_schedule"] = body["pre_schedule"]
        else:
            errors.append(_invalid("pre_schedule"))
    if "settings" in present:
        settings = _settings(kind, body["settings"], errors)
        if settings is not None:
            out["settings"] = settings
    return errors if errors else out


def _settings(kind: Kind, raw: object, errors: list[FieldError]) -> dict[str, Any] | None:
    """The scalar keys of Zoom's ``settings`` schema, checked by the schema's type and
    the one enum table (``meetings.SETTINGS_ENUMS``); other keys are ignored."""
    if not isinstance(raw, Mapping):
        errors.append(_invalid("settings"))
        return None
    types = mt.SETTINGS_TYPES[kind]
    enums = mt.SETTINGS_ENUMS[kind]
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in types or value is None:
            continue
        kind_of = types[name]
        ok = (
            isinstance(value, bool)
            if kind_of == "boolean"
            else _is_int(value) and 0 <= value <= INT_MAX
            if kind_of == "integer"
            else isinstance(value, str) and len(value) <= 1024
        )
        if ok and name in enums and value not in enums[name]:
            ok = False
        if ok:
            out[name] = value
        else:
            errors.append(_invalid(f"settings.{name}"))
    return out


def validate_status_action(kind: Kind, body: Mapping[str, Any]) -> str | list[FieldError]:
    """``PUT …/status``: ``action`` is ``end`` (meetings also ``recover``). A body
    without ``action`` may name it ``status``, the field of Zoom's earlier docs that
    clients still send (zoomus: ``{"status": "end"}``; README, Decision 17); with
    neither, 400/300 ``Required field is missing: action.``."""
    name = "action"
    action = body.get("action")
    if action is None and body.get("status") is not None:
        name, action = "status", body["status"]
    if action is None:
        return [FieldError("action", "Required field is missing: action.")]
    if action not in mt.STATUS_ACTIONS[kind]:
        return [_invalid(name)]
    return str(action)

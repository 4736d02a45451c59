"""Zoom's event payloads (live streaming and lifecycle), built from a meeting's state.

Shapes follow Zoom's generated types and sample payloads
(shared/reference/zoom-facts-workflow-media.md §1).
"""

from __future__ import annotations

import json
from typing import Any

from msgspec import UNSET

from zoomlive.server.clock import iso_utc
from zoomlive.server.storage.records import Meeting, User
from zoomlive.wire import webhooks as wh


def live_streaming_event(
    meeting: Meeting, host: User | None, started: bool, at: float
) -> wh.LiveStreamingEvent:
    settings = (
        wh.CustomLiveStreamingSettings(
            stream_url=meeting.stream_url,
            stream_key=meeting.stream_key,
            page_url=meeting.page_url,
            resolution=meeting.resolution if meeting.resolution else UNSET,
        )
        if meeting.configured
        else UNSET
    )
    return wh.LiveStreamingEvent(
        event="meeting.live_streaming_started" if started else "meeting.live_streaming_stopped",
        event_ts=int(at * 1000),
        payload=wh.EventPayload(
            account_id=meeting.account_id,
            operator=host.email if host is not None else "",
            operator_id=meeting.host_id,
            object=wh.EventObject(
                id=meeting.id,
                uuid=meeting.uuid,
                host_id=meeting.host_id,
                topic=meeting.topic,
                type=meeting.type,
                start_time=meeting.start_time,
                timezone=meeting.timezone,
                duration=meeting.duration,
                live_streaming=wh.LiveStreaming(
                    service="Custom_Live_Streaming_Service",
                    custom_live_streaming_settings=settings,
                    date_time=iso_utc(at),
                ),
            ),
        ),
    )


# -- lifecycle events: meeting.created … webinar.ended -------------------------------------

#: The fields ``meeting.updated`` may report (Zoom sends only what changed, plus ``id``).
UPDATABLE = ("topic", "type", "start_time", "duration", "timezone", "agenda", "password")


def _common(meeting: Meeting) -> dict[str, Any]:
    return {
        "uuid": meeting.uuid,
        "id": meeting.id,
        "host_id": meeting.host_id,
        "topic": meeting.topic,
        "type": meeting.type,
        "start_time": meeting.start_time,
        "duration": meeting.duration,
        "timezone": meeting.timezone,
    }


def _envelope(name: str, at: float, payload: dict[str, Any]) -> dict[str, Any]:
    return {"event": name, "event_ts": int(at * 1000), "payload": payload}


def _operator(host: User | None, meeting: Meeting) -> dict[str, Any]:
    # Our choice: the API caller acts for the host, so the host is the operator.
    return {"operator": host.email if host is not None else "", "operator_id": meeting.host_id}


def created_event(meeting: Meeting, host: User | None, join_url: str, at: float) -> dict[str, Any]:
    settings = json.loads(meeting.settings or "{}")
    obj = {**_common(meeting), "join_url": join_url, "password": meeting.password}
    obj["settings"] = {
        "use_pmi": bool(settings.get("use_pmi", False)),
        "alternative_hosts": str(settings.get("alternative_hosts", "")),
    }
    if meeting.kind == "meeting":
        obj["settings"]["join_before_host"] = bool(settings.get("join_before_host", False))
        obj["settings"]["jbh_time"] = int(settings.get("jbh_time", 0))
    else:
        obj["creation_source"] = "open_api"
    payload = {"account_id": meeting.account_id, **_operator(host, meeting),
               "operation": "single", "object": obj}  # fmt: skip
    return _envelope(f"{meeting.kind}.created", at, payload)


def updated_event(
    before: Meeting, after: Meeting, host: User | None, changed: dict[str, Any], at: float
) -> dict[str, Any]:
    """``object`` and ``old_object`` hold ``id`` and the fields that changed."""
    new: dict[str, Any] = {"id": after.id}
    old: dict[str, Any] = {"id": before.id}
    for name in changed:
        if name == "settings":
            was, now = json.loads(before.settings), json.loads(after.settings)
            keys = [k for k in now if was.get(k) != now.get(k)]
            new["settings"] = {k: now[k] for k in keys}
            old["settings"] = {k: was.get(k) for k in keys}
        elif name in UPDATABLE:
            new[name], old[name] = getattr(after, name), getattr(before, name)
    payload = {"account_id": after.account_id, **_operator(host, after), "scope": "single",
               "time_stamp": int(at * 1000), "object": new, "old_object": old}  # fmt: skip
    return _envelope(f"{after.kind}.updated", at, payload)


def deleted_event(meeting: Meeting, host: User | None, at: float) -> dict[str, Any]:
    payload = {"account_id": meeting.account_id, **_operator(host, meeting),
               "operation": "single", "object": _common(meeting)}  # fmt: skip
    return _envelope(f"{meeting.kind}.deleted", at, payload)


def started_event(meeting: Meeting, host: User | None, at: float) -> dict[str, Any]:
    """``id`` is a string here, as in Zoom's types (README, Decisions)."""
    obj = {**_common(meeting), "id": str(meeting.id),
           "host_email": host.email if host is not None else ""}  # fmt: skip
    return _envelope(f"{meeting.kind}.started", at,
                     {"account_id": meeting.account_id, "object": obj})  # fmt: skip


def ended_event(meeting: Meeting, host: User | None, at: float) -> dict[str, Any]:
    body = started_event(meeting, host, at)
    body["event"] = f"{meeting.kind}.ended"
    body["payload"]["object"]["end_time"] = iso_utc(at)
    if meeting.kind == "webinar":
        body["payload"]["object"]["practice_session"] = False
    return body

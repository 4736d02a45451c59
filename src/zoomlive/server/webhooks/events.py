"""Zoom's live streaming event payloads, built from a meeting's new state."""

from __future__ import annotations

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

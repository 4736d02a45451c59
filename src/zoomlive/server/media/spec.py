"""What the API process hands the media worker for a stream: its card (what the
picture says) and where to publish. Pure data, no PyAV and no numpy: the API process
builds it at a stream's ``start`` and must not load the media stack to do so (media
costs the API process nothing, README, "Real media").

Zoom streams the meeting's video; zoomlive has no meeting, so it streams a card that
lets a receiver check it got the right stream: the meeting id and topic, a UTC clock,
the layout name, the ``display_name`` lower third (a sample speaker name when
``active_speaker_name`` is on) and, with ``close_caption: "burnt-in"``, a caption
band (Zoom's stream settings, ``zoom-facts.md`` §1.3). Everything but the clock is
fixed for a stream, so the card is one of few *variants* (README, "Real media").
"""

from __future__ import annotations

import msgspec

#: Frame sizes by the live stream's ``resolution`` (README Decision: 720p by default).
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}

#: The name shown in the lower third when ``active_speaker_name`` is on: a sample,
#: since an emulated meeting has no speaker.
SAMPLE_SPEAKER = "Alex Rivera"


class Card(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a stream's picture shows except the clock: one variant."""

    meeting_id: int
    topic: str
    layout: str = "follow_host"
    display_name: str | None = None
    speaker_name: str | None = None
    burnt_in_captions: bool = False
    width: int = 1280
    height: int = 720


def card_for(
    meeting_id: int,
    topic: str,
    resolution: str | None,
    layout: str | None,
    display_name: str | None,
    active_speaker_name: bool | None,
    close_caption: str | None,
) -> Card:
    width, height = SIZES.get(resolution or "720p", SIZES["720p"])
    return Card(
        meeting_id=meeting_id,
        topic=topic,
        layout=layout or "follow_host",
        display_name=display_name or None,
        speaker_name=SAMPLE_SPEAKER if active_speaker_name else None,
        burnt_in_captions=close_caption == "burnt-in",
        width=width,
        height=height,
    )


def publish_url(stream_url: str, stream_key: str) -> str:
    """Where Zoom publishes: the RTMP application URL, then the key as the stream
    name (README Decision: a trailing slash on ``stream_url`` is dropped)."""
    return f"{stream_url.rstrip('/')}/{stream_key}"

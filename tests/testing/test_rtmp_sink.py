"""A user's test of their integration's live stream, with nothing but the public
fixtures (``zoom``, ``zoom_client``, ``rtmp_sink``): the stream went to the right key,
at the right size, for long enough."""

from __future__ import annotations

import time

import pytest

from zoomlive.client import Client
from zoomlive.testing import Zoom

pytest.importorskip("av")


def wait_until(check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_my_integration_streams_1080p_to_the_right_key(
    zoom: Zoom, zoom_client: Client, rtmp_sink: object
) -> None:
    from zoomlive.testing.rtmp_sink import RtmpSink

    assert isinstance(rtmp_sink, RtmpSink)
    live = zoom_client.meetings.livestream
    live.update(zoom.meeting_id, stream_url=rtmp_sink.url, stream_key="my-stream-key",
                page_url="https://example.com/watch", resolution="1080p")  # fmt: skip
    live.start(zoom.meeting_id, display_name="All hands")
    arrival = rtmp_sink.wait_published(timeout=60)
    wait_until(lambda: arrival.duration >= 2.0)
    live.stop(zoom.meeting_id)
    arrival = rtmp_sink.wait_closed(timeout=5)

    assert arrival.app == "live" and arrival.stream_name == "my-stream-key"
    assert (arrival.width, arrival.height) == (1920, 1080)
    assert (arrival.video_codec, arrival.audio_codec) == ("h264", "aac")
    assert arrival.duration >= 2.0 and arrival.frames >= 60 and arrival.bytes > 0
    # The media state follows the worker's own report of the closed session (README,
    # "Real media"), which can land just after the sink saw the close: within the
    # stop's one second, not before this line.
    wait_until(lambda: zoom.media(zoom.meeting_id)["state"] == "stopped", timeout=1.0)

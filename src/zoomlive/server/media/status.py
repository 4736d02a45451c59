"""A stream's media state as the API reports it (no PyAV needed to import this)."""

from __future__ import annotations

import msgspec

#: ``off``: no media session (the stream is not live, or media is off);
#: ``connecting``: connecting or reconnecting to the ingest; ``live``: publishing;
#: ``stopped``: closed after a stop, a meeting end or shutdown; ``failed``: gave up
#: (``reason`` says why).
STATES = ("off", "connecting", "live", "stopped", "failed")


class MediaStatus(msgspec.Struct, kw_only=True, frozen=True):
    state: str = "off"
    reason: str | None = None
    width: int | None = None
    height: int | None = None
    bytes_sent: int = 0
    frames_sent: int = 0
    audio_frames_sent: int = 0
    #: Unix time the stream first went live (this media session).
    started_at: float | None = None
    last_error: str | None = None
    #: RTMP connections made in this session (more than 1 after a reconnect).
    connects: int = 0

"""One stream's RTMP publisher: connect with retries, loop the variant's packets in
real time, close cleanly.

Runs as a thread of the media worker process. It publishes on a Python socket
(``rtmp.Publisher``) whose every wait releases the GIL and has a deadline, so the
threads of many streams share the process without holding each other up, however
one ingest behaves. Retry policy (README, "Real media"):

- starting: up to 3 attempts, 0.5 s then 1 s apart, so an unreachable or refusing
  ingest is ``failed`` within 5 s of the start;
- a connection that drops while live: up to 5 attempts, 0.5, 1, 2 and 4 s apart, then
  ``failed``. Each new connection publishes again from timestamp 0 with a keyframe;
- each attempt: the TCP connect limited to 1 s, then TLS, the RTMP handshake and the
  publish to ``SESSION_TIMEOUT`` more (``rtmp.Publisher``), so an ingest that accepts
  TCP and never answers is ``failed`` too, and holds only its own stream.

Closing sends FCUnpublish and deleteStream, so a receiver sees the publisher leave at
once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zoomlive.server.media.encode import (
    AAC_FRAME,
    AUDIO_BITRATE,
    FPS,
    GOP_FRAMES,
    SAMPLE_RATE,
    Encoded,
)
from zoomlive.server.media.rtmp import Publisher, Stopped

START_DELAYS = (0.5, 1.0)
DROP_DELAYS = (0.5, 1.0, 2.0, 4.0)
CONNECT_TIMEOUT = 1.0
#: TLS, the RTMP handshake and the publish, after the TCP connect.
SESSION_TIMEOUT = 2.0

Report = Callable[[int, dict[str, Any]], None]


@dataclass
class Slot:
    """A stream's place in the worker: stopping it works before its sender exists
    (while the variant is still being encoded)."""

    stop_event: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)


@dataclass
class VideoLoop:
    """A variant's current GOP; the worker swaps ``current`` when the clock changes,
    and each sender picks it up at its next keyframe."""

    current: Encoded
    users: int = 0
    clock: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


class Sender(threading.Thread):
    def __init__(
        self,
        meeting_id: int,
        url: str,
        secret: str,
        video: VideoLoop,
        audio: Encoded,
        report: Report,
        size: tuple[int, int],
        slot: Slot,
    ) -> None:
        super().__init__(name=f"media-{meeting_id}", daemon=True)
        self.meeting_id = meeting_id
        self._url = url
        self._secret = secret
        self._video = video
        self._audio = audio
        self._report = report
        self.stop_event = slot.stop_event
        self.finished = slot.finished
        self.status: dict[str, Any] = {
            "state": "connecting",
            "reason": None,
            "width": size[0],
            "height": size[1],
            "bytes_sent": 0,
            "frames_sent": 0,
            "audio_frames_sent": 0,
            "started_at": None,
            "last_error": None,
            "connects": 0,
        }

    def stop(self) -> None:
        self.stop_event.set()

    def _set(self, **changes: Any) -> None:
        self.status.update(changes)
        self._report(self.meeting_id, dict(self.status))

    def _scrub(self, exc: BaseException) -> str:
        """The error without the publish URL or the key (a secret)."""
        text = f"{type(exc).__name__}: {exc}"
        for secret in (self._url, self._secret):
            if secret:
                text = text.replace(secret, "***")
        return text[:200]

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # never let a stream's thread die silently
            self._set(state="failed", reason=f"media error: {self._scrub(exc)}")
        finally:
            self.finished.set()

    def _run(self) -> None:
        delays: tuple[float, ...] = START_DELAYS
        self._set(state="connecting")
        while True:
            out = self._connect(delays)
            if out is None:
                return
            error = self._pump(out)
            if error is None:
                self._close(out)
                self._set(state="stopped", reason="stopped")
                return
            self._abandon(out)
            self._set(state="connecting", last_error=error, reason="connection lost")
            delays = DROP_DELAYS

    def _connect(self, delays: tuple[float, ...]) -> Publisher | None:
        last = ""
        attempts = (0.0, *delays)
        for delay in attempts:
            if self.stop_event.wait(delay):
                self._set(state="stopped", reason="stopped before connecting")
                return None
            out = None
            try:
                # the spec's url is stream_url + "/" + key (spec.publish_url)
                stream_url = self._url[: len(self._url) - len(self._secret) - 1]
                out = Publisher(stream_url, self._secret, self.stop_event)
                out.connect(CONNECT_TIMEOUT, SESSION_TIMEOUT)
                out.send_headers(self._metadata(), *self._configs())
                self.status["connects"] += 1
                return out
            except Stopped:
                self._abandon(out)
                self._set(state="stopped", reason="stopped before connecting")
                return None
            except Exception as exc:
                last = self._scrub(exc)
                self._abandon(out)
                self._set(last_error=last)
        self._set(
            state="failed",
            reason=f"ingest unreachable after {len(attempts)} attempts: {last}",
        )
        return None

    def _configs(self) -> tuple[bytes, bytes]:
        """The H.264 (avcC) and AAC (AudioSpecificConfig) sequence headers."""
        avcc = self._video.current.template.codec_context.extradata
        asc = self._audio.template.codec_context.extradata
        return bytes(avcc or b""), bytes(asc or b"")

    def _metadata(self) -> dict[str, Any]:
        return {
            "duration": 0.0, "width": float(self.status["width"]),
            "height": float(self.status["height"]), "framerate": float(FPS),
            "videocodecid": 7.0, "audiodatarate": AUDIO_BITRATE / 1000,
            "audiosamplerate": float(SAMPLE_RATE), "audiosamplesize": 16.0,
            "stereo": True, "audiocodecid": 10.0, "encoder": "zoomlive", "filesize": 0.0,
        }  # fmt: skip

    def _pump(self, out: Publisher) -> str | None:
        """Send until stopped (returns None) or the connection fails (the reason)."""
        audio = self._audio.packets
        frame = 0  # video frames on this connection
        aframe = 0
        gop = self._video.current.packets
        start = time.monotonic()
        if self.status["started_at"] is None:
            self.status["started_at"] = time.time()
        self._set(state="live", reason=None)
        last_report = start
        try:
            while not self.stop_event.is_set():
                vts = frame * 1000 / FPS
                due = start + vts / 1000 - time.monotonic()
                if due > 0 and self.stop_event.wait(due):
                    break
                index = frame % GOP_FRAMES
                if index == 0:
                    gop = self._video.current.packets
                data, key = gop[index]
                out.send_video(data, round(vts), key)
                self.status["frames_sent"] += 1
                self.status["bytes_sent"] += len(data)
                frame += 1
                # the audio due up to the next video frame
                while aframe * AAC_FRAME * 1000 / SAMPLE_RATE < frame * 1000 / FPS:
                    adata = audio[aframe % len(audio)][0]
                    ats = round(aframe * AAC_FRAME * 1000 / SAMPLE_RATE)
                    out.send_audio(adata, ats)
                    self.status["audio_frames_sent"] += 1
                    self.status["bytes_sent"] += len(adata)
                    aframe += 1
                now = time.monotonic()
                if now - last_report >= 1.0:
                    last_report = now
                    self._report(self.meeting_id, dict(self.status))
        except Exception as exc:
            return self._scrub(exc)
        return None

    def _close(self, out: Publisher) -> None:
        out.close(clean=True)

    def _abandon(self, out: Publisher | None) -> None:
        if out is not None:  # the connection is gone; closing it can only fail
            out.close(clean=False)

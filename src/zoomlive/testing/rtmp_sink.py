"""``RtmpSink``: an RTMP receiver on 127.0.0.1 that accepts one publish and reports
what arrived, so a test can assert "my integration started a 1080p stream to the
right key" without running an RTMP server.

FFmpeg's RTMP listen mode (through PyAV, the ``media`` extra) receives the stream.
It accepts any stream name and does not say which one was published, so the sink
listens on its own port and relays the connection to FFmpeg, reading the ``connect``
command's ``app`` and the ``publish`` command's stream name as they pass (AMF0
strings in the client's first chunks).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

_PUBLISH = re.compile(rb"\x02\x00\x07publish\x00.{8}\x05\x02(..)", re.DOTALL)
_APP = re.compile(rb"\x00\x03app\x02(..)", re.DOTALL)


@dataclass
class Arrival:
    """What the sink received (so far, while the publisher is connected)."""

    app: str | None = None
    stream_name: str | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    width: int | None = None
    height: int | None = None
    frames: int = 0
    audio_frames: int = 0
    #: Seconds of video, from the first frame's timestamp to the end of the last.
    duration: float = 0.0
    bytes: int = 0
    published: bool = False
    closed: bool = False
    error: str | None = None
    _first: float | None = field(default=None, repr=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RtmpSink:
    """Give ``sink.url`` as ``stream_url``; after the stream ran, read ``sink.arrival``
    (or wait for it with ``wait_published`` / ``wait_closed``). One publish per sink."""

    def __init__(self, app: str = "live") -> None:
        import av  # noqa: F401  (the media extra; fail here, not in a thread)

        self.app = app
        self.arrival = Arrival()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._inner = _free_port()
        self._stop = threading.Event()
        self._published = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._receive, name="rtmp-sink-receive", daemon=True),
            threading.Thread(target=self._relay, name="rtmp-sink-relay", daemon=True),
        ]
        for t in self._threads:
            t.start()

    @property
    def url(self) -> str:
        """The RTMP application URL to configure as the stream's ``stream_url``."""
        return f"rtmp://127.0.0.1:{self.port}/{self.app}"

    def wait_published(self, timeout: float = 10.0) -> Arrival:
        if not self._published.wait(timeout):
            raise TimeoutError(f"no publish arrived at {self.url} within {timeout} s")
        return self.arrival

    def wait_closed(self, timeout: float = 10.0) -> Arrival:
        if not self._closed.wait(timeout):
            raise TimeoutError(f"the publisher did not leave {self.url} within {timeout} s")
        return self.arrival

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for t in self._threads:
            t.join(2)

    def __enter__(self) -> RtmpSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- receiving (FFmpeg, listen mode) ----------------------------------------------

    def _receive(self) -> None:
        import av

        a = self.arrival
        try:
            url = f"rtmp://127.0.0.1:{self._inner}/{self.app}/sink"
            with av.open(url, "r", format="flv", options={"listen": "1"}, timeout=(3600, 10)) as c:
                self._published.set()
                a.published = True
                for stream in c.streams:
                    ctx: Any = stream.codec_context
                    if stream.type == "video":
                        a.video_codec, a.width, a.height = ctx.name, ctx.width, ctx.height
                    elif stream.type == "audio":
                        a.audio_codec = ctx.name
                with contextlib.suppress(av.error.EOFError, OSError):
                    for packet in c.demux():
                        if not packet.size:
                            continue
                        a.bytes += packet.size
                        if packet.stream.type == "audio":
                            a.audio_frames += 1
                        elif packet.stream.type == "video" and packet.dts is not None:
                            self._frame(float(packet.dts * packet.time_base), packet.stream)
        except Exception as exc:
            if not self._stop.is_set():
                a.error = f"{type(exc).__name__}: {exc}"
        finally:
            a.closed = True
            self._published.set()
            self._closed.set()

    def _frame(self, t: float, stream: Any) -> None:
        a = self.arrival
        a.frames += 1
        if a._first is None:
            a._first = t
        rate = float(stream.average_rate or stream.guessed_rate or 30)
        a.duration = t - a._first + 1 / rate

    # -- relaying (and reading the app and stream name) -------------------------------

    def _relay(self) -> None:
        """Relay the first connection that sends anything; connections that close
        without a byte (a publisher's reachability probe) are let go."""
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            first = self._first_bytes(client)
            if not first:
                client.close()
                continue
            upstream = self._connect_inner()
            if upstream is None:
                client.close()
                return
            upstream.sendall(first)
            self._sniff(first)
            back = threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True)
            back.start()
            self._pump(client, upstream, True, first)
            back.join(2)
            return

    def _first_bytes(self, client: socket.socket) -> bytes:
        client.settimeout(0.2)
        while not self._stop.is_set():
            try:
                return client.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return b""
        return b""

    def _connect_inner(self) -> socket.socket | None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self._stop.is_set():
            try:
                return socket.create_connection(("127.0.0.1", self._inner), timeout=1)
            except OSError:
                time.sleep(0.02)
        return None

    def _pump(self, src: socket.socket, dst: socket.socket, sniff: bool, seen: bytes = b"") -> None:
        src.settimeout(0.2)
        try:
            while not self._stop.is_set():
                try:
                    data = src.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                if sniff and self.arrival.stream_name is None:
                    seen = (seen + data)[-65536:]
                    self._sniff(seen)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
            if not sniff:
                with contextlib.suppress(OSError):
                    src.close()
                    dst.close()

    def _sniff(self, data: bytes) -> None:
        for pattern, name in ((_APP, "app"), (_PUBLISH, "stream_name")):
            if getattr(self.arrival, name) is not None and name != "app":
                continue
            m = pattern.search(data)
            if m is not None:
                size = int.from_bytes(m.group(1), "big")
                start = m.end()
                if len(data) >= start + size:
                    value = data[start : start + size].decode("utf-8", "replace")
                    if name == "app":
                        self.arrival.app = value
                    else:
                        self.arrival.stream_name = value

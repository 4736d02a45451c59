"""An RTMP(S) publisher on a Python socket: every read and write under a deadline.

Zoom publishes to ``rtmp://`` and ``rtmps://`` ingests only (README Decision "Stream
URLs"), so this speaks nothing else: the URL is checked before a socket is opened, and
no FFmpeg protocol (and none of its many schemes) is ever opened by the media worker.
It replaces FFmpeg's RTMP protocol because PyAV opens that one holding the GIL and with
no deadline (``avio_open`` in ``start_encoding``): an ingest that accepted TCP and never
answered held every stream of the worker, not only its own (README, "Real media").
Here a connect, TLS, the RTMP handshake and the publish are bounded
by one deadline per stream, and stopping a stream that is connecting is seen within
``POLL`` seconds.

What goes on the wire is what FFmpeg's RTMP publisher sends: the handshake, ``connect``
(app and tcUrl from ``stream_url``), ``releaseStream``, ``FCPublish``, ``createStream``,
``publish`` (live) of ``stream_key`` (README Decision 22), ``@setDataFrame``
``onMetaData``, the H.264 and AAC sequence headers, then FLV-bodied audio and video
messages; closing sends ``FCUnpublish`` and ``deleteStream``, so a receiver sees the
publisher leave at once.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import struct
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from zoomlive.wire.validate import is_stream_url

#: How often a blocked read looks at the stream's stop event.
POLL = 0.1
#: A write the ingest does not take within this long: the connection is lost.
WRITE_TIMEOUT = 5.0
OUT_CHUNK = 4096
_MAX_MESSAGE = 1 << 20

_SET_CHUNK_SIZE, _ACK, _WINDOW, _PEER_BW = 1, 3, 5, 6
_AUDIO, _VIDEO, _DATA, _COMMAND = 8, 9, 18, 20
_CS_CONTROL, _CS_COMMAND, _CS_DATA, _CS_AUDIO, _CS_VIDEO = 2, 3, 5, 4, 6


class RtmpError(Exception):
    """The ingest refused, closed or did not answer in time."""


class Stopped(Exception):
    """The stream was stopped while connecting."""


# -- AMF0 -----------------------------------------------------------------------------


def amf(*values: Any) -> bytes:
    return b"".join(_amf(v) for v in values)


def _amf_str(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">H", len(raw)) + raw


def _amf(value: Any) -> bytes:
    if value is None:
        return b"\x05"
    if isinstance(value, bool):
        return b"\x01" + bytes([value])
    if isinstance(value, int | float):
        return b"\x00" + struct.pack(">d", float(value))
    if isinstance(value, str):
        return b"\x02" + _amf_str(value)
    if isinstance(value, dict):
        body = b"".join(_amf_str(k) + _amf(v) for k, v in value.items())
        return b"\x03" + body + b"\x00\x00\x09"
    raise TypeError(type(value).__name__)


def amf_decode(data: bytes) -> list[Any]:
    """The values of an AMF0 command (the types ingests answer with)."""
    out: list[Any] = []
    pos = 0
    while pos < len(data):
        value, pos = _amf_value(data, pos)
        out.append(value)
    return out


def _amf_value(data: bytes, pos: int) -> tuple[Any, int]:
    kind = data[pos]
    pos += 1
    if kind == 0x00:
        return struct.unpack_from(">d", data, pos)[0], pos + 8
    if kind == 0x01:
        return bool(data[pos]), pos + 1
    if kind == 0x02:
        (n,) = struct.unpack_from(">H", data, pos)
        return data[pos + 2 : pos + 2 + n].decode(errors="replace"), pos + 2 + n
    if kind in (0x03, 0x08):
        if kind == 0x08:
            pos += 4
        obj: dict[str, Any] = {}
        while pos + 3 <= len(data):
            (n,) = struct.unpack_from(">H", data, pos)
            if n == 0 and data[pos + 2] == 0x09:
                return obj, pos + 3
            key = data[pos + 2 : pos + 2 + n].decode(errors="replace")
            obj[key], pos = _amf_value(data, pos + 2 + n)
        raise RtmpError("truncated AMF object")
    if kind in (0x05, 0x06):
        return None, pos
    if kind == 0x0A:
        (n,) = struct.unpack_from(">I", data, pos)
        pos += 4
        items = []
        for _ in range(min(n, 1024)):
            item, pos = _amf_value(data, pos)
            items.append(item)
        return items, pos
    if kind == 0x0C:
        (n,) = struct.unpack_from(">I", data, pos)
        return data[pos + 4 : pos + 4 + n].decode(errors="replace"), pos + 4 + n
    raise RtmpError(f"unsupported AMF0 type {kind}")


# -- the publisher --------------------------------------------------------------------


class Publisher:
    """One RTMP publish session. ``connect`` under a deadline, then ``send_*`` from
    the stream's thread, then ``close``."""

    def __init__(self, stream_url: str, stream_key: str, stop: threading.Event) -> None:
        if not is_stream_url(stream_url):
            raise RtmpError("not an rtmp:// or rtmps:// URL")
        parts = urlsplit(stream_url.rstrip("/"))
        self._scheme = parts.scheme.lower()
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._scheme == "rtmps" else 1935)
        self._app = parts.path.strip("/") + (f"?{parts.query}" if parts.query else "")
        netloc = parts.netloc.rpartition("@")[2]
        self._tc_url = f"{self._scheme}://{netloc}/{self._app}"
        self._name = stream_key
        self._stop = stop
        self._sock: socket.socket | None = None
        self._deadline = 0.0
        self._buf = b""
        self._in_chunk = 128
        self._chunks: dict[int, list[Any]] = {}
        self._stream_id = 0
        self._txn = 0

    # connecting -----------------------------------------------------------------------

    def connect(self, connect_timeout: float, session_timeout: float) -> None:
        """TCP within ``connect_timeout``, then TLS, handshake and publish within
        ``session_timeout`` more."""
        if self._stop.is_set():
            raise Stopped
        sock = socket.create_connection((self._host, self._port), timeout=connect_timeout)
        self._sock = sock
        self._deadline = time.monotonic() + session_timeout
        if self._scheme == "rtmps":
            # FFmpeg's RTMPS does not verify the ingest's certificate by default, nor
            # does this (README, "Real media").
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            sock.settimeout(max(0.01, self._deadline - time.monotonic()))
            try:
                self._sock = context.wrap_socket(sock, server_hostname=self._host)
            except TimeoutError as exc:
                raise RtmpError("TLS handshake timed out") from exc
        self._sock.settimeout(POLL)
        self._handshake()
        self._write(_CS_CONTROL, _SET_CHUNK_SIZE, 0, 0, struct.pack(">I", OUT_CHUNK))
        self._command(0, "connect", {
            "app": self._app, "type": "nonprivate",
            "flashVer": "FMLE/3.0 (compatible; FMSc/1.0)", "tcUrl": self._tc_url,
        })  # fmt: skip
        self._await_result(self._txn)
        self._command(0, "releaseStream", None, self._name)
        self._command(0, "FCPublish", None, self._name)
        self._command(0, "createStream", None)
        result = self._await_result(self._txn)
        self._stream_id = int(result[3]) if len(result) > 3 and isinstance(result[3], float) else 1
        self._command(self._stream_id, "publish", None, self._name, "live")
        while True:
            values = self._next_command()
            if values and values[0] == "onStatus" and len(values) > 3:
                info = values[3] if isinstance(values[3], dict) else {}
                code = str(info.get("code", ""))
                if code == "NetStream.Publish.Start":
                    break
                if info.get("level") == "error" or "Publish" in code:
                    raise RtmpError(f"publish refused: {code[:80]}")
        self._sock.settimeout(WRITE_TIMEOUT)
        self._deadline = 0.0

    def _handshake(self) -> None:
        c1 = struct.pack(">II", int(time.monotonic() * 1000) & 0xFFFFFFFF, 0) + os.urandom(1528)
        self._sendall(b"\x03" + c1)
        s0s1 = self._read(1537)
        if s0s1[0] != 3:
            raise RtmpError("not an RTMP server")
        self._sendall(s0s1[1:])  # C2 echoes S1
        self._read(1536)  # S2

    def _command(self, stream_id: int, name: str, *args: Any) -> None:
        self._txn += 1
        self._write(_CS_COMMAND, _COMMAND, 0, stream_id, amf(name, self._txn, *args))

    def _await_result(self, txn: int) -> list[Any]:
        while True:
            values = self._next_command()
            if len(values) > 1 and values[1] == txn:
                if values[0] == "_result":
                    return values
                if values[0] == "_error":
                    raise RtmpError("the ingest refused the connection")

    def _next_command(self) -> list[Any]:
        while True:
            kind, payload = self._read_message()
            if kind == _COMMAND:
                try:
                    return amf_decode(payload)
                except (IndexError, struct.error) as exc:
                    raise RtmpError("malformed AMF0") from exc
            if kind == _SET_CHUNK_SIZE and len(payload) >= 4:
                size = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
                self._in_chunk = max(1, min(size, _MAX_MESSAGE))

    def _read_message(self) -> tuple[int, bytes]:
        """The next complete message from the ingest (type, payload)."""
        while True:
            first = self._read(1)[0]
            fmt, csid = first >> 6, first & 0x3F
            if csid == 0:
                csid = 64 + self._read(1)[0]
            elif csid == 1:
                low, high = self._read(2)
                csid = 64 + low + high * 256
            state = self._chunks.setdefault(csid, [0, 0, 0, b""])  # ts, length, type, body
            if fmt <= 2:
                header = self._read((11, 7, 3)[fmt])
                ts = int.from_bytes(header[0:3], "big")
                if fmt <= 1:
                    state[1] = int.from_bytes(header[3:6], "big")
                    state[2] = header[6]
                if ts == 0xFFFFFF:
                    self._read(4)
            if state[1] > _MAX_MESSAGE:
                raise RtmpError("message too large")
            take = min(self._in_chunk, state[1] - len(state[3]))
            state[3] += self._read(take)
            if len(state[3]) >= state[1]:
                payload, state[3] = state[3], b""
                return state[2], payload

    def _read(self, n: int) -> bytes:
        assert self._sock is not None
        while len(self._buf) < n:
            if self._stop.is_set():
                raise Stopped
            if time.monotonic() > self._deadline:
                raise RtmpError("the ingest did not answer in time")
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except ssl.SSLWantReadError:
                continue
            if not data:
                raise RtmpError("the ingest closed the connection")
            self._buf += data
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def _sendall(self, data: bytes) -> None:
        assert self._sock is not None
        try:
            self._sock.sendall(data)
        except TimeoutError as exc:
            raise RtmpError("the ingest did not take data in time") from exc

    # publishing -----------------------------------------------------------------------

    def _write(self, csid: int, kind: int, ts: int, stream_id: int, payload: bytes) -> None:
        ts &= 0xFFFFFFFF
        extended = ts >= 0xFFFFFF
        header = bytes([csid]) + (0xFFFFFF if extended else ts).to_bytes(3, "big")
        header += len(payload).to_bytes(3, "big") + bytes([kind])
        header += struct.pack("<I", stream_id)
        ext = struct.pack(">I", ts) if extended else b""
        parts = [header, ext, payload[:OUT_CHUNK]]
        for at in range(OUT_CHUNK, len(payload), OUT_CHUNK):
            parts += [bytes([0xC0 | csid]), ext, payload[at : at + OUT_CHUNK]]
        self._sendall(b"".join(parts))

    def send_headers(self, meta: dict[str, Any], avcc: bytes, asc: bytes) -> None:
        """``onMetaData`` and the sequence headers, at timestamp 0."""
        self._write(_CS_DATA, _DATA, 0, self._stream_id, amf("@setDataFrame", "onMetaData")
                    + b"\x08" + struct.pack(">I", len(meta)) + _amf(meta)[1:])  # fmt: skip
        self._write(_CS_VIDEO, _VIDEO, 0, self._stream_id, b"\x17\x00\x00\x00\x00" + avcc)
        self._write(_CS_AUDIO, _AUDIO, 0, self._stream_id, b"\xaf\x00" + asc)

    def send_video(self, data: bytes, ts: int, key: bool) -> None:
        head = b"\x17\x01\x00\x00\x00" if key else b"\x27\x01\x00\x00\x00"
        self._write(_CS_VIDEO, _VIDEO, ts, self._stream_id, head + data)

    def send_audio(self, data: bytes, ts: int) -> None:
        self._write(_CS_AUDIO, _AUDIO, ts, self._stream_id, b"\xaf\x01" + data)

    def close(self, *, clean: bool) -> None:
        """``FCUnpublish`` and ``deleteStream`` (when ``clean``), then the socket."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            if clean:
                self._sock = sock
                sock.settimeout(1.0)
                self._command(0, "FCUnpublish", None, self._name)
                self._command(0, "deleteStream", None, float(self._stream_id))
                self._sock = None
        except (OSError, RtmpError):
            self._sock = None
        finally:
            with contextlib.suppress(OSError):
                sock.close()

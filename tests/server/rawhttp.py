"""HTTP/1.1 over a raw socket, for tests that send what no client library would."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.support import ServerProcess


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)

    def zoom_error(self, status: int, code: int) -> dict[str, Any]:
        """Assert a Zoom-shaped JSON error answer and return its body."""
        assert self.status == status, (self.status, self.body)
        assert self.headers["content-type"].startswith("application/json"), self.headers
        assert self.headers.get("x-zm-trackingid"), self.headers
        body: dict[str, Any] = self.json()
        assert body["code"] == code, body
        assert isinstance(body["message"], str) and body["message"]
        return body


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_reply(sock: socket.socket, *, head: bool = False) -> Reply:
    """One answer; ``head`` for a HEAD request (headers only, whatever they say)."""
    started = time.perf_counter()
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed before an answer: {buf[:200]!r}")
        buf += chunk
    raw_head, _, rest = buf.partition(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = 0 if head or status in (204, 304) else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Reply(status, headers, rest[:length], time.perf_counter() - started)


def exchange(port: int, request: bytes, *, head: bool = False, timeout: float = 10.0) -> Reply:
    """Send ``request`` on a new connection and read one answer."""
    with connect(port, timeout) as sock:
        started = time.perf_counter()
        sock.sendall(request)
        reply = read_reply(sock, head=head)
        reply.seconds = time.perf_counter() - started
        return reply


def request(
    method: str,
    target: str,
    *headers: str,
    body: bytes = b"",
    close: bool = True,
) -> bytes:
    """A well-formed request; ``headers`` as ``"Name: value"`` strings."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", *headers]
    if body or method in ("PATCH", "POST"):
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def closed_by_peer(sock: socket.socket) -> bool:
    """True when the server has closed the connection (EOF or reset)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@contextlib.contextmanager
def server(db: str, **env: str) -> Iterator[ServerProcess]:
    srv = ServerProcess(db, env={"ZOOMLIVE_RATE_LIMITS": "0", **env}).start()
    try:
        yield srv
    finally:
        srv.stop()

"""The HTTP layer's limits over raw sockets against ``zoomlive serve``: the head-size
cap (431), the head deadline and the keep-alive timeout, and Zoom-shaped 400s for
what the parser rejects. None may answer 5xx or hang."""

from __future__ import annotations

import select
import selectors
import socket
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.rawhttp import closed_by_peer, connect, exchange, read_reply, request, server
from tests.support import Api, ServerProcess

M = "/v2/meetings/68423085/livestream"
#: Long enough that opening the 500 held connections and the normal requests beside
#: them fits inside it on a loaded machine (it was 2 s).
HEADER_TIMEOUT = 4.0
KEEP_ALIVE = 1


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Default limits, except a short head deadline and keep-alive (the defaults,
    10 s and 5 s, are checked in ``test_defaults``)."""
    db = str(tmp_path_factory.mktemp("limits") / "zoomlive.db")
    env = {
        "ZOOMLIVE_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "ZOOMLIVE_KEEP_ALIVE_TIMEOUT": str(KEEP_ALIVE),
    }
    with server(db, **env) as s:
        yield s


@pytest.fixture(scope="module")
def token(srv: ServerProcess) -> str:
    with httpx.Client(timeout=10) as http:
        return Api(srv.base_url, http).token()


def normal_get(srv: ServerProcess, token: str) -> float:
    reply = exchange(srv.port, request("GET", M, f"Authorization: Bearer {token}"))
    assert reply.status == 200, reply.body
    return reply.seconds


def test_defaults() -> None:
    from zoomlive.server.protocol import uvicorn_options
    from zoomlive.server.settings import ServerSettings

    settings = ServerSettings.from_env({})
    assert settings.max_header_bytes == 64 * 1024
    assert settings.header_timeout_seconds == 10.0
    assert settings.keep_alive_seconds == 5
    options = uvicorn_options(settings)
    assert options["http"].max_header_bytes == 64 * 1024
    assert options["http"].header_timeout == 10.0
    assert options["timeout_keep_alive"] == 5
    env = {
        "ZOOMLIVE_MAX_HEADER_BYTES": "1000",
        "ZOOMLIVE_HEADER_TIMEOUT": "2.5",
        "ZOOMLIVE_KEEP_ALIVE_TIMEOUT": "7",
    }
    custom = ServerSettings.from_env(env)
    assert (custom.max_header_bytes, custom.header_timeout_seconds) == (1000, 2.5)
    assert custom.keep_alive_seconds == 7


def test_megabyte_header_is_431_and_the_server_stays_responsive(
    srv: ServerProcess, token: str
) -> None:
    big = request("GET", M, f"Authorization: Bearer {token}", "X-Big: " + "a" * 1024 * 1024)
    reply = exchange(srv.port, big)
    reply.zoom_error(431, 300)
    assert reply.seconds < 5
    assert normal_get(srv, token) < 1
    # Many fields adding up past the cap count too.
    many = [f"X-F{i}: {'b' * 1000}" for i in range(80)]
    exchange(srv.port, request("GET", M, f"Authorization: Bearer {token}", *many)).zoom_error(
        431, 300
    )
    # Just under the cap is an ordinary request.
    near = request("GET", M, f"Authorization: Bearer {token}", "X-Big: " + "c" * 60_000)
    assert exchange(srv.port, near).status == 200


def test_parser_errors_are_zoom_shaped_400s(srv: ServerProcess, token: str) -> None:
    head = b"PATCH " + M.encode() + b" HTTP/1.1\r\nHost: x\r\n"
    head += f"Authorization: Bearer {token}\r\n".encode()
    cases = {
        "bad framing": head + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "bad chunk size": head + b"Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n",
        "non-ASCII request line": b"GET /v2/meetings/\xc3\xa9/livestream HTTP/1.1\r\n\r\n",
        "header without colon": b"GET " + M.encode() + b" HTTP/1.1\r\nNoColonHere\r\n\r\n",
        "not HTTP": b"HELLO THERE\r\n\r\n",
    }
    for name, raw in cases.items():
        reply = exchange(srv.port, raw)
        body = reply.zoom_error(400, 300)
        assert body["message"] == "Invalid HTTP request.", name
        assert reply.headers["connection"] == "close", name
    assert normal_get(srv, token) < 1


def test_partial_heads_are_closed_at_the_deadline_and_others_are_served(
    srv: ServerProcess, token: str
) -> None:
    """500 connections each holding half a request: normal requests are answered
    while every one of them is still held, fast, and every held connection is closed
    once the head deadline passes."""
    held: list[socket.socket] = []
    try:
        opened = time.monotonic()
        for i in range(500):
            sock = connect(srv.port)
            sock.sendall(f"GET {M} HTTP/1.1\r\nHost: x\r\nX-Slow-{i}: ".encode())
            held.append(sock)
        timings = [normal_get(srv, token) for _ in range(20)]
        # The explicit signal that they were served beside the held heads, not after
        # them: none of the 500 has been closed yet.
        closed_meanwhile = sum(1 for sock in held if readable(sock))
        open_left = wait_closed(held, HEADER_TIMEOUT + 10)
        elapsed = time.monotonic() - opened
    finally:
        for sock in held:
            sock.close()
    assert closed_meanwhile == 0, f"{closed_meanwhile} held connections closed before the end"
    # Fast: the median under 100 ms, and every one under 500 ms. (Every one under
    # 100 ms failed on a loaded 2-core machine, where the client itself waits for a
    # core; a request queued behind the held heads would have waited for their deadline.)
    assert statistics.median(timings) < 0.1, timings
    assert max(timings) < 0.5, timings
    assert open_left == 0, f"{open_left} of 500 still open"
    assert elapsed >= HEADER_TIMEOUT - 0.5
    assert normal_get(srv, token) < 1


def readable(sock: socket.socket) -> bool:
    """Has the server sent anything or closed ``sock`` (without waiting)?"""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def wait_closed(socks: list[socket.socket], timeout: float) -> int:
    """Wait until the server has closed every socket, or ``timeout``; how many are left."""
    deadline = time.monotonic() + timeout
    waiting = set(socks)
    with selectors.DefaultSelector() as sel:
        for each in socks:
            sel.register(each, selectors.EVENT_READ)
        while waiting and (left := deadline - time.monotonic()) > 0:
            for key, _ in sel.select(left):
                sock: Any = key.fileobj
                if closed_by_peer(sock):
                    sel.unregister(sock)
                    waiting.discard(sock)
    return len(waiting)


def test_silent_and_idle_connections_are_closed(srv: ServerProcess, token: str) -> None:
    with connect(srv.port, HEADER_TIMEOUT + 10) as silent:
        started = time.monotonic()
        assert closed_by_peer(silent)
        assert time.monotonic() - started >= HEADER_TIMEOUT - 0.5
    with connect(srv.port, KEEP_ALIVE + 10) as idle:
        idle.sendall(request("GET", M, f"Authorization: Bearer {token}", close=False))
        assert read_reply(idle).status == 200
        started = time.monotonic()
        assert closed_by_peer(idle)
        assert KEEP_ALIVE - 0.5 <= time.monotonic() - started < KEEP_ALIVE + 5


def test_head_cap_is_a_setting(tmp_path: Path) -> None:
    with server(str(tmp_path / "z.db"), ZOOMLIVE_MAX_HEADER_BYTES="2048") as small:
        ok = exchange(small.port, request("GET", "/_zoomlive/health", "X-A: " + "a" * 1000))
        assert ok.status == 200
        big = exchange(small.port, request("GET", "/_zoomlive/health", "X-A: " + "a" * 3000))
        big.zoom_error(431, 300)

"""A TCP proxy the tests can break: forward, go silent, or drop every connection.

It stands between a server under test and a real Redis or PostgreSQL, so a test
can make the dependency fail the ways networks do, then come back, without
touching the shared service itself.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Literal

Mode = Literal["forward", "silent", "drop"]


class TcpProxy:
    """Listens on 127.0.0.1 (a free port) and relays to ``target``.

    ``forward``: relay both ways. ``silent``: accept and read, never answer (a hung
    peer; bytes already relayed stop flowing too). ``drop``: close every relayed
    connection now, and each new one as soon as it is accepted.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._mode: Mode = "forward"
        self._lock = threading.Lock()
        self._socks: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._closed = False
        #: Connections accepted so far (how often the server tried to connect).
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def mode(self) -> Mode:
        return self._mode

    def set_mode(self, mode: Mode) -> None:
        with self._lock:
            self._mode = mode
            doomed = list(self._socks) if mode == "drop" else []
        for s in doomed:
            _close(s)

    def _track(self, s: socket.socket) -> None:
        with self._lock:
            self._socks.add(s)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._track(client)
            self.accepted += 1
            mode = self._mode
            if mode == "drop":
                _close(client)
            elif mode == "silent":
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
            else:
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    _close(client)
                    continue
                upstream.settimeout(None)
                self._track(upstream)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _swallow(self, s: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while s.recv(65536):
                pass
        _close(s)

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if self._mode == "forward":
                    dst.sendall(data)
        except OSError:
            pass
        _close(src)
        _close(dst)

    def close(self) -> None:
        self._closed = True
        _close(self._listener)
        with self._lock:
            socks = list(self._socks)
        for s in socks:
            _close(s)


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        s.close()


@contextlib.contextmanager
def proxy_to(host: str, port: int) -> Iterator[TcpProxy]:
    p = TcpProxy(host, port)
    try:
        yield p
    finally:
        p.close()


@contextlib.contextmanager
def silent_listener() -> Iterator[TcpProxy]:
    """A port that accepts connections and never answers (a hung Redis)."""
    with proxy_to("127.0.0.1", 9) as p:
        p.set_mode("silent")
        yield p

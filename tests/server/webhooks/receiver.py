"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 in a thread.

It records every request (raw body, headers, arrival time) and answers events as
a script says (status codes in order, or "hang" to never answer in time). URL
validation is answered with the library's helper, unless told to fail.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from zoomlive.client.webhooks import WebhookReceiver


@dataclass
class Received:
    at: float
    body: bytes
    headers: dict[str, str]

    @property
    def event(self) -> str:
        return str(json.loads(self.body).get("event", ""))


@dataclass
class Receiver:
    secret_token: str
    script: deque[int | str] = field(default_factory=deque)
    validation_ok: bool = True
    hang_seconds: float = 4.0
    #: Seconds every event waits before its answer (a slow receiver).
    delay: float = 0.0
    #: Until this time (``time.time()``), every event is answered 503 (a receiver down).
    down_until: float = 0.0
    #: Answer 503 to the first attempt of every event (by ``x-zm-request-id``).
    fail_first: bool = False
    seen: set[str] = field(default_factory=set)
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                got = Received(time.time(), body, {k.lower(): v for k, v in self.headers.items()})
                with receiver.lock:
                    receiver.requests.append(got)
                status, answer = receiver.answer(got)
                if got.event != "endpoint.url_validation" and receiver.delay:
                    time.sleep(receiver.delay)
                if status == -1:
                    time.sleep(receiver.hang_seconds)
                    status, answer = 200, b""
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender gave up waiting

        class Server(ThreadingHTTPServer):
            request_queue_size = 512  # hundreds of senders may connect at once

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/zoom/webhook"

    def answer(self, got: Received) -> tuple[int, bytes]:
        if got.event == "endpoint.url_validation":
            if not self.validation_ok:
                return 400, b'{"error":"no"}'
            result = WebhookReceiver(self.secret_token).handle(got.body, got.headers)
            return result.status, json.dumps(result.body).encode()
        if got.at < self.down_until:
            return 503, b""
        if self.fail_first:
            rid = got.headers.get("x-zm-request-id", "")
            with self.lock:
                first = rid not in self.seen
                self.seen.add(rid)
            if first:
                return 503, b""
        with self.lock:
            step = self.script.popleft() if self.script else 200
        if step == "hang":
            return -1, b""
        return int(step), b""

    def events(self, name: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.event != "endpoint.url_validation"
                    and (name is None or r.event == name)]  # fmt: skip

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.events()
            if len(got) >= count:
                return got
            time.sleep(0.02)
        return self.events()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

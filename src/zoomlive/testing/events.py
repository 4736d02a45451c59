"""``EventCollector``: a real webhook endpoint on 127.0.0.1 that keeps what it got.

The emulator sends its webhooks over real HTTP, signed, as Zoom does; a test that
wants them needs an endpoint. This one runs in a thread, verifies each request
with the library's ``WebhookReceiver`` (signature, replay window, the URL
validation challenge), keeps every event in arrival order, and lets the test wait
for one (a condition variable: no sleeps). ``on_event`` runs the integration's own
handler for each event, as a receiving app would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import msgspec

from zoomlive.client.webhooks import WebhookReceiver
from zoomlive.wire import webhooks as wh


@dataclass(frozen=True)
class Received:
    """One delivered event: its name, its JSON body, and Zoom's request id."""

    event: str
    body: dict[str, Any]
    request_id: str
    signed: bool

    @property
    def object_id(self) -> int:
        return int(self.body["payload"]["object"]["id"])


class EventCollector:
    def __init__(
        self, secret_token: str, on_event: Callable[[Received], None] | None = None
    ) -> None:
        self.secret_token = secret_token
        self.on_event = on_event
        self.events: list[Received] = []
        #: Requests refused (a bad signature): a test expects none.
        self.rejected = 0
        self._cond = threading.Condition()
        receiver = WebhookReceiver(secret_token)
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                result = receiver.handle(body, headers)
                if result.status == 200 and result.event_name not in ("", wh.URL_VALIDATION):
                    got = Received(
                        result.event_name,
                        msgspec.json.decode(body),
                        headers.get(wh.HEADER_REQUEST_ID, ""),
                        signed=True,
                    )
                    if collector.on_event is not None:
                        collector.on_event(got)
                    with collector._cond:
                        collector.events.append(got)
                        collector._cond.notify_all()
                elif result.status != 200:
                    with collector._cond:
                        collector.rejected += 1
                answer = msgspec.json.encode(result.body or {})
                self.send_response(result.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/zoom/webhook"

    def names(self) -> list[str]:
        with self._cond:
            return [e.event for e in self.events]

    def wait_for(self, event: str, count: int = 1, timeout: float = 30.0) -> list[Received]:
        """Block until ``count`` events named ``event`` arrived; all of them, in order."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [e for e in self.events if e.event == event]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [e.event for e in self.events]
                    raise TimeoutError(f"{count} x {event} not received in {timeout}s: {got}")
                self._cond.wait(left)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> EventCollector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

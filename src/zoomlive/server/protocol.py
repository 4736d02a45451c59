"""The HTTP/1.1 connection: uvicorn's httptools protocol with zoomlive's limits.

uvicorn has no cap on the size of a request's head and no deadline for finishing
it when httptools parses (``h11_max_incomplete_event_size`` is h11's only), and it
answers parser errors with a plain-text "Invalid HTTP request received.". Zoom
answers every error as JSON ``{"code", "message"}`` with an ``x-zm-trackingid``
header (zoom-facts §1.5), so this subclass adds, per connection:

* a cap on the request line and header fields together (``max_header_bytes``):
  more gets a Zoom-shaped 431 and the connection closes;
* a deadline for a request's head (``header_timeout_seconds``), counted from its
  first byte (or from the connection's opening): a client that has not finished
  its headers by then is disconnected;
* a Zoom-shaped 400 with a tracking id for anything httptools cannot parse (bad
  framing, raw non-ASCII in the request line, a header line without a colon).

Idle keep-alive connections are uvicorn's own ``timeout_keep_alive``. Settings come
from ``ServerSettings``; ``uvicorn_options`` is what ``zoomlive serve`` and the
test kit's ``ServerThread`` both hand to uvicorn.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httptools
import msgspec
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from zoomlive.server.middleware import new_tracking_id
from zoomlive.server.settings import ServerSettings
from zoomlive.wire import ratelimit as rl
from zoomlive.wire.errors import ZoomErrorSpec

BAD_REQUEST = ZoomErrorSpec(400, 300, "Invalid HTTP request.")
HEADERS_TOO_LARGE = ZoomErrorSpec(431, 300, "Request header fields too large.")

#: After an error answer the connection is half-closed and what the client still
#: sends is read and dropped for this long, so that it reads the answer instead of a
#: reset (closing a socket with unread input makes the kernel send RST).
LINGER_SECONDS = 2.0


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing an oversized head."""


def error_response(spec: ZoomErrorSpec, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A complete HTTP/1.1 error answer in Zoom's shape, closing the connection."""
    body = msgspec.json.encode({"code": spec.code, "message": spec.message})
    lines = [STATUS_LINE[spec.status]]
    for name, value in default_headers:
        lines.extend([name, b": ", value, b"\r\n"])
    lines.extend(
        [
            b"content-type: application/json;charset=UTF-8\r\n",
            b"content-length: %d\r\n" % len(body),
            rl.HEADER_TRACKING_ID.encode() + b": " + new_tracking_id().encode() + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
    )
    return b"".join(lines)


class ZoomHttpProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` with a head-size cap, a head deadline and Zoom-shaped
    parser errors. Subclass it (``protocol_class``) to set the limits."""

    max_header_bytes = 64 * 1024
    header_timeout = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # waiting for, or reading, a request's head
        self._head_bytes = 0  # bytes of an unfinished head, in earlier chunks
        self._chunk = 0  # size of the chunk being parsed
        self._head_timer: asyncio.TimerHandle | None = None
        self._rejected = False

    # -- the head deadline --------------------------------------------------------------
    # Armed when a connection opens and when a head does not arrive in one chunk; a
    # head that arrives whole (the usual case) costs no timer.

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self.transport.close()

    # -- parsing --------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._rejected:
            return  # the answer is out; drop what the client still sends
        self._unset_keepalive_if_required()
        self._chunk = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            too_large = isinstance(exc.__context__, _HeadTooLarge)
            self._reject(HEADERS_TOO_LARGE if too_large else BAD_REQUEST)
            return
        if self._in_head:
            # httptools keeps an unfinished header line to itself: count raw bytes.
            self._head_bytes += len(data)
            if self._head_bytes > self.max_header_bytes:
                self._reject(HEADERS_TOO_LARGE)
            else:
                self._arm_head_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_head_timer()
        # The head is at most what arrived for it; measure it only when that could be
        # over the cap.
        if self._head_bytes + self._chunk > self.max_header_bytes:
            size = len(self.url) + sum(len(k) + len(v) + 4 for k, v in self.headers)
            if size > self.max_header_bytes:
                raise _HeadTooLarge
        super().on_headers_complete()

    def _reject(self, spec: ZoomErrorSpec) -> None:
        """Answer in Zoom's shape, stop reading requests, close soon."""
        self._rejected = True
        self._cancel_head_timer()
        self.logger.info("rejected a request: %d %s", spec.status, spec.message)
        transport = self.transport
        if transport.is_closing():
            return
        transport.write(error_response(spec, self.server_state.default_headers))
        if transport.can_write_eof():
            transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, transport.close)
        else:  # pragma: no cover - TLS transports cannot half-close
            transport.close()


def protocol_class(settings: ServerSettings) -> type[ZoomHttpProtocol]:
    """``ZoomHttpProtocol`` with the limits of ``settings``."""
    return type(
        "ZoomHttpProtocol",
        (ZoomHttpProtocol,),
        {
            "max_header_bytes": settings.max_header_bytes,
            "header_timeout": settings.header_timeout_seconds,
        },
    )


def uvicorn_options(settings: ServerSettings) -> dict[str, Any]:
    """The HTTP options ``uvicorn.run``/``uvicorn.Config`` get from ``settings``."""
    return {
        "http": protocol_class(settings),
        "timeout_keep_alive": settings.keep_alive_seconds,
    }

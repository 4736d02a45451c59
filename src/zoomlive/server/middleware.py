"""The front door: what every HTTP exchange goes through, before any route.

It gives each request a ``RequestInfo`` (tracking id, the rate-limit headers the
route adds, the caller's account and app), applies injected faults, adds Zoom's
headers to whatever answer goes out (errors raised before any route included) and
writes the exchange to the journal.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import time
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from zoomlive.server.services.faults import Fault

if TYPE_CHECKING:
    from zoomlive.server.runtime import Runtime

INFO = "zl_info"
_XML_CODE = re.compile(rb"<code>(\d+)</code>")


_RID_PREFIX = f"v=2.0;clid=zl;rid=ZL_{os.urandom(6).hex()}_"
_rid = itertools.count(1)


def new_tracking_id() -> str:
    """Unique per request: a random per-process prefix and a counter (no syscall on
    the hot path, unlike ``os.urandom`` per request)."""
    return f"{_RID_PREFIX}{next(_rid):x}"


class RequestInfo:
    __slots__ = ("account_id", "client_id", "headers", "tracking_id")

    def __init__(self) -> None:
        self.tracking_id = new_tracking_id()
        self.headers: list[tuple[str, str]] = []
        self.account_id: str | None = None
        self.client_id: str | None = None


def request_info(scope: Any) -> RequestInfo:
    info: RequestInfo | None = scope.get(INFO)
    if info is None:  # called outside the front door (tests of a bare route)
        info = scope[INFO] = RequestInfo()
    return info


def _code_of(status: int, body: bytes) -> int | None:
    if status < 400 or not body:
        return None
    if body[:1] == b"{":
        try:
            data = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return None
        code = data.get("code") if isinstance(data, dict) else None
        return code if isinstance(code, int) else None
    m = _XML_CODE.search(body)
    return int(m.group(1)) if m else None


def front(rt: Runtime, app: ASGIApp) -> ASGIApp:
    faults, journal, clock = rt.faults, rt.journal, rt.clock

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        s: Any = scope
        if s["type"] != "http":
            await app(scope, receive, send)
            return
        info = RequestInfo()
        s[INFO] = info
        path: str = s["path"]
        observed = not path.startswith("/_zoomlive")
        started = time.perf_counter()
        status = 0
        error_body: list[bytes] = []

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((b"x-zm-trackingid", info.tracking_id.encode()))
                headers.extend((k.encode(), v.encode()) for k, v in info.headers)
                message = {**message, "headers": headers}
            elif status >= 400 and observed:
                error_body.append(message.get("body", b""))  # type: ignore[arg-type]
            await send(message)

        fault: Fault | None = None
        if observed and faults.active:
            account = None
            if faults.needs_account:
                account = await rt.auth.peek_account(_header(s, b"authorization"))
            fault = faults.match(s["method"], path, account)
        try:
            if fault is None:
                await app(scope, receive, send_wrapper)
            else:
                await _apply(fault, scope, receive, send_wrapper, app)
        finally:
            if observed:
                journal.add(
                    clock.now(),
                    s["method"],
                    path,
                    status,
                    _code_of(status, b"".join(error_body)) if error_body else None,
                    info.account_id,
                    info.client_id,
                    (time.perf_counter() - started) * 1000,
                    fault.id if fault is not None else None,
                    info.tracking_id,
                )

    return asgi


def _header(scope: Any, name: bytes) -> str | None:
    for k, v in scope["headers"]:
        if k == name:
            return str(v.decode("latin-1"))
    return None


async def _apply(fault: Fault, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
    spec = fault.spec
    if spec.delay_ms:
        await asyncio.sleep(spec.delay_ms / 1000)
    if spec.action == "delay":
        await app(scope, receive, send)
        return
    if spec.action == "drop":
        # Headers promised, body never sent: the server closes the connection, and
        # the client sees it drop mid-answer.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"64")],
            }
        )
        return
    body = msgspec.json.encode(
        {"code": spec.code if spec.code is not None else spec.status, "message": spec.message}
    )
    headers = [(b"content-type", b"application/json;charset=UTF-8"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    headers.extend((k.encode(), v.encode()) for k, v in spec.headers.items())
    await send({"type": "http.response.start", "status": spec.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})

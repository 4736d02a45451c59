"""ASGI middleware: Zoom's response headers on every answer.

Routes and error handlers append headers (the rate-limit ones) to a list kept
in the ASGI scope; this adds them, and ``x-zm-trackingid``, to whatever
response goes out, including errors raised before any route ran.
"""

from __future__ import annotations

import os
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

EXTRA_HEADERS = "zl_headers"
TRACKING_ID = "zl_tracking_id"


def new_tracking_id() -> str:
    return f"v=2.0;clid=zl;rid=ZL_{os.urandom(12).hex()}"


def zoom_headers(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await app(scope, receive, send)
            return
        extra: list[tuple[str, str]] = []
        tracking = new_tracking_id()
        s: Any = scope
        s[EXTRA_HEADERS] = extra
        s[TRACKING_ID] = tracking

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                headers.append((b"x-zm-trackingid", tracking.encode()))
                headers.extend((k.encode(), v.encode()) for k, v in extra)
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware

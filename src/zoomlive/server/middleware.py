"""The front door: what every HTTP exchange goes through, before any route.

It gives each request a ``RequestInfo`` (tracking id, the rate-limit headers the
route adds, the caller's account and app), applies injected faults, adds Zoom's
headers to whatever answer goes out (errors raised before any route included) and
writes the exchange to the journal.

It also holds what must be the same on every route, whichever front door serves it:

* a request with two Authorization headers is refused, 401/124 (the token
  endpoint: 401 ``invalid_client``), instead of one route reading the first and
  another the last;
* HEAD is answered as GET without the body, and OPTIONS lists every method the
  path allows, HEAD included (RFC 9110 §9.3.2, §9.3.7);
* a crash is a Zoom-shaped 500 with the tracking id, journalled as 500, its
  traceback logged once and redacted (``crashes``);
* every ``/_zoomlive`` answer (dashboard pages, the login form, the docs, the
  control API, errors raised before any route) carries ``SECURITY_HEADERS``: no
  other site may frame a page (its buttons reset and end things) and nothing runs
  but the dashboard's own files.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from zoomlive.server.crashes import log_crash, request_secrets
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.rendering import render_problem
from zoomlive.server.services.faults import Fault, default_headers, default_message
from zoomlive.wire import errors as E
from zoomlive.wire import ratelimit as rl
from zoomlive.wire.paths import TOKEN_PATH

if TYPE_CHECKING:
    from zoomlive.server.runtime import Runtime

INFO = "zl_info"
log = logging.getLogger("zoomlive.server")


_TRACKING = rl.HEADER_TRACKING_ID.encode()
_RID_PREFIX = f"v=2.0;clid=zl;rid=ZL_{os.urandom(6).hex()}_"
_rid = itertools.count(1)

#: The dashboard and the docs load only their own files (no inline script or style:
#: ``ui/static``, ``ui.docs``), talk only to this server, post forms only to it and
#: are never framed (clickjacking: ``frame-ancestors``, and ``X-Frame-Options`` for
#: browsers without CSP 2). Swagger UI's stylesheet draws its icons from ``data:``.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


def new_tracking_id() -> str:
    """Unique per request: a random per-process prefix and a counter (no syscall on
    the hot path, unlike ``os.urandom`` per request)."""
    return f"{_RID_PREFIX}{next(_rid):x}"


class RequestInfo:
    """What the front door learns about a request while it is served: its tracking
    id, headers to add to the answer, who called, and the Zoom error code answered
    (set where the error is rendered; the journal records it)."""

    __slots__ = ("account_id", "client_id", "code", "headers", "tracking_id")

    def __init__(self) -> None:
        self.tracking_id = new_tracking_id()
        self.headers: list[tuple[str, str]] = []
        self.account_id: str | None = None
        self.client_id: str | None = None
        self.code: int | None = None

    def answered(self, problem: ZoomProblem) -> None:
        """The request is answered with ``problem``: its own headers (a 429's rate-limit
        headers, a 405's ``Allow``) replace those counted for the request. The one place
        a problem's headers reach the answer, whichever route raised it."""
        if problem.headers:
            self.headers = list(problem.headers.items())


def request_info(scope: Any) -> RequestInfo:
    info: RequestInfo | None = scope.get(INFO)
    if info is None:  # called outside the front door (tests of a bare route)
        info = scope[INFO] = RequestInfo()
    return info


def render_error(scope: Any, problem: ZoomProblem, accept: str | None) -> tuple[bytes, str]:
    """Body and media type for an error answer, its Zoom code noted for the journal.
    Every error the server renders goes through here (OAuth errors carry no code)."""
    if problem.oauth_error is None:
        request_info(scope).code = problem.code
    return render_problem(problem, accept)


def front(rt: Runtime, app: ASGIApp, allow: Mapping[str, str] | None = None) -> ASGIApp:
    """Wrap ``app``. ``allow`` maps a route's path template to its Allow header."""
    faults, journal, clock = rt.faults, rt.journal, rt.clock
    allowed = dict(allow or {})

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        s: Any = scope
        if s["type"] != "http":
            await app(scope, receive, send)
            return
        info = RequestInfo()
        s[INFO] = info
        path: str = s["path"]
        method: str = s["method"]
        observed = not path.startswith("/_zoomlive")
        started = time.perf_counter()
        status = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((_TRACKING, info.tracking_id.encode()))
                headers.extend((k.encode(), v.encode()) for k, v in info.headers)
                if not observed:
                    headers.extend(SECURITY_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        inner: Any = s
        out: Send = send_wrapper
        if method == "HEAD":
            inner, out = {**s, "method": "GET"}, _without_body(send_wrapper)
        elif method == "OPTIONS":
            out = _with_allow(s, allowed, send_wrapper)

        fault: Fault | None = None
        try:
            if _two_authorizations(s["headers"]):
                await _refuse_authorization(s, path, out)
                return
            if observed and faults.active:
                account = None
                if faults.needs_account:
                    account = await rt.auth.peek_account(_header(s, b"authorization"))
                fault = faults.match(method, path, account)
            if fault is None:
                await app(inner, receive, out)
            else:
                await _apply(fault, inner, receive, out, app)
        except Exception as exc:
            log_crash(
                log, method, path, info.tracking_id, exc,
                request_secrets(s["headers"], s["query_string"]),
            )  # fmt: skip
            if status == 0:  # nothing sent yet: the answer can still be Zoom's
                info.headers = []
                body, media = render_error(s, ZoomProblem.of(E.INTERNAL), _header(s, b"accept"))
                await _send_error(out, 500, body, media)
        finally:
            if observed:
                journal.add(
                    clock.now(),
                    method,
                    path,
                    status,
                    info.code if status >= 400 else None,
                    info.account_id,
                    info.client_id,
                    (time.perf_counter() - started) * 1000,
                    fault.id if fault is not None else None,
                    info.tracking_id,
                )

    return asgi


def _two_authorizations(headers: Any) -> bool:
    seen = False
    for k, _ in headers:
        if k == b"authorization":
            if seen:
                return True
            seen = True
    return False


async def _refuse_authorization(scope: Any, path: str, send: Send) -> None:
    """Two Authorization headers: which one counts is ambiguous, so neither does."""
    if path.rstrip("/") == TOKEN_PATH:
        problem = ZoomProblem.oauth(E.OAUTH_INVALID_CLIENT)
    else:
        problem = ZoomProblem.of(E.TOKEN_INVALID)
    body, media = render_error(scope, problem, _header(scope, b"accept"))
    await _send_error(send, problem.status, body, media)


async def _send_error(send: Send, status: int, body: bytes, media: str) -> None:
    headers = [(b"content-type", media.encode()), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _without_body(send: Send) -> Send:
    """HEAD: the GET answer's status and headers (Content-Length included), no body."""

    async def head_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return head_send


def _with_allow(scope: Any, allowed: Mapping[str, str], send: Send) -> Send:
    """OPTIONS: Allow names every method of the route the request matched."""

    async def options_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            value = allowed.get(scope.get("path_template", ""))
            if value is not None:
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"allow"]
                headers.append((b"allow", value.encode()))
                message = {**message, "headers": headers}
        await send(message)

    return options_send


def allow_header(methods: Any) -> str:
    """RFC 9110's Allow value for a route's methods; HEAD goes wherever GET does."""
    names = {str(m).upper() for m in methods}
    if "GET" in names:
        names.add("HEAD")
    return ", ".join(sorted(names))


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
    code = spec.code if spec.code is not None else spec.status
    request_info(scope).code = code
    message = spec.message if spec.message is not None else default_message(spec.status)
    body = msgspec.json.encode({"code": code, "message": message})
    headers = [(b"content-type", b"application/json;charset=UTF-8"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    own = {k.lower() for k in spec.headers}
    extra = {k: v for k, v in default_headers(spec.status).items() if k.lower() not in own}
    headers.extend((k.encode(), v.encode()) for k, v in {**extra, **spec.headers}.items())
    await send({"type": "http.response.start", "status": spec.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})

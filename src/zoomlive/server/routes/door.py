"""The one door of the Zoom API: every ``/v2`` operation, generated from the route tables
(``wire.paths``, ``wire.meetings`` and ``wire.users``).

A thin ASGI layer in front of Litestar (which keeps ``/_zoomlive`` and ``/oauth/token``):
it matches the path against the tables (``wire.paths`` for the live stream operations,
``wire.meetings`` for the meeting and webinar ones), answers OPTIONS and a method the
path does not take (405, with ``Allow``) from the same tables, reads the body once
(JSON or multipart/form-data, read by the fields' types, 413 past the limit, 415
for anything else), and renders every error the same way. The operations' translations are
``LiveStreamEndpoints`` and ``MeetingEndpoints``; each calls ``enter`` first. A crash is
the front door's to answer (``middleware.front``), as for every route.

Why not Litestar's routing for these: its per-request machinery costs more than the
whole PATCH goal (bench/litestar_floor.py, bench/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from litestar.types import ASGIApp, Receive, Scope, Send
from multipart import (  # type: ignore[import-untyped]
    MultipartError,
    MultipartSegment,
    PushMultipartParser,
    parse_options_header,
)

from zoomlive.server.middleware import RequestInfo, allow_header, render_error, request_info
from zoomlive.server.problems import ZoomProblem, unavailable
from zoomlive.server.rendering import JSON_TYPE
from zoomlive.server.routes.bodies import INVALID_MULTIPART, decode_json_object, form_value
from zoomlive.server.routes.query import has_query_token
from zoomlive.server.storage.failures import StorageUnavailable
from zoomlive.wire import errors as E
from zoomlive.wire.ids import parse_uint
from zoomlive.wire.meetings import MEETING_ROUTES, MeetingRoute
from zoomlive.wire.paths import API_PREFIX, LIVESTREAM_ROUTES, Kind, Route
from zoomlive.wire.users import USER_ROUTES, UserOp, UserRoute

#: Reads the body (once, only when called: after auth and the id, Zoom's order), given
#: the form's field types.
BodyReader = Callable[[Mapping[str, str]], Awaitable[dict[str, Any]]]
#: A route's handler: (status, body, media type).
Answer = tuple[int, bytes, str | None]

_COLLECTIONS = "|".join(k.collection for k in Kind)
_BY_COLLECTION = {k.collection: k for k in Kind}
#: The path shapes of the tables, each with its methods (filled below).
_SHAPES = (
    ("livestream", re.compile(rf"/({_COLLECTIONS})/([^/]*)/livestream/?")),
    ("livestream/status", re.compile(rf"/({_COLLECTIONS})/([^/]*)/livestream/status/?")),
    ("object", re.compile(rf"/({_COLLECTIONS})/([^/]+)/?")),
    ("status", re.compile(rf"/({_COLLECTIONS})/([^/]+)/status/?")),
    ("user", re.compile(rf"/users/([^/]+)/({_COLLECTIONS})/?")),
    ("users", re.compile(r"/users/?")),
    ("user object", re.compile(r"/users/([^/]+)/?")),
)
#: A route of any of the tables.
AnyRoute = Route | MeetingRoute | UserRoute
#: A table entry: a path shape and the kind (meeting, webinar; None for users).
Entry = tuple[str, Kind | None]


def _shape_of(route: AnyRoute) -> str:
    if isinstance(route, UserRoute):
        return "user object" if route.op is UserOp.GET else "users"
    if isinstance(route, Route):
        return "livestream/status" if route.template().endswith("/status") else "livestream"
    if route.op.on_user:
        return "user"
    return "status" if route.template().endswith("/status") else "object"


def _table() -> dict[Entry, dict[str, AnyRoute]]:
    """(shape, kind) -> method -> route."""
    routes: list[AnyRoute] = [*LIVESTREAM_ROUTES, *MEETING_ROUTES, *USER_ROUTES]
    out: dict[Entry, dict[str, AnyRoute]] = {}
    for route in routes:
        out.setdefault((_shape_of(route), route.kind), {})[route.method] = route
    return out


TABLE = _table()
#: What ``Allow`` says for each shape and kind (OPTIONS too; HEAD where GET is).
ALLOW = {key: allow_header([*methods, "OPTIONS"]) for key, methods in TABLE.items()}


def match(path: str) -> tuple[Entry, str] | None:
    """The table entry a ``/v2`` path names and its key (an id or a ``userId``, raw;
    empty for the users list)."""
    rest = path[len(API_PREFIX) :]
    for shape, pattern in _SHAPES:
        m = pattern.fullmatch(rest)
        if m is not None:
            if shape == "users":
                return (shape, None), ""
            if shape == "user object":
                return (shape, None), m.group(1)
            if shape == "user":
                return (shape, _BY_COLLECTION[m.group(2)]), m.group(1)
            return (shape, _BY_COLLECTION[m.group(1)]), m.group(2)
    return None


def _media_type(value: str | None) -> str:
    return (value or "").partition(";")[0].strip().lower()


def parse_form(raw: bytes, content_type: str, types: Mapping[str, str]) -> dict[str, Any]:
    """A multipart/form-data body as its fields, each read by its type (``form_value``);
    a file part stays a marker that fails validation."""
    _, options = parse_options_header(content_type)
    boundary = options.get("boundary")
    if not boundary:
        raise ZoomProblem.of(INVALID_MULTIPART)
    out: dict[str, Any] = {}
    try:
        with PushMultipartParser(boundary, content_length=len(raw), max_segment_count=1000) as p:
            segment: MultipartSegment | None = None
            chunks: list[bytes] = []
            for event in [*p.parse(raw), *p.parse(b"")]:
                if isinstance(event, MultipartSegment):
                    segment, chunks = event, []
                elif event is not None:
                    chunks.append(bytes(event))
                elif segment is not None and segment.name is not None:
                    if segment.filename is not None:
                        out[segment.name] = object()
                    else:
                        text = b"".join(chunks).decode(segment.charset or "utf-8")
                        out[segment.name] = form_value(text, types.get(segment.name))
    except (MultipartError, UnicodeDecodeError, LookupError):
        raise ZoomProblem.of(INVALID_MULTIPART) from None
    return out


def door(rt: Any, handlers: Mapping[type, Any], app: ASGIApp) -> ASGIApp:
    """The ASGI door; everything not under ``/v2/`` goes on to ``app`` (Litestar)."""
    limit = rt.settings.max_body_bytes
    prefix = API_PREFIX + "/"

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        s: Any = scope
        if s["type"] != "http" or not s["path"].startswith(prefix):
            await app(scope, receive, send)
            return
        info = request_info(s)
        accept = ctype = authorization = None
        length = -1
        for k, v in s["headers"]:
            if k == b"authorization":
                authorization = v.decode("latin-1")
            elif k == b"content-type":
                ctype = v.decode("latin-1")
            elif k == b"accept":
                accept = v.decode("latin-1")
            elif k == b"content-length":
                # Digits past int64 are still a body too large, not an unknown length.
                found = parse_uint(v) if len(v) < 20 else (1 << 63 if v.isdigit() else None)
                length = -1 if found is None else found

        async def fail(problem: ZoomProblem) -> None:
            body, media = render_error(s, problem, accept)
            info.answered(problem)
            await _send(send, problem.status, body, media)

        matched = match(s["path"])
        if matched is None:
            await fail(ZoomProblem.of(E.NOT_FOUND_PATH))
            return
        entry, key = matched
        method = s["method"]
        if method == "OPTIONS":
            info.headers.append(("Allow", ALLOW[entry]))
            await _send(send, 204, b"", None)
            return
        route = TABLE[entry].get(method)
        if route is None:
            allow = {"Allow": ALLOW[entry]}
            await fail(ZoomProblem.of(E.METHOD_NOT_ALLOWED, headers=allow))
            return

        async def read(types: Mapping[str, str]) -> dict[str, Any]:
            kind = _media_type(ctype)
            json = kind == "application/json" or (
                kind.startswith("application/") and kind.endswith("+json")
            )
            if not json and kind != "multipart/form-data":
                raise ZoomProblem.of(E.UNSUPPORTED_CONTENT_TYPE)
            raw = await _read(receive, length, limit)
            if json:
                return decode_json_object(raw)
            return parse_form(raw, ctype or "", types)

        raw_query = s["query_string"]
        query = (
            dict(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True))
            if raw_query
            else {}
        )
        call = Call(route, key, authorization, has_query_token(s["query_string"]), info,
                    query, read)  # fmt: skip
        try:
            status, body, media = await handlers[type(route)](call)
        except (ZoomProblem, StorageUnavailable) as exc:
            await fail(exc if isinstance(exc, ZoomProblem) else unavailable())
            return
        await _send(send, status, body, media)

    return asgi


class Call:
    """One call of a Zoom operation, as the door read it."""

    __slots__ = ("authorization", "info", "key", "query", "query_token", "read", "route")

    def __init__(
        self,
        route: AnyRoute,
        key: str,
        authorization: str | None,
        query_token: bool,
        info: RequestInfo,
        query: dict[str, str],
        read: BodyReader,
    ) -> None:
        self.route = route
        self.key = key
        self.authorization = authorization
        self.query_token = query_token
        self.info = info
        self.query = query
        self.read = read


async def _read(receive: Receive, length: int, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to pass ``limit``."""
    if length > limit:
        raise ZoomProblem.of(E.BODY_TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message: Any = await receive()
        if message["type"] == "http.disconnect":
            raise ZoomProblem.of(E.INVALID_JSON)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ZoomProblem.of(E.BODY_TOO_LARGE)
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _send(send: Send, status: int, body: bytes, media: str | None) -> None:
    """Tracking id and the request's headers are added by the front door."""
    headers: list[tuple[bytes, bytes]] = []
    if media is not None:
        headers.append((b"content-type", media.encode()))
    if status != 204:
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


__all__ = ["ALLOW", "JSON_TYPE", "TABLE", "Call", "door", "match", "parse_form"]

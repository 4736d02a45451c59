"""The six live stream operations: GET/PATCH livestream and PATCH livestream/status.

``LiveStreamEndpoints`` is the HTTP translation, shared by two front doors, both
generated from the route table in ``wire.paths``: ``fast_path`` (a thin ASGI layer
for GET and JSON PATCH, the hot path) and the Litestar handlers below (multipart
bodies, anything else, and the OpenAPI page). Both call the same methods, so they
answer identically. Why two: bench/README.md (Litestar's own per-request floor is
under the PATCH goal once the real work is added).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from zoomlive.server.middleware import RequestInfo, render_error, request_info
from zoomlive.server.problems import ZoomProblem, unavailable
from zoomlive.server.rendering import JSON_TYPE
from zoomlive.server.routes.bodies import decode_json_object, read_body
from zoomlive.server.routes.enter import Gate, Prefetch, enter
from zoomlive.server.routes.query import has_query_token
from zoomlive.server.runtime import Runtime
from zoomlive.server.services.auth import Principal
from zoomlive.server.storage.failures import StorageUnavailable
from zoomlive.wire import errors as E
from zoomlive.wire.ids import parse_id, parse_uint
from zoomlive.wire.paths import LIVESTREAM_ROUTES, Kind, Operation, Route, match_livestream
from zoomlive.wire.ratelimit import LIVESTREAM_LABEL
from zoomlive.wire.scopes import accepted_scopes, missing_scopes_text

#: Each live stream operation's rate-limit label and scopes (``routes.enter``).
_GATES = {
    (r.kind, r.op): Gate(LIVESTREAM_LABEL, accepted_scopes(r.kind, r.op),
                         missing_scopes_text(r.kind, r.op))
    for r in LIVESTREAM_ROUTES
}  # fmt: skip


class LiveStreamEndpoints:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def _enter(
        self,
        kind: Kind,
        op: Operation,
        raw_id: str,
        authorization: str | None,
        query_token: bool,
        info: RequestInfo,
    ) -> Principal:
        # The token, its account, the meeting and its host in one read; the errors
        # still come in Zoom's order (auth, then id, then body, then the rest). A
        # configuring PATCH may leave the meeting to its write (``svc.update``).
        prefetch = Prefetch(parse_id(raw_id), defer_meeting=op is Operation.UPDATE)
        return await enter(self.rt, _GATES[kind, op], authorization, query_token, info, prefetch)

    async def get(
        self,
        kind: Kind,
        raw_id: str,
        authorization: str | None,
        query_token: bool,
        info: RequestInfo,
    ) -> bytes:
        principal = await self._enter(kind, Operation.GET, raw_id, authorization, query_token, info)
        svc = self.rt.livestream
        return msgspec.json.encode(await svc.get(principal, kind, svc.parse_id(kind, raw_id)))

    async def patch(
        self,
        kind: Kind,
        op: Operation,
        raw_id: str,
        authorization: str | None,
        query_token: bool,
        info: RequestInfo,
        body: Any,
    ) -> None:
        """PATCH livestream (``UPDATE``) or livestream/status (``STATUS``).

        Auth, then the id, then the body: the order Zoom's errors come in. ``body``
        is a dict, or an awaitable reader, read only once auth and id have passed.
        """
        principal = await self._enter(kind, op, raw_id, authorization, query_token, info)
        svc = self.rt.livestream
        object_id = svc.parse_id(kind, raw_id)
        fields = await _resolve(body)
        if op is Operation.UPDATE:
            await svc.update(principal, kind, object_id, fields)
            return
        await svc.set_status(principal, kind, object_id, fields)


async def _resolve(body: Any) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    result: Mapping[str, Any] = await body()
    return result


# -- the fast path: a thin ASGI layer in front of Litestar ------------------------------------


def fast_path(rt: Runtime, endpoints: LiveStreamEndpoints, app: ASGIApp) -> ASGIApp:
    """Serve GET and JSON PATCH of the six routes without Litestar's per-request
    machinery: through Litestar alone the full PATCH does about 0.13x the bare ASGI
    app, under the goal (bench/litestar_floor.py, bench/README.md). Everything else,
    multipart bodies included, falls through to Litestar."""
    limit = rt.settings.max_body_bytes

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        s: Any = scope
        if s["type"] != "http":
            await app(scope, receive, send)
            return
        matched = match_livestream(s["path"])
        method = s["method"]
        if matched is None or method not in ("GET", "PATCH"):
            await app(scope, receive, send)
            return
        kind, is_status, raw_id = matched
        authorization = accept = ctype = None
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
        if method == "PATCH" and (
            ctype is None or ctype.partition(";")[0].strip().lower() != "application/json"
        ):
            await app(scope, receive, send)  # multipart and the rest: Litestar
            return
        if method == "GET" and is_status:
            await app(scope, receive, send)  # 405, from Litestar
            return
        query_token = has_query_token(s["query_string"])
        info = request_info(s)

        async def read() -> dict[str, Any]:
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
            return decode_json_object(b"".join(chunks))

        try:
            if method == "GET":
                payload = await endpoints.get(kind, raw_id, authorization, query_token, info)
                await _send(send, 200, payload, JSON_TYPE)
                return
            op = Operation.STATUS if is_status else Operation.UPDATE
            await endpoints.patch(kind, op, raw_id, authorization, query_token, info, read)
            await _send(send, 204, b"", None)
        except (ZoomProblem, StorageUnavailable) as exc:
            problem = exc if isinstance(exc, ZoomProblem) else unavailable()
            body, media = render_error(scope, problem, accept)
            info.answered(problem)
            await _send(send, problem.status, body, media)

    return asgi


async def _send(send: Send, status: int, body: bytes, media: str | None) -> None:
    """Tracking id and rate-limit headers are added by the front door."""
    headers: list[tuple[bytes, bytes]] = []
    if media is not None:
        headers.append((b"content-type", media.encode()))
    if status != 204:
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


# -- the Litestar handlers: multipart and everything the fast path passes on --------------------


def livestream_handlers(endpoints: LiveStreamEndpoints) -> list[HTTPRouteHandler]:
    """One Litestar handler per entry of the route table (``wire.paths``), named and
    documented as Zoom's OpenAPI names them."""
    return [_handler(endpoints, route) for route in LIVESTREAM_ROUTES]


def _handler(endpoints: LiveStreamEndpoints, route: Route) -> HTTPRouteHandler:
    param = route.kind.id_param

    async def handle(request: Request[Any, Any, Any]) -> Response[bytes]:
        raw_id = str(request.path_params[param])
        authorization = request.headers.get("authorization")
        query_token = has_query_token(request.scope["query_string"])
        info = request_info(request.scope)
        if route.op is Operation.GET:
            payload = await endpoints.get(route.kind, raw_id, authorization, query_token, info)
            return Response(payload, media_type=JSON_TYPE)
        await endpoints.patch(
            route.kind, route.op, raw_id, authorization, query_token, info,
            lambda: read_body(request),
        )  # fmt: skip
        return Response(b"", status_code=204)

    handle.__name__ = handle.__qualname__ = route.operation_id
    return HTTPRouteHandler(
        path=route.template(f"{param}:str"),
        http_method=HttpMethod(route.method),
        operation_id=route.operation_id,
        name=route.operation_id,
        tags=["Zoom live stream API"],
    )(handle)

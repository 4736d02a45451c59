"""The meeting and webinar operations: create, list, get, update, delete, status.

HTTP translation only (the rules are in ``services.meetings``). One Litestar handler
per entry of the route table in ``wire.meetings``, named as Zoom's OpenAPI names
the operation. Each call is authenticated, counted against its rate-limit label
(Medium or Light) and checked for the operation's scopes, in that order, as the
live stream routes are.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler

from zoomlive.server.middleware import request_info
from zoomlive.server.rendering import JSON_TYPE
from zoomlive.server.routes.bodies import read_body
from zoomlive.server.routes.enter import Gate, enter
from zoomlive.server.routes.query import has_query_token
from zoomlive.server.runtime import Runtime
from zoomlive.wire.meetings import BODY_TYPES, MEETING_ROUTES, MeetingRoute, Op


def _gate(route: MeetingRoute) -> Gate:
    return Gate(route.label, route.accepted_scopes(), ", ".join(route.granular_scopes()))


#: Each meeting operation's rate-limit label and scopes (``routes.enter``).
_GATES = {route: _gate(route) for route in MEETING_ROUTES}


async def _call(
    rt: Runtime, route: MeetingRoute, request: Request[Any, Any, Any]
) -> Response[bytes]:
    info = request_info(request.scope)
    principal = await enter(
        rt, _GATES[route], request.headers.get("authorization"),
        has_query_token(request.scope["query_string"]), info,
    )  # fmt: skip
    svc, kind = rt.meetings, route.kind
    key = str(request.path_params["userId" if route.op.on_user else kind.id_param])
    if route.op is Op.CREATE:
        body = await read_body(request, BODY_TYPES[kind])
        created = await svc.create(principal, kind, key, body)
        return Response(created, status_code=201, media_type=JSON_TYPE)
    if route.op is Op.LIST:
        query = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
        page = await svc.list(principal, kind, key, query)
        return Response(msgspec.json.encode(page), media_type=JSON_TYPE)
    if route.op is Op.GET:
        return Response(await svc.get(principal, kind, key), media_type=JSON_TYPE)
    if route.op is Op.DELETE:
        await svc.delete(principal, kind, key, request.query_params.get("occurrence_id"))
    elif route.op is Op.UPDATE:
        svc.parse_id(kind, key)  # the id before the body, as Zoom answers
        await svc.update(principal, kind, key, await read_body(request, BODY_TYPES[kind]))
    else:
        svc.parse_id(kind, key)
        await svc.set_status(principal, kind, key, await read_body(request, {}))
    return Response(b"", status_code=204)


def meeting_handlers(rt: Runtime) -> list[HTTPRouteHandler]:
    return [_handler(rt, route) for route in MEETING_ROUTES]


def _handler(rt: Runtime, route: MeetingRoute) -> HTTPRouteHandler:
    param = "userId" if route.op.on_user else route.kind.id_param

    async def handle(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await _call(rt, route, request)

    handle.__name__ = handle.__qualname__ = route.operation_id
    return HTTPRouteHandler(
        path=route.template(f"{param}:str"),
        http_method=HttpMethod(route.method),
        operation_id=route.operation_id,
        name=route.operation_id,
        tags=["Zoom meetings and webinars API"],
        # The Response carries the real status (201, 204); Litestar's DELETE default
        # (204) would refuse a handler that returns a Response.
        status_code=200,
    )(handle)

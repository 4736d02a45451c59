"""The six live stream operations: GET/PATCH livestream and PATCH livestream/status."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, patch
from litestar.handlers import HTTPRouteHandler

from zoomlive.server.middleware import EXTRA_HEADERS
from zoomlive.server.rendering import JSON_TYPE
from zoomlive.server.routes.bodies import read_body
from zoomlive.server.runtime import Runtime
from zoomlive.server.services.auth import Principal, require_scope
from zoomlive.wire.paths import Kind, Operation

_NO_CONTENT = 204


def livestream_handlers(rt: Runtime) -> list[HTTPRouteHandler]:
    auth, limiter, store, clock, svc = rt.auth, rt.limiter, rt.store, rt.clock, rt.livestream

    async def enter(request: Request[Any, Any, Any], kind: Kind, op: Operation) -> Principal:
        principal = await auth.authenticate(
            request.headers.get("authorization"), "access_token" in request.query_params
        )
        account = await store.get_account(principal.account_id)
        if account is not None:
            request.scope[EXTRA_HEADERS].extend(  # type: ignore[literal-required]
                await limiter.check(account, clock.now())
            )
        require_scope(principal, kind, op)
        return principal

    async def do_get(request: Request[Any, Any, Any], kind: Kind, raw_id: str) -> Response[bytes]:
        principal = await enter(request, kind, Operation.GET)
        stream = await svc.get(principal, kind, svc.parse_id(kind, raw_id))
        return Response(msgspec.json.encode(stream), media_type=JSON_TYPE)

    async def do_update(
        request: Request[Any, Any, Any], kind: Kind, raw_id: str
    ) -> Response[bytes]:
        principal = await enter(request, kind, Operation.UPDATE)
        object_id = svc.parse_id(kind, raw_id)
        await svc.update(principal, kind, object_id, await read_body(request))
        return Response(b"", status_code=_NO_CONTENT)

    async def do_status(
        request: Request[Any, Any, Any], kind: Kind, raw_id: str
    ) -> Response[bytes]:
        principal = await enter(request, kind, Operation.STATUS)
        object_id = svc.parse_id(kind, raw_id)
        change = await svc.set_status(principal, kind, object_id, await read_body(request))
        if change is not None and rt.on_stream_change is not None:
            await rt.on_stream_change(change)
        return Response(b"", status_code=_NO_CONTENT)

    opts: dict[str, Any] = {"include_in_schema": True, "tags": ["Zoom live stream API"]}

    @get(
        "/v2/meetings/{meeting_id:str}/livestream",
        operation_id="getMeetingLiveStreamDetails",
        **opts,
    )
    async def get_meeting(request: Request[Any, Any, Any], meeting_id: str) -> Response[bytes]:
        return await do_get(request, Kind.MEETING, meeting_id)

    @patch(
        "/v2/meetings/{meeting_id:str}/livestream", operation_id="meetingLiveStreamUpdate", **opts
    )
    async def update_meeting(request: Request[Any, Any, Any], meeting_id: str) -> Response[bytes]:
        return await do_update(request, Kind.MEETING, meeting_id)

    @patch(
        "/v2/meetings/{meeting_id:str}/livestream/status",
        operation_id="meetingLiveStreamStatusUpdate",
        **opts,
    )
    async def status_meeting(request: Request[Any, Any, Any], meeting_id: str) -> Response[bytes]:
        return await do_status(request, Kind.MEETING, meeting_id)

    @get(
        "/v2/webinars/{webinar_id:str}/livestream",
        operation_id="getWebinarLiveStreamDetails",
        **opts,
    )
    async def get_webinar(request: Request[Any, Any, Any], webinar_id: str) -> Response[bytes]:
        return await do_get(request, Kind.WEBINAR, webinar_id)

    @patch(
        "/v2/webinars/{webinar_id:str}/livestream", operation_id="webinarLiveStreamUpdate", **opts
    )
    async def update_webinar(request: Request[Any, Any, Any], webinar_id: str) -> Response[bytes]:
        return await do_update(request, Kind.WEBINAR, webinar_id)

    @patch(
        "/v2/webinars/{webinar_id:str}/livestream/status",
        operation_id="webinarLiveStreamStatusUpdate",
        **opts,
    )
    async def status_webinar(request: Request[Any, Any, Any], webinar_id: str) -> Response[bytes]:
        return await do_status(request, Kind.WEBINAR, webinar_id)

    return [
        get_meeting,
        update_meeting,
        status_meeting,
        get_webinar,
        update_webinar,
        status_webinar,
    ]

"""The six live stream operations: GET/PATCH livestream and PATCH livestream/status.

``LiveStreamEndpoints`` is their HTTP translation, called by the one door
(``routes.door``) for each entry of the route table in ``wire.paths``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import msgspec

from zoomlive.server.middleware import RequestInfo
from zoomlive.server.rendering import JSON_TYPE
from zoomlive.server.routes.bodies import LIVESTREAM_FORM_TYPES
from zoomlive.server.routes.door import Answer, Call
from zoomlive.server.routes.enter import Gate, Prefetch, enter
from zoomlive.server.runtime import Runtime
from zoomlive.server.services.auth import Principal
from zoomlive.wire.ids import parse_id
from zoomlive.wire.paths import LIVESTREAM_ROUTES, Kind, Operation, Route
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

    async def handle(self, call: Call) -> Answer:
        """One call, as the door read it: (status, body, media type)."""
        route = call.route
        assert isinstance(route, Route)
        args = (route.kind, call.key, call.authorization, call.query_token, call.info)
        if route.op is Operation.GET:
            return 200, await self.get(*args), JSON_TYPE
        kind, raw_id, authorization, query_token, info = args
        body = functools.partial(call.read, LIVESTREAM_FORM_TYPES)
        await self.patch(kind, route.op, raw_id, authorization, query_token, info, body)
        return 204, b"", None


async def _resolve(body: Any) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    result: Mapping[str, Any] = await body()
    return result

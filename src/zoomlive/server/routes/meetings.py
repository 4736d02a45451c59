"""The meeting and webinar operations: create, list, get, update, delete, status.

HTTP translation only (the rules are in ``services.meetings``), called by the one door
(``routes.door``) for each entry of the route table in ``wire.meetings``. Each call
is authenticated, counted against its rate-limit label (Medium or Light) and checked
for the operation's scopes, in that order (``routes.enter``), as the live stream
routes are.
"""

from __future__ import annotations

import msgspec

from zoomlive.server.rendering import JSON_TYPE
from zoomlive.server.routes.door import Answer, Call
from zoomlive.server.routes.enter import Gate, enter
from zoomlive.server.runtime import Runtime
from zoomlive.wire.meetings import BODY_TYPES, MEETING_ROUTES, MeetingRoute, Op


def _gate(route: MeetingRoute) -> Gate:
    return Gate(route.label, route.accepted_scopes(), ", ".join(route.granular_scopes()))


#: Each meeting operation's rate-limit label and scopes (``routes.enter``).
_GATES = {route: _gate(route) for route in MEETING_ROUTES}


class MeetingEndpoints:
    """The meeting and webinar operations' translation, called by the one door."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def handle(self, call: Call) -> Answer:
        route = call.route
        assert isinstance(route, MeetingRoute)
        rt = self.rt
        principal = await enter(rt, _GATES[route], call.authorization, call.query_token, call.info)
        svc, kind, key = rt.meetings, route.kind, call.key
        if route.op is Op.CREATE:
            created = await svc.create(principal, kind, key, await call.read(BODY_TYPES[kind]))
            return 201, created, JSON_TYPE
        if route.op is Op.LIST:
            page = await svc.list(principal, kind, key, call.query)
            return 200, msgspec.json.encode(page), JSON_TYPE
        if route.op is Op.GET:
            return 200, await svc.get(principal, kind, key), JSON_TYPE
        if route.op is Op.DELETE:
            await svc.delete(principal, kind, key, call.query.get("occurrence_id"))
        elif route.op is Op.UPDATE:
            svc.parse_id(kind, key)  # the id before the body, as Zoom answers
            await svc.update(principal, kind, key, await call.read(BODY_TYPES[kind]))
        else:
            svc.parse_id(kind, key)
            await svc.set_status(principal, kind, key, await call.read({}))
        return 204, b"", None

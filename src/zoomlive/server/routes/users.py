"""The user operations (``wire.users``): HTTP translation only, called by the one door."""

from __future__ import annotations

from zoomlive.server.rendering import JSON_TYPE
from zoomlive.server.routes.door import Answer, Call
from zoomlive.server.routes.enter import Gate, enter
from zoomlive.server.runtime import Runtime
from zoomlive.wire.users import USER_ROUTES, UserOp, UserRoute

_GATES = {
    route: Gate(route.label, route.accepted_scopes(), ", ".join(route.granular_scopes()))
    for route in USER_ROUTES
}


class UserEndpoints:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def handle(self, call: Call) -> Answer:
        route = call.route
        assert isinstance(route, UserRoute)
        principal = await enter(
            self.rt, _GATES[route], call.authorization, call.query_token, call.info
        )
        if route.op is UserOp.GET:
            return 200, await self.rt.users.get(principal, call.key), JSON_TYPE
        return 200, await self.rt.users.list(principal, call.query), JSON_TYPE

"""The six live stream operations: GET/PATCH livestream and PATCH livestream/status.

``LiveStreamEndpoints`` is their HTTP translation, called by the one door
(``routes.door``) for each entry of the route table in ``wire.paths``.
"""

from __future__ import annotations

import msgspec

from zoomlive.server.problems import ZoomProblem
from zoomlive.server.rendering import JSON_TYPE
from zoomlive.server.routes.bodies import LIVESTREAM_FORM_TYPES
from zoomlive.server.routes.door import Answer, Call
from zoomlive.server.routes.enter import Gate, Prefetch, enter
from zoomlive.server.runtime import Runtime
from zoomlive.wire import errors as E
from zoomlive.wire.ids import parse_id
from zoomlive.wire.paths import LIVESTREAM_ROUTES, Operation, Route
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

    async def handle(self, call: Call) -> Answer:
        """One call, as the door read it: (status, body, media type).

        Auth, then the id, then the body: the order Zoom's errors come in. The id is
        parsed once: the token, its account, the meeting and its host are read with it
        in one statement, and a configuring PATCH may leave the meeting to its write
        (``svc.update``). The body is read only once auth and id have passed."""
        route = call.route
        assert isinstance(route, Route)
        kind, op = route.kind, route.op
        object_id = parse_id(call.key)
        prefetch = Prefetch(object_id, defer_meeting=op is Operation.UPDATE)
        principal = await enter(
            self.rt, _GATES[kind, op], call.authorization, call.query_token, call.info, prefetch
        )
        if object_id is None:
            raise ZoomProblem.of(E.invalid_id(kind))
        svc = self.rt.livestream
        if op is Operation.GET:
            return 200, msgspec.json.encode(await svc.get(principal, kind, object_id)), JSON_TYPE
        fields = await call.read(LIVESTREAM_FORM_TYPES)
        if op is Operation.UPDATE:
            await svc.update(principal, kind, object_id, fields)
        else:
            await svc.set_status(principal, kind, object_id, fields)
        return 204, b"", None

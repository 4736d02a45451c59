"""Control API: an app's event subscription, the outbox, and the delivery worker."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post, put
from litestar.params import FromQuery, JSONBody

from zoomlive.server.control.params import (
    OutboxStatus,
    PageSize,
    PageToken,
    PathStr,
    RuntimeDep,
    paged,
)
from zoomlive.server.services.inputs import AttemptOut, EventOut, SubscriptionIn
from zoomlive.server.services.paging import DEFAULT_PAGE_SIZE
from zoomlive.server.storage.records import Attempt, OutboxRow, Subscription


def _event(row: OutboxRow, attempts: list[Attempt]) -> EventOut:
    return EventOut(
        id=row.id,
        request_id=row.request_id,
        client_id=row.client_id,
        event=row.event,
        status=row.status,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        finished_at=row.finished_at,
        body=row.body,
        attempts=[
            AttemptOut(a.number, a.at, a.url, a.status_code, a.error, a.duration_ms)
            for a in attempts
        ],
    )


class WebhooksController(Controller):
    path = "/"

    @put("/apps/{client_id:str}/subscription", status_code=200,
         summary="Set the app's event endpoint (runs URL validation)")  # fmt: skip
    async def subscribe(
        self, rt: RuntimeDep, client_id: PathStr, data: JSONBody[SubscriptionIn]
    ) -> Subscription:
        await rt.admin.get_app(client_id)  # 404 for an app that does not exist
        return await rt.webhooks.subscribe(client_id, data.url, data.events, data.secret_token)

    @get(
        "/apps/{client_id:str}/subscription",
        summary="The app's event subscription and its standing",
    )
    async def get_subscription(self, rt: RuntimeDep, client_id: PathStr) -> Subscription:
        return await rt.webhooks.get_subscription(client_id)

    @post("/apps/{client_id:str}/subscription/validate", status_code=200,
          summary="Run URL validation again now")  # fmt: skip
    async def revalidate(self, rt: RuntimeDep, client_id: PathStr) -> Subscription:
        return await rt.webhooks.revalidate(client_id)

    @get("/webhooks/events", summary="Queued, delivered and failed events, with attempts, paged")
    async def webhook_events(
        self,
        rt: RuntimeDep,
        status: FromQuery[OutboxStatus | None] = None,
        page_size: PageSize = DEFAULT_PAGE_SIZE,
        next_page_token: PageToken = None,
    ) -> dict[str, Any]:
        """Paged as Zoom's lists are (``events``), by event id, oldest first."""

        async def fetch(after: int | None, n: int) -> list[EventOut]:
            return [_event(r, a) for r, a in await rt.webhooks.events(status, n, after)]

        return await paged(rt, "events", str(status), fetch,
                           lambda: rt.webhooks.count_events(status), lambda e: e.id, int,
                           page_size, next_page_token)  # fmt: skip

    @post("/webhooks/run", status_code=200, summary="Run the delivery worker once, now")
    async def run_webhooks(self, rt: RuntimeDep) -> dict[str, int]:
        return {"started": await rt.webhooks.tick()}

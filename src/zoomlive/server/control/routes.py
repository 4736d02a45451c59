"""Routes of the control API, all behind the admin bearer token."""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any, Literal

from litestar import Router, delete, get, patch, post, put
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from zoomlive.server.clock import in_range
from zoomlive.server.control.errors import field_problem, on_bad_request, on_deep_json
from zoomlive.server.control.models import (
    ID_PATTERN,
    INT32_MAX,
    TEXT_PATTERN,
    AccountIn,
    AccountPatch,
    AppIn,
    AppPatch,
    AttemptOut,
    ClockIn,
    ClockOut,
    EventOut,
    ExpireIn,
    MeetingIn,
    MeetingPatch,
    ResetIn,
    SubscriptionIn,
    UserIn,
    UserPatch,
    changes,
)
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.runtime import Runtime
from zoomlive.server.services.faults import Fault, FaultSpec
from zoomlive.server.services.journal import Entry
from zoomlive.server.storage.records import Account, App, Meeting, Subscription, User
from zoomlive.wire import errors as E
from zoomlive.wire.ids import MAX_ID

#: Path parameters: ids are printable and hold no ``/``; numbers fit the database.
PathStr = Annotated[str, PathParameter(pattern=ID_PATTERN)]
PathMeetingId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
PathFaultId = Annotated[int, PathParameter(ge=1, le=INT32_MAX)]
QueryText = Annotated[str | None, QueryParameter(max_length=1024, pattern=TEXT_PATTERN)]
QueryTime = Annotated[float | None, QueryParameter(ge=-1e15, le=1e15)]
OutboxStatus = Literal["pending", "delivered", "failed"]


def control_router(rt: Runtime) -> Router:
    admin, store, clock = rt.admin, rt.store, rt.clock

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        header = connection.headers.get("authorization", "")
        given = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not given or not hmac.compare_digest(given.encode(), rt.admin_token.encode()):
            raise ZoomProblem.of(E.TOKEN_INVALID)

    @get("/health", guards=[], summary="Liveness and dependencies (no token needed)")
    async def health() -> dict[str, Any]:
        return await rt.health()

    @post("/reset", status_code=200, summary="Wipe all state; optionally seed the demo again")
    async def reset(data: JSONBody[ResetIn | None] = None) -> dict[str, Any]:
        demo = data is not None and data.demo
        st = rt.settings
        seeded = await admin.reset(
            demo, st.demo_account_id, st.demo_client_id, st.demo_client_secret
        )
        await rt.limiter.reset()
        clock.reset()
        rt.faults.clear()
        rt.journal.clear()
        if demo:
            rt.demo = seeded
        return {"reset": True, "demo": seeded}

    @post("/demo", status_code=201, summary="Seed a demo account, host, app, meetings, webinar")
    async def demo() -> dict[str, Any]:
        return await admin.seed_demo()

    @post("/accounts", status_code=201)
    async def create_account(data: JSONBody[AccountIn]) -> Account:
        fields = {k: v for k, v in changes(data).items()}
        return await admin.create_account(**fields)

    @get("/accounts")
    async def list_accounts() -> list[Account]:
        return await store.list_accounts()

    @get("/accounts/{account_id:str}")
    async def get_account(account_id: PathStr) -> Account:
        account = await store.get_account(account_id)
        if account is None:
            raise ZoomProblem(404, 404, f"Account not found: {account_id}.")
        return account

    @patch("/accounts/{account_id:str}")
    async def update_account(account_id: PathStr, data: JSONBody[AccountPatch]) -> Account:
        return await admin.update_account(account_id, **changes(data))

    @post("/accounts/{account_id:str}/users", status_code=201)
    async def create_user(account_id: PathStr, data: JSONBody[UserIn]) -> User:
        return await admin.create_user(account_id, **changes(data))

    @get("/accounts/{account_id:str}/users")
    async def list_users(account_id: PathStr) -> list[User]:
        return await store.list_users(account_id)

    @get("/users/{user_id:str}")
    async def get_user(user_id: PathStr) -> User:
        user = await store.get_user(user_id)
        if user is None:
            raise ZoomProblem(404, 404, f"User not found: {user_id}.")
        return user

    @patch("/users/{user_id:str}")
    async def update_user(user_id: PathStr, data: JSONBody[UserPatch]) -> User:
        return await admin.update_user(user_id, **changes(data))

    @post("/accounts/{account_id:str}/apps", status_code=201)
    async def create_app(account_id: PathStr, data: JSONBody[AppIn]) -> App:
        return await admin.create_app(
            account_id,
            scopes=data.scopes,
            client_id=data.client_id,
            client_secret=data.client_secret,
            name=data.name,
        )

    @get("/accounts/{account_id:str}/apps")
    async def list_apps(account_id: PathStr) -> list[App]:
        return await store.list_apps(account_id)

    @patch("/apps/{client_id:str}")
    async def update_app(client_id: PathStr, data: JSONBody[AppPatch]) -> App:
        return await admin.update_app(client_id, **changes(data))

    @get("/apps/{client_id:str}/tokens", summary="How many tokens this app was issued")
    async def app_tokens(client_id: PathStr) -> dict[str, int]:
        return {"issued": await store.count_tokens(client_id)}

    @post("/tokens/expire", status_code=200, summary="Force every live token (of an app) to expire")
    async def expire_tokens(data: JSONBody[ExpireIn | None] = None) -> dict[str, int]:
        n = await store.expire_tokens(clock.now(), data.client_id if data else None)
        return {"expired": n}

    async def _create(kind: str, data: MeetingIn) -> Meeting:
        fields = changes(data)
        host_id = fields.pop("host_id")
        fields.pop("id", None)
        return await admin.create_meeting(kind, str(host_id), id=data.id, **fields)

    @post("/meetings", status_code=201)
    async def create_meeting(data: JSONBody[MeetingIn]) -> Meeting:
        return await _create("meeting", data)

    @post("/webinars", status_code=201)
    async def create_webinar(data: JSONBody[MeetingIn]) -> Meeting:
        return await _create("webinar", data)

    @get("/meetings")
    async def list_meetings(account_id: QueryText = None) -> list[Meeting]:
        return await store.list_meetings(account_id)

    @get("/meetings/{meeting_id:int}", summary="A meeting or webinar, with its stream state")
    async def get_meeting(meeting_id: PathMeetingId) -> Meeting:
        return await admin.get_meeting(meeting_id)

    @patch("/meetings/{meeting_id:int}")
    async def update_meeting(meeting_id: PathMeetingId, data: JSONBody[MeetingPatch]) -> Meeting:
        return await admin.update_meeting(meeting_id, **changes(data))

    @post("/meetings/{meeting_id:int}/start", status_code=200)
    async def start_meeting(meeting_id: PathMeetingId) -> Meeting:
        return await admin.start_meeting(meeting_id)

    @post("/meetings/{meeting_id:int}/end", status_code=200)
    async def end_meeting(meeting_id: PathMeetingId) -> Meeting:
        return await admin.end_meeting(meeting_id)

    @get("/clock")
    async def get_clock() -> ClockOut:
        return ClockOut(clock.now(), clock.datetime().isoformat(), clock.frozen)

    @post("/clock", status_code=200, summary="Freeze, set or advance the server's clock")
    async def set_clock(data: JSONBody[ClockIn]) -> ClockOut:
        # Checked before anything changes, so a refused request leaves the clock as it was.
        out_of_range = field_problem(
            "advance", "The clock must stay within 1970-01-01 and 9999-12-30 (UTC)"
        )
        if data.advance is not None:
            base = data.set if data.set is not None else time.time() if data.reset else clock.now()
            if not in_range(base + data.advance):
                raise out_of_range
        if data.reset:
            clock.reset()
        if data.freeze is True:
            clock.freeze()
        elif data.freeze is False:
            clock.unfreeze()
        if data.set is not None:
            clock.set(data.set)
        if data.advance is not None:
            try:
                clock.advance(data.advance)
            except ValueError:  # the running clock crossed the edge since the check
                raise out_of_range from None
        rt.webhooks.wake()  # retries and revalidations follow the clock
        rt.retention.wake()  # and so does retention
        return ClockOut(clock.now(), clock.datetime().isoformat(), clock.frozen)

    @get("/stats", summary="Counters: token requests, tokens issued, group commits")
    async def stats() -> dict[str, int]:
        return {
            "token_requests": rt.auth.token_requests,
            "rate_limited": rt.limiter.rejected,
            "tokens_issued": await store.count_tokens(),
            "write_batches": store.writer.batches,
            "writes": store.writer.writes,
            "tokens_in_memory": store.tokens_in_memory(),
            "webhooks_in_flight": rt.webhooks.in_flight,
            "pruned_events": rt.retention.pruned_events,
            "pruned_attempts": rt.retention.pruned_attempts,
            "pruned_tokens": rt.retention.pruned_tokens,
        }

    @post("/faults", status_code=201, summary="Inject a fault into matching requests")
    async def add_fault(data: JSONBody[FaultSpec]) -> Fault:
        return rt.faults.add(data)

    @get("/faults")
    async def list_faults() -> list[Fault]:
        return rt.faults.list()

    @delete("/faults", status_code=204)
    async def clear_faults() -> None:
        rt.faults.clear()

    @delete("/faults/{fault_id:int}", status_code=204)
    async def remove_fault(fault_id: PathFaultId) -> None:
        if not rt.faults.remove(fault_id):
            raise ZoomProblem(404, 404, f"Fault not found: {fault_id}.")

    @get("/journal", summary="Requests and answers, oldest first (path is a glob)")
    async def journal(
        path: QueryText = None,
        method: QueryText = None,
        status: FromQuery[int | None] = None,
        since: QueryTime = None,
        until: QueryTime = None,
        limit: Annotated[int | None, QueryParameter(ge=1, le=INT32_MAX)] = None,
    ) -> list[Entry]:
        return rt.journal.query(
            path=path, method=method, status=status, since=since, until=until, limit=limit
        )

    @delete("/journal", status_code=204)
    async def clear_journal() -> None:
        rt.journal.clear()

    @put("/apps/{client_id:str}/subscription", status_code=200,
         summary="Set the app's event endpoint (runs URL validation)")  # fmt: skip
    async def subscribe(client_id: PathStr, data: JSONBody[SubscriptionIn]) -> Subscription:
        if await store.get_app(client_id) is None:
            raise ZoomProblem(404, 404, f"App not found: {client_id}.")
        return await rt.webhooks.subscribe(client_id, data.url, data.events, data.secret_token)

    @get("/apps/{client_id:str}/subscription")
    async def get_subscription(client_id: PathStr) -> Subscription:
        sub = await rt.webhooks.db.get_subscription(client_id)
        if sub is None:
            raise ZoomProblem(404, 404, f"No subscription for app: {client_id}.")
        return sub

    @post("/apps/{client_id:str}/subscription/validate", status_code=200,
          summary="Run URL validation again now")  # fmt: skip
    async def revalidate(client_id: PathStr) -> Subscription:
        sub = await get_subscription.fn(client_id)
        return await rt.webhooks.validate(sub)

    @get("/webhooks/events", summary="Queued, delivered and failed events, with attempts")
    async def webhook_events(status: FromQuery[OutboxStatus | None] = None) -> list[EventOut]:
        return [
            EventOut(
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
            for row, attempts in await rt.webhooks.db.events(status)
        ]

    @post("/webhooks/run", status_code=200, summary="Run the delivery worker once, now")
    async def run_webhooks() -> dict[str, int]:
        return {"started": await rt.webhooks.tick()}

    handlers = [
        subscribe, get_subscription, revalidate, webhook_events, run_webhooks,
        add_fault, list_faults, clear_faults, remove_fault, journal, clear_journal,
        reset, demo, create_account, list_accounts, get_account, update_account,
        create_user, list_users, get_user, update_user, create_app, list_apps, update_app,
        app_tokens, expire_tokens, create_meeting, create_webinar, list_meetings, get_meeting,
        update_meeting, start_meeting, end_meeting, get_clock, set_clock, stats,
    ]  # fmt: skip
    protected = Router("/", route_handlers=handlers, guards=[guard])
    return Router(
        "/_zoomlive",
        route_handlers=[health, protected],
        tags=["zoomlive control API"],
        exception_handlers={400: on_bad_request, RecursionError: on_deep_json},
    )

"""Control API: the emulator itself: reset and demo, clock, faults, journal, stats,
and health (the one route that needs no token)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.params import FromQuery, JSONBody

from zoomlive.server.clock import in_range
from zoomlive.server.control.errors import field_problem
from zoomlive.server.control.meetings import BULK_BODY_BYTES
from zoomlive.server.control.params import (
    PageSize,
    PageToken,
    PathFaultId,
    QueryLimit,
    QueryText,
    QueryTime,
    RuntimeDep,
    paged,
)
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.runtime import Runtime
from zoomlive.server.services.faults import Fault, FaultSpec
from zoomlive.server.services.inputs import ClockIn, ClockOut, ResetIn
from zoomlive.server.services.paging import DEFAULT_PAGE_SIZE
from zoomlive.wire import errors as E
from zoomlive.wire.models import FieldError


@get("/health", guards=[], summary="Liveness and dependencies (no token needed)")
async def health(rt: RuntimeDep) -> dict[str, Any]:
    return await rt.health()


def _clock_out(rt: Runtime) -> ClockOut:
    return ClockOut(rt.clock.now(), rt.clock.datetime().isoformat(), rt.clock.frozen)


class OpsController(Controller):
    path = "/"

    @post("/reset", status_code=200, summary="Wipe all state; optionally seed the demo again")
    async def reset(self, rt: RuntimeDep, data: JSONBody[ResetIn | None] = None) -> dict[str, Any]:
        body = data or ResetIn()
        seeded = await rt.reset(demo=body.demo, new_credentials=body.new_credentials)
        return {"reset": True, "demo": seeded}

    @get(
        "/demo",
        summary="The demo app's credentials (what `zoomlive env` prints as export lines)",
    )
    async def demo_credentials(self, rt: RuntimeDep) -> dict[str, str]:
        if not rt.demo:
            raise ZoomProblem.of(E.RECORD_NOT_FOUND, what="App", key="demo")
        return {k: str(rt.demo[k]) for k in ("account_id", "client_id", "client_secret")}

    @post(
        "/seed",
        status_code=200,
        summary="Load a seed (the seed-file format, as JSON or YAML) in one transaction",
        request_max_body_size=BULK_BODY_BYTES,
    )
    async def seed(self, rt: RuntimeDep, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """The body may be as large as a bulk create's, so that a seed past its own
        bound is refused as a seed (with the line where it goes past), not as a body.
        Parsing is blocking work: it runs off the event loop."""
        from zoomlive.server.seeding import SeedError, parse

        raw = await request.body()
        try:
            seed = await asyncio.to_thread(parse, raw, "body")
        except SeedError as exc:
            errors = [FieldError("body", p) for p in exc.problems]
            raise ZoomProblem(400, 300, exc.problems[0], errors=errors) from None
        return await rt.load_seed(seed, at_start=False)

    @post("/demo", status_code=201, summary="Seed a demo account, host, app, meetings, webinar")
    async def demo(self, rt: RuntimeDep) -> dict[str, Any]:
        return await rt.admin.seed_demo()

    @get("/clock", summary="The server's clock (emulated time, frozen or running)")
    async def get_clock(self, rt: RuntimeDep) -> ClockOut:
        return _clock_out(rt)

    @post("/clock", status_code=200, summary="Freeze, set or advance the server's clock")
    async def set_clock(self, rt: RuntimeDep, data: JSONBody[ClockIn]) -> ClockOut:
        clock = rt.clock
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
        return _clock_out(rt)

    @get("/stats", summary="Counters: token requests, tokens issued, group commits")
    async def stats(self, rt: RuntimeDep) -> dict[str, int]:
        return await rt.stats()

    @post("/faults", status_code=201, summary="Inject a fault into matching requests")
    async def add_fault(self, rt: RuntimeDep, data: JSONBody[FaultSpec]) -> Fault:
        return rt.faults.add(data)

    @get("/faults", summary="The faults in force, with their hits")
    async def list_faults(self, rt: RuntimeDep) -> list[Fault]:
        return rt.faults.list()

    @delete("/faults", status_code=204, summary="Remove every fault")
    async def clear_faults(self, rt: RuntimeDep) -> None:
        rt.faults.clear()

    @delete("/faults/{fault_id:int}", status_code=204, summary="Remove one fault")
    async def remove_fault(self, rt: RuntimeDep, fault_id: PathFaultId) -> None:
        if not rt.faults.remove(fault_id):
            raise ZoomProblem.of(E.RECORD_NOT_FOUND, what="Fault", key=fault_id)

    @get("/journal", summary="Requests and answers, oldest first, paged (path is a glob)")
    async def journal(
        self,
        rt: RuntimeDep,
        path: QueryText = None,
        method: QueryText = None,
        status: FromQuery[int | None] = None,
        since: QueryTime = None,
        until: QueryTime = None,
        limit: QueryLimit = None,
        page_size: PageSize = DEFAULT_PAGE_SIZE,
        next_page_token: PageToken = None,
    ) -> dict[str, Any]:
        """Paged as Zoom's lists are (``entries``), by entry id: entries recorded while
        a caller pages on come at the end, none twice. ``limit`` keeps only the last
        ``limit`` matches (then paged)."""
        entries = rt.journal.query(
            path=path, method=method, status=status, since=since, until=until, limit=limit
        )

        async def fetch(after: int | None, n: int) -> list[Any]:
            return rt.journal.after(entries, after or 0)[:n]

        async def count() -> int:
            return len(entries)

        scope = repr((path, method, status, since, until, limit))
        return await paged(rt, "entries", scope, fetch, count, lambda e: e.id, int,
                           page_size, next_page_token)  # fmt: skip

    @delete("/journal", status_code=204, summary="Empty the journal")
    async def clear_journal(self, rt: RuntimeDep) -> None:
        rt.journal.clear()

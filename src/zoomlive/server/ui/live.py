"""Live updates for open pages: one server-sent event stream per page.

The stream looks at the database every ``POLL`` seconds for the meetings the page
shows (one ``SELECT … WHERE id IN``), so a change made by any worker process, any
API call or the dashboard reaches the page well within a second with nothing to
wire into the services; it sends a meeting only when its badge changed. A process
that is its database's only writer (SQLite) knows when nothing was committed since
the last look, and then reuses what that look read: an open page on an idle server
costs no statement (a badge's media state, held in memory, is still looked at). The
journal page also gets each new entry (its id as the event id), every page the server
clock, and a page that ``watch``es (overview, webhooks, faults) a ``changed`` event when
what it shows changed, upon which it fetches itself again and swaps its content.

A stream ends after ``LIFETIME`` seconds and the browser reconnects at once
(``retry``), sending ``Last-Event-ID`` so the journal goes on where it was: a server
asked to stop waits for open responses to finish, and an open tab must not hold it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Annotated, Any, TypeVar

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from zoomlive.server.control.params import RuntimeDep
from zoomlive.server.runtime import Runtime
from zoomlive.server.services.inputs import TEXT_PATTERN
from zoomlive.server.storage.failures import StorageUnavailable
from zoomlive.server.storage.records import Meeting
from zoomlive.server.ui import views
from zoomlive.server.ui.pages import who
from zoomlive.server.ui.render import BASE, when
from zoomlive.wire.ids import MAX_ID, parse_id, parse_uint

POLL = 0.2
LIFETIME = 15.0
#: How soon the browser reconnects (ms) after a stream ends.
RETRY_MS = 250
#: A page tracks at most this many meetings (a meetings page holds 50).
MAX_IDS = 200
Text = Annotated[str, QueryParameter(max_length=4096, pattern=TEXT_PATTERN)]


def _ids(raw: str) -> list[int]:
    """The meeting ids the page shows; anything else in the list (not a meeting id:
    past int64, ``²``, empty) names no meeting and is left out, so the stream's looks
    only ever ask the database for ids it can hold."""
    found = (parse_id(part.strip()) for part in raw.split(",", MAX_IDS)[:MAX_IDS])
    return [i for i in found if i is not None]


UNKNOWN = object()
T = TypeVar("T")
#: Looks under way, held until they finish (the loop keeps only weak references).
_UNDER_WAY: set[asyncio.Future[Any]] = set()


def _finished(task: asyncio.Future[Any]) -> None:
    _UNDER_WAY.discard(task)
    if not task.cancelled():
        task.exception()  # a look nobody waits for any more: its failure is not news


async def _uncut(look: Coroutine[Any, Any, T]) -> T:
    """Await a look at the database that the stream's end does not interrupt. When
    the browser goes away mid-look the response's task is cancelled; a read cancelled
    inside the driver leaves its connection checked out, for the garbage collector to
    drop (SQLAlchemy's "non-checked-in connection"). So the look runs as its own task,
    shielded: the stream stops waiting for it, and it finishes and gives its
    connection back to the pool."""
    task = asyncio.ensure_future(look)
    _UNDER_WAY.add(task)
    task.add_done_callback(_finished)
    return await asyncio.shield(task)


class _Looks:
    """What the stream has told the page about the database's rows, and whether it
    could look at all."""

    def __init__(self) -> None:
        self.sent: dict[int, dict[str, Any]] = {}
        #: What the last look read, and the writer's commit count before it
        #: (``Store.sole_writer``): while that count stays, the rows have not changed.
        self.rows: list[Meeting] | None = None
        self.rows_at = -1
        self.watched: object = UNKNOWN
        self.watched_at = -1  # -1: read at the next look
        #: What the watched part looked like (``UNKNOWN``: not looked at yet, so the
        #: first look that succeeds after a failed one refreshes the page).
        self.version: object = UNKNOWN
        self.available = True


async def _look(
    rt: Runtime, ids: list[int], watch: str, looks: _Looks, versions: bool
) -> list[ServerSentEventMessage]:
    """One look at the database: the badges that changed, ``changed`` if what the page
    watches changed. With the database unreachable the stream stays open and says so
    once (``unavailable``, then ``available``): the response has started, so an error
    could only cut it, and the browser would reconnect into the same error four times
    a second (README, "The dashboard"; the store logs the outage once)."""
    out = []
    store = rt.store
    try:
        # Taken before the look: a commit during it makes the next look read again.
        commits = store.writer.commits if store.sole_writer else -1
        rows = looks.rows
        if rows is None or commits < 0 or commits != looks.rows_at:
            looks.rows = None  # until this read succeeds
            rows = looks.rows = await views.meetings(rt, ids)
            looks.rows_at = commits
        for meeting in rows:
            badge = views.badge(rt, meeting)
            if looks.sent.get(meeting.id) != badge:
                looks.sent[meeting.id] = badge
                out.append(ServerSentEventMessage(event="meeting", data=json.dumps(badge)))
        if watch and versions:
            if watch == "webhooks" and commits >= 0 and commits == looks.watched_at:
                current = looks.watched  # all of it is in the database
            else:
                looks.watched_at = -1  # until this read succeeds
                current = await views.version(rt, watch)
                looks.watched, looks.watched_at = current, commits
            if current != looks.version:
                looks.version = current
                out.append(ServerSentEventMessage(event="changed", data=watch))
    except StorageUnavailable:
        if looks.available:
            looks.available = False
            out.append(ServerSentEventMessage(event="unavailable", data="database"))
        return out
    if not looks.available:
        looks.available = True
        out.insert(0, ServerSentEventMessage(event="available", data="database"))
    return out


async def _events(
    rt: Runtime, ids: list[int], journal: dict[str, Any] | None, after: int, watch: str
) -> AsyncIterator[ServerSentEventMessage]:
    looks = _Looks()
    second = ""
    if watch:
        with contextlib.suppress(StorageUnavailable):
            looks.version = await _uncut(views.version(rt, watch))
    rounds = 0
    yield ServerSentEventMessage(data=None, retry=RETRY_MS, comment="zoomlive live updates")
    deadline = time.monotonic() + LIFETIME
    while time.monotonic() < deadline:
        # The overview's counts take a few statements: looked at once a second.
        versions = watch != "overview" or rounds % 5 == 0
        for message in await _uncut(_look(rt, ids, watch, looks, versions)):
            yield message
        if journal is not None:
            for e in reversed(views.journal(rt, after=after, **journal)):
                after = max(after, e.id)
                data = {"id": e.id, "time": when(e.at), "method": e.method, "path": e.path,
                        "status": e.status, "code": e.code, "fault_id": e.fault_id,
                        "duration_ms": e.duration_ms}  # fmt: skip
                yield ServerSentEventMessage(event="journal", data=json.dumps(data), id=e.id)
        rounds += 1
        now = rt.clock.datetime().isoformat(timespec="seconds")
        if now != second:
            second = now
            yield ServerSentEventMessage(event="clock", data=json.dumps({"iso": now}))
        await asyncio.sleep(POLL)


@get(f"{BASE}/live", include_in_schema=False)
async def live(
    request: Request[Any, Any, Any],
    rt: RuntimeDep,
    ids: Text = "",
    journal: Annotated[int, QueryParameter(ge=0, le=1)] = 0,
    after: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
    path: Text = "",
    method: Text = "",
    status: Annotated[int | None, QueryParameter(ge=100, le=599)] = None,
    watch: Annotated[str, QueryParameter(pattern="^(|overview|webhooks|faults)$")] = "",
) -> ServerSentEvent:
    await who(request, rt)
    # The browser sends back the last journal id it got; anything else is no id.
    resumed = parse_uint(request.headers.get("last-event-id", ""))
    if resumed is not None:
        after = max(after, resumed)
    filters = {"path": path, "method": method, "status": status} if journal else None
    return ServerSentEvent(
        _events(rt, _ids(ids), filters, after, watch),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )

"""Every state change of a meeting, through one compare-and-set primitive: steps,
each with the outbox rows that go with it; and a host's meetings a page at a time.

Stream start and stop, meeting create, start, end, update and delete are all
``Step``s run by ``apply`` (or ``transition``, which also says what the row held when
the step changed nothing).

A ``Step`` is one conditional statement (an INSERT that does nothing when the key
exists, or an UPDATE/DELETE guarded by the state it expects) with ``RETURNING``;
its ``extra`` statements (the webhook outbox rows) run in the same transaction,
and only when the step changed a row. So an event is queued exactly once per real
change, however many callers race (README, Concurrency). The moment of the change
(the events' ``event_ts``, and a value given as ``NOW``) is read from the clock in
that transaction, under the meeting row's lock: per meeting, the events' times
follow the order of the commits, and the events of one change share one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zoomlive.server.storage import schema as t
from zoomlive.server.storage.records import Meeting, from_row, to_row
from zoomlive.server.storage.store import Queued, Store

Extra = list[Queued]


class _Now:
    def __repr__(self) -> str:
        return "NOW"


#: A value that is the moment of the change, read in its transaction (``apply``).
NOW: Any = _Now()


class Step(NamedTuple):
    #: The statement, given the moment of the change: a statement, or a statement
    #: built once and its parameters (``(statement, params)``).
    statement: Callable[[float], Any]
    #: The meeting the step changes.
    meeting_id: int
    extra: Extra = []
    #: The step removes the row (the read model forgets it).
    deletes: bool = False
    #: Told the row after the commit, only if the step changed it, in commit order
    #: (the media feed starts and stops there).
    on_changed: Callable[[Meeting], None] | None = None


class Quota(NamedTuple):
    """One request against a host's cap for one day (Zoom's daily creates and
    updates): taken in the database, so restarts and other processes see it."""

    host_id: str
    day: int
    cap: int


class QuotaExhausted(Exception):
    """The host's cap for the day is used up: nothing was written."""


class MeetingStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        #: A create's INSERT, built once with a parameter per column: built per call
        #: with its values, SQLAlchemy coerces every value and keys the statement
        #: again, most of a create's time in the writer (bench/README.md).
        self._insert = store._insert_new(t.meetings).returning(*t.meetings.c)

    def _take(self, quota: Quota) -> Any:
        """Compare-and-set: one more on the host's count, only while it is under the
        cap on that day (another day starts it at one); returns the row it counted."""
        c = t.daily_caps.c
        ins = self._store._dialect_insert(t.daily_caps).values(
            host_id=quota.host_id, day=quota.day, count=1
        )
        same_day = c.day == ins.excluded.day
        return ins.on_conflict_do_update(
            index_elements=[c.host_id],
            set_={"day": ins.excluded.day, "count": sa.case((same_day, c.count + 1), else_=1)},
            where=sa.or_(~same_day, c.count < quota.cap),
        ).returning(c.count)

    # -- compare-and-set steps ----------------------------------------------------------

    def insert(self, meeting: Meeting, extra: Extra) -> Step:
        row = to_row(meeting)
        return Step(lambda _: (self._insert, row), meeting.id, extra)

    def update(
        self,
        meeting_id: int,
        expect: dict[str, Any],
        values: dict[str, Any],
        extra: Extra,
        on_changed: Callable[[Meeting], None] | None = None,
    ) -> Step:
        """Set ``values`` (``NOW``: the moment of the change) where the row still
        holds ``expect`` (column: value)."""
        c = t.meetings.c
        where = sa.and_(c.id == meeting_id, *(c[k] == v for k, v in expect.items()))

        def statement(at: float) -> Any:
            now = {k: at if v is NOW else v for k, v in values.items()}
            return t.meetings.update().where(where).values(now).returning(*t.meetings.c)

        return Step(statement, meeting_id, extra, on_changed=on_changed)

    def delete(self, meeting_id: int, extra: Extra,
               on_changed: Callable[[Meeting], None] | None = None) -> Step:  # fmt: skip
        stmt = t.meetings.delete().where(t.meetings.c.id == meeting_id)
        return Step(lambda _: stmt.returning(*t.meetings.c), meeting_id, extra, deletes=True,
                    on_changed=on_changed)  # fmt: skip

    async def apply(
        self,
        steps: Sequence[Step],
        now: Callable[[], float],
        quota: Quota | None = None,
    ) -> list[Meeting | None]:
        """Run the steps, all of one meeting, in one transaction, in order; each
        step's row as it returned it (None: the step changed nothing, and its extras
        did not run). The moment of the change is ``now()``, read once in that
        transaction under the meeting's lock (the writer's ``lock_key``). After the
        commit, in commit order, the read model takes each changed row and each
        changed step's ``on_changed`` is told.

        With a ``quota``, the transaction first takes one from it, and gives it back
        if no step changed a row; with the cap used up it writes nothing and raises
        ``QuotaExhausted``."""
        rows, _ = await self._run(steps, now, quota, read_back=False)
        return rows

    async def transition(self, step: Step, now: Callable[[], float]) -> tuple[bool, Meeting | None]:
        """``apply`` of one step that also says, when it changed nothing, what the row
        held as the same transaction saw it (None: no such meeting): whether it changed,
        and the row."""
        rows, seen = await self._run([step], now, None, read_back=True)
        return (True, rows[0]) if rows[0] is not None else (False, seen)

    async def _run(
        self, steps: Sequence[Step], now: Callable[[], float], quota: Quota | None,
        read_back: bool,
    ) -> tuple[list[Meeting | None], Meeting | None]:  # fmt: skip
        ids = {step.meeting_id for step in steps}
        assert len(ids) <= 1, "the steps of one transaction are of one meeting"
        meeting_id = next(iter(ids), None)
        Result = tuple[list[Meeting | None], Meeting | None] | None

        async def op(conn: AsyncConnection) -> Result:
            if quota is not None and (await conn.execute(self._take(quota))).first() is None:
                return None
            at = now()
            out: list[Meeting | None] = []
            for step in steps:
                made = step.statement(at)
                stmt, params = made if isinstance(made, tuple) else (made, None)
                row = (await conn.execute(stmt, params)).first()
                if row is None:
                    out.append(None)
                    continue
                for queued in step.extra:
                    await conn.execute(*queued(at))
                out.append(from_row(Meeting, row))
            if quota is not None and steps and all(row is None for row in out):
                c = t.daily_caps.c
                await conn.execute(
                    t.daily_caps.update()
                    .where(c.host_id == quota.host_id)
                    .values(count=c.count - 1)
                )
            seen: Meeting | None = None
            if read_back and meeting_id is not None and out and out[-1] is None:
                found = await conn.execute(
                    sa.select(t.meetings).where(t.meetings.c.id == meeting_id)
                )
                first = found.first()
                seen = None if first is None else from_row(Meeting, first)
            return out, seen

        def after(result: Result) -> None:
            if result is None:
                return
            rows, seen = result
            cache = self._store.cache
            if cache is not None and seen is not None:
                cache.meetings.put(seen.id, seen)
            for step, row in zip(steps, rows, strict=True):
                if row is None:
                    continue
                if cache is not None:
                    if step.deletes:
                        cache.meetings.drop(row.id)
                    else:
                        cache.meetings.put(row.id, row)
                if step.on_changed is not None:
                    step.on_changed(row)

        result: Result = await self._store.writer.call(op, after=after, lock_key=meeting_id)
        if result is None:
            raise QuotaExhausted(quota)
        return result

    async def take(self, quota: Quota) -> None:
        """Take one from ``quota`` in a transaction of its own (a request that counts
        whether or not it changes anything); ``QuotaExhausted`` past the cap."""
        await self.apply([], time.time, quota)

    # -- a host's meetings, by id ---------------------------------------------------------

    async def page(self, host_id: str, kind: str, after_id: int, limit: int) -> list[Meeting]:
        """Up to ``limit`` of the host's meetings (or webinars) with an id above
        ``after_id``, by id: keyset paging, stable under concurrent creates."""
        # The read model holds recently used rows only (bounded): lists, counts and
        # lookups by anything but the key read the database.
        c = t.meetings.c
        stmt = (
            sa.select(t.meetings)
            .where(c.host_id == host_id, c.kind == kind, c.id > after_id)
            .order_by(c.id)
            .limit(limit)
        )

        async def q(conn: AsyncConnection) -> list[Meeting]:
            return [from_row(Meeting, row) for row in await conn.execute(stmt)]

        return await self._store.read(q)

    async def count(self, host_id: str, kind: str) -> int:
        c = t.meetings.c
        stmt = sa.select(sa.func.count()).where(c.host_id == host_id, c.kind == kind)

        async def q(conn: AsyncConnection) -> int:
            return int((await conn.execute(stmt)).scalar_one())

        return await self._store.read(q)

    async def user_by_email(self, account_id: str, email: str) -> str | None:
        """The id of the account's user with this email (case-insensitive), if any."""
        lowered = email.lower()
        c = t.users.c
        stmt = sa.select(c.id).where(c.account_id == account_id, sa.func.lower(c.email) == lowered)

        async def q(conn: AsyncConnection) -> str | None:
            found: str | None = (await conn.execute(stmt.limit(1))).scalar_one_or_none()
            return found

        return await self._store.read(q)

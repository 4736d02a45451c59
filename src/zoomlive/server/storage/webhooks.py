"""Webhook persistence: subscriptions, the outbox and delivery attempts.

Outbox rows are written in the same transaction as the stream state change that
caused them (``Store.save_stream_state(extra=…)``), so a crash loses no event.
Deliveries are claimed with a lease (a conditional UPDATE), so with several
server processes on one database each event is sent by one of them at a time.
Each claim writes a fresh ``lease_token``, and an attempt is recorded only where
the row still carries it: a result that arrives after the lease passed to another
claim changes nothing, and each attempt number is used once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zoomlive.server.storage import schema as t
from zoomlive.server.storage.records import Attempt, OutboxRow, Subscription, from_row, to_row
from zoomlive.server.storage.store import Store

INSERT_OUTBOX = t.outbox.insert()
R = TypeVar("R", bound=msgspec.Struct)


async def _rowcount(result: Any) -> int:
    return int((await result).rowcount)


def _held(row: OutboxRow) -> Any:
    """The row, still pending, still under the lease ``row`` was claimed with."""
    c = t.outbox.c
    return sa.and_(c.id == row.id, c.status == "pending", c.lease_token == row.lease_token)


def finished_events(before: float, batch: int) -> sa.Select[Any]:
    """Delivered or failed events due for pruning: an index range scan on
    ``finished_at``, which only they have (``finish_attempt`` clears it for pending)."""
    return (
        sa.select(t.outbox.c.id)
        .where(t.outbox.c.finished_at < before)
        .order_by(t.outbox.c.finished_at)
        .limit(batch)
    )


class WebhookStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._writer = store.writer

    async def get_subscription(self, client_id: str) -> Subscription | None:
        stmt = sa.select(t.subscriptions).where(t.subscriptions.c.client_id == client_id)
        rows = await self._store.read(lambda conn: _rows(conn, stmt, Subscription))
        return rows[0] if rows else None

    async def put_subscription(self, sub: Subscription) -> None:
        stmt = self._store.upsert(t.subscriptions, to_row(sub))
        await self._writer.call(lambda conn: conn.execute(stmt))

    async def subscribers(self, account_id: str, event: str) -> list[Subscription]:
        """Enabled subscriptions of the account's apps that take ``event``."""
        stmt = (
            sa.select(t.subscriptions)
            .join(t.apps, t.apps.c.client_id == t.subscriptions.c.client_id)
            .where(t.apps.c.account_id == account_id, t.subscriptions.c.enabled.is_(True))
        )
        rows = await self._store.read(lambda conn: _rows(conn, stmt, Subscription))
        return [s for s in rows if event in s.events.split()]

    async def due_for_revalidation(self, before: float) -> list[Subscription]:
        stmt = sa.select(t.subscriptions).where(
            t.subscriptions.c.enabled.is_(True), t.subscriptions.c.validated_at <= before
        )
        return await self._store.read(lambda conn: _rows(conn, stmt, Subscription))

    async def claim_revalidation(self, client_id: str, before: float, now: float) -> bool:
        """Take the right to revalidate this endpoint now (one process, one task)."""
        c = t.subscriptions.c
        res: int = await self._writer.call(
            lambda conn: _rowcount(
                conn.execute(
                    t.subscriptions.update()
                    .where(c.client_id == client_id, c.enabled.is_(True), c.validated_at <= before)
                    .values(validated_at=now)
                )
            )
        )
        return res == 1

    @staticmethod
    def outbox_insert(values: dict[str, Any]) -> tuple[sa.Executable, dict[str, Any]]:
        """The statement that queues one delivery (run inside the state change)."""
        return INSERT_OUTBOX, values

    async def claim(self, now: float, real_now: float, lease: float, limit: int) -> list[OutboxRow]:
        """Take up to ``limit`` due deliveries for ``lease`` seconds (real time), each
        under a new lease token.

        The claiming UPDATE checks everything the look checked, due time included:
        between the two another process may claim the row, fail to deliver it and
        schedule the retry, and a claim that checked only status and lease would then
        send the retry at once, burning Zoom's schedule in seconds."""
        c = t.outbox.c
        free = sa.or_(c.lease_until.is_(None), c.lease_until < real_now)
        claimable = sa.and_(c.status == "pending", c.next_attempt_at <= now, free)
        pick = sa.select(c.id).where(claimable).order_by(c.id).limit(limit)

        # Look first without writing: an idle worker polls often, and should not
        # cost a write transaction each time.
        async def look(conn: AsyncConnection) -> list[int]:
            return [r[0] for r in await conn.execute(pick)]

        ids = await self._store.read(look)
        if not ids:
            return []

        async def op(conn: AsyncConnection) -> list[OutboxRow]:
            claimed: list[OutboxRow] = []
            for oid in ids:
                res = await conn.execute(
                    t.outbox.update()
                    .where(c.id == oid, claimable)
                    .values(lease_until=real_now + lease, lease_token=secrets.token_hex(16))
                )
                if res.rowcount == 1:
                    row = (
                        await conn.execute(sa.select(t.outbox).where(t.outbox.c.id == oid))
                    ).first()
                    claimed.append(from_row(OutboxRow, row))
            return claimed

        result: list[OutboxRow] = await self._writer.call(op)
        return result

    async def finish_attempt(
        self,
        row: OutboxRow,
        *,
        at: float,
        url: str,
        status_code: int | None,
        error: str | None,
        duration_ms: float,
        outcome: str,
        next_attempt_at: float,
    ) -> bool:
        """Record one attempt and the row's new state, together, if ``row``'s claim
        still holds the lease; False (nothing written) if it does not."""
        number = row.attempts + 1

        async def op(conn: AsyncConnection) -> bool:
            res = await conn.execute(
                t.outbox.update()
                .where(_held(row))
                .values(
                    status=outcome,
                    attempts=number,
                    next_attempt_at=next_attempt_at,
                    lease_until=None,
                    lease_token=None,
                    finished_at=at if outcome != "pending" else None,
                )
            )
            if res.rowcount != 1:
                return False
            await conn.execute(
                t.attempts.insert().values(
                    outbox_id=row.id,
                    number=number,
                    at=at,
                    url=url,
                    status_code=status_code,
                    error=error,
                    duration_ms=duration_ms,
                )
            )
            return True

        done: bool = await self._writer.call(op)
        return done

    async def release(self, row: OutboxRow) -> bool:
        """Give a claimed row back untouched, if its claim still holds the lease."""
        res: int = await self._writer.call(
            lambda conn: _rowcount(
                conn.execute(
                    t.outbox.update().where(_held(row)).values(lease_until=None, lease_token=None)
                )
            )
        )
        return res == 1

    async def prune(self, before: Callable[[], float], batch: int = 5000) -> tuple[int, int]:
        """Delete up to ``batch`` delivered or failed events that finished before the
        cutoff ``before()``, with their attempts; returns (events, attempts) deleted.
        The cutoff is read at each step: the server clock may move meanwhile."""

        # Look first without writing: when nothing is due, this is one index probe.
        async def look(conn: AsyncConnection) -> list[int]:
            return [r[0] for r in await conn.execute(finished_events(before(), batch))]

        ids = await self._store.read(look)
        if not ids:
            return 0, 0

        async def op(conn: AsyncConnection) -> tuple[int, int]:
            rows = await conn.execute(
                t.outbox.delete()
                .where(t.outbox.c.id.in_(ids), t.outbox.c.finished_at < before())
                .returning(t.outbox.c.id)
            )
            deleted = [r[0] for r in rows]
            if not deleted:
                return 0, 0
            gone = await conn.execute(
                t.attempts.delete().where(t.attempts.c.outbox_id.in_(deleted))
            )
            return len(deleted), int(gone.rowcount)

        result: tuple[int, int] = await self._writer.call(op)
        return result

    async def events(
        self,
        status: str | None = None,
        limit: int = 1000,
        after: int | None = None,
        *,
        newest_first: bool = False,
    ) -> list[tuple[OutboxRow, list[Attempt]]]:
        """Up to ``limit`` events with their attempts, oldest first (ids above
        ``after``: keyset paging), or the newest ``limit``, newest first. One statement
        (the page of events joined to its attempts), so an event and its attempts come
        from one snapshot: read in two, a delivery recorded in between showed a 200
        attempt on a row still pending."""
        order = t.outbox.c.id.desc() if newest_first else t.outbox.c.id
        page = sa.select(t.outbox).order_by(order).limit(limit)
        if status is not None:
            page = page.where(t.outbox.c.status == status)
        if after is not None:
            page = page.where(t.outbox.c.id > after)
        sub = page.subquery("page")
        a = t.attempts
        stmt = (
            sa.select(sub, *(c.label(f"a_{c.name}") for c in a.c))
            .select_from(sub.outerjoin(a, a.c.outbox_id == sub.c.id))
            .order_by(sub.c.id.desc() if newest_first else sub.c.id, a.c.id)
        )
        outbox_names = [c.name for c in t.outbox.c]
        attempt_names = [c.name for c in a.c]

        async def q(conn: AsyncConnection) -> list[tuple[OutboxRow, list[Attempt]]]:
            found: dict[int, tuple[OutboxRow, list[Attempt]]] = {}
            for row in await conn.execute(stmt):
                m = row._mapping
                if m["id"] not in found:
                    event = OutboxRow(**{n: m[n] for n in outbox_names})
                    found[event.id] = (event, [])
                if m["a_id"] is not None:
                    attempt = Attempt(**{n: m[f"a_{n}"] for n in attempt_names})
                    found[m["id"]][1].append(attempt)
            return list(found.values())

        return await self._store.read(q)

    async def count(self, statuses: Iterable[str]) -> dict[str, int]:
        stmt = sa.select(t.outbox.c.status, sa.func.count()).group_by(t.outbox.c.status)

        async def q(conn: AsyncConnection) -> dict[str, int]:
            return {s: int(n) for s, n in await conn.execute(stmt)}

        found = await self._store.read(q)
        return {s: found.get(s, 0) for s in statuses}


async def _rows(conn: AsyncConnection, stmt: sa.Select[Any], cls: type[R]) -> list[R]:
    return [from_row(cls, r) for r in await conn.execute(stmt)]

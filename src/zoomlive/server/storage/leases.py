"""Media leases: which process publishes which live stream (README, Decision 25).

Each write is one statement in a transaction of its own, on a pooled connection rather
than the writer's batches (whose other rows would join its locks), and takes its rows
in meeting id order: two processes renewing at once wait for each other and never
deadlock. Only a store shared by several processes has leases (PostgreSQL); the only
writer publishes everything live.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from zoomlive.server.storage import schema as t
from zoomlive.server.storage.records import Meeting, from_row
from zoomlive.server.storage.store import Store

_C = t.media_leases.c
_LIVE = sa.select(t.meetings).where(t.meetings.c.stream_live.is_(True))
#: Meeting ids looked up per statement.
BATCH = 500


class MediaLeases:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def live_streams(self) -> dict[int, Meeting]:
        """Every meeting whose stream the database says is live."""

        async def q(conn: AsyncConnection) -> dict[int, Meeting]:
            return {int(r.id): from_row(Meeting, r) for r in await conn.execute(_LIVE)}

        return await self._store.read(q)

    async def existing(self, ids: list[int]) -> set[int]:
        """Those of ``ids`` that are still meetings (any process may have deleted one)."""
        found: set[int] = set()
        for i in range(0, len(ids), BATCH):
            stmt = sa.select(t.meetings.c.id).where(t.meetings.c.id.in_(ids[i : i + BATCH]))

            async def q(conn: AsyncConnection, stmt: Any = stmt) -> set[int]:
                return {int(r[0]) for r in await conn.execute(stmt)}

            found |= await self._store.read(q)
        return found

    async def all(self) -> dict[int, tuple[str, float]]:
        """Every lease: meeting id → (holder, expires at)."""

        async def q(conn: AsyncConnection) -> dict[int, tuple[str, float]]:
            rows = await conn.execute(sa.select(_C.meeting_id, _C.holder, _C.expires_at))
            return {int(r[0]): (str(r[1]), float(r[2])) for r in rows}

        return await self._store.read(q)

    async def held_by(self, holder: str) -> set[int]:
        async def q(conn: AsyncConnection) -> set[int]:
            rows = await conn.execute(sa.select(_C.meeting_id).where(_C.holder == holder))
            return {int(r[0]) for r in rows}

        return await self._store.read(q)

    async def drop(self, ids: Iterable[int], holder: str, now: float) -> None:
        """Give up these leases where ``holder`` holds them or they have expired."""
        await self._alone(
            t.media_leases.delete().where(
                _C.meeting_id.in_(sorted(ids)),
                sa.or_(_C.holder == holder, _C.expires_at < now),
            )
        )

    async def take(self, ids: Iterable[int], holder: str, until: float, now: float) -> None:
        """Renew or take these leases until ``until``: each one ``holder`` holds, is
        free, or has expired; the others stay their holders'."""
        upsert = pg_insert(t.media_leases).values(
            [{"meeting_id": mid, "holder": holder, "expires_at": until} for mid in sorted(ids)]
        )
        await self._alone(
            upsert.on_conflict_do_update(
                index_elements=[_C.meeting_id],
                set_={"holder": upsert.excluded.holder, "expires_at": upsert.excluded.expires_at},
                where=sa.or_(_C.holder == holder, _C.expires_at < now),
            )
        )

    async def release(self, holder: str) -> None:
        """Every lease of ``holder``, given up (its worker has closed their streams)."""
        await self._alone(t.media_leases.delete().where(_C.holder == holder))

    async def _alone(self, statement: Any) -> None:
        """One statement, committed in a transaction of its own."""
        async with self._store.engine.begin() as conn:
            await conn.execute(statement)

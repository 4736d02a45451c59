"""The dashboard's reads that no service has: meetings by id, table counts, the
subscriptions and a fingerprint of the webhook tables, each one statement.

Reads only, through ``Store.read`` (any process's writes are seen, not only this
one's); the dashboard imports no SQL of its own.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zoomlive.server.storage import schema as t
from zoomlive.server.storage.records import Meeting, Subscription, from_row
from zoomlive.server.storage.store import Store

_M = t.meetings
_BY_KIND = sa.select(_M.c.kind, sa.func.count()).group_by(_M.c.kind)
_LIVE = sa.select(sa.func.count()).select_from(_M).where(_M.c.stream_live)
_USERS = sa.select(sa.func.count()).select_from(t.users)
_SUBSCRIPTIONS = sa.select(t.subscriptions).order_by(t.subscriptions.c.client_id)
_WEBHOOKS = sa.select(
    sa.select(sa.func.count(), sa.func.max(t.attempts.c.id)).subquery(),
    sa.select(sa.func.count(), sa.func.max(t.outbox.c.id)).subquery(),
    sa.select(
        sa.func.count(), sa.func.sum(t.subscriptions.c.failures),
        sa.func.max(t.subscriptions.c.validated_at),
    ).subquery(),
)  # fmt: skip


class Overview:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def meetings(self, ids: list[int]) -> list[Meeting]:
        """These meetings as stored, in one statement."""
        if not ids:
            return []
        stmt = sa.select(_M).where(_M.c.id.in_(ids))

        async def q(conn: AsyncConnection) -> list[Meeting]:
            return [from_row(Meeting, r) for r in await conn.execute(stmt)]

        return await self._store.read(q)

    async def counts(self) -> dict[str, int]:
        """Meetings and webinars, live streams and users."""

        async def q(conn: AsyncConnection) -> dict[str, int]:
            kinds = {str(k): int(n) for k, n in await conn.execute(_BY_KIND)}
            return {
                "meetings": kinds.get("meeting", 0),
                "webinars": kinds.get("webinar", 0),
                "live streams": int((await conn.execute(_LIVE)).scalar_one()),
                "users": int((await conn.execute(_USERS)).scalar_one()),
            }

        return await self._store.read(q)

    async def subscriptions(self) -> list[Subscription]:
        async def q(conn: AsyncConnection) -> list[Subscription]:
            return [from_row(Subscription, r) for r in await conn.execute(_SUBSCRIPTIONS)]

        return await self._store.read(q)

    async def webhooks_version(self) -> tuple[Any, ...]:
        """Changes whenever an event, an attempt or a subscription's standing does."""

        async def q(conn: AsyncConnection) -> tuple[Any, ...]:
            return tuple((await conn.execute(_WEBHOOKS)).one())

        return await self._store.read(q)

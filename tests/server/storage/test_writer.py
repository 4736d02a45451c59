"""The group-commit writer's batches on PostgreSQL, where several processes write."""

from __future__ import annotations

import asyncio
import random

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support import service_url
from zoomlive.server.settings import normalise_db_url
from zoomlive.server.storage.engine import make_engine
from zoomlive.server.storage.writer import Writer

_META = sa.MetaData()
_ROWS = sa.Table(
    "zl_test_writer_rows",
    _META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("v", sa.Integer),
)
_UPDATE = _ROWS.update().where(_ROWS.c.id == sa.bindparam("b_id")).values(v=sa.bindparam("v"))


async def _deadlocks(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        q = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        return int((await conn.exec_driver_sql(q)).scalar_one())


@pytest.mark.postgres
def test_two_writers_updating_the_same_rows_in_opposite_orders_never_deadlock() -> None:
    """Two processes' batches touch the same rows in different orders (random ids
    under load): with lock keys each batch locks them in id order, so one waits for
    the other's commit instead of PostgreSQL aborting one after deadlock_timeout.
    Within a batch, equal keys keep their order: the last write to a row wins."""
    url = normalise_db_url(service_url("ZOOMLIVE_TEST_POSTGRES_URL"))

    async def run() -> None:
        engines = [make_engine(url), make_engine(url)]
        async with engines[0].begin() as conn:
            await conn.run_sync(lambda c: _ROWS.drop(c, checkfirst=True))
            await conn.run_sync(_META.create_all)
            await conn.execute(_ROWS.insert(), [{"id": i, "v": 0} for i in range(40)])
        writers = [Writer(e) for e in engines]
        for w in writers:
            w.start()
        try:
            before = await _deadlocks(engines[0])
            rnd = random.Random(5)
            for round_ in range(30):
                ids = list(range(40))
                writes = []
                for n, w in enumerate(writers):
                    order = ids[::-1] if n else ids
                    rnd.shuffle(order) if round_ % 2 else None
                    writes += [
                        w.execute(_UPDATE, {"b_id": i, "v": round_}, lock_key=i) for i in order
                    ]
                await asyncio.wait_for(asyncio.gather(*writes), timeout=30)
            # The same row twice in one batch: the later write is the one kept.
            w = writers[0]
            await asyncio.gather(
                w.execute(_UPDATE, {"b_id": 7, "v": 1}, lock_key=7),
                w.execute(_UPDATE, {"b_id": 3, "v": 1}, lock_key=3),
                w.execute(_UPDATE, {"b_id": 7, "v": 2}, lock_key=7),
            )
            async with engines[0].connect() as conn:
                got = (await conn.execute(sa.select(_ROWS.c.v).where(_ROWS.c.id == 7))).scalar_one()
            assert got == 2
            assert await _deadlocks(engines[0]) == before
            assert sum(w.batches for w in writers) < sum(w.writes for w in writers)  # batched
        finally:
            for w in writers:
                await w.stop()
            async with engines[0].begin() as conn:
                await conn.run_sync(lambda c: _ROWS.drop(c, checkfirst=True))
            for e in engines:
                await e.dispose()

    asyncio.run(run())

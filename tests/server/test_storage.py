"""Storage details that start-up relies on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from zoomlive.server.settings import sqlite_url
from zoomlive.server.storage.engine import HEAD_REVISION, MIGRATIONS, make_engine, migrate
from zoomlive.server.storage.schema import metadata
from zoomlive.server.storage.store import expired_tokens
from zoomlive.server.storage.webhooks import finished_events


def test_head_revision_constant_matches_alembic() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION


def test_migrations_build_the_tables_schema_declares(tmp_path: Path) -> None:
    async def diff() -> list[Any]:
        engine = make_engine(sqlite_url(tmp_path / "m.db"))
        try:
            await migrate(engine)
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda c: compare_metadata(MigrationContext.configure(c), metadata)
                )
        finally:
            await engine.dispose()

    assert asyncio.run(diff()) == []


def test_upgrade_renumbers_attempts_an_older_server_numbered_twice(tmp_path: Path) -> None:
    def to_0002(c: sa.Connection) -> None:
        from alembic import command

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "0002")

    async def run() -> list[tuple[int, int]]:
        engine = make_engine(sqlite_url(tmp_path / "old.db"))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(to_0002)
                for oid in (1, 2):
                    await conn.execute(
                        sa.text(
                            "INSERT INTO zl_outbox (id, request_id, client_id, account_id, event,"
                            " body, status, attempts, next_attempt_at, created_at)"
                            " VALUES (:i, :r, 'c', 'a', 'e', '{}', 'delivered', 2, 0, 0)"
                        ),
                        {"i": oid, "r": f"r{oid}"},
                    )
                for oid, number in ((1, 1), (2, 1), (1, 1), (1, 2), (2, 2)):
                    await conn.execute(
                        sa.text(
                            "INSERT INTO zl_attempts (outbox_id, number, at, url, duration_ms)"
                            " VALUES (:o, :n, 0, 'u', 0)"
                        ),
                        {"o": oid, "n": number},
                    )
            await migrate(engine)
            async with engine.connect() as conn:
                rows = await conn.execute(
                    sa.text("SELECT outbox_id, number FROM zl_attempts ORDER BY id")
                )
                return [(int(o), int(n)) for o, n in rows]
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == [(1, 1), (2, 1), (1, 2), (1, 3), (2, 2)]


def test_retention_finds_due_rows_through_an_index(tmp_path: Path) -> None:
    async def plans() -> list[str]:
        engine = make_engine(sqlite_url(tmp_path / "plan.db"))
        try:
            await migrate(engine)
            found = []
            async with engine.connect() as conn:
                for stmt in (finished_events(1.0, 10), expired_tokens(1.0, 10)):
                    sql = str(
                        stmt.compile(engine.sync_engine, compile_kwargs={"literal_binds": True})
                    )
                    rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
                    found.append(" ".join(str(r[-1]) for r in rows))
            return found
        finally:
            await engine.dispose()

    events_plan, tokens_plan = asyncio.run(plans())
    assert "INDEX ix_zl_outbox_finished_at (finished_at<?)" in events_plan, events_plan
    assert "INDEX ix_zl_tokens_expires_at (expires_at<?)" in tokens_plan, tokens_plan

"""Storage details that start-up relies on."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from zoomlive.server.settings import sqlite_url
from zoomlive.server.storage.engine import (
    HEAD_REVISION,
    MIGRATIONS,
    make_engine,
    migrate,
    upgrade,
)
from zoomlive.server.storage.schema import metadata
from zoomlive.server.storage.store import expired_tokens
from zoomlive.server.storage.webhooks import finished_events


def test_head_revision_constant_matches_alembic() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION


async def _build(path: Path, *, migrations: bool) -> None:
    """A new SQLite database: through Alembic's migrations, or as ``migrate`` builds
    a new one (from the tables ``schema`` declares, stamped at the head)."""
    engine = make_engine(sqlite_url(path))
    try:
        if migrations:
            async with engine.begin() as conn:
                await conn.run_sync(upgrade)
        else:
            await migrate(engine)
    finally:
        await engine.dispose()


def test_migrations_build_the_tables_schema_declares(tmp_path: Path) -> None:
    async def diff() -> list[Any]:
        await _build(tmp_path / "m.db", migrations=True)
        engine = make_engine(sqlite_url(tmp_path / "m.db"))
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda c: compare_metadata(MigrationContext.configure(c), metadata)
                )
        finally:
            await engine.dispose()

    assert asyncio.run(diff()) == []


def _sqlite_schema(path: Path) -> dict[str, Any]:
    """Everything SQLite keeps of a schema, in a form that ignores only what cannot
    change a query: whitespace, quoting of names, and where a column added by a later
    migration sits in its table (nothing here selects ``*`` or inserts by position)."""
    with sqlite3.connect(path) as db:
        objects = db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            " OR type = 'index'"
        ).fetchall()
        out: dict[str, Any] = {}
        for kind, name, table, sql in objects:
            text = re.sub(r"\s+", " ", (sql or "").replace('"', "")).strip()
            if kind == "table":
                body = text[text.index("(") + 1 : text.rindex(")")]
                # Column and constraint clauses, split on commas outside parentheses.
                parts = {p.strip() for p in re.split(r",(?![^()]*\))", body)}
                columns = {row[1]: row[2:] for row in db.execute(f"PRAGMA table_xinfo({name})")}
                keys = db.execute(f"PRAGMA foreign_key_list({name})").fetchall()
                out[f"table {name}"] = (parts, columns, sorted(k[2:] for k in keys))
            else:
                # (seqno, column name, desc, collation, key): not the column's number
                cols = [r[:1] + r[2:] for r in db.execute(f"PRAGMA index_xinfo({name})")]
                out[f"{kind} {name}"] = (table, text, cols)
        out["alembic_version"] = db.execute("SELECT version_num FROM alembic_version").fetchall()
    return out


def test_a_new_sqlite_database_gets_the_schema_the_migrations_build(tmp_path: Path) -> None:
    asyncio.run(_build(tmp_path / "migrated.db", migrations=True))
    asyncio.run(_build(tmp_path / "new.db", migrations=False))
    migrated = _sqlite_schema(tmp_path / "migrated.db")
    new = _sqlite_schema(tmp_path / "new.db")
    assert len(migrated) > 10  # the tables and indexes were read, not an empty file
    assert migrated["alembic_version"] == [(HEAD_REVISION,)]
    assert new == migrated


def test_upgrade_renumbers_attempts_an_older_server_numbered_twice(tmp_path: Path) -> None:
    def to_0002(c: sa.Connection) -> None:
        upgrade(c, "0002")

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


_MEETING_COLUMNS = (
    "id, kind, uuid, account_id, host_id, topic, type, status, e2ee, start_time, timezone,"
    " duration, stream_url, stream_key, page_url, configured, stream_live"
)
#: Zoom's ids are 11 digits: past 2**31 and 2**32, which a 32-bit integer would not hold.
_BIG_IDS = (2**31 + 1, 2**32 + 7, 98_765_432_109)


def _meeting_plan(path: Path) -> str:
    with sqlite3.connect(path) as db:
        rows = db.execute("EXPLAIN QUERY PLAN SELECT topic FROM zl_meetings WHERE id = 1")
        return " ".join(str(r[-1]) for r in rows)


def test_upgrade_makes_a_meetings_id_sqlites_rowid_and_keeps_every_row(tmp_path: Path) -> None:
    """A database made by an older server (``BIGINT PRIMARY KEY``, a key index beside
    the rowid) is rebuilt with the id as the rowid: its rows and 11-digit ids survive,
    and a lookup by id searches the table alone, as in a new database."""

    def to_0004(c: sa.Connection) -> None:
        upgrade(c, "0004")

    async def run(path: Path) -> None:
        engine = make_engine(sqlite_url(path))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(to_0004)
                for i in _BIG_IDS:
                    await conn.execute(
                        sa.text(
                            f"INSERT INTO zl_meetings ({_MEETING_COLUMNS}) VALUES (:i, 'meeting',"
                            " 'u', 'a', 'h', :t, 2, 'waiting', 0, '', 'UTC', 60, '', '', '', 0, 0)"
                        ),
                        {"i": i, "t": f"topic {i}"},
                    )
            await migrate(engine)
        finally:
            await engine.dispose()

    old = tmp_path / "old.db"
    asyncio.run(run(old))
    assert "sqlite_autoindex_zl_meetings" not in _meeting_plan(old)
    assert "INTEGER PRIMARY KEY" in _meeting_plan(old)
    with sqlite3.connect(old) as db:
        rows = db.execute("SELECT id, rowid, topic FROM zl_meetings ORDER BY id").fetchall()
        version = db.execute("SELECT version_num FROM alembic_version").fetchall()
    assert rows == [(i, i, f"topic {i}") for i in _BIG_IDS]
    assert version == [(HEAD_REVISION,)]

    asyncio.run(_build(tmp_path / "new.db", migrations=False))
    assert "INTEGER PRIMARY KEY" in _meeting_plan(tmp_path / "new.db")

"""Engine creation and migrations (Alembic, run in-process at start-up)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from zoomlive.server.storage.failures import is_connection_error
from zoomlive.server.storage.schema import metadata

MIGRATIONS = Path(__file__).with_name("migrations")
#: The newest migration. A test holds it equal to Alembic's head, so start-up can skip
#: importing Alembic (about 5 MiB and 0.4 s) when the schema is already current.
HEAD_REVISION = "0005"
#: PostgreSQL advisory lock taken by every process for its start-up (migrations, then
#: the demo seed), so any number of processes can start together on a fresh database.
STARTUP_LOCK = 0x7A6C_5354  # "zlST"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL + NORMAL: a commit survives the death of the process (SIGKILL), which is
    # what "acknowledged" promises here; only an OS crash could lose the tail.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    # Checkpoints run from a background task (``checkpoint``), not inside a commit,
    # where their fsync would stall every request waiting on that commit; the writer
    # truncates the WAL itself when it grows (``truncate_wal``). After a checkpoint
    # resets the WAL, SQLite cuts the file back to this size.
    cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
    cur.close()


#: The SQLite WAL stays under this size (README: bounded storage).
WAL_LIMIT_BYTES = 64 * 1024 * 1024
#: Past this size the writer truncates the WAL between two batches.
WAL_TRUNCATE_AT = 16 * 1024 * 1024


def _disconnects(ctx: sa.engine.ExceptionContext) -> None:
    # SQLAlchemy treats some lost connections as ordinary errors: asyncpg's
    # "another operation is in progress" after the server ended the backend, for
    # one. Marked as disconnects, the connection is invalidated, never reused, and
    # the pre-ping replaces it instead of failing the request that drew it.
    if not ctx.is_disconnect and is_connection_error(ctx.original_exception):
        ctx.is_disconnect = True


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {}
        if ":memory:" in url or url.rstrip("/").endswith("sqlite+aiosqlite:"):
            kwargs["poolclass"] = StaticPool
        else:
            db_path = sa.engine.make_url(url).database
            if db_path:
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # Pre-ping: a pooled connection the server closed (restart, pg_terminate_backend)
    # is replaced at checkout instead of failing the request that drew it. A short
    # connect timeout: an unreachable database fails a request in seconds, not 60.
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"timeout": 5},
    )
    event.listen(engine.sync_engine, "handle_error", _disconnects)
    return engine


def upgrade(connection: sa.Connection, revision: str = "head") -> None:
    """Run Alembic's migrations up to ``revision`` on ``connection``."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def startup_lock(conn: AsyncConnection) -> None:
    """Serialise start-up work across processes until this transaction ends.

    PostgreSQL: a transaction-scoped advisory lock, released by commit, rollback or
    the death of the process. SQLite: one process owns the file (README), nothing to do.
    """
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": STARTUP_LOCK})


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision. Safe to run on every start, by any
    number of processes at once: the first migrates, the others wait and find the
    schema current (PostgreSQL's DDL is transactional, so a crash leaves nothing).

    A SQLite database with no table yet (a new file, ``:memory:``) is built from
    ``schema.metadata`` and stamped with the head revision, Alembic's "create_all,
    then stamp" recipe for a new database, without importing Alembic: its import
    (with Mako and Pygments) is about 12 MiB of the server's resident memory and most
    of a fresh start's time, more than the README's memory budget leaves. A test
    holds the two ways to the same schema, column by column and index by index.
    Anything else (an older revision, PostgreSQL) goes through the migrations.
    """
    async with engine.begin() as conn:
        await startup_lock(conn)
        tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
        if "alembic_version" in tables:
            row = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).first()
            if row is not None and str(row[0]) == HEAD_REVISION:
                return
        elif not tables and conn.dialect.name == "sqlite":
            await conn.run_sync(create_at_head)
            return
        await conn.run_sync(upgrade)


def _version_table() -> sa.Table:
    """Alembic's own version table, as ``DefaultImpl.version_table_impl`` declares it."""
    return sa.Table(
        "alembic_version",
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )


def create_at_head(connection: sa.Connection) -> None:
    """The newest schema in an empty database, marked as migrated to the head."""
    metadata.create_all(connection)
    version = _version_table()
    version.create(connection)
    connection.execute(version.insert().values(version_num=HEAD_REVISION))


def wal_path(url: str) -> Path | None:
    """The WAL file of a file-backed SQLite database, else None."""
    if not url.startswith("sqlite"):
        return None
    db = sa.engine.make_url(url).database
    if not db or db == ":memory:":
        return None
    return Path(f"{db}-wal")


def truncate_wal(wal: Path) -> Callable[[AsyncConnection], Awaitable[None]]:
    """Writer maintenance for SQLite: under sustained writes a PASSIVE checkpoint never
    catches up, so the WAL is never restarted and grows without end. The writer, the
    database's only writer, checkpoints and truncates it between batches when it has
    grown past ``WAL_TRUNCATE_AT``; readers only delay it."""

    async def maintain(conn: AsyncConnection) -> None:
        try:
            # One stat, cheaper than the thread hop it would take to offload it.
            size = os.path.getsize(wal)  # noqa: ASYNC240
        except FileNotFoundError:
            return
        if size > WAL_TRUNCATE_AT:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    return maintain


async def checkpoint(engine: AsyncEngine) -> None:
    """Fold the SQLite WAL back into the database without blocking the writer."""
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

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
HEAD_REVISION = "0007"
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
    # restarts the WAL when it has grown (``restart_wal``). When the WAL restarts,
    # SQLite cuts the file back to this size.
    cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
    cur.close()


#: The SQLite WAL stays under this size (README: bounded storage).
WAL_LIMIT_BYTES = 64 * 1024 * 1024
#: Past this many frames (32 MiB of 4 KiB pages) the WAL is restarted (``restart_wal``).
WAL_RESTART_FRAMES = 8192
#: Past this size the writer truncates the WAL between two batches: only if restarts
#: keep failing (a reader holding an old snapshot), since a restart reuses the file.
WAL_TRUNCATE_AT = 48 * 1024 * 1024


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


def restart_wal(wal: Path) -> Callable[[AsyncConnection, bool], Awaitable[None]]:
    """Writer maintenance for SQLite: restart the WAL, so that it stays small.

    SQLite writes the WAL from its start again only when a transaction begins with
    every frame copied back into the database. Under constant writes the background
    checkpoints (``checkpoint``) never see that: they copy what was there when they
    began while the writer adds more. The writer, the database's only writer, can:
    asked (``Writer.maintain_now``, when the WAL holds ``WAL_RESTART_FRAMES``), it
    copies the few frames the last background checkpoint left, between two batches,
    and its next transaction restarts the WAL. That costs the writer one pause (its
    fsyncs: bench/README.md, "Scale") per 32 MiB written.

    If the file still outgrows ``WAL_TRUNCATE_AT`` (a reader kept an old snapshot
    through the restarts), the writer truncates it, waiting for readers to finish."""

    async def maintain(conn: AsyncConnection, asked: bool) -> None:
        if asked:
            await _driver_pragma(conn, "PRAGMA wal_checkpoint(PASSIVE)")
            return
        try:
            # One stat, cheaper than the thread hop it would take to offload it.
            size = os.path.getsize(wal)  # noqa: ASYNC240
        except FileNotFoundError:
            return
        if size > WAL_TRUNCATE_AT:
            await _driver_pragma(conn, "PRAGMA wal_checkpoint(TRUNCATE)")

    return maintain


async def driver_of(conn: AsyncConnection) -> Any:
    """The driver's own connection under ``conn`` (aiosqlite's, on SQLite): a statement
    on it is one hop to its thread, where SQLAlchemy's cursor takes three or four and
    may open a transaction."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    return driver


async def _driver_pragma(conn: AsyncConnection, sql: str) -> None:
    """A PRAGMA on aiosqlite's own connection, outside any transaction."""
    await (await driver_of(conn)).execute_fetchall(sql)


class FileSync:
    """The database file, held open to flush it (``fdatasync``) after each background
    checkpoint, off the writer.

    SQLite syncs the database file only when a checkpoint copies the WAL to its end,
    which under constant writes only the writer's restart does (``restart_wal``). That
    sync then flushed every page the background checkpoints had copied since the last
    restart, thousands of scattered pages: 55-67 ms of the writer's time, against
    12-15 once they are flushed as they are copied (``bench/wal_restart.py``).

    The descriptor stays open until the store's connections are closed: closing any
    descriptor of a file drops every POSIX lock the process holds on it, SQLite's too.
    """

    def __init__(self, path: Path) -> None:
        self._fd: int | None = os.open(path, os.O_RDONLY)

    def sync(self) -> None:
        if self._fd is not None:
            getattr(os, "fdatasync", os.fsync)(self._fd)  # macOS has no fdatasync

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


async def checkpoint(engine: AsyncEngine) -> int:
    """Fold the SQLite WAL back into the database without blocking the writer.
    Returns the frames in the WAL (SQLite's ``log`` count)."""
    async with engine.connect() as conn:
        row: Any = (await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")).first()
    # (busy, frames in the WAL, frames copied back)
    return 0 if row is None else int(row[1])

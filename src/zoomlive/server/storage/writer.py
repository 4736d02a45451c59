"""Group commit: concurrent writes share one transaction, each acknowledged after it.

Every write in the server goes through one ``Writer``. Requests enqueue an
operation and await its future; a single task drains the queue, runs everything
waiting in one transaction (runs of the same statement as one ``executemany``),
commits, and only then resolves the futures. On SQLite this also means one writer
connection, so writers never contend for the database lock.

If a batch fails before COMMIT is sent, nothing of it committed: each of its
operations is retried in a transaction of its own, so one bad write fails alone,
and a lost connection is replaced first (the retry is the write's one retry on a
fresh connection). If the connection fails while COMMIT is in flight, the outcome
is unknown: the batch is not applied again, and its writes fail with
``CommitOutcomeUnknown`` (a 503; the client may retry, as after a timeout).

An operation may carry an ``after`` hook: it runs right after the commit, in commit
order, before any waiter resumes. The in-memory read model is updated there, so it
always follows the database in the order the database applied the writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zoomlive.server.health import Dependency
from zoomlive.server.storage.failures import (
    CommitOutcomeUnknown,
    StorageUnavailable,
    is_connection_error,
)
from zoomlive.server.tasks import cancel, spawn

log = logging.getLogger("zoomlive.server.storage")

ConnFn = Callable[[AsyncConnection], Awaitable[Any]]
After = Callable[[Any], None]


@dataclass(slots=True)
class _Exec:
    statement: sa.Executable
    params: dict[str, Any]
    after: After | None = None
    #: The key of the row the statement locks (``execute(..., lock_key=)``).
    lock_key: Any = None


@dataclass(slots=True)
class _Driver:
    """A statement in the driver's own SQL and parameter style (``exec_driver_sql``):
    no compile-cache lookup and no per-row parameter processing."""

    sql: str
    params: tuple[Any, ...]
    after: After | None = None
    #: Runs of this statement as one statement (``execute_driver``).
    many: Many | None = None


#: Given the parameter rows of a run of one driver statement, one statement with the
#: same effect as running them in order: its SQL and parameters.
Many = Callable[[list[tuple[Any, ...]]], tuple[str, tuple[Any, ...]]]


@dataclass(slots=True)
class _Call:
    fn: ConnFn
    after: After | None = None


_Op = _Exec | _Driver | _Call


#: Between batches, on the writer's own connection (so no other writer can be in
#: the way): given the connection, do housekeeping such as a truncating checkpoint.
Maintenance = Callable[[AsyncConnection], Awaitable[None]]


class Writer:
    def __init__(
        self,
        engine: AsyncEngine,
        max_batch: int = 512,
        maintenance: Maintenance | None = None,
        maintenance_every: float = 0.5,
        dependency: Dependency | None = None,
        driver_batches: bool = False,
    ) -> None:
        self._engine = engine
        #: Batches of driver statements go straight to aiosqlite's connection
        #: (``_commit_driver``): set for SQLite only.
        self._driver_batches = driver_batches
        self._dependency = dependency
        self._max_batch = max_batch
        self._maintenance = maintenance
        self._maintenance_every = maintenance_every
        self._maintained_at = 0.0
        self._queue: asyncio.Queue[tuple[_Op, asyncio.Future[Any]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._conn: AsyncConnection | None = None
        self.batches = 0
        self.writes = 0
        #: Transactions committed (a batch, or one write retried alone): a process
        #: that is its database's only writer (SQLite) knows nothing changed while
        #: this stays the same.
        self.commits = 0

    def start(self) -> None:
        if self._task is None:
            self._task = spawn(self._run(), "zoomlive-writer")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def execute(
        self,
        statement: sa.Executable,
        params: dict[str, Any],
        after: After | None = None,
        lock_key: Any = None,
    ) -> None:
        """Run one statement; returns once its transaction is committed.

        ``lock_key`` names the row the statement locks. A run of the same statement
        in a batch then goes to the database in key order (equal keys in the order
        they came, so the last write still wins): two processes whose batches
        update the same rows then lock them in the same order and wait for each
        other instead of deadlocking (PostgreSQL detects a deadlock only after
        ``deadlock_timeout``, 1 s by default, and aborts one batch).
        """
        await self._submit(_Exec(statement, params, after, lock_key))

    async def execute_driver(
        self,
        sql: str,
        params: tuple[Any, ...],
        after: After | None = None,
        many: Many | None = None,
    ) -> None:
        """As ``execute``, for SQL in the driver's dialect and parameter style; runs of
        the same SQL in a batch are one ``executemany``, or with ``many`` one statement
        (``many(rows)``: on SQLite a statement holds the GIL-free part of the work in
        one ``sqlite3_step``, where ``executemany`` gives the GIL back after each row)."""
        await self._submit(_Driver(sql, params, after, many))

    async def call(self, fn: ConnFn, after: After | None = None) -> Any:
        """Run ``fn(conn)`` inside a group-committed transaction; returns its result.
        ``after(result)`` runs once the transaction has committed, in commit order."""
        return await self._submit(_Call(fn, after))

    async def _submit(self, op: _Op) -> Any:
        if self._task is None:
            raise RuntimeError("writer is not running")
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((op, fut))
        return await fut

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                results = await self._commit([op for op, _ in batch])
            except asyncio.CancelledError:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(RuntimeError("writer stopped"))
                raise
            except CommitOutcomeUnknown as exc:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(_unavailable(exc))
                continue
            except Exception:
                # Nothing committed. Isolate the failure: each write again, alone.
                for op, fut in batch:
                    try:
                        (result,) = await self._commit([op])
                    except Exception as exc:
                        if not fut.done():
                            fut.set_exception(_unavailable(exc))
                    else:
                        self.commits += 1
                        _after(op, result)
                        if not fut.done():
                            fut.set_result(result)
                continue
            self.commits += 1
            self.batches += 1
            self.writes += len(batch)
            for (op, _), result in zip(batch, results, strict=True):
                _after(op, result)
            for (_, fut), result in zip(batch, results, strict=True):
                if not fut.done():
                    fut.set_result(result)
            await self._maintain()

    async def _maintain(self) -> None:
        now = time.monotonic()
        if self._maintenance is None or now - self._maintained_at < self._maintenance_every:
            return
        self._maintained_at = now
        conn = await self._connection()
        try:
            # SQLAlchemy begins a transaction on first use; end it here, so the next
            # batch finds the connection idle. (pysqlite sends no BEGIN for a PRAGMA,
            # so a checkpoint still runs outside any SQLite transaction.)
            async with conn.begin():
                await self._maintenance(conn)
        except Exception:
            log.warning("writer: maintenance failed", exc_info=True)
            await self._discard()

    async def _connection(self) -> AsyncConnection:
        # One connection, kept open: no pool checkout or reset-on-return per batch,
        # which on aiosqlite would each cost a round trip to its thread.
        if self._conn is not None and not _alive(self._conn):
            await self._discard()  # the server closed it while it sat idle
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = await self._engine.connect()
        return self._conn

    async def _commit(self, ops: list[_Op]) -> list[Any]:
        try:
            results = await self._commit_on(await self._connection(), ops)
        except Exception as exc:
            if is_connection_error(exc):
                # Never use a connection again after it failed: a dead one fails the
                # next batch too, and asyncpg's may still be mid-way through an operation.
                await self._discard()
                if self._dependency is not None:
                    self._dependency.failed(exc)
            elif self._conn is not None and (self._conn.invalidated or self._conn.closed):
                self._conn = None
            raise
        if self._dependency is not None:
            self._dependency.recovered()
        return results

    async def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def _commit_on(self, conn: AsyncConnection, ops: list[_Op]) -> list[Any]:
        if (
            self._driver_batches
            and not conn.in_transaction()
            and all(type(op) is _Driver for op in ops)
        ):
            return await self._commit_driver(conn, ops)  # type: ignore[arg-type]
        trans = await conn.begin()
        try:
            results = await self._apply(conn, ops)
        except BaseException:
            with contextlib.suppress(Exception):
                await trans.rollback()
            raise
        try:
            await trans.commit()
        except Exception as exc:
            if is_connection_error(exc):
                raise CommitOutcomeUnknown(type(exc).__name__) from exc
            raise
        return results

    async def _commit_driver(self, conn: AsyncConnection, ops: list[_Driver]) -> list[Any]:
        """A batch of driver statements straight on aiosqlite's connection: one
        ``executemany`` per run of the same SQL (pysqlite opens the transaction before
        the first) and a COMMIT: two hops to its thread, where SQLAlchemy's cursor
        takes four (a cursor, the statement, closing the cursor, COMMIT). Each hop
        waits for a turn of the busy event loop, and the batch's latency bounds how
        fast the requests waiting on it go (bench/README.md, "Scale")."""
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        runs: list[tuple[_Driver, list[tuple[Any, ...]]]] = []
        for op in ops:
            if runs and runs[-1][0].sql == op.sql:
                runs[-1][1].append(op.params)
            else:
                runs.append((op, [op.params]))
        committing = False
        try:
            for first, rows in runs:
                if first.many is not None and len(rows) > 1:
                    await driver.execute(*first.many(rows))
                else:
                    await driver.executemany(first.sql, rows)
            committing = True
            await driver.commit()
        except BaseException as exc:
            # A failed COMMIT leaves SQLite's transaction open: end it, so the writes
            # retried alone do not run inside it.
            with contextlib.suppress(Exception):
                await driver.rollback()
            if committing and isinstance(exc, Exception) and is_connection_error(exc):
                raise CommitOutcomeUnknown(type(exc).__name__) from exc
            raise
        return [None] * len(ops)

    async def _apply(self, conn: AsyncConnection, ops: list[_Op]) -> list[Any]:
        results: list[Any] = [None] * len(ops)
        i = 0
        while i < len(ops):
            op = ops[i]
            if isinstance(op, _Call):
                results[i] = await op.fn(conn)
                i += 1
                continue
            if isinstance(op, _Driver):
                rows = [op.params]
                j = i + 1
                while j < len(ops):
                    nxt = ops[j]
                    if not isinstance(nxt, _Driver) or nxt.sql != op.sql:
                        break
                    rows.append(nxt.params)
                    j += 1
                await conn.exec_driver_sql(op.sql, rows[0] if len(rows) == 1 else rows)
                i = j
                continue
            run = [op]
            j = i + 1
            while j < len(ops):
                nxt = ops[j]
                if not isinstance(nxt, _Exec) or nxt.statement is not op.statement:
                    break
                run.append(nxt)
                j += 1
            if len(run) == 1:
                await conn.execute(op.statement, op.params)
            else:
                if all(o.lock_key is not None for o in run):
                    run.sort(key=_lock_key)  # stable: equal keys keep their order
                await conn.execute(op.statement, [o.params for o in run])
            i = j
        return results


def _lock_key(op: _Exec) -> Any:
    return op.lock_key


def _after(op: _Op, result: Any) -> None:
    if op.after is not None:
        try:
            op.after(result)
        except Exception:  # a waiter must never hang on a failed hook
            log.exception("writer: after-commit hook failed")


def _alive(conn: AsyncConnection) -> bool:
    """False if the connection is known closed: SQLAlchemy's flags, or the driver's
    own (asyncpg notices at once when the server ends the backend; the pool's
    pre-ping does not cover a connection held open, like this one)."""
    if conn.closed or conn.invalidated:
        return False
    try:
        driver = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    except Exception:
        return False
    is_closed = getattr(driver, "is_closed", None)
    return not (callable(is_closed) and is_closed())


def _unavailable(exc: Exception) -> Exception:
    """What a waiting request gets: connection failures become ``StorageUnavailable``
    (answered 503); any other error stays itself."""
    if isinstance(exc, StorageUnavailable) or not is_connection_error(exc):
        return exc
    err = StorageUnavailable(type(exc).__name__)
    err.__cause__ = exc
    return err

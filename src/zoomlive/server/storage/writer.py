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

A batch that is one statement (on SQLite: a run of stream PATCHes, made one
``UPDATE … FROM VALUES``) runs in SQLite's autocommit mode: the statement is its own
transaction, committed before it returns, in one hop to the driver's thread instead
of two (statement, then COMMIT). Each hop waits for a turn of the busy event loop.

Rows are locked in one order, by key, in every batch of every process: a run of
stream PATCHes goes in key order, and a batch that holds a keyed ``call`` (a state
change) first locks every row its operations name, in key order
(``lock_rows``). Two processes whose batches change the same meetings then wait
for each other instead of deadlocking, and a state change that reads the clock
inside its transaction reads it under its row's lock, so that per row the order
of the moments read is the order of the commits.

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
from zoomlive.server.storage.engine import driver_of
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
    #: Non-zero: the statement returns (RETURNING) the key of each row it changed,
    #: which is its last ``returns_key`` parameters; its result is whether its key
    #: came back, i.e. whether its conditions held (``execute_driver``).
    returns_key: int = 0

    def key(self) -> tuple[Any, ...]:
        return tuple(self.params[-self.returns_key :])


#: Given the parameter rows of a run of one driver statement, one statement with the
#: same effect as running them in order: its SQL and parameters.
Many = Callable[[list[tuple[Any, ...]]], tuple[str, tuple[Any, ...]]]


@dataclass(slots=True)
class _Call:
    fn: ConnFn
    after: After | None = None
    #: The key of the row the call changes (``call(..., lock_key=)``).
    lock_key: Any = None


_Op = _Exec | _Driver | _Call


@dataclass(slots=True)
class _Maintain:
    """Asked for by ``maintain_now``: run the maintenance between two batches."""


#: Given a transaction's connection and row keys in order, lock those rows (on
#: PostgreSQL, ``SELECT … ORDER BY key FOR UPDATE``), before the batch's operations.
LockRows = Callable[[AsyncConnection, list[Any]], Awaitable[None]]


#: Between batches, on the writer's own connection (so no other writer can be in
#: the way): given the connection and whether it was asked for (``maintain_now``),
#: do housekeeping such as a checkpoint.
Maintenance = Callable[[AsyncConnection, bool], Awaitable[None]]


class Writer:
    def __init__(
        self,
        engine: AsyncEngine,
        max_batch: int = 512,
        maintenance: Maintenance | None = None,
        maintenance_every: float = 0.5,
        dependency: Dependency | None = None,
        driver_batches: bool = False,
        lock_rows: LockRows | None = None,
    ) -> None:
        self._engine = engine
        #: None where one writer is all there is (SQLite): nothing to wait for.
        self._lock_rows = lock_rows
        #: Batches of driver statements go straight to aiosqlite's connection
        #: (``_commit_driver``): set for SQLite only.
        self._driver_batches = driver_batches
        self._dependency = dependency
        self._max_batch = max_batch
        self._maintenance = maintenance
        self._maintenance_every = maintenance_every
        self._maintained_at = 0.0
        self._queue: asyncio.Queue[tuple[_Op | _Maintain, asyncio.Future[Any]]] = asyncio.Queue()
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
        returns_key: int = 0,
    ) -> Any:
        """As ``execute``, for SQL in the driver's dialect and parameter style; runs of
        the same SQL in a batch are one ``executemany``, or with ``many`` one statement
        (``many(rows)``: on SQLite a statement holds the GIL-free part of the work in
        one ``sqlite3_step``, where ``executemany`` gives the GIL back after each row).

        With ``returns_key`` (k), the statement is conditional and returns the key of
        each row it changed (its last k parameters, in its RETURNING clause, and so
        must ``many``'s statement); the result is whether this one's key came back.
        Otherwise it is None."""
        return await self._submit(_Driver(sql, params, after, many, returns_key))

    async def call(self, fn: ConnFn, after: After | None = None, lock_key: Any = None) -> Any:
        """Run ``fn(conn)`` inside a group-committed transaction; returns its result.
        ``after(result)`` runs once the transaction has committed, in commit order.

        ``lock_key`` names the row ``fn`` changes: the batch then locks it, with every
        row its other operations name, in key order before any of them runs (see the
        module's docstring), so ``fn`` already holds its row's lock when it starts."""
        return await self._submit(_Call(fn, after, lock_key))

    async def maintain_now(self) -> None:
        """Run the maintenance once, asked for, between two batches (at once if the
        writer is idle); returns when it has run. Its failure is logged, not raised."""
        await self._submit(_Maintain())

    async def _submit(self, op: _Op | _Maintain) -> Any:
        if self._task is None:
            raise RuntimeError("writer is not running")
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((op, fut))
        return await fut

    async def _run(self) -> None:
        while True:
            asked: list[asyncio.Future[Any]] = []
            batch: list[tuple[_Op, asyncio.Future[Any]]] = []
            first = await self._queue.get()
            while True:
                op, fut = first
                if isinstance(op, _Maintain):
                    asked.append(fut)
                else:
                    batch.append((op, fut))
                if len(batch) >= self._max_batch or self._queue.empty():
                    break
                first = self._queue.get_nowait()
            try:
                if batch:
                    await self._run_batch(batch)
            except asyncio.CancelledError:
                # Stopped: the maintenance does not run, but whoever asked is answered.
                for fut in asked:
                    if not fut.done():
                        fut.set_exception(RuntimeError("writer stopped"))
                raise
            await self._maintain(asked)

    async def _run_batch(self, batch: list[tuple[_Op, asyncio.Future[Any]]]) -> None:
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
            return
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
            return
        self.commits += 1
        self.batches += 1
        self.writes += len(batch)
        for (op, _), result in zip(batch, results, strict=True):
            _after(op, result)
        for (_, fut), result in zip(batch, results, strict=True):
            if not fut.done():
                fut.set_result(result)

    async def _maintain(self, asked: list[asyncio.Future[Any]]) -> None:
        now = time.monotonic()
        try:
            if self._maintenance is None or (
                not asked and now - self._maintained_at < self._maintenance_every
            ):
                return
            self._maintained_at = now
            conn = await self._connection()
            try:
                await self._maintenance(conn, bool(asked))
                if conn.in_transaction():
                    # SQLAlchemy began one on first use: end it, so the next batch
                    # finds the connection idle (pysqlite sends no BEGIN for a PRAGMA,
                    # so a checkpoint still ran outside any SQLite transaction).
                    await conn.commit()
            except Exception:
                log.warning("writer: maintenance failed", exc_info=True)
                await self._discard()
        finally:
            for fut in asked:
                if not fut.done():
                    fut.set_result(None)

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
            await self._lock(conn, ops)
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

    async def _lock(self, conn: AsyncConnection, ops: list[_Op]) -> None:
        """Lock the rows a batch with a keyed ``call`` names, in key order. A batch of
        statement runs only needs none: each run already goes in key order."""
        if self._lock_rows is None:
            return
        if not any(type(op) is _Call and op.lock_key is not None for op in ops):
            return
        keys = {op.lock_key for op in ops if not isinstance(op, _Driver)} - {None}
        await self._lock_rows(conn, sorted(keys))

    async def _commit_driver(self, conn: AsyncConnection, ops: list[_Driver]) -> list[Any]:
        """A batch of driver statements straight on aiosqlite's connection, without
        SQLAlchemy's cursor (four hops to its thread per statement: a cursor, the
        statement, closing the cursor, COMMIT). Each hop waits for a turn of the busy
        event loop, and the batch's latency bounds how fast the requests waiting on it
        go (bench/README.md, "Scale").

        One statement (one run made one by ``many``, or one write): in autocommit
        mode, one hop. Otherwise one per run (``executemany``; pysqlite opens the
        transaction before the first) and COMMIT."""
        driver = await driver_of(conn)
        runs: list[tuple[_Driver, list[_Driver]]] = []
        for op in ops:
            if runs and runs[-1][0].sql == op.sql:
                runs[-1][1].append(op)
            else:
                runs.append((op, [op]))
        if len(runs) == 1 and (len(ops) == 1 or ops[0].many is not None):
            # pysqlite's isolation_level None: no implicit BEGIN, so the statement
            # commits itself; a failed one is rolled back by SQLite, nothing applied.
            level = driver.isolation_level
            driver.isolation_level = None
            try:
                return await _run(driver, ops)
            finally:
                driver.isolation_level = level
        results: list[Any] = []
        committing = False
        try:
            for _, run in runs:
                results += await _run(driver, run)
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
        return results

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
                if op.returns_key:
                    # RETURNING: each write alone (executemany returns no rows).
                    for k in range(i, j):
                        one = ops[k]
                        assert isinstance(one, _Driver)
                        found = (await conn.exec_driver_sql(one.sql, one.params)).all()
                        results[k] = one.key() in {tuple(r) for r in found}
                else:
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


async def _run(driver: Any, run: list[_Driver]) -> list[Any]:
    """One run of the same driver SQL on aiosqlite's connection, each write's result."""
    first = run[0]
    if first.many is not None and len(run) > 1:
        sql, params = first.many([op.params for op in run])
    elif len(run) == 1:
        sql, params = first.sql, first.params
    elif first.returns_key:
        # RETURNING: each write alone (executemany returns no rows).
        out: list[Any] = []
        for op in run:
            out += await _run(driver, [op])
        return out
    else:
        await driver.executemany(first.sql, [op.params for op in run])
        return [None] * len(run)
    if not first.returns_key:
        await driver.execute(sql, params)
        return [None] * len(run)
    changed = {tuple(row) for row in await driver.execute_fetchall(sql, params)}
    return [op.key() in changed for op in run]


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

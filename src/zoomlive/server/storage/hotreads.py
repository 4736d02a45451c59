"""The rows one live stream request needs, read in one statement on PostgreSQL.

A GET or PATCH livestream needs the caller's token, its account (rate limits,
licence), the meeting and its host. Read one by one through the SQLAlchemy pool,
each read was a checkout with a pre-ping, a transaction and SQLAlchemy's
per-statement work: about 2.5 ms of CPU per request (bench/README.md, the
profile). Here the four rows come from one prepared statement on a plain asyncpg
pool: one round trip, no transaction (a single statement is its own snapshot), no
pre-ping (asyncpg's pool replaces a connection it finds closed at checkout).

Nothing is cached: every request reads the database, so a GET that starts after a
PATCH's 204 sees that PATCH whichever process serves either (README, "Deployment").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa

from zoomlive.server.storage import schema as t
from zoomlive.server.storage.failures import StorageUnavailable, is_connection_error
from zoomlive.server.storage.records import Account, Meeting, Token, User
from zoomlive.server.tasks import cancel, spawn

if TYPE_CHECKING:
    import asyncpg


@dataclass(frozen=True, slots=True)
class RequestRows:
    """What one statement found: each row, or None when there is none."""

    token: Token | None
    account: Account | None = None
    meeting: Meeting | None = None
    host: User | None = None
    #: The meeting id asked for (None: the request named no valid id).
    meeting_id: int | None = None
    #: The meeting was not read (the read model did not hold it, and the caller's
    #: write checks it itself: ``Store.save_stream_if_host_may_stream``).
    deferred: bool = False


_PARTS: tuple[tuple[str, sa.Table, type[msgspec.Struct]], ...] = (
    ("tk", t.tokens, Token),
    ("ac", t.accounts, Account),
    ("mt", t.meetings, Meeting),
    ("us", t.users, User),
)


def _statement() -> str:
    cols = ", ".join(f"{alias}.{c.name}" for alias, table, _ in _PARTS for c in table.c)
    # Built from the schema's own table and column names only: no input reaches it.
    return (
        f"SELECT q.n, {cols} "  # noqa: S608
        "FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS q(th, mid, n) "
        f"JOIN {t.tokens.name} tk ON tk.token_hash = q.th "
        f"LEFT JOIN {t.accounts.name} ac ON ac.id = tk.account_id "
        f"LEFT JOIN {t.meetings.name} mt ON mt.id = q.mid "
        f"LEFT JOIN {t.users.name} us ON us.id = mt.host_id"
    )


#: The rows of many requests at once: the n-th (token hash, meeting id) pair of the
#: two arrays gives the row numbered n (a request whose token is unknown, none).
REQUEST_ROWS = _statement()
#: Per table: its record class, its column names, and where its columns start
#: (column 0 is the request's number).
_LAYOUT: list[tuple[type[msgspec.Struct], tuple[str, ...], int]] = []
_at = 1
for _alias, _table, _cls in _PARTS:
    _names = tuple(c.name for c in _table.c)
    _LAYOUT.append((_cls, _names, _at))
    _at += len(_names)


def _rows(record: Any, meeting_id: int | None) -> RequestRows:
    found: list[Any] = []
    for cls, names, start in _LAYOUT:
        if record[start] is None:  # the key column: a LEFT JOIN that found nothing
            found.append(None)
            continue
        found.append(cls(**dict(zip(names, record[start : start + len(names)], strict=True))))
    token, account, meeting, host = found
    return RequestRows(token, account, meeting, host, meeting_id)


_Waiter = tuple[str, int | None, "asyncio.Future[RequestRows]"]


class HotReads:
    """Group reads: the requests waiting when a reader is free share one statement.

    As group commit does for writes (``writer``), this turns many round trips into
    one. ``readers`` tasks each hold a connection and take everything queued; while
    one statement is in flight, the next batch gathers. A request's read is queued
    after the request arrived, and its statement starts after it was queued: so it
    sees every write acknowledged before the request arrived, from any process.
    """

    def __init__(self, dsn: str, readers: int, timeout: float, max_batch: int = 256) -> None:
        self._dsn = dsn
        self._readers = max(1, readers)
        self._timeout = timeout
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Waiter] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.batches = 0
        self.reads = 0

    def _start(self) -> None:
        self._tasks = [spawn(self._run(), f"zoomlive-hot-reads-{i}") for i in range(self._readers)]

    async def request_rows(self, token_hash: str, meeting_id: int | None) -> RequestRows:
        """The four rows, as of one snapshot taken after this call."""
        if not self._tasks:
            self._start()
        fut: asyncio.Future[RequestRows] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((token_hash, meeting_id, fut))
        return await fut

    async def _run(self) -> None:
        conn: asyncpg.Connection | None = None
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self._max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                conn, outcome = await self._read(conn, batch)
                if isinstance(outcome, BaseException):
                    for _, _, fut in batch:
                        if not fut.done():
                            fut.set_exception(outcome)
                    continue
                self.batches += 1
                self.reads += len(batch)
                for (_, _, fut), row in zip(batch, outcome, strict=True):
                    if not fut.done():
                        fut.set_result(row)
        finally:
            if conn is not None:
                conn.terminate()

    async def _read(
        self, conn: asyncpg.Connection | None, batch: list[_Waiter]
    ) -> tuple[asyncpg.Connection | None, list[RequestRows] | BaseException]:
        """One statement for the batch; once more on a fresh connection if the
        connection was lost (a read is always safe to repeat)."""
        hashes = [h for h, _, _ in batch]
        ids = [m for _, m, _ in batch]
        for attempt in (1, 2):
            try:
                if conn is None or conn.is_closed():
                    import asyncpg  # here: a SQLite server never loads the driver

                    conn = await asyncpg.connect(self._dsn, timeout=self._timeout)
                records = await conn.fetch(REQUEST_ROWS, hashes, ids)
            except Exception as exc:
                if not is_connection_error(exc):
                    return conn, exc
                if conn is not None:
                    conn.terminate()
                conn = None
                if attempt == 2:
                    err = StorageUnavailable(type(exc).__name__)
                    err.__cause__ = exc
                    return None, err
                continue
            out = [RequestRows(token=None, meeting_id=m) for m in ids]
            for record in records:
                n = record[0] - 1
                out[n] = _rows(record, ids[n])
            return conn, out
        raise AssertionError("unreachable")

    async def close(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            await cancel(task)


def asyncpg_dsn(url: str) -> str:
    """The plain ``postgresql://`` DSN asyncpg takes, from SQLAlchemy's URL."""
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)

"""The read model: recently used rows in memory, a fixed number per table.

For a process that is its database's only writer (SQLite, README). Memory does
not grow with the data: each table keeps at most ``size`` rows, the least
recently used leaving first, and a miss reads the database (``SyncReads``:
primary-key lookups). The read model follows the database: it is filled from what
a read returned or a write committed, in commit order (the writer's ``after``
hooks).

Misses are read in groups (``GroupReads``): the misses asked for while one statement
runs share the next, which runs on a thread of its own. With many more rows than the
read model holds (a million meetings against 10,000), nearly every request misses, and
a statement per miss on the event loop's thread cost more than the rest of the lookup
(bench/README.md, "Scale").

A read that missed races the writes committed while it ran: a row read before a
commit must not be cached after it. So each table counts the loads in flight per
key, a write to such a key marks it stale, and a stale load is answered but not
kept (``begin_load``/``end_load``). Whole-table changes (a reset, expiring every
token) bump ``epoch``, which makes every load in flight stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import operator
import queue
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec
import sqlalchemy as sa

from zoomlive.server.storage.records import Account, App, Meeting, Token, User

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R", bound=msgspec.Struct)

#: Rows per table kept in memory (about 1 KB each for a meeting).
DEFAULT_SIZE = 10_000


class Table(Generic[K, V]):
    """One table's rows: an LRU map with the in-flight load bookkeeping."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.rows: OrderedDict[K, V] = OrderedDict()
        self._loading: dict[K, int] = {}
        self._stale: set[K] = set()

    def get(self, key: K) -> V | None:
        value = self.rows.get(key)
        if value is not None:
            self.rows.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """A row as committed (a write's after-hook)."""
        if key in self._loading:
            self._stale.add(key)
        self.rows[key] = value
        self.rows.move_to_end(key)
        if len(self.rows) > self.size:
            self.rows.popitem(last=False)

    def changed(self, key: K) -> None:
        """A committed write to ``key`` that the caller applies to ``rows`` itself."""
        if key in self._loading:
            self._stale.add(key)

    def drop(self, key: K) -> None:
        self.changed(key)
        self.rows.pop(key, None)

    def begin_load(self, key: K) -> None:
        self._loading[key] = self._loading.get(key, 0) + 1

    def end_load(self, key: K, value: V | None, fresh: bool) -> None:
        """Keep what a load read, unless a write to its key committed meanwhile."""
        left = self._loading[key] - 1
        stale = key in self._stale
        if left:
            self._loading[key] = left
        else:
            del self._loading[key]
            self._stale.discard(key)
        if value is not None and fresh and not stale and key not in self.rows:
            self.rows[key] = value
            if len(self.rows) > self.size:
                self.rows.popitem(last=False)

    def clear(self) -> None:
        self.rows.clear()
        self._stale.update(self._loading)

    def __len__(self) -> int:
        return len(self.rows)


class ReadModel:
    """Recently used accounts, users, apps, meetings and tokens."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.accounts: Table[str, Account] = Table(size)
        self.users: Table[str, User] = Table(size)
        self.apps: Table[str, App] = Table(size)
        self.meetings: Table[int, Meeting] = Table(size)
        self.tokens: Table[str, Token] = Table(size)
        #: Bumped by whole-table changes: a load begun before it keeps nothing.
        self.epoch = 0

    def tables(self) -> tuple[Table[Any, Any], ...]:
        return (self.accounts, self.users, self.apps, self.meetings, self.tokens)

    def clear(self) -> None:
        self.epoch += 1
        for table in self.tables():
            table.clear()


class SyncReads:
    """Primary-key lookups on a file-backed SQLite database, on the calling thread
    (``GroupReads``' own).

    One indexed lookup takes microseconds; handed to aiosqlite's thread, as the
    store's other reads are, each costs a thread round trip and SQLAlchemy's
    statement work, several times more (a group shares one hop). A single
    statement in autocommit mode is its own snapshot of what has committed (WAL:
    readers never wait on the writer).

    SQLite builds the rows as one JSON text (``json_group_array``) that msgspec
    decodes straight into the records: one ``sqlite3_step``, so one hand-back of the
    GIL, and no Python object per column (bench/README.md, "Scale"). A SQLite
    without JSON functions fails the statement, and the store reads the row
    through SQLAlchemy instead (``Store._cached``).
    """

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.execute("PRAGMA query_only=1")
        #: Per table: the SELECT up to its WHERE, and the key of a record.
        self._sql: dict[str, tuple[str, Callable[[Any], Any]]] = {}
        self._decoders: dict[type, msgspec.json.Decoder[Any]] = {}

    def many(self, cls: type[R], table: sa.Table, keys: Sequence[Any]) -> dict[Any, R]:
        """The rows of ``keys`` that exist, by key: one statement per ``MAX_KEYS``."""
        name = table.name
        prepared = self._sql.get(name)
        if prepared is None:
            prepared = self._prepare(table)
        sql, key_of = prepared
        decoder = self._decoders.get(cls)
        if decoder is None:
            decoder = self._decoders[cls] = msgspec.json.Decoder(list[cls])  # type: ignore[valid-type]
        out: dict[Any, R] = {}
        for i in range(0, len(keys), MAX_KEYS):
            chunk = keys[i : i + MAX_KEYS]
            marks = "?" if len(chunk) == 1 else ", ".join("?" * len(chunk))
            # One row: the chunk's rows as one JSON array that msgspec decodes into the
            # records. fetchall: the statement runs to its end, so no read transaction
            # stays open on this connection (it would hold back checkpoints and pin an
            # old snapshot).
            ((text,),) = self._conn.execute(f"{sql} IN ({marks})", chunk).fetchall()
            for record in decoder.decode(text):
                out[key_of(record)] = record
        return out

    def _prepare(self, table: sa.Table) -> tuple[str, Callable[[Any], Any]]:
        pk = next(iter(table.primary_key.columns))
        fields = ", ".join(f"'{c.name}', {_json_value(c)}" for c in table.c)
        sql = (
            f"SELECT coalesce(json_group_array(json_object({fields})), '[]') "  # noqa: S608
            f"FROM {table.name} WHERE {pk.name}"
        )
        prepared = (sql, operator.attrgetter(pk.name))
        self._sql[table.name] = prepared
        return prepared

    def close(self) -> None:
        self._conn.close()


def _json_value(column: sa.Column[Any]) -> str:
    """A column as a JSON value in ``json_object``: booleans as true/false (SQLite stores
    0/1), floats with all 17 digits (``json_object`` keeps 15, which changes a time)."""
    name = column.name
    if isinstance(column.type, sa.Boolean):
        return (
            f"CASE WHEN {name} IS NULL THEN NULL "
            f"WHEN {name} THEN json('true') ELSE json('false') END"
        )
    if isinstance(column.type, sa.Float):
        return f"CASE WHEN {name} IS NULL THEN NULL ELSE json(printf('%!.17g', {name})) END"
    return name


#: Keys per statement: far under SQLite's limit on bound parameters (32,766).
MAX_KEYS = 500

_Waiters = dict[Any, list["asyncio.Future[Any]"]]
_Job = tuple[asyncio.AbstractEventLoop, list[tuple[type[Any], sa.Table, _Waiters]]]


class GroupReads:
    """Misses gathered while a read runs, read by one statement per table, off the loop.

    As group commit shares a transaction among the writes waiting for it (``writer``),
    this shares a statement among the reads: the misses asked for while one group's
    statement runs form the next group. The statement runs on a thread of its own:
    with a table much larger than SQLite's page cache, a lookup waits on pages read
    from the file, and on the GIL after each row, and the event loop's thread is the
    server's bottleneck (bench/README.md, "Scale"). A group's statement starts after
    every read in it was asked for, so each sees every write committed before it
    asked. A read that fails gets the ``sqlite3.Error``.

    The thread is a plain one fed by a queue, not an executor: ``run_in_executor``
    spends more Python per group (its futures, locks and callbacks, all holding the
    GIL the event loop needs) than the statement itself.
    """

    def __init__(self, reads: SyncReads) -> None:
        self._reads = reads
        self._pending: dict[str, tuple[type[Any], sa.Table, _Waiters]] = {}
        self._busy = False
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        #: Statements run, and the keys read by them.
        self.statements = 0
        self.keys = 0

    def get(self, cls: type[R], table: sa.Table, key: Any) -> asyncio.Future[R | None]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R | None] = loop.create_future()
        entry = self._pending.get(table.name)
        if entry is None:
            entry = self._pending[table.name] = (cls, table, {})
        entry[2].setdefault(key, []).append(fut)
        if not self._busy:
            self._busy = True
            # At the end of this turn of the loop: the requests that arrived with
            # this one miss first, and share the statement.
            loop.call_soon(self._start, loop)
        return fut

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        pending, self._pending = self._pending, {}
        if not pending:
            self._busy = False
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="zoomlive-reads", daemon=True)
            self._thread.start()
        self._jobs.put((loop, list(pending.values())))

    def _serve(self) -> None:
        """The reads' thread: each job's statements, answered on its loop."""
        while (job := self._jobs.get()) is not None:
            loop, groups = job
            results = self._read(groups)
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._finish, loop, results)

    def _read(self, groups: list[tuple[type[Any], sa.Table, _Waiters]]) -> list[Any]:
        """On the reads' thread: each table's rows, or the error reading them."""
        out: list[Any] = []
        for cls, table, waiters in groups:
            try:
                out.append((waiters, self._reads.many(cls, table, list(waiters))))
            except sqlite3.Error as exc:
                out.append((waiters, exc))
        return out

    def _finish(self, loop: asyncio.AbstractEventLoop, results: list[Any]) -> None:
        for waiters, found in results:
            if isinstance(found, BaseException):
                for futs in waiters.values():
                    for fut in futs:
                        if not fut.done():
                            fut.set_exception(found)
                continue
            self.statements += (len(waiters) + MAX_KEYS - 1) // MAX_KEYS
            self.keys += len(waiters)
            for key, futs in waiters.items():
                value = found.get(key)
                for fut in futs:
                    if not fut.done():
                        fut.set_result(value)
        if self._pending:
            self._start(loop)
        else:
            self._busy = False

    def close(self) -> None:
        """Wait for the statement in flight; the reads not yet started fail."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None
        pending, self._pending = self._pending, {}
        for _, _, waiters in pending.values():
            for futs in waiters.values():
                for fut in futs:
                    if not fut.done():
                        fut.set_exception(sqlite3.ProgrammingError("the store is closed"))

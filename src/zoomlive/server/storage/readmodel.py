"""The read model: recently used rows in memory, a fixed number per table.

For a process that is its database's only writer (SQLite, README). Memory does
not grow with the data: each table keeps at most ``size`` rows, the least
recently used leaving first, and a miss reads the database (``SyncReads``: one
primary-key lookup). The read model follows the database: it is filled from what
a read returned or a write committed, in commit order (the writer's ``after``
hooks).

A read that missed races the writes committed while it ran: a row read before a
commit must not be cached after it. So each table counts the loads in flight per
key, a write to such a key marks it stale, and a stale load is answered but not
kept (``begin_load``/``end_load``). Whole-table changes (a reset, expiring every
token) bump ``epoch``, which makes every load in flight stale.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec
import sqlalchemy as sa

from zoomlive.server.storage import schema as t
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
    """Primary-key lookups on a file-backed SQLite database, on the calling thread.

    One indexed lookup takes microseconds; handed to aiosqlite's thread, as the
    store's other reads are, it costs a thread round trip and SQLAlchemy's
    statement work, several times more. A single statement in autocommit mode is
    its own snapshot of what has committed (WAL: readers never wait on the writer).
    """

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.execute("PRAGMA query_only=1")
        self._sql: dict[str, str] = {}
        self._convert: dict[str, Callable[[tuple[Any, ...]], dict[str, Any]]] = {}

    def one(self, cls: type[R], table: sa.Table, key: Any) -> R | None:
        name = table.name
        sql = self._sql.get(name)
        if sql is None:
            sql = self._prepare(table)
        # fetchall: the statement runs to its end, so no read transaction stays open
        # on this connection (it would hold back checkpoints and pin an old snapshot).
        rows = self._conn.execute(sql, (key,)).fetchall()
        return cls(**self._convert[name](rows[0])) if rows else None

    def _prepare(self, table: sa.Table) -> str:
        cols = list(table.c)
        pk = next(iter(table.primary_key.columns)).name
        names = [c.name for c in cols]
        flags = [isinstance(c.type, sa.Boolean) for c in cols]

        def convert(row: tuple[Any, ...]) -> dict[str, Any]:
            # SQLite stores booleans as 0/1: the records hold real booleans.
            return {
                n: (bool(v) if f and v is not None else v)
                for n, v, f in zip(names, row, flags, strict=True)
            }

        sql = f"SELECT {', '.join(names)} FROM {table.name} WHERE {pk} = ?"  # noqa: S608
        self._sql[table.name], self._convert[table.name] = sql, convert
        return sql

    def close(self) -> None:
        self._conn.close()


TABLE_OF: dict[type, sa.Table] = {
    Account: t.accounts, User: t.users, App: t.apps, Meeting: t.meetings, Token: t.tokens,
}  # fmt: skip

"""The store: every read and write the services need, over SQLAlchemy Core.

Writes go through the group-commit ``Writer``. Reads come from an in-memory read
model when ``cache_reads`` is on (one process owns the database: the SQLite
default), bounded in size (``readmodel``), else straight from the database
(several processes share PostgreSQL; a live stream request's rows in one
statement, ``hotreads``).
The read model is updated only after the write it mirrors has committed, from
what the database returned, in commit order (the writer's ``after`` hooks): the
cache follows the database, never the other way round.

Every change is a partial, conditional write: an UPDATE names only the columns it
changes, state transitions are compare-and-set (``WHERE stream_live = …``), and a
create is an INSERT that fails with ``Conflict`` when the key exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NamedTuple, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zoomlive.server.health import Dependency
from zoomlive.server.storage import schema as t
from zoomlive.server.storage import streams_sqlite
from zoomlive.server.storage.backend import backend_of
from zoomlive.server.storage.engine import (
    WAL_RESTART_FRAMES,
    FileSync,
    checkpoint,
    make_engine,
    migrate,
    restart_wal,
    startup_lock,
    wal_path,
)
from zoomlive.server.storage.failures import StorageUnavailable, is_connection_error
from zoomlive.server.storage.hotreads import HotReads, RequestRows, asyncpg_dsn
from zoomlive.server.storage.readmodel import (
    DEFAULT_SIZE,
    GroupReads,
    ReadModel,
    SyncReads,
    Table,
)
from zoomlive.server.storage.records import (
    Account,
    App,
    Meeting,
    Subscription,
    Token,
    User,
    from_row,
    to_row,
)
from zoomlive.server.storage.writer import Writer
from zoomlive.server.tasks import cancel, spawn
from zoomlive.wire.ids import parse_id

R = TypeVar("R", bound=msgspec.Struct)
T = TypeVar("T")

log = logging.getLogger("zoomlive.server.storage")


class Match(NamedTuple):
    """A search of the meetings listing (the dashboard's): ``text`` is an id (digits)
    or a part of the topic, any case; ``kind`` ``meeting`` or ``webinar``, or any."""

    text: str = ""
    kind: str | None = None


class Conflict(Exception):
    """A create whose key exists already; nothing was written."""


_STREAM_FIELDS = streams_sqlite.FIELDS
UPDATE_STREAM = (
    t.meetings.update()
    .where(t.meetings.c.id == sa.bindparam("b_id"))
    .values({f: sa.bindparam(f) for f in _STREAM_FIELDS})
)
INSERT_TOKEN = t.tokens.insert()

#: A statement to run in a state change's transaction (an outbox row), given the
#: moment of the change: read from the clock inside that transaction, under the
#: row's lock, so that an event's ``event_ts`` follows the order of the commits
#: and the events of one change share one.
Queued = Callable[[float], tuple[Any, Any]]


async def lock_meetings(conn: AsyncConnection, ids: list[Any]) -> None:
    """Lock these meetings' rows, in key order (the writer's ``lock_rows``)."""
    c = t.meetings.c
    await conn.execute(sa.select(c.id).where(c.id.in_(ids)).order_by(c.id).with_for_update())


class Store:
    def __init__(
        self,
        database_url: str,
        *,
        cache_reads: bool | None,
        pool_size: int = 10,
        cache_size: int = DEFAULT_SIZE,
    ) -> None:
        self.url = database_url
        #: What differs between SQLite and PostgreSQL, decided here, once.
        self.backend = backend = backend_of(database_url)
        if cache_reads is None:
            cache_reads = backend.read_model_by_default
        self.engine: AsyncEngine = make_engine(database_url, pool_size=pool_size)
        wal = wal_path(database_url)
        #: The database as the store last saw it (``/_zoomlive/health`` reports it).
        self.dependency = Dependency("database", log)
        self.writer = Writer(
            self.engine,
            maintenance=restart_wal(wal) if wal else None,
            dependency=self.dependency,
            driver_batches=backend.driver_batches,
            lock_rows=lock_meetings if backend.locks_rows else None,
        )
        self.cache = ReadModel(cache_size) if cache_reads else None
        #: Whether a PATCH livestream whose meeting the read model does not hold skips
        #: reading it (``save_stream_if_host_may_stream``): SQLite 3.35+ with the read
        #: model, the server its database's only writer.
        self.defers_stream_reads = self.cache is not None and backend.unread_stream_writes
        self._wal = wal
        #: A read model's misses, on a file-backed SQLite database (opened in ``open``).
        self._sync: SyncReads | None = None
        self._group: GroupReads | None = None
        #: PostgreSQL without the read model: the request path's rows in one statement.
        self.hot = (
            HotReads(asyncpg_dsn(database_url), readers=2, timeout=5)
            if not cache_reads and backend.hot_reads
            else None
        )
        self._checkpointer: asyncio.Task[None] | None = None
        self._file: FileSync | None = None
        #: Set by ``close``; made in ``open``, on the loop that runs the store.
        self._closing: asyncio.Event | None = None
        #: Reads run on a pooled connection (``read``), since the process started.
        self.reads = 0

    async def open(self) -> None:
        await migrate(self.engine)
        self.writer.start()
        if self._wal is None:  # in memory: no WAL, no file
            return
        db_file = self._wal.with_name(self._wal.name[: -len("-wal")])
        if self.cache is not None:
            self._sync = SyncReads(db_file)
            self._group = GroupReads(self._sync)
        self._file = FileSync(db_file)
        self._closing = asyncio.Event()
        self._checkpointer = spawn(self._checkpoints(), "zoomlive-checkpoints")

    async def _checkpoints(self, every: float = 0.05) -> None:
        """Fold the WAL into the database in the background while writes go on.

        Run often, each PASSIVE checkpoint copies a few batches' pages, on a pooled
        connection's thread, beside the writer. Run once a second, they fell behind
        under load at a million meetings (each UPDATE dirtying a page of its own), and
        the writer stopped for the whole copy and its fsync: p99 81 ms against 27 ms
        (bench/README.md, "Scale"). Each is followed by a flush of the database file
        (``FileSync``). When the WAL holds ``WAL_RESTART_FRAMES``, the writer restarts
        it (``restart_wal``), which then copies and flushes only what the last one
        left. Nothing is done while nothing is written. ``close`` stops it between two
        checkpoints, not inside one: cancelled while it checks a connection out, the
        connection would be left to the garbage collector."""
        closing = self._closing
        assert closing is not None
        seen = -1
        while not closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), every)
                return
            if self.writer.batches == seen:
                continue
            seen = self.writer.batches
            with contextlib.suppress(Exception):  # the next turn tries again
                if await self._checkpoint() >= WAL_RESTART_FRAMES:
                    # Once more at once, so the writer's pause copies and flushes only
                    # what came in meanwhile (bench/wal_restart.py).
                    await self._checkpoint()
                    await self.writer.maintain_now()

    async def _checkpoint(self) -> int:
        """A PASSIVE checkpoint, then the database file flushed; the WAL's frames."""
        frames = await checkpoint(self.engine)
        if self._file is not None:
            await asyncio.to_thread(self._file.sync)
        return frames

    async def close(self) -> None:
        if self._closing is not None:
            self._closing.set()
        if self._checkpointer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._checkpointer), 10)
        await cancel(self._checkpointer)
        await self.writer.stop()
        if self.hot is not None:
            await self.hot.close()
        if self._group is not None:
            self._group.close()
        if self._sync is not None:
            self._sync.close()
            self._sync = self._group = None
        if self._wal is not None:
            with contextlib.suppress(Exception):
                await checkpoint(self.engine)
        await self.engine.dispose()
        if self._file is not None:  # after every connection (``FileSync``)
            self._file.close()
            self._file = None

    # -- generic helpers ---------------------------------------------------------------

    @property
    def sole_writer(self) -> bool:
        """Whether this process is its database's only writer (SQLite: README), so
        that nothing in the database changed while ``writer.commits`` stayed the same."""
        return self.backend.sole_writer

    async def read(self, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run a read on a pooled connection; once more on a fresh one if the
        connection was lost (a read is always safe to repeat). Still failing, it is
        ``StorageUnavailable`` (a 503)."""
        self.reads += 1
        for attempt in (1, 2):
            conn: AsyncConnection | None = None
            try:
                conn = await self.engine.connect()
                result = await fn(conn)
            except Exception as exc:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await _close(conn)
                if not is_connection_error(exc):
                    raise
                self.dependency.failed(exc)
                if attempt == 2:
                    raise StorageUnavailable(type(exc).__name__) from exc
                continue
            # The read has its answer: if the connection dies now, as its read-only
            # transaction is rolled back on close, that is no failure of the read.
            await _close(conn)
            self.dependency.recovered()
            return result
        raise AssertionError("unreachable")

    async def request_rows(
        self, token_hash: str, meeting_id: int | None, defer_meeting: bool = False
    ) -> RequestRows:
        """A live stream request's token, account, meeting and host: one statement on
        PostgreSQL (``hotreads``), else the read model's (or one read each).

        With ``defer_meeting`` (a PATCH livestream), a meeting the read model does not
        hold is not read where ``defers_stream_reads``: the rows say ``deferred``."""
        if self.hot is not None:
            try:
                rows = await self.hot.request_rows(token_hash, meeting_id)
            except StorageUnavailable as exc:
                self.dependency.failed(exc)
                raise
            self.dependency.recovered()
            return rows
        c = self.cache
        if c is not None and meeting_id is not None:
            # The read model's rows without a coroutine per lookup: under load the
            # token, account and host are held, and only the meeting may miss (a
            # million meetings against 10,000 held: bench/README.md, "Scale").
            token = c.tokens.get(token_hash)
            account = None if token is None else c.accounts.get(token.account_id)
            if account is not None:
                assert token is not None
                meeting = c.meetings.get(meeting_id)
                if meeting is None and defer_meeting and self.defers_stream_reads:
                    return RequestRows(token, account, None, None, meeting_id, deferred=True)
                if meeting is None:
                    meeting = await self._cached(c.meetings, Meeting, t.meetings, meeting_id)
                if meeting is None:
                    return RequestRows(token, account, None, None, meeting_id)
                host = c.users.get(meeting.host_id)
                if host is None:
                    host = await self.get_user(meeting.host_id)
                return RequestRows(token, account, meeting, host, meeting_id)
        token = await self.get_token(token_hash)
        if token is None:
            return RequestRows(token=None, meeting_id=meeting_id)
        account = await self.get_account(token.account_id)
        meeting = None if meeting_id is None else await self.get_meeting(meeting_id)
        host = None if meeting is None else await self.get_user(meeting.host_id)
        return RequestRows(token, account, meeting, host, meeting_id)

    def read_stats(self) -> dict[str, int]:
        """Reads on pooled connections, and the read model's misses read in groups:
        statements, and the keys they read."""
        g = self._group
        return {
            "pool_reads": self.reads,
            "miss_statements": 0 if g is None else g.statements,
            "miss_keys": 0 if g is None else g.keys,
        }

    async def probe(self) -> None:
        """Try the database now if it failed (health calls this)."""
        if not self.dependency.ok:
            with contextlib.suppress(StorageUnavailable):
                await self.read(lambda conn: conn.exec_driver_sql("SELECT 1"))

    async def _one(self, cls: type[R], table: sa.Table, key: Any) -> R | None:
        async def q(conn: AsyncConnection) -> sa.Row[Any] | None:
            return (await conn.execute(sa.select(table).where(_pk(table) == key))).first()

        row = await self.read(q)
        return None if row is None else from_row(cls, row)

    async def _cached(
        self, table: Table[Any, R], cls: type[R], sa_table: sa.Table, key: Any
    ) -> R | None:
        """A row from the read model, or read (and kept unless a write raced it)."""
        c = self.cache
        assert c is not None
        hit = table.get(key)
        if hit is not None:
            return hit
        epoch = c.epoch
        value: R | None = None
        table.begin_load(key)
        try:
            if self._group is not None:
                try:
                    value = await self._group.get(cls, sa_table, key)
                except sqlite3.Error:
                    value = await self._one(cls, sa_table, key)
            else:
                value = await self._one(cls, sa_table, key)
        finally:
            table.end_load(key, value, fresh=c.epoch == epoch)
        return value

    async def _all(self, cls: type[R], table: sa.Table, where: Any = None) -> list[R]:
        stmt = sa.select(table)
        if where is not None:
            stmt = stmt.where(where)

        async def q(conn: AsyncConnection) -> list[R]:
            return [from_row(cls, row) for row in await conn.execute(stmt)]

        return await self.read(q)

    async def _insert(self, table: sa.Table, record: R) -> R:
        """INSERT one new record; ``Conflict`` if its key exists (nothing changes)."""
        row = to_row(record)
        # ON CONFLICT DO NOTHING, not a caught IntegrityError: a failed statement
        # would abort the whole group-committed batch this write shares.
        stmt = self._insert_new(table).values(row)

        async def op(conn: AsyncConnection) -> bool:
            return bool((await conn.execute(stmt)).rowcount == 1)

        def after(ok: bool) -> None:
            if ok:
                self._cache_records([record])

        if not await self.writer.call(op, after=after):
            raise Conflict(f"{table.name}: {row[_pk(table).name]!r}")
        return record

    def _dialect_insert(self, table: sa.Table) -> Any:
        return self.backend.insert(table)

    def _insert_new(self, table: sa.Table) -> Any:
        return self._dialect_insert(table).on_conflict_do_nothing()

    def upsert(self, table: sa.Table, row: dict[str, Any]) -> Any:
        """One statement that inserts ``row`` or, where its key exists, sets its other
        columns: no read-then-write race between processes."""
        pk = _pk(table).name
        ins = self._dialect_insert(table).values(row)
        return ins.on_conflict_do_update(
            index_elements=[pk], set_={c: ins.excluded[c] for c in row if c != pk}
        )

    async def _update(
        self, cls: type[R], table: sa.Table, key: Any, changes: dict[str, Any]
    ) -> R | None:
        """UPDATE only the given columns of one row; the row as committed, or None."""
        pk = _pk(table)
        if not changes:
            return await self._one(cls, table, key)

        async def op(conn: AsyncConnection) -> R | None:
            res = await conn.execute(
                table.update().where(pk == key).values(changes).returning(*table.c)
            )
            row = res.first()
            return None if row is None else from_row(cls, row)

        def after(record: R | None) -> None:
            if record is not None:
                self._cache_records([record])

        lock_key = key if table is t.meetings else None
        result: R | None = await self.writer.call(op, after=after, lock_key=lock_key)
        return result

    # -- meta ---------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        async def q(conn: AsyncConnection) -> str | None:
            return (
                await conn.execute(sa.select(t.meta.c.value).where(t.meta.c.key == key))
            ).scalar_one_or_none()

        return await self.read(q)

    async def set_meta(self, key: str, value: str) -> None:
        stmt = self.upsert(t.meta, {"key": key, "value": value})
        await self.writer.call(lambda conn: conn.execute(stmt))

    async def ensure_meta(self, key: str, value: str) -> str:
        """Store ``value`` unless the key has one; the value stored either way (the
        first of several processes starting together wins)."""
        stmt = self._insert_new(t.meta).values(key=key, value=value)
        await self.writer.call(lambda conn: conn.execute(stmt))
        stored = await self.get_meta(key)
        assert stored is not None
        return stored

    async def seed_once(
        self, marker: str, records: Iterable[msgspec.Struct], meta: dict[str, str]
    ) -> bool:
        """Insert ``records`` and ``meta`` unless ``marker`` is set: one transaction,
        under the start-up lock, the marker written last. So processes starting
        together seed once, and a crash inside leaves nothing behind. False if it was
        seeded before (or the records' keys are taken: nothing is written then)."""
        records = list(records)
        by_table = _group(records)
        rows = [{"key": k, "value": v} for k, v in {**meta, marker: "1"}.items()]

        async def op(conn: AsyncConnection) -> bool:
            await startup_lock(conn)
            found = await conn.execute(sa.select(t.meta.c.key).where(t.meta.c.key == marker))
            if found.first() is not None:
                return False
            for table, values in by_table:
                pk = _pk(table)
                keys = [v[pk.name] for v in values]
                if (await conn.execute(sa.select(pk).where(pk.in_(keys)))).first() is not None:
                    return False
            await self._insert_many(conn, by_table)
            await conn.execute(t.meta.insert(), rows)
            return True

        def after(seeded: bool) -> None:
            if seeded:
                self._cache_records(records)

        done: bool = await self.writer.call(op, after=after)
        return done

    # -- accounts, users, apps ------------------------------------------------------------

    async def get_account(self, account_id: str) -> Account | None:
        if self.cache is not None:
            return await self._cached(self.cache.accounts, Account, t.accounts, account_id)
        return await self._one(Account, t.accounts, account_id)

    async def add_account(self, account: Account) -> Account:
        """Create; ``Conflict`` if the key exists."""
        return await self._insert(t.accounts, account)

    async def update_account(self, account_id: str, changes: dict[str, Any]) -> Account | None:
        """Change only ``changes``; the committed record, or None if there is none."""
        return await self._update(Account, t.accounts, account_id, changes)

    async def list_accounts(self) -> list[Account]:
        return await self._all(Account, t.accounts)

    async def get_user(self, user_id: str) -> User | None:
        if self.cache is not None:
            return await self._cached(self.cache.users, User, t.users, user_id)
        return await self._one(User, t.users, user_id)

    async def add_user(self, user: User) -> User:
        """Create; ``Conflict`` if the key exists."""
        return await self._insert(t.users, user)

    async def update_user(self, user_id: str, changes: dict[str, Any]) -> User | None:
        """Change only ``changes``; the committed record, or None if there is none."""
        return await self._update(User, t.users, user_id, changes)

    async def list_users(self, account_id: str | None = None) -> list[User]:
        where = None if account_id is None else t.users.c.account_id == account_id
        return await self._all(User, t.users, where)

    async def get_app(self, client_id: str) -> App | None:
        if self.cache is not None:
            return await self._cached(self.cache.apps, App, t.apps, client_id)
        return await self._one(App, t.apps, client_id)

    async def add_app(self, app: App) -> App:
        """Create; ``Conflict`` if the key exists."""
        return await self._insert(t.apps, app)

    async def update_app(self, client_id: str, changes: dict[str, Any]) -> App | None:
        """Change only ``changes``; the committed record, or None if there is none."""
        return await self._update(App, t.apps, client_id, changes)

    async def list_apps(self, account_id: str | None = None) -> list[App]:
        where = None if account_id is None else t.apps.c.account_id == account_id
        return await self._all(App, t.apps, where)

    # -- tokens ---------------------------------------------------------------------------

    async def add_token(self, token: Token) -> None:
        await self.writer.execute(INSERT_TOKEN, to_row(token))
        if self.cache is not None:
            self.cache.tokens.put(token.token_hash, token)

    async def get_token(self, token_hash: str) -> Token | None:
        if self.cache is not None:
            # Expired tokens leave memory before the database (retention), and an
            # expired token must still be told apart from one never issued: a miss
            # reads the database.
            return await self._cached(self.cache.tokens, Token, t.tokens, token_hash)
        return await self._one(Token, t.tokens, token_hash)

    def purge_expired_tokens(self, now: float) -> int:
        """Drop tokens expired by ``now`` from memory (the database keeps them until
        retention prunes them); returns how many went. A scan of at most the read
        model's size."""
        c = self.cache
        if c is None:
            return 0
        gone = [k for k, tok in c.tokens.rows.items() if tok.expires_at <= now]
        for key in gone:
            c.tokens.drop(key)
        return len(gone)

    def tokens_in_memory(self) -> int:
        return 0 if self.cache is None else len(self.cache.tokens)

    async def prune_tokens(self, before: Callable[[], float], batch: int = 5000) -> int:
        """Delete up to ``batch`` tokens that expired before the cutoff ``before()``,
        read at each step: the server clock may move back meanwhile, and a token
        issued since must not go with a cutoff it never passed."""

        # Look first without writing: when nothing is due, this is one index probe.
        async def look(conn: AsyncConnection) -> list[str]:
            return [r[0] for r in await conn.execute(expired_tokens(before(), batch))]

        keys = await self.read(look)
        if not keys:
            return 0

        async def op(conn: AsyncConnection) -> int:
            res = await conn.execute(
                t.tokens.delete().where(
                    t.tokens.c.token_hash.in_(keys), t.tokens.c.expires_at < before()
                )
            )
            return int(res.rowcount)

        n: int = await self.writer.call(op)
        if self.cache is not None:
            for key in keys:
                token = self.cache.tokens.rows.get(key)
                if token is not None and token.expires_at < before():
                    self.cache.tokens.drop(key)
        return n

    async def count_tokens(self, client_id: str | None = None) -> int:
        stmt = sa.select(sa.func.count()).select_from(t.tokens)
        if client_id is not None:
            stmt = stmt.where(t.tokens.c.client_id == client_id)

        async def q(conn: AsyncConnection) -> int:
            return int((await conn.execute(stmt)).scalar_one())

        return await self.read(q)

    async def expire_tokens(self, now: float, client_id: str | None = None) -> int:
        """Make tokens expire now (fault injection: "force token expiry")."""
        where = t.tokens.c.expires_at > now
        if client_id is not None:
            where = sa.and_(where, t.tokens.c.client_id == client_id)

        async def op(conn: AsyncConnection) -> int:
            res = await conn.execute(t.tokens.update().where(where).values(expires_at=now))
            return int(res.rowcount)

        n: int = await self.writer.call(op)
        if self.cache is not None:
            self.cache.epoch += 1  # a token read before this keeps nothing
            for tok in list(self.cache.tokens.rows.values()):
                if tok.expires_at > now and client_id in (None, tok.client_id):
                    self.cache.tokens.put(
                        tok.token_hash, msgspec.structs.replace(tok, expires_at=now)
                    )
        return n

    # -- meetings and webinars ------------------------------------------------------------

    async def get_meeting(self, meeting_id: int) -> Meeting | None:
        if self.cache is not None:
            return await self._cached(self.cache.meetings, Meeting, t.meetings, meeting_id)
        return await self._one(Meeting, t.meetings, meeting_id)

    async def add_meeting(self, meeting: Meeting) -> Meeting:
        """Create; ``Conflict`` if the key exists."""
        return await self._insert(t.meetings, meeting)

    async def update_meeting(self, meeting_id: int, changes: dict[str, Any]) -> Meeting | None:
        """Change only ``changes``; the committed record, or None if there is none."""
        return await self._update(Meeting, t.meetings, meeting_id, changes)

    async def list_meetings(self, account_id: str | None = None) -> list[Meeting]:
        where = None if account_id is None else t.meetings.c.account_id == account_id
        return await self._all(Meeting, t.meetings, where)

    def _matching(self, what: str, account_id: str | None, match: Match | None) -> list[Any]:
        """The WHERE clauses of a listing: one account's rows, and for meetings a
        search (``Match``)."""
        table = LISTINGS[what][1]
        where: list[Any] = []
        if account_id is not None:
            where.append(table.c.account_id == account_id)
        if match is None:
            return where
        if what != "meetings":
            raise ValueError(f"{what} cannot be searched")
        if match.kind is not None:
            where.append(t.meetings.c.kind == match.kind)
        text = match.text.strip()
        number = parse_id(text)
        if number is not None:
            where.append(t.meetings.c.id == number)
        elif text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            where.append(self.backend.contains(t.meetings.c.topic, pattern))
        return where

    async def page(
        self,
        what: str,
        after: Any,
        limit: int,
        account_id: str | None = None,
        *,
        before: Any = None,
        match: Match | None = None,
    ) -> list[Any]:
        """Up to ``limit`` rows of a listing (``LISTINGS``) after the key ``after``
        (or the last ``limit`` before ``before``), in key order: one index range scan
        however deep the page (keyset paging)."""
        cls, table = LISTINGS[what]
        pk = _pk(table)
        stmt = sa.select(table).where(*self._matching(what, account_id, match)).limit(limit)
        if before is not None:
            stmt = stmt.where(pk < before).order_by(pk.desc())
        else:
            stmt = stmt.order_by(pk)
        if after is not None:
            stmt = stmt.where(pk > after)

        async def q(conn: AsyncConnection) -> list[Any]:
            rows = [from_row(cls, row) for row in await conn.execute(stmt)]
            return rows[::-1] if before is not None else rows

        return await self.read(q)

    async def count(
        self,
        what: str,
        account_id: str | None = None,
        *,
        match: Match | None = None,
        cap: int | None = None,
    ) -> int:
        """The listing's rows (that match); counting stops at ``cap`` if given."""
        table = LISTINGS[what][1]
        where = self._matching(what, account_id, match)
        if cap is None:
            stmt = sa.select(sa.func.count()).select_from(table).where(*where)
        else:
            capped = sa.select(_pk(table)).where(*where).limit(cap).subquery()
            stmt = sa.select(sa.func.count()).select_from(capped)

        async def q(conn: AsyncConnection) -> int:
            return int((await conn.execute(stmt)).scalar_one())

        return await self.read(q)

    async def meeting_ids_between(self, low: int, high: int) -> bool:
        """Whether any meeting id lies in ``low..high`` (one index probe)."""
        c = t.meetings.c.id
        stmt = sa.select(c).where(c >= low, c <= high).limit(1)

        async def q(conn: AsyncConnection) -> bool:
            return (await conn.execute(stmt)).first() is not None

        return await self.read(q)

    async def meeting_exists(self, meeting_id: int) -> bool:
        return await self.get_meeting(meeting_id) is not None

    async def save_stream(self, meeting: Meeting) -> None:
        """Persist a meeting's stream configuration (the PATCH livestream hot path)."""

        def after(_: object) -> None:
            self._merge(meeting.id, {f: getattr(meeting, f) for f in _STREAM_FIELDS})

        if self.backend.sqlite:
            stream = streams_sqlite.UPDATE
            values = (meeting.stream_url, meeting.stream_key, meeting.page_url,
                      meeting.resolution, meeting.configured, meeting.id)  # fmt: skip
            await self.writer.execute_driver(stream.sql, values, after=after, many=stream.many)
            return
        params = {f: getattr(meeting, f) for f in _STREAM_FIELDS}
        params["b_id"] = meeting.id
        await self.writer.execute(UPDATE_STREAM, params, after=after, lock_key=meeting.id)

    async def save_stream_if_host_may_stream(
        self, meeting_id: int, kind: str, account_id: str, changes: dict[str, Any]
    ) -> bool:
        """Write a stream configuration (``changes``: a value for each of
        ``streams_sqlite.FIELDS``) only if the meeting is a ``kind`` of ``account_id``
        whose host may stream: a compare-and-set, with the checks the meeting's read
        would serve in the same statement. Returns whether it wrote. False says nothing
        of which check failed: the caller reads the meeting for Zoom's error for it."""
        stream = streams_sqlite.IF_HOST_MAY_STREAM
        assert stream is not None and self.defers_stream_reads
        values = tuple(changes[f] for f in _STREAM_FIELDS)

        def after(wrote: object) -> None:
            if wrote:
                self._merge(meeting_id, changes)

        wrote = await self.writer.execute_driver(
            stream.sql,
            (*values, kind, account_id, meeting_id),
            after=after,
            many=stream.many,
            returns_key=stream.returns_key,
        )
        return bool(wrote)

    def _merge(self, meeting_id: int, changes: dict[str, Any]) -> None:
        # Only the fields this write touched, right after its commit: a concurrent
        # write to other columns must not be undone by a record read before it.
        if self.cache is None:
            return
        table = self.cache.meetings
        current = table.rows.get(meeting_id)
        if current is None:
            table.changed(meeting_id)
            return
        table.put(meeting_id, msgspec.structs.replace(current, **changes))

    # -- reset ----------------------------------------------------------------------------

    async def insert_all(self, records: Iterable[msgspec.Struct]) -> None:
        """Insert new records of any kind, in one transaction."""
        records = list(records)
        by_table = _group(records)

        async def op(conn: AsyncConnection) -> None:
            await self._insert_many(conn, by_table)

        try:
            await self.writer.call(op, after=lambda _: self._cache_records(records))
        except sa.exc.IntegrityError as exc:
            raise Conflict(str(exc.orig)) from None

    async def _insert_many(
        self, conn: AsyncConnection, by_table: list[tuple[sa.Table, list[dict[str, Any]]]]
    ) -> None:
        """The one way many records are written: the control API's bulk create
        (``insert_all``) and a seed file (``seed_once``) both come here."""
        sqlite = self.backend.sqlite
        for table, rows in by_table:
            if sqlite and len(rows) > 1:
                # Many rows (a bulk create): the driver's executemany straight,
                # without SQLAlchemy's per-row parameter processing (most of the
                # server's own time in a bulk create, bench/README.md).
                cols = list(rows[0])
                sql = (
                    f"INSERT INTO {table.name} ({', '.join(cols)}) "  # noqa: S608
                    f"VALUES ({', '.join('?' * len(cols))})"
                )
                await conn.exec_driver_sql(sql, [tuple(r.values()) for r in rows])
            else:
                await conn.execute(table.insert(), rows)

    async def reset(self, seed: Iterable[msgspec.Struct] = ()) -> None:
        """Delete every account, user, app, token, meeting, subscription, queued
        webhook and daily cap count (meta stays), then insert ``seed``: one
        transaction."""
        seed = list(seed)
        by_table = _group(seed)

        async def op(conn: AsyncConnection) -> None:
            # Only the tables that hold rows are emptied: the test kit resets before
            # every test, and on aiosqlite each statement costs three round trips to
            # the driver's thread (cursor, execute, close), so one EXISTS probe for
            # all tables is cheaper than a DELETE for each (bench/testkit.py).
            occupied = (await conn.execute(_OCCUPIED)).one()
            for table, rows_there in zip(_WIPE_ORDER, occupied, strict=True):
                if rows_there:
                    await conn.execute(table.delete())
            for table, rows in by_table:
                await conn.execute(table.insert(), rows)

        def after(_: object) -> None:
            if self.cache is not None:
                self.cache.clear()
            self._cache_records(seed)

        await self.writer.call(op, after=after)

    def _cache_records(self, records: Iterable[msgspec.Struct]) -> None:
        c = self.cache
        if c is None:
            return
        for r in records:
            if isinstance(r, Account):
                c.accounts.put(r.id, r)
            elif isinstance(r, User):
                c.users.put(r.id, r)
            elif isinstance(r, App):
                c.apps.put(r.client_id, r)
            elif isinstance(r, Meeting):
                c.meetings.put(r.id, r)


def expired_tokens(before: float, batch: int) -> sa.Select[Any]:
    """Tokens due for pruning (an index range scan on ``expires_at``)."""
    return (
        sa.select(t.tokens.c.token_hash)
        .where(t.tokens.c.expires_at < before)
        .order_by(t.tokens.c.expires_at)
        .limit(batch)
    )


#: What the control API lists, by name: the record class and its table.
LISTINGS: dict[str, tuple[type[msgspec.Struct], sa.Table]] = {
    "meetings": (Meeting, t.meetings), "accounts": (Account, t.accounts),
    "users": (User, t.users), "apps": (App, t.apps),
}  # fmt: skip

_TABLES: dict[type, sa.Table] = {
    Account: t.accounts, User: t.users, App: t.apps, Meeting: t.meetings, Token: t.tokens,
    Subscription: t.subscriptions,
}  # fmt: skip


async def _close(conn: AsyncConnection) -> None:
    """Return a connection to the pool; if it died, it is invalidated (never reused)."""
    try:
        await conn.close()
    except Exception as exc:
        if not is_connection_error(exc):
            raise
        with contextlib.suppress(Exception):
            await conn.invalidate()


def _pk(table: sa.Table) -> sa.Column[Any]:
    return next(iter(table.primary_key.columns))


#: Children before parents, so a wipe never breaks a foreign key.
_WIPE_ORDER = (
    t.attempts, t.outbox, t.subscriptions,
    t.tokens, t.meetings, t.apps, t.users, t.accounts, t.daily_caps,
)  # fmt: skip
_OCCUPIED = sa.select(*(sa.exists().select_from(table).label(table.name) for table in _WIPE_ORDER))


def _group(records: Iterable[msgspec.Struct]) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    out: dict[str, tuple[sa.Table, list[dict[str, Any]]]] = {}
    for r in records:
        table = _TABLES[type(r)]
        out.setdefault(table.name, (table, []))[1].append(to_row(r))
    order = ("zl_accounts", "zl_users", "zl_apps", "zl_meetings", "zl_tokens", "zl_subscriptions")
    return [out[name] for name in order if name in out]

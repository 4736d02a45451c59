"""The store: every read and write the services need, over SQLAlchemy Core.

Writes go through the group-commit ``Writer``. Reads come from an in-memory read
model when ``cache_reads`` is on (one process owns the database: the SQLite
default), else straight from the database (several processes share PostgreSQL).
The read model is updated only after the write it mirrors has committed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zoomlive.server.storage import schema as t
from zoomlive.server.storage.engine import checkpoint, make_engine, migrate
from zoomlive.server.storage.records import Account, App, Meeting, Token, User, to_row
from zoomlive.server.storage.writer import Writer

R = TypeVar("R", bound=msgspec.Struct)

_STREAM_FIELDS = ("stream_url", "stream_key", "page_url", "resolution", "configured")
_STATE_FIELDS = (
    "stream_live",
    "display_name",
    "active_speaker_name",
    "layout",
    "close_caption",
    "stream_changed_at",
)

UPDATE_STREAM = (
    t.meetings.update()
    .where(t.meetings.c.id == sa.bindparam("b_id"))
    .values({f: sa.bindparam(f) for f in _STREAM_FIELDS})
)
UPDATE_STATE = (
    t.meetings.update()
    .where(t.meetings.c.id == sa.bindparam("b_id"))
    .values({f: sa.bindparam(f) for f in _STATE_FIELDS})
)
INSERT_TOKEN = t.tokens.insert()


def _rec(cls: type[R], row: sa.Row[Any]) -> R:
    return cls(**row._asdict())


class ReadModel:
    """Everything, in dicts, for a process that is the database's only writer."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.users: dict[str, User] = {}
        self.apps: dict[str, App] = {}
        self.meetings: dict[int, Meeting] = {}
        self.tokens: dict[str, Token] = {}

    def clear(self) -> None:
        for d in (self.accounts, self.users, self.apps, self.meetings, self.tokens):
            d.clear()


class Store:
    def __init__(self, database_url: str, *, cache_reads: bool) -> None:
        self.url = database_url
        self.engine: AsyncEngine = make_engine(database_url)
        self.writer = Writer(self.engine)
        self.cache = ReadModel() if cache_reads else None
        self._checkpointer: asyncio.Task[None] | None = None

    async def open(self) -> None:
        await migrate(self.engine)
        self.writer.start()
        if self.cache is not None:
            await self._load()
        if self.url.startswith("sqlite"):
            self._checkpointer = asyncio.get_running_loop().create_task(self._checkpoints())

    async def _checkpoints(self, every: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(Exception):
                await checkpoint(self.engine)

    async def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
        await self.writer.stop()
        if self.url.startswith("sqlite"):
            with contextlib.suppress(Exception):
                await checkpoint(self.engine)
        await self.engine.dispose()

    async def _load(self) -> None:
        assert self.cache is not None
        c = self.cache
        c.clear()
        async with self.engine.connect() as conn:
            for row in await conn.execute(sa.select(t.accounts)):
                c.accounts[row.id] = _rec(Account, row)
            for row in await conn.execute(sa.select(t.users)):
                c.users[row.id] = _rec(User, row)
            for row in await conn.execute(sa.select(t.apps)):
                c.apps[row.client_id] = _rec(App, row)
            for row in await conn.execute(sa.select(t.meetings)):
                c.meetings[row.id] = _rec(Meeting, row)
            for row in await conn.execute(sa.select(t.tokens)):
                c.tokens[row.token_hash] = _rec(Token, row)

    # -- generic helpers ---------------------------------------------------------------

    async def _one(self, cls: type[R], table: sa.Table, key: Any) -> R | None:
        pk = next(iter(table.primary_key.columns))
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(table).where(pk == key))).first()
        return None if row is None else _rec(cls, row)

    async def _all(self, cls: type[R], table: sa.Table, where: Any = None) -> list[R]:
        stmt = sa.select(table)
        if where is not None:
            stmt = stmt.where(where)
        async with self.engine.connect() as conn:
            return [_rec(cls, row) for row in await conn.execute(stmt)]

    async def _upsert(self, table: sa.Table, record: msgspec.Struct) -> None:
        row = to_row(record)
        pk = next(iter(table.primary_key.columns))

        async def op(conn: AsyncConnection) -> None:
            res = await conn.execute(table.update().where(pk == row[pk.name]).values(row))
            if res.rowcount == 0:
                await conn.execute(table.insert().values(row))

        await self.writer.call(op)

    # -- meta ---------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        async with self.engine.connect() as conn:
            return (
                await conn.execute(sa.select(t.meta.c.value).where(t.meta.c.key == key))
            ).scalar_one_or_none()

    async def set_meta(self, key: str, value: str) -> None:
        async def op(conn: AsyncConnection) -> None:
            res = await conn.execute(t.meta.update().where(t.meta.c.key == key).values(value=value))
            if res.rowcount == 0:
                await conn.execute(t.meta.insert().values(key=key, value=value))

        await self.writer.call(op)

    # -- accounts, users, apps ------------------------------------------------------------

    async def get_account(self, account_id: str) -> Account | None:
        if self.cache is not None:
            return self.cache.accounts.get(account_id)
        return await self._one(Account, t.accounts, account_id)

    async def put_account(self, account: Account) -> None:
        await self._upsert(t.accounts, account)
        if self.cache is not None:
            self.cache.accounts[account.id] = account

    async def list_accounts(self) -> list[Account]:
        return await self._all(Account, t.accounts)

    async def get_user(self, user_id: str) -> User | None:
        if self.cache is not None:
            return self.cache.users.get(user_id)
        return await self._one(User, t.users, user_id)

    async def put_user(self, user: User) -> None:
        await self._upsert(t.users, user)
        if self.cache is not None:
            self.cache.users[user.id] = user

    async def list_users(self, account_id: str | None = None) -> list[User]:
        where = None if account_id is None else t.users.c.account_id == account_id
        return await self._all(User, t.users, where)

    async def get_app(self, client_id: str) -> App | None:
        if self.cache is not None:
            return self.cache.apps.get(client_id)
        return await self._one(App, t.apps, client_id)

    async def put_app(self, app: App) -> None:
        await self._upsert(t.apps, app)
        if self.cache is not None:
            self.cache.apps[app.client_id] = app

    async def list_apps(self, account_id: str | None = None) -> list[App]:
        where = None if account_id is None else t.apps.c.account_id == account_id
        return await self._all(App, t.apps, where)

    # -- tokens ---------------------------------------------------------------------------

    async def add_token(self, token: Token) -> None:
        await self.writer.execute(INSERT_TOKEN, to_row(token))
        if self.cache is not None:
            self.cache.tokens[token.token_hash] = token

    async def get_token(self, token_hash: str) -> Token | None:
        if self.cache is not None:
            return self.cache.tokens.get(token_hash)
        return await self._one(Token, t.tokens, token_hash)

    async def count_tokens(self, client_id: str | None = None) -> int:
        stmt = sa.select(sa.func.count()).select_from(t.tokens)
        if client_id is not None:
            stmt = stmt.where(t.tokens.c.client_id == client_id)
        async with self.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())

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
            for key, tok in list(self.cache.tokens.items()):
                if tok.expires_at > now and client_id in (None, tok.client_id):
                    self.cache.tokens[key] = msgspec.structs.replace(tok, expires_at=now)
        return n

    # -- meetings and webinars ------------------------------------------------------------

    async def get_meeting(self, meeting_id: int) -> Meeting | None:
        if self.cache is not None:
            return self.cache.meetings.get(meeting_id)
        return await self._one(Meeting, t.meetings, meeting_id)

    async def put_meeting(self, meeting: Meeting) -> None:
        await self._upsert(t.meetings, meeting)
        if self.cache is not None:
            self.cache.meetings[meeting.id] = meeting

    async def list_meetings(self, account_id: str | None = None) -> list[Meeting]:
        where = None if account_id is None else t.meetings.c.account_id == account_id
        return await self._all(Meeting, t.meetings, where)

    async def meeting_exists(self, meeting_id: int) -> bool:
        if self.cache is not None:
            return meeting_id in self.cache.meetings
        return await self._one(Meeting, t.meetings, meeting_id) is not None

    async def save_stream(self, meeting: Meeting) -> None:
        """Persist a meeting's stream configuration (the PATCH livestream hot path)."""
        params = {f: getattr(meeting, f) for f in _STREAM_FIELDS}
        params["b_id"] = meeting.id
        await self.writer.execute(UPDATE_STREAM, params)
        self._merge(meeting, _STREAM_FIELDS)

    async def save_stream_state(self, meeting: Meeting, extra: Iterable[Any] = ()) -> None:
        """Persist live/stopped state and settings, with any extra writes (the
        webhook outbox rows) in the same transaction."""
        params = {f: getattr(meeting, f) for f in _STATE_FIELDS}
        params["b_id"] = meeting.id
        extras = list(extra)
        if extras:

            async def op(conn: AsyncConnection) -> None:
                await conn.execute(UPDATE_STATE, params)
                for stmt, values in extras:
                    await conn.execute(stmt, values)

            await self.writer.call(op)
        else:
            await self.writer.execute(UPDATE_STATE, params)
        self._merge(meeting, _STATE_FIELDS)

    def _merge(self, meeting: Meeting, fields: tuple[str, ...]) -> None:
        # Only the fields this write touched: a concurrent write to the other
        # group must not be undone by a record read before it committed.
        if self.cache is None:
            return
        current = self.cache.meetings.get(meeting.id)
        if current is None:
            return
        self.cache.meetings[meeting.id] = msgspec.structs.replace(
            current, **{f: getattr(meeting, f) for f in fields}
        )

    # -- reset ----------------------------------------------------------------------------

    async def insert_all(self, records: Iterable[msgspec.Struct]) -> None:
        """Insert new records of any kind, in one transaction."""
        by_table = _group(records)

        async def op(conn: AsyncConnection) -> None:
            for table, rows in by_table:
                await conn.execute(table.insert(), rows)

        await self.writer.call(op)
        self._cache_records(records)

    async def reset(self, seed: Iterable[msgspec.Struct] = ()) -> None:
        """Delete every account, user, app, token, meeting, subscription and queued
        webhook (meta stays), then insert ``seed``: one transaction."""
        seed = list(seed)
        by_table = _group(seed)

        async def op(conn: AsyncConnection) -> None:
            for table in (
                t.attempts, t.outbox, t.subscriptions,
                t.tokens, t.meetings, t.apps, t.users, t.accounts,
            ):  # fmt: skip
                await conn.execute(table.delete())
            for table, rows in by_table:
                await conn.execute(table.insert(), rows)

        await self.writer.call(op)
        if self.cache is not None:
            self.cache.clear()
        self._cache_records(seed)

    def _cache_records(self, records: Iterable[msgspec.Struct]) -> None:
        c = self.cache
        if c is None:
            return
        for r in records:
            if isinstance(r, Account):
                c.accounts[r.id] = r
            elif isinstance(r, User):
                c.users[r.id] = r
            elif isinstance(r, App):
                c.apps[r.client_id] = r
            elif isinstance(r, Meeting):
                c.meetings[r.id] = r


_TABLES: dict[type, sa.Table] = {
    Account: t.accounts, User: t.users, App: t.apps, Meeting: t.meetings, Token: t.tokens,
}  # fmt: skip


def _group(records: Iterable[msgspec.Struct]) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    out: dict[str, tuple[sa.Table, list[dict[str, Any]]]] = {}
    for r in records:
        table = _TABLES[type(r)]
        out.setdefault(table.name, (table, []))[1].append(to_row(r))
    order = ("zl_accounts", "zl_users", "zl_apps", "zl_meetings", "zl_tokens")
    return [out[name] for name in order if name in out]

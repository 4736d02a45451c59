"""PATCH livestream's writes in SQLite's own SQL, for the writer's driver path.

Each PATCH is one UPDATE. The writer runs a batch of them as one statement,
``UPDATE … FROM (VALUES …)`` (``Stream.many``), in one hop to the driver's thread
(``writer``): no SQLAlchemy per-row work, and one ``sqlite3_step``, so one hand-back of
the GIL, where ``executemany`` takes one per row.

``IF_HOST_MAY_STREAM`` is the write of a PATCH whose meeting the read model does not
hold: instead of reading the meeting first, the UPDATE checks what that read would
have (the meeting's kind and account, its host's standing) and returns the key of
each row it changed. One statement per batch and no read: with a million meetings,
nearly every PATCH misses the read model (bench/README.md, "Scale").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from zoomlive.server import licence
from zoomlive.server.storage import schema as t

#: The columns a PATCH livestream writes, in the order of its parameters.
FIELDS = ("stream_url", "stream_key", "page_url", "resolution", "configured")

_M = t.meetings.name


def _host_may_stream() -> str:
    """The meeting's host may stream from the meeting's account: the host's rows of
    ``licence.HOST_MAY_STREAM`` (the same table the domain checks in Python), as a
    condition on the meeting's row. The account's own flags are the caller's."""
    u = t.users.alias("u")
    m = t.meetings
    rules = [
        u.c[r.field] == r.passes[0] if len(r.passes) == 1 else u.c[r.field].in_(r.passes)
        for r in licence.HOST_MAY_STREAM
    ]
    match = sa.and_(u.c.id == m.c.host_id, u.c.account_id == m.c.account_id, *rules)
    where = match.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    return f"EXISTS (SELECT 1 FROM {t.users.name} AS u WHERE {where})"  # noqa: S608


HOST_MAY_STREAM = _host_may_stream()

Many = Callable[[list[tuple[Any, ...]]], tuple[str, tuple[Any, ...]]]


@dataclass(frozen=True, slots=True)
class Stream:
    """One PATCH's UPDATE: its parameters are ``FIELDS``' values, then ``keys``'."""

    sql: str
    #: A run of them as one statement; None on a SQLite too old for ``UPDATE … FROM``.
    many: Many | None
    #: Non-zero: the statement returns the ``keys`` of each row it changed
    #: (``Writer.execute_driver``'s ``returns_key``).
    returns_key: int


def _stream(keys: tuple[str, ...], condition: str = "", returning: bool = False) -> Stream:
    sets = ", ".join(f"{f} = ?" for f in FIELDS)
    where = " AND ".join([f"{k} = ?" for k in keys] + ([condition] if condition else []))
    back = f" RETURNING {', '.join(f'{_M}.{k}' for k in keys)}" if returning else ""
    sql = f"UPDATE {_M} SET {sets} WHERE {where}{back}"  # noqa: S608
    width = len(FIELDS) + len(keys)
    one = "(" + ", ".join("?" * width) + ")"
    from_sets = ", ".join(f"{f} = v.column{i}" for i, f in enumerate(FIELDS, 1))
    joins = [f"{_M}.{k} = v.column{len(FIELDS) + i}" for i, k in enumerate(keys, 1)]
    from_where = " AND ".join(joins + ([condition] if condition else []))

    def many(rows: list[tuple[Any, ...]]) -> tuple[str, tuple[Any, ...]]:
        """The rows as one statement. Rows with the same keys keep the last, as
        running them in order would (SQLite uses any one of several matching rows);
        rows for one meeting with other keys (kind, account) cannot both match."""
        last = {row[len(FIELDS) :]: row for row in rows}
        params = tuple(v for row in last.values() for v in row)
        values = ", ".join([one] * len(last))
        return (
            f"UPDATE {_M} SET {from_sets} FROM (VALUES {values}) AS v "  # noqa: S608
            f"WHERE {from_where}{back}",
            params,
        )

    # UPDATE … FROM came with SQLite 3.33 (2020), RETURNING with 3.35 (2021).
    needs = (3, 35, 0) if returning else (3, 33, 0)
    ok = sqlite3.sqlite_version_info >= needs
    return Stream(sql, many if ok else None, len(keys) if returning else 0)


#: PATCH livestream of a meeting already checked (the read model held it).
UPDATE = _stream(("id",))
#: PATCH livestream of a meeting not read: the UPDATE checks it; None on a SQLite
#: without RETURNING (3.35), where the meeting is read first.
IF_HOST_MAY_STREAM: Stream | None = (
    _stream(("kind", "account_id", "id"), HOST_MAY_STREAM, returning=True)
    if sqlite3.sqlite_version_info >= (3, 35, 0)
    else None
)

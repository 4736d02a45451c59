"""The group-commit writer's driver path on SQLite (storage/writer.py): conditional
writes answer whether they wrote on every path a batch can take, a failing write
fails alone, and asked-for maintenance runs between batches."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zoomlive.server.settings import sqlite_url
from zoomlive.server.storage.engine import make_engine
from zoomlive.server.storage.writer import Writer

_META = sa.MetaData()
_ROWS = sa.Table(
    "rows",
    _META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("v", sa.Text, nullable=False),
    sa.Column("owner", sa.Text, nullable=False),
)
#: Writes ``v`` only where the owner matches; returns the key (owner, id) it changed.
IF_OWNER = "UPDATE rows SET v = ? WHERE owner = ? AND id = ? RETURNING owner, id"
SET = "UPDATE rows SET v = ? WHERE id = ?"


def _if_owner_many(rows: list[tuple[Any, ...]]) -> tuple[str, tuple[Any, ...]]:
    last = {row[1:]: row for row in rows}
    values = ", ".join(["(?, ?, ?)"] * len(last))
    return (
        f"UPDATE rows SET v = v.column1 FROM (VALUES {values}) AS v "
        "WHERE rows.owner = v.column2 AND rows.id = v.column3 RETURNING rows.owner, rows.id",
        tuple(x for row in last.values() for x in row),
    )


Maintenance = Callable[[AsyncConnection, bool], Awaitable[None]]


def _with_writer(
    tmp: Path,
    body: Callable[[Writer], Awaitable[None]],
    maintenance: Maintenance | None = None,
    max_batch: int = 512,
) -> dict[int, str]:
    db = tmp / "w.db"

    async def run() -> None:
        engine = make_engine(sqlite_url(db))
        async with engine.begin() as conn:
            await conn.run_sync(_META.create_all)
            await conn.execute(
                _ROWS.insert(),
                [{"id": i, "v": "", "owner": "a" if i % 2 else "b"} for i in range(10)],
            )
        writer = Writer(
            engine,
            max_batch=max_batch,
            driver_batches=True,
            maintenance=maintenance,
            maintenance_every=3600,
        )
        writer.start()
        try:
            await body(writer)
        finally:
            await writer.stop()
            await engine.dispose()

    asyncio.run(run())
    return dict(sqlite3.connect(db).execute("SELECT id, v FROM rows").fetchall())


def test_conditional_writes_answer_whether_they_wrote_on_every_path(tmp_path: Path) -> None:
    """One statement for the batch (autocommit), several statements (a transaction of
    driver SQL), and a batch mixed with a SQLAlchemy statement: each write's result is
    True exactly where its condition held, and only those rows changed."""

    async def body(w: Writer) -> None:
        def cond(i: int, owner: str, v: str) -> Awaitable[Any]:
            return w.execute_driver(IF_OWNER, (v, owner, i), many=_if_owner_many, returns_key=2)

        # Alone in its batches: one UPDATE … FROM VALUES per batch.
        got = list(await asyncio.gather(*(cond(i, "a", f"one{i}") for i in range(4))))
        assert got == [False, True, False, True]
        # Two runs of different SQL in one batch: one transaction.
        got = list(
            await asyncio.gather(
                cond(4, "b", "two4"), w.execute_driver(SET, ("set5", 5)), cond(6, "a", "two6")
            )
        )
        assert got == [True, None, False]
        # Mixed with a SQLAlchemy statement: the batch goes through SQLAlchemy.
        stmt = _ROWS.update().where(_ROWS.c.id == sa.bindparam("b_id")).values(v="sa7")
        got = list(
            await asyncio.gather(
                cond(8, "b", "mix8"), w.execute(stmt, {"b_id": 7}), cond(9, "b", "mix9")
            )
        )
        assert got == [True, None, False]

    rows = _with_writer(tmp_path, body)
    assert rows == {
        0: "", 1: "one1", 2: "", 3: "one3", 4: "two4", 5: "set5", 6: "", 7: "sa7", 8: "mix8", 9: "",
    }  # fmt: skip


def test_a_failing_write_fails_alone_and_its_batch_mates_land(tmp_path: Path) -> None:
    """A write that breaks a constraint fails the batch's one statement (nothing of it
    applied); each write is then retried alone: the failing one gets the error, the
    others land. The same with the batch as a transaction of several statements."""

    async def body(w: Writer) -> None:
        ok = [
            w.execute_driver(IF_OWNER, (f"ok{i}", "a", i), many=_if_owner_many, returns_key=2)
            for i in (1, 3)
        ]
        bad = w.execute_driver(IF_OWNER, (None, "a", 5), many=_if_owner_many, returns_key=2)
        got = list(await asyncio.gather(*ok, bad, return_exceptions=True))
        assert got[:2] == [True, True]
        assert isinstance(got[2], sa.exc.IntegrityError | sqlite3.IntegrityError), got[2]

        got = list(
            await asyncio.gather(
                w.execute_driver(SET, ("t0", 0)),
                w.execute_driver(IF_OWNER, (None, "b", 2), returns_key=2),
                w.execute_driver(SET, ("t4", 4)),
                return_exceptions=True,
            )
        )
        assert got[0] is None and got[2] is None
        assert isinstance(got[1], sa.exc.IntegrityError | sqlite3.IntegrityError), got[1]
        assert w.commits >= 4  # the retried writes committed one by one

    rows = _with_writer(tmp_path, body)
    assert rows[1] == "ok1" and rows[3] == "ok3" and rows[5] == ""
    assert rows[0] == "t0" and rows[4] == "t4" and rows[2] == ""


def test_asked_for_maintenance_runs_between_batches_and_when_idle(tmp_path: Path) -> None:
    """``maintain_now`` runs the maintenance, told it was asked for, after the batch
    in flight and before the next; with the writer idle, at once."""
    seen: list[tuple[str, bool]] = []

    async def maintenance(conn: AsyncConnection, asked: bool) -> None:
        seen.append(("maintain", asked))

    async def body(w: Writer) -> None:
        await w.maintain_now()  # idle
        assert seen == [("maintain", True)]

        def after(_: object) -> None:
            seen.append(("write", False))

        first = asyncio.gather(
            *(w.execute_driver(SET, (f"x{i}", i), after=after) for i in range(3))
        )
        asked = w.maintain_now()
        await asyncio.gather(first, asked)
        assert seen[1:] == [("write", False)] * 3 + [("maintain", True)]

    _with_writer(tmp_path, body, maintenance)

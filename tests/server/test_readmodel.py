"""The read model keeps a bounded number of rows, never keeps a row read before a
write to it committed, and reads its misses in groups (storage/readmodel.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec

from zoomlive.server.settings import sqlite_url
from zoomlive.server.storage.readmodel import ReadModel, Table
from zoomlive.server.storage.records import Account, Meeting
from zoomlive.server.storage.store import Store

ROW = Meeting(id=5, kind="meeting", uuid="u", account_id="a", host_id="h")


def test_a_table_keeps_at_most_its_size_dropping_the_least_recently_used() -> None:
    table: Table[int, str] = Table(3)
    for k in range(3):
        table.put(k, f"v{k}")
    assert table.get(0) == "v0"  # 0 is now the most recently used
    table.put(3, "v3")
    assert sorted(table.rows) == [0, 2, 3]
    assert len(table) == 3


def test_a_load_that_raced_a_committed_write_is_answered_but_not_kept() -> None:
    table: Table[int, str] = Table(10)
    table.begin_load(1)  # a miss: the database read starts
    table.put(1, "committed")  # a write to the same row commits meanwhile
    table.end_load(1, "read before the commit", fresh=True)
    assert table.get(1) == "committed"

    table.drop(1)
    table.begin_load(1)
    table.changed(1)  # a partial write, applied by its owner, to a row not held
    table.end_load(1, "read before the commit", fresh=True)
    assert table.get(1) is None


def test_a_load_without_a_racing_write_is_kept_and_a_reset_makes_loads_stale() -> None:
    model = ReadModel(size=10)
    model.meetings.begin_load(5)
    model.meetings.end_load(5, ROW, fresh=True)
    assert model.meetings.get(5) == ROW

    epoch = model.epoch
    model.accounts.begin_load("a")
    model.clear()  # a reset commits while the account is being read
    model.accounts.end_load("a", Account(id="a"), fresh=model.epoch == epoch)
    assert model.accounts.get("a") is None
    assert len(model.meetings) == 0


def test_misses_asked_together_share_one_statement_and_see_committed_writes(
    tmp_path: Path,
) -> None:
    """With many more rows than the read model holds, nearly every request misses:
    the misses of one turn of the event loop are read by one statement (off the
    loop's thread), and each sees every write committed before it asked."""

    async def run() -> None:
        store = Store(sqlite_url(tmp_path / "g.db"), cache_reads=True, cache_size=4)
        await store.open()
        try:
            ids = list(range(1, 41))
            await store.insert_all(
                Meeting(id=i, kind="meeting", uuid=f"u{i}", account_id="a", host_id="h")
                for i in ids
            )
            assert store.cache is not None
            store.cache.clear()
            before = store.read_stats()

            found = await asyncio.gather(*(store.get_meeting(i) for i in [*ids, 999]))

            after = store.read_stats()
            assert [m.id for m in found if m is not None] == ids
            assert found[-1] is None  # no such row: answered, not an error
            assert after["miss_statements"] - before["miss_statements"] == 1
            assert after["miss_keys"] - before["miss_keys"] == len(ids) + 1
            assert len(store.cache.meetings) == 4  # still bounded

            # A write committed, then a miss: the miss reads the committed row.
            meeting = found[0]
            assert meeting is not None
            await store.save_stream(msgspec.structs.replace(meeting, stream_key="k-new"))
            store.cache.clear()
            again = await store.get_meeting(meeting.id)
            assert again is not None and again.stream_key == "k-new"
            assert isinstance(again.configured, bool) and isinstance(again.e2ee, bool)
        finally:
            await store.close()

    asyncio.run(run())

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


def test_a_miss_reads_back_every_field_as_written(tmp_path: Path) -> None:
    """Misses come back as one JSON text per statement (``SyncReads``): booleans,
    None, floats to the last digit, quotes, newlines and non-ASCII text, and ids past
    2^53 all read back equal to the record written."""

    async def run() -> None:
        store = Store(sqlite_url(tmp_path / "f.db"), cache_reads=True, cache_size=2)
        await store.open()
        try:
            odd = Meeting(
                id=2**62 + 7, kind="webinar", uuid='u"\\/\n', account_id="a", host_id="h",
                topic="Ünïcødé ✓ \"quoted\" \t tab", e2ee=True, configured=True,
                stream_live=False, resolution=None, display_name=None,
                active_speaker_name=False, layout="gallery",
                stream_changed_at=1764150000.1234567, agenda="x" * 2000,
                settings='{"a": [1, 2, {"b": null}]}', pre_schedule=True,
            )  # fmt: skip
            plain = Meeting(id=3, kind="meeting", uuid="u3", account_id="a", host_id="h")
            await store.insert_all([odd, plain])
            assert store.cache is not None
            store.cache.clear()
            got = await asyncio.gather(store.get_meeting(odd.id), store.get_meeting(plain.id))
            assert list(got) == [odd, plain]
            assert got[0] is not None and got[0].stream_changed_at == 1764150000.1234567
        finally:
            await store.close()

    asyncio.run(run())


def test_stream_writes_sharing_a_batch_land_as_run_in_order(tmp_path: Path) -> None:
    """On SQLite a batch of stream PATCHes is one ``UPDATE … FROM VALUES``: every
    meeting gets its own values, and a meeting written several times in the batch
    keeps the last, in the database and in the read model."""

    async def run() -> None:
        store = Store(sqlite_url(tmp_path / "b.db"), cache_reads=True, cache_size=100)
        await store.open()
        try:
            rows = [
                Meeting(id=i, kind="meeting", uuid=f"u{i}", account_id="a", host_id="h")
                for i in range(1, 31)
            ]
            await store.insert_all(rows)
            batches = store.writer.batches
            writes = [
                msgspec.structs.replace(m, stream_key=f"k{m.id}", configured=True) for m in rows
            ]
            writes += [
                msgspec.structs.replace(
                    rows[4], stream_key=f"again{n}", resolution="720p", configured=n < 2
                )
                for n in range(3)
            ]
            await asyncio.gather(*(store.save_stream(w) for w in writes))
            assert store.writer.batches - batches <= 2  # shared, not one per write

            want: dict[int, tuple[str, str | None, bool]] = {
                m.id: (f"k{m.id}", None, True) for m in rows
            }
            want[rows[4].id] = ("again2", "720p", False)
            assert store.cache is not None
            held = {i: store.cache.meetings.get(i) for i in want}
            assert {
                i: (m.stream_key, m.resolution, m.configured) for i, m in held.items() if m
            } == want
            store.cache.clear()
            read = await asyncio.gather(*(store.get_meeting(i) for i in want))
            assert {m.id: (m.stream_key, m.resolution, m.configured) for m in read if m} == want
        finally:
            await store.close()

    asyncio.run(run())

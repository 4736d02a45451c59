"""The read model keeps a bounded number of rows, and never keeps a row read before a
write to it committed (storage/readmodel.py)."""

from __future__ import annotations

from zoomlive.server.storage.readmodel import ReadModel, Table
from zoomlive.server.storage.records import Account, Meeting

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

"""SQLite's own work per random-id PATCH, outside the server: 1 meeting against many.

The server's figure at 1,000,000 meetings (``scale.py``) is bounded by what SQLite
itself must do per PATCH when nearly every meeting misses the read model: read the
row, update it (each update dirtying a page of its own, written to the WAL), and
fold that page back into the database (the checkpoints). This does exactly that with
the server's own statements and settings, on one thread, with no HTTP and no event
loop, and prints the CPU per PATCH for 1 meeting and for ``--meetings``:

* the read: ``SyncReads.many`` (the read model's grouped misses, one JSON row per
  statement), ``--group`` ids per statement;
* the write: the stream UPDATE as one ``UPDATE … FROM VALUES`` per batch of
  ``--group`` (the writer's group commit), then COMMIT;
* a PASSIVE checkpoint on a third connection every 50 ms (``Store._checkpoints``).

Compare its difference (large minus 1) with the server's CPU per request at 1 meeting
from ``scale.py`` in the same session: a ratio of 0.8 leaves the large database
0.25x the 1-meeting CPU to spend, for everything.

    .venv/bin/python bench/sqlite_floor.py --meetings 1000000 --patches 20000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from zoomlive.server.storage import schema as t
from zoomlive.server.storage.readmodel import SyncReads
from zoomlive.server.storage.records import Meeting
from zoomlive.server.storage.streams_sqlite import UPDATE

BASE_ID = 20_000_000_000


def build(path: Path, n: int) -> None:
    """The server's schema and pragmas, with ``n`` meetings (one statement)."""
    engine = sa.create_engine(f"sqlite:///{path}")
    t.metadata.create_all(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
        "INSERT INTO zl_meetings (id, kind, uuid, account_id, host_id, topic, status, "
        "start_time, stream_url, stream_key, page_url, configured, stream_live, e2ee, "
        "type, timezone, duration) "
        f"SELECT {BASE_ID} + x, 'meeting', 'u' || x, 'acct', 'host', 'floor', 'waiting', "
        "'2026-01-01T00:00:00Z', '', '', '', 0, 0, 0, 2, 'UTC', 60 FROM c",
        (n,),
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def run(path: Path, n: int, patches: int, group: int) -> dict[str, float]:
    writer = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "wal_autocheckpoint=0"):
        writer.execute(f"PRAGMA {pragma}")
    checkpointer = sqlite3.connect(path, isolation_level=None)
    reads = SyncReads(path)
    rnd = random.Random(7)
    spent = {"read": 0.0, "write": 0.0, "checkpoint": 0.0}
    last_checkpoint = time.monotonic()
    for b in range(patches // group):
        ids = [BASE_ID + rnd.randint(1, n) for _ in range(group)]
        c0 = time.process_time()
        found = reads.many(Meeting, t.meetings, ids)
        c1 = time.process_time()
        rows = [
            ("rtmp://x/live", f"k{b}-{i}", "https://x/p", "720p", True, m)
            for i, m in enumerate(ids)
        ]
        writer.execute("BEGIN")
        if group == 1:
            writer.execute(UPDATE.sql, rows[0])
        else:
            assert UPDATE.many is not None
            writer.execute(*UPDATE.many(rows))
        writer.execute("COMMIT")
        c2 = time.process_time()
        spent["read"] += c1 - c0
        spent["write"] += c2 - c1
        if time.monotonic() - last_checkpoint >= 0.05:
            last_checkpoint = time.monotonic()
            checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            spent["checkpoint"] += time.process_time() - c2
        assert len(found) == len(set(ids))
    reads.close()
    writer.close()
    checkpointer.close()
    done = patches // group * group
    return {k: v / done * 1e6 for k, v in spent.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--meetings", type=int, default=1_000_000)
    ap.add_argument("--patches", type=int, default=20_000)
    ap.add_argument("--group", type=int, default=20, help="ids per read and per write batch")
    args = ap.parse_args()
    print(
        f"SQLite {sqlite3.sqlite_version}; {args.patches:,} random-id PATCHes, "
        f"groups of {args.group}"
    )
    print("| meetings | read | write + commit | checkpoint | total CPU per PATCH |")
    print("|---|---|---|---|---|")
    totals = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1, args.meetings):
            path = Path(tmp) / f"floor-{n}.db"
            build(path, n)
            r = run(path, n, args.patches, args.group)
            totals[n] = sum(r.values())
            print(
                f"| {n:,} | {r['read']:.1f} µs | {r['write']:.1f} µs | {r['checkpoint']:.1f} µs "
                f"| {totals[n]:.1f} µs |"
            )
    extra = totals[args.meetings] - totals[1]
    print(f"\nSQLite's extra CPU per PATCH at {args.meetings:,}: {extra:.1f} µs")


if __name__ == "__main__":
    main()

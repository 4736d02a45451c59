"""The writer's pause to restart the WAL, with and without the database file flushed
beside it (``FileSync``), outside the server.

SQLite starts the WAL over only once a checkpoint has copied every frame back, and it
syncs the database file only when a checkpoint reaches the WAL's end. Under constant
writes the background checkpoints never do; the writer does, between two batches
(``restart_wal``), and that checkpoint then flushed every page the background had
copied since the last restart. This runs the server's arrangement on two threads with
the server's statements and settings: a writer (batches of ``--group`` random-id
stream UPDATEs as one ``UPDATE … FROM VALUES``, autocommit, one every ~2.5 ms as the
event loop's hop spaces them), a background PASSIVE checkpoint every 50 ms, and, when
the WAL holds ``WAL_RESTART_FRAMES``, one more background checkpoint at once and then
the writer's own PASSIVE checkpoint. It prints
that pause (median and max) and the writer's batches per second, with the background
flushing the database file after each checkpoint and without.

    .venv/bin/python bench/wal_restart.py --meetings 1000000 --seconds 8
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlite_floor import BASE_ID, build
from zoomlive.server.storage.engine import WAL_LIMIT_BYTES, WAL_RESTART_FRAMES
from zoomlive.server.storage.streams_sqlite import UPDATE


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in (
        "journal_mode=WAL", "synchronous=NORMAL", "wal_autocheckpoint=0",
        "busy_timeout=10000", f"journal_size_limit={WAL_LIMIT_BYTES}",
    ):  # fmt: skip
        conn.execute(f"PRAGMA {pragma}")
    return conn


def run(path: Path, n: int, seconds: float, group: int, flush: bool) -> dict[str, float]:
    writer, background = _connect(path), _connect(path)
    db_fd = os.open(path, os.O_RDONLY)
    asked, answered = threading.Event(), threading.Event()
    pauses: list[float] = []
    batches = 0
    stop = time.monotonic() + seconds
    assert UPDATE.many is not None

    def write() -> None:
        nonlocal batches
        rnd = random.Random(7)
        while time.monotonic() < stop:
            rows = [
                ("rtmp://x/live", f"k{batches}", "https://x/p", "720p", True,
                 BASE_ID + rnd.randint(1, n))
                for _ in range(group)
            ]  # fmt: skip
            writer.execute(*UPDATE.many(rows))
            batches += 1
            if asked.is_set():
                asked.clear()
                t0 = time.perf_counter()
                writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                pauses.append(time.perf_counter() - t0)
                answered.set()
            time.sleep(0.0025)

    def checkpoints() -> None:
        while time.monotonic() < stop:
            time.sleep(0.05)
            ((_, frames, _),) = background.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            if flush:
                os.fdatasync(db_fd)
            if frames >= WAL_RESTART_FRAMES:
                # Once more at once, so the writer has only what came in meanwhile.
                background.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if flush:
                    os.fdatasync(db_fd)
                answered.clear()
                asked.set()
                answered.wait(1)

    threads = [threading.Thread(target=write), threading.Thread(target=checkpoints)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    os.close(db_fd)
    writer.close()
    background.close()
    return {
        "restarts": len(pauses),
        "pause_median_ms": round(statistics.median(pauses) * 1e3, 1) if pauses else 0.0,
        "pause_max_ms": round(max(pauses) * 1e3, 1) if pauses else 0.0,
        "batches_per_s": round(batches / seconds),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--meetings", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--group", type=int, default=32)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.db"
        build(base, args.meetings)
        print(f"{args.meetings:,} meetings, batches of {args.group}, {args.seconds:g} s each")
        print("| database file flushed after each background checkpoint | restarts "
              "| writer's pause: median | max | batches/s |")  # fmt: skip
        print("|---|---|---|---|---|")
        for flush in (False, True, False, True):
            path = Path(tmp) / "run.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            path.write_bytes(base.read_bytes())
            r = run(path, args.meetings, args.seconds, args.group, flush)
            print(f"| {'yes' if flush else 'no'} | {r['restarts']} | "
                  f"{r['pause_median_ms']} ms | {r['pause_max_ms']} ms | "
                  f"{r['batches_per_s']:,} |")  # fmt: skip


if __name__ == "__main__":
    main()

"""A dashboard live stream cut by the browser mid-look gives its database connection
back: the server, run with every warning shown, logs no connection the garbage
collector had to drop and no task destroyed while pending."""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.support import ADMIN_TOKEN, ServerProcess

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
#: The overview's page (it watches the counts) with the most meetings a page tracks.
IDS = ",".join(str(68423085 + i) for i in range(200))


def _cut_streams(base: str, seed: int, until: float, cuts: list[int]) -> None:
    """Open streams and drop each after a few chunks, at a random point of a look."""
    rnd = random.Random(seed)
    while time.monotonic() < until:
        with httpx.Client(timeout=10) as client:
            url = f"{base}/_zoomlive/ui/live?watch=overview&journal=1&ids={IDS}"
            with client.stream("GET", url, headers=HEADERS) as r:
                assert r.status_code == 200
                chunks = r.iter_raw()
                for _ in range(rnd.randint(1, 6)):
                    next(chunks)
                time.sleep(rnd.random() * 0.2)
        cuts.append(1)


def _write(base: str, until: float) -> None:
    """Commits meanwhile, so each look reads the database (not what it read before)."""
    with httpx.Client(timeout=10) as client:
        n = 0
        while time.monotonic() < until:
            n += 1
            r = client.patch(f"{base}/_zoomlive/meetings/68423085", json={"topic": f"t{n}"},
                             headers=HEADERS)  # fmt: skip
            assert r.status_code == 200, r.text


def test_a_stream_cut_mid_look_leaks_no_connection() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PYTHONWARNINGS": "always", "ZOOMLIVE_RATE_LIMITS": "0"}
        srv = ServerProcess(str(Path(tmp) / "cut.db"), env=env).start()
        cuts: list[int] = []
        try:
            until = time.monotonic() + 8
            threads = [threading.Thread(target=_write, args=(srv.base_url, until))] + [
                threading.Thread(target=_cut_streams, args=(srv.base_url, i, until, cuts))
                for i in range(4)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            # Still serving, and what the streams read is all given back.
            assert httpx.get(f"{srv.base_url}/_zoomlive/health").status_code == 200
        finally:
            srv.stop()
        log = srv.output()
        assert len(cuts) >= 20, len(cuts)
        assert "non-checked-in connection" not in log, log[-3000:]
        assert "Task was destroyed but it is pending" not in log, log[-3000:]
        assert "Traceback" not in log, log[-3000:]

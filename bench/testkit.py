"""Test-kit speed: a fresh emulator per test, and an in-process GET through the client.

Measures what the ``zoom`` fixture does before each test (``Zoom.reset()``: wipe and
re-seed, clear faults, journal, clock and rate counters) and one
``client.meetings.livestream.get`` over the in-process transport. Baselines in the
same run: a bare ``httpx.Client`` call through an ``httpx.MockTransport`` (the
floor for any in-process HTTP call) and an empty function call.

    .venv/bin/python bench/testkit.py [--n 500]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import httpx

from zoomlive.testing import start_emulator


def timed(fn: Callable[[], object], n: int) -> dict[str, float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 4),
        "p90_ms": round(samples[int(len(samples) * 0.9)], 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    n = ap.parse_args().n

    t0 = time.perf_counter()
    server, zoom = start_emulator()
    startup_ms = (time.perf_counter() - t0) * 1000
    try:
        fresh = timed(zoom.reset, n)
        zoom.reset()
        # Zoom's Pro limit is 30/s; lift it for a tight loop of GETs.
        zoom.update_account(rate_limit_qps=1_000_000)
        with zoom.client() as client:
            client.meetings.livestream.get(zoom.meeting_id)  # token and warm-up
            get = timed(lambda: client.meetings.livestream.get(zoom.meeting_id), n)
    finally:
        zoom.close()
        server.stop()

    mock = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})))
    floor = timed(lambda: mock.get("http://x/y"), n)
    mock.close()
    print(json.dumps({
        "n": n,
        "emulator_start_ms": round(startup_ms, 1),
        "fresh_emulator_per_test": fresh,
        "in_process_get_livestream": get,
        "baseline_httpx_mock_transport_get": floor,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()

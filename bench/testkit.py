"""Test-kit speed: a fresh emulator per test, and an in-process GET through the client.

Measures what the ``zoom`` fixture does before each test (``Zoom.reset()``: wipe and
re-seed, clear faults, journal, clock and rate counters) and one
``client.meetings.livestream.get`` over the in-process transport (the account's
per-second limit lifted for the loop). Baselines in the same run: a bare
``httpx.Client`` call through an ``httpx.MockTransport`` (the floor for any in-process
HTTP call), and the same two measurements with the emulator's event loop on plain
asyncio instead of uvloop (the kit's choice; ``--no-asyncio`` skips it).

    .venv/bin/python bench/testkit.py [--n 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx

import zoomlive.testing.runner as runner
from zoomlive.testing import start_emulator


def timed(fn: Callable[[], object], n: int) -> dict[str, float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p90_ms": round(samples[int(len(samples) * 0.9)], 3),
    }


def measure(n: int) -> dict[str, Any]:
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
    return {
        "emulator_start_ms": round(startup_ms, 1),
        "fresh_emulator_per_test": fresh,
        "in_process_get_livestream": get,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--no-asyncio", dest="asyncio", action="store_false")
    args = ap.parse_args()
    n = args.n

    report: dict[str, Any] = {"n": n, **measure(n)}
    mock = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})))
    report["baseline_httpx_mock_transport_get"] = timed(lambda: mock.get("http://x/y"), n)
    mock.close()
    if args.asyncio:
        # Benchmark-only: the kit's loop factory swapped for asyncio's own.
        uvloop_factory = runner._new_loop
        runner._new_loop = asyncio.new_event_loop
        try:
            report["baseline_on_asyncio_loop"] = measure(n)
        finally:
            runner._new_loop = uvloop_factory
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

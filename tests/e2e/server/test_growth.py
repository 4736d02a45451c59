"""Memory stays bounded: 100,000 tokens minted and expired leave RSS where it was.

Minted through the real token endpoint, on the test kit's in-process server (the
whole ASGI app, without sockets: over HTTP on two cores 100,000 tokens take about a
minute each way). RSS is the process's own. The first cycle grows the allocator's
arenas, which it keeps and reuses (CPython does not hand back an arena while any
object in it lives), so the comparison is between the end of a first cycle and the
end of a second: without the purge, the second adds every token again.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import time
from collections.abc import Iterator

import httpx
import psutil  # type: ignore[import-untyped]
import pytest

from tests.support import ADMIN_TOKEN, DEMO_ACCOUNT, DEMO_CLIENT, DEMO_SECRET
from zoomlive.testing.runner import IN_PROCESS_URL, InProcessServer

TOKENS = 100_000
MiB = 1024 * 1024


@pytest.fixture
def server() -> Iterator[InProcessServer]:
    srv = InProcessServer(
        rate_limits=False,
        admin_token=ADMIN_TOKEN,
        demo_account_id=DEMO_ACCOUNT,
        demo_client_id=DEMO_CLIENT,
        demo_client_secret=DEMO_SECRET,
    ).start()
    yield srv
    srv.stop()


def admin(server: InProcessServer, method: str, path: str, json: object = None) -> httpx.Response:
    request = httpx.Request(method, f"{IN_PROCESS_URL}/_zoomlive{path}", json=json,
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
    request.read()
    response = server._loop.run(server.call(request))
    assert response.status_code == 200, response.text
    return response


def mint(server: InProcessServer, n: int, workers: int = 32) -> None:
    basic = base64.b64encode(f"{DEMO_CLIENT}:{DEMO_SECRET}".encode()).decode()
    request = httpx.Request(
        "POST",
        f"{IN_PROCESS_URL}/oauth/token",
        params={"grant_type": "account_credentials", "account_id": DEMO_ACCOUNT},
        headers={"Authorization": f"Basic {basic}"},
    )
    request.read()

    async def worker(count: int) -> None:
        for _ in range(count):
            r = await server.call(request)
            assert r.status_code == 200, r.text

    async def run() -> None:
        shares = [n // workers + (i < n % workers) for i in range(workers)]
        await asyncio.gather(*(worker(k) for k in shares))

    server._loop.run(run(), timeout=300)


def in_memory(server: InProcessServer) -> int:
    # Read from the runtime, not GET /stats: that also counts the tokens table, and
    # SQLite's page caches filling from those scans would blur the figure.
    return int(server.runtime.store.tokens_in_memory())


def expire_and_purge(server: InProcessServer) -> None:
    admin(server, "POST", "/clock", {"advance": 3601})  # past the 1-hour lifetime
    deadline = time.monotonic() + 30
    while in_memory(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert in_memory(server) == 0


def rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


@pytest.mark.slow
def test_100k_expired_tokens_leave_memory(server: InProcessServer) -> None:
    start = rss()
    mint(server, TOKENS)
    # The read model keeps the most recently used tokens only.
    assert in_memory(server) == server.runtime.settings.read_cache_size
    expire_and_purge(server)
    after_first = rss()

    mint(server, TOKENS)
    peak = rss()
    assert in_memory(server) == server.runtime.settings.read_cache_size
    expire_and_purge(server)
    after_second = rss()
    figures = ", ".join(
        f"{k} {v / MiB:.1f} MiB"
        for k, v in (("start", start), ("after 1st", after_first), ("2nd peak", peak),
                     ("after 2nd", after_second))
    )  # fmt: skip
    print(figures)
    assert after_second - after_first < 10 * MiB, figures
    # Expired tokens still answer as expired (from the database) until retention.
    assert admin(server, "GET", f"/apps/{DEMO_CLIENT}/tokens").json()["issued"] == 2 * TOKENS

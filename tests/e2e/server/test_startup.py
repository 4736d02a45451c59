"""Start-up that many processes can share: migrations and the demo seed run under a
PostgreSQL advisory lock, and the seed is one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support import (
    DEMO_ACCOUNT,
    DEMO_CLIENT,
    Api,
    ServerProcess,
    fresh_pg_database,
    pg_execute,
    service_url,
)


@pytest.fixture
def fresh_db() -> Iterator[str]:
    with fresh_pg_database(service_url("ZOOMLIVE_TEST_POSTGRES_URL")) as url:
        yield url


def _serves(srv: ServerProcess) -> None:
    with httpx.Client(timeout=30) as http:
        api = Api(srv.base_url, http)
        token = api.token()
        r = api.call("GET", "/meetings/68423085/livestream", token)
        assert r.status_code == 200, r.text


def _demo_accounts(url: str) -> int:
    (rows,) = pg_execute(url, f"SELECT count(*) FROM zl_accounts WHERE id = '{DEMO_ACCOUNT}'")
    return int(rows[0][0])


def test_four_processes_start_together_on_a_fresh_database(fresh_db: str) -> None:
    servers = [ServerProcess(fresh_db) for _ in range(4)]
    with contextlib.ExitStack() as stack:
        # All four launched before waiting on any, so their start-ups overlap.
        for srv in servers:
            stack.callback(srv.stop)
            srv.launch()
        for srv in servers:
            # Four start-ups at once on a loaded 2-core machine: 120 s each, as the
            # workers' start-up test allows (it was 60). A start-up that waits forever
            # on another's lock still fails, and one that dies fails at once.
            srv.wait_ready(120)
            _serves(srv)
        (counts,) = pg_execute(
            fresh_db,
            "SELECT (SELECT count(*) FROM zl_accounts), (SELECT count(*) FROM zl_apps),"
            " (SELECT count(*) FROM zl_meetings), (SELECT count(*) FROM zl_meta"
            " WHERE key = 'demo_seeded')",
        )
        assert tuple(counts[0]) == (1, 1, 3, 1)  # one demo: account, app, 3 meetings
        assert _demo_accounts(fresh_db) == 1


def test_a_crash_inside_the_seed_does_not_block_the_next_start(fresh_db: str) -> None:
    # The schema first, without the demo.
    bare = ServerProcess(fresh_db, env={"ZOOMLIVE_DEMO": "0"}).start()
    bare.stop()
    assert _demo_accounts(fresh_db) == 0

    import asyncpg

    async def scenario() -> None:
        # Hold the seed's last write (its marker) in an open transaction, so the next
        # server stops inside its seed transaction, after its other inserts.
        blocker = await asyncpg.connect(fresh_db)
        # pg_stat_activity is a snapshot inside a transaction: watch from another one.
        watcher = await asyncpg.connect(fresh_db)
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("INSERT INTO zl_meta (key, value) VALUES ('demo_seeded', 'x')")
        victim = ServerProcess(fresh_db).launch()
        proc = victim.proc
        assert proc is not None
        try:
            deadline = time.monotonic() + 30
            while True:  # the explicit signal: its INSERT waits on our row lock
                waiting = await watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query ILIKE '%zl_meta%'"
                )
                if waiting:
                    break
                assert time.monotonic() < deadline, victim.output()
                assert proc.poll() is None, victim.output()
                await asyncio.sleep(0.05)
            proc.kill()  # SIGKILL inside the seed transaction
            proc.wait(10)
        finally:
            await tx.rollback()
            await blocker.close()
            await watcher.close()

    asyncio.run(scenario())
    assert _demo_accounts(fresh_db) == 0  # nothing of the dead seed was committed
    srv = ServerProcess(fresh_db).start(timeout=60)
    try:
        _serves(srv)
        assert _demo_accounts(fresh_db) == 1
        with httpx.Client(timeout=10) as http:
            apps = (
                Api(srv.base_url, http)
                .admin("GET", f"/accounts/{DEMO_ACCOUNT}/apps")
                .json()["apps"]
            )
        assert [a["client_id"] for a in apps] == [DEMO_CLIENT]
    finally:
        srv.stop()

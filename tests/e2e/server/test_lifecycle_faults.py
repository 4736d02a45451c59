"""The meeting lifecycle under races and failures: a start or an end is one
compare-and-set with its events in the same transaction (README, Concurrency), so
two processes racing change the state once and queue each event once, and a
PostgreSQL that fails mid-transition leaves neither the state change nor its event.

Real ``zoomlive serve`` processes over real HTTP on a PostgreSQL database of their
own. The failure is put exactly where it hurts: the test holds the meeting's row (or,
for the bulk create, one key of the batch) in its own open transaction, waits until
pg_stat_activity shows the server's statement waiting on that lock (the explicit
signal), then ends the server's backend (``pg_terminate_backend``) or cuts every
connection at a TCP proxy. Outcomes are read from the database itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from tests.server.proxy import Mode, TcpProxy, proxy_to
from tests.server.webhooks.receiver import Receiver
from tests.support import (
    ADMIN_TOKEN,
    Api,
    ServerProcess,
    fresh_pg_database,
    pg_execute,
    service_url,
)
from zoomlive.wire import webhooks as wh

SECRET = "lifecycle-faults-secret"
STREAM = {"stream_url": "rtmp://live.example.com/app", "stream_key": "lf-key",
          "page_url": "https://example.com/watch"}  # fmt: skip
UI = "/_zoomlive/ui"
LIFECYCLE = ("meeting.started", "meeting.ended", wh.LIVE_STREAMING_STARTED,
             wh.LIVE_STREAMING_STOPPED)  # fmt: skip


def _subscribe_all(api: Api, url: str) -> None:
    sub = api.admin("PUT", f"/apps/{_demo_client(api)}/subscription",
                    {"url": url, "secret_token": SECRET,
                     "events": list(wh.ALL_EVENTS)}).json()  # fmt: skip
    assert sub["enabled"] is True, sub


def _demo_client(api: Api) -> str:
    return str(api.admin("GET", "/demo").json()["client_id"])


def _meeting_events(db: str, meeting_id: int) -> list[str]:
    """The meeting's queued lifecycle and stream events, in the order they were
    committed (read from the outbox table itself)."""
    (rows,) = pg_execute(db, "SELECT event, body FROM zl_outbox ORDER BY id")
    out = []
    for event, body in rows:
        if event in LIFECYCLE and int(json.loads(body)["payload"]["object"]["id"]) == meeting_id:
            out.append(str(event))
    return out


def _settled(db: str, within: float = 30.0) -> None:
    """Wait until no event is pending (the receiver has seen a request before the
    server records its answer, so every delivered one has been received)."""
    deadline = time.monotonic() + within
    while pg_execute(db, "SELECT count(*) FROM zl_outbox WHERE status = 'pending'")[0][0][0]:
        assert time.monotonic() < deadline, "events still pending"
        time.sleep(0.05)


def _row(db: str, meeting_id: int) -> tuple[str, bool]:
    (rows,) = pg_execute(db, f"SELECT status, stream_live FROM zl_meetings WHERE id = {meeting_id}")
    return str(rows[0][0]), bool(rows[0][1])


def _started_and_live(api: Api, token: str) -> int:
    """A new meeting, its stream configured; started, and its stream live."""
    host = api.admin("GET", "/meetings/68423085").json()["host_id"]
    mid = int(api.new_meeting(host)["id"])
    r = api.call("PATCH", f"/meetings/{mid}/livestream", token, json=STREAM)
    assert r.status_code == 204, r.text
    api.admin("POST", f"/meetings/{mid}/start")
    r = api.call("PATCH", f"/meetings/{mid}/livestream/status", token, json={"action": "start"})
    assert r.status_code == 204, r.text
    return mid


# -- two processes racing ----------------------------------------------------------------


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[str, list[Api]]]:
    """Two server processes on one fresh PostgreSQL database."""
    with (
        fresh_pg_database(service_url("ZOOMLIVE_TEST_POSTGRES_URL")) as url,
        httpx.Client(timeout=30) as http,
    ):
        servers = [ServerProcess(url, env={"ZOOMLIVE_RATE_LIMITS": "0"}).launch() for _ in range(2)]
        try:
            for s in servers:
                s.wait_ready(120)
            yield url, [Api(s.base_url, http) for s in servers]
        finally:
            for s in servers:
                s.stop()


async def _race(servers: list[Api], token: str, mid: int, action: str, n: int) -> list[int]:
    """``n`` starts or ends of one meeting at once, spread over the servers and, for
    ends, over both doors (the API's ``PUT …/status`` and the control API)."""
    async with httpx.AsyncClient(timeout=60) as http:

        async def one(i: int) -> int:
            base = servers[i % len(servers)].base_url
            if action == "end" and i % 4 < 2:
                r = await http.put(f"{base}/v2/meetings/{mid}/status", json={"action": "end"},
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                return r.status_code
            r = await http.post(f"{base}/_zoomlive/meetings/{mid}/{action}",
                                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
            return r.status_code

        return list(await asyncio.gather(*(one(i) for i in range(n))))


def test_racing_starts_and_ends_on_two_processes_change_the_state_once_each(
    pair: tuple[str, list[Api]],
) -> None:
    """5 rounds: 20 starts at once over both processes, the stream started, 20 ends at
    once over both processes and both doors. Each round queues exactly one
    ``meeting.started``, one ``meeting.live_streaming_stopped`` and one
    ``meeting.ended``, and the receiver gets each once."""
    db, servers = pair
    api = servers[0]
    api.admin("POST", "/reset", {"demo": True})
    receiver = Receiver(SECRET)
    try:
        _subscribe_all(api, receiver.url)
        token = api.token()
        mid = _started_and_live(api, token)
        expected = ["meeting.started", wh.LIVE_STREAMING_STARTED]
        rounds = 5
        for n in range(rounds):
            if n:  # round 0's start is the setup's
                assert asyncio.run(_race(servers, token, mid, "start", 20)) == [200] * 20
                assert _row(db, mid) == ("started", False)
                r = api.call("PATCH", f"/meetings/{mid}/livestream/status", token,
                             json={"action": "start"})  # fmt: skip
                assert r.status_code == 204, r.text
                expected += ["meeting.started", wh.LIVE_STREAMING_STARTED]
            assert _meeting_events(db, mid) == expected, n
            statuses = asyncio.run(_race(servers, token, mid, "end", 20))
            assert sorted(statuses) == [200] * 10 + [204] * 10, statuses
            assert _row(db, mid) == ("ended", False)
            # The stream's stop first, then the end: one transaction, one caller.
            expected += [wh.LIVE_STREAMING_STOPPED, "meeting.ended"]
            assert _meeting_events(db, mid) == expected, n
        _settled(db)
        delivered = [g for g in receiver.events() if g.event in LIFECYCLE]
        assert Counter(g.event for g in delivered) == Counter(expected)
        assert len({g.headers[wh.HEADER_REQUEST_ID] for g in delivered}) == len(expected)
    finally:
        receiver.close()


async def _mixed(servers: list[Api], token: str, mid: int, actions: list[str]) -> list[int]:
    """Starts (the control API) and ends (the API) of one meeting at once, spread over
    the servers."""
    async with httpx.AsyncClient(timeout=60) as http:

        async def one(i: int, action: str) -> int:
            base = servers[i % len(servers)].base_url
            if action == "end":
                r = await http.put(f"{base}/v2/meetings/{mid}/status", json={"action": "end"},
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            else:
                r = await http.post(f"{base}/_zoomlive/meetings/{mid}/start",
                                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
            return r.status_code

        return list(await asyncio.gather(*(one(i, a) for i, a in enumerate(actions))))


def test_random_concurrent_starts_and_ends_on_two_processes_queue_alternating_events(
    pair: tuple[str, list[Api]],
) -> None:
    """40 rounds of 2 to 6 starts and ends at once over both processes: the queued
    events alternate (no event repeats the state before it), and after every round
    the stored status is the one the last event reports."""
    import random

    db, servers = pair
    api = servers[0]
    api.admin("POST", "/reset", {"demo": True})
    receiver = Receiver(SECRET)
    try:
        _subscribe_all(api, receiver.url)
        token = api.token()
        host = api.admin("GET", "/meetings/68423085").json()["host_id"]
        mid = int(api.new_meeting(host)["id"])
        rng = random.Random(5)
        changes = 0
        previous = "waiting"
        for n in range(40):
            actions = [rng.choice(["start", "end"]) for _ in range(rng.randint(2, 6))]
            statuses = asyncio.run(_mixed(servers, token, mid, actions))
            assert statuses == [200 if a == "start" else 204 for a in actions], (n, statuses)
            queued = _meeting_events(db, mid)
            pairs = len(queued) // 2
            alternating = ["meeting.started", "meeting.ended"] * pairs
            assert queued == alternating + ["meeting.started"] * (len(queued) % 2), (n, queued)
            status, _ = _row(db, mid)
            want = "started" if len(queued) % 2 else ("ended" if queued else "waiting")
            assert status == want, (n, actions, status, queued)
            changes += status != previous
            previous = status
        assert changes > 3  # the rounds did move the state back and forth (11 in 60 seen)
    finally:
        receiver.close()


def test_a_process_killed_inside_an_end_leaves_it_to_the_other_process() -> None:
    """SIGKILL while its end waits inside the transaction: nothing of it commits (the
    meeting still started, no event), and the other process's end then ends the
    meeting with each event once."""
    with fresh_pg_database(service_url("ZOOMLIVE_TEST_POSTGRES_URL")) as db:
        env = {"ZOOMLIVE_RATE_LIMITS": "0"}
        a, b = (ServerProcess(db, env=env).launch() for _ in range(2))
        receiver = Receiver(SECRET)
        try:
            for s in (a, b):
                s.wait_ready(120)
            with httpx.Client(timeout=30) as http:
                api_a, api_b = Api(a.base_url, http), Api(b.base_url, http)
                api_a.admin("POST", "/reset", {"demo": True})
                _subscribe_all(api_a, receiver.url)
                token = api_a.token()
                mid = _started_and_live(api_a, token)
                before = _meeting_events(db, mid)
                assert before == ["meeting.started", wh.LIVE_STREAMING_STARTED]

                async def kill_inside() -> None:
                    blocker = await asyncpg.connect(db)
                    watcher = await asyncpg.connect(db)
                    tx = blocker.transaction()
                    await tx.start()
                    try:
                        await blocker.execute(_row_lock(mid))
                        async with httpx.AsyncClient(timeout=60) as client:
                            doomed = asyncio.create_task(client.put(
                                f"{a.base_url}/v2/meetings/{mid}/status", json={"action": "end"},
                                headers={"Authorization": f"Bearer {token}"}))  # fmt: skip
                            deadline = time.monotonic() + 60
                            while not await watcher.fetchval(
                                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type ="
                                " 'Lock' AND datname = current_database() AND query ILIKE"
                                f" '{LOCKS_MEETING}%'"
                            ):
                                assert time.monotonic() < deadline and not doomed.done()
                                await asyncio.sleep(0.01)
                            a.kill()  # SIGKILL, inside the end's transaction
                            with contextlib.suppress(httpx.HTTPError):
                                await doomed
                    finally:
                        await tx.rollback()
                        await blocker.close()
                        await watcher.close()

                asyncio.run(kill_inside())
                assert _row(db, mid) == ("started", True)
                assert _meeting_events(db, mid) == before
                r = api_b.call("PUT", f"/meetings/{mid}/status", token, json={"action": "end"})
                assert r.status_code == 204, r.text
                assert _row(db, mid) == ("ended", False)
                assert _meeting_events(db, mid) == [
                    *before,
                    wh.LIVE_STREAMING_STOPPED,
                    "meeting.ended",
                ]
        finally:
            receiver.close()
            for s in (a, b):
                s.stop()


# -- PostgreSQL failing mid-transition ---------------------------------------------------


@dataclass
class Broken:
    """A server on a fresh database, reached through a proxy the test can cut."""

    db: str
    proxy: TcpProxy
    server: ServerProcess
    api: Api


@pytest.fixture(scope="module")
def broken() -> Iterator[Broken]:
    base = service_url("ZOOMLIVE_TEST_POSTGRES_URL")
    with fresh_pg_database(base) as db:
        real = urlsplit(db)
        with proxy_to(real.hostname or "", real.port or 5432) as p:
            user = f"{real.username}@" if real.username else ""
            url = urlunsplit(real._replace(netloc=f"{user}127.0.0.1:{p.port}"))
            srv = ServerProcess(url, env={"ZOOMLIVE_RATE_LIMITS": "0"}).start(120)
            try:
                with httpx.Client(timeout=30) as http:
                    yield Broken(db, p, srv, Api(srv.base_url, http))
            finally:
                srv.stop()


@pytest.fixture
def fresh(broken: Broken) -> Iterator[Broken]:
    broken.proxy.set_mode("forward")
    _wait_ok(broken.api)
    broken.api.admin("POST", "/reset", {"demo": True})
    yield broken
    broken.proxy.set_mode("forward")


def _wait_ok(api: Api, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while True:
        r = api.http.get(f"{api.base_url}/_zoomlive/health", timeout=10)
        if r.status_code == 200 and r.json()["dependencies"]["database"] == "ok":
            return
        assert time.monotonic() < deadline, r.text
        time.sleep(0.05)


def _zoom_503(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.headers.get("x-zm-trackingid"), r.headers
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body: dict[str, Any] = r.json()
    assert set(body) == {"code", "message"} and isinstance(body["code"], int), body
    assert "Traceback" not in r.text
    return body


async def _fail_while_blocked(
    b: Broken,
    lock_sql: str,
    waiting_on: str,
    request: Callable[[httpx.AsyncClient], Coroutine[Any, Any, httpx.Response]],
    how: str,
    release_after: int | None = None,
) -> httpx.Response:
    """Hold a lock (``lock_sql``, in an open transaction on a direct connection), send
    ``request``, and once the server's statement (``waiting_on``, a prefix of its SQL)
    waits on that lock, make PostgreSQL fail under it: ``terminate`` ends each backend
    that waits (the server retries once on a fresh connection, which waits again);
    ``unreachable`` cuts every connection at the proxy. ``release_after``: roll the lock
    back once that many backends were terminated (so the retry goes through)."""
    blocker = await asyncpg.connect(b.db)
    watcher = await asyncpg.connect(b.db)  # pg_stat_activity outside the blocker's snapshot
    tx = blocker.transaction()
    await tx.start()
    released = False
    try:
        await blocker.execute(lock_sql)
        waiters = (
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> $1 AND query ILIKE $2"
        )
        async with httpx.AsyncClient(timeout=60) as http:
            task = asyncio.create_task(request(http))
            killed: set[int] = set()
            deadline = time.monotonic() + 60
            while not task.done():
                assert time.monotonic() < deadline, "the server's statement never waited"
                pids = await watcher.fetch(waiters, blocker.get_server_pid(), waiting_on + "%")
                fresh = [p["pid"] for p in pids if p["pid"] not in killed]
                if fresh and how == "unreachable" and b.proxy.mode == "forward":
                    b.proxy.set_mode("drop")
                elif fresh and how == "terminate" and not released:
                    if release_after is not None and len(killed) >= release_after:
                        await tx.rollback()  # the retry, waiting now, goes through
                        released = True
                    else:
                        for pid in fresh:
                            await watcher.execute("SELECT pg_terminate_backend($1)", pid)
                            killed.add(pid)
                await asyncio.sleep(0.01)
            if how == "terminate":
                assert len(killed) == (release_after or 2), killed  # the try and the retry
            return await task
    finally:
        if not released:
            await tx.rollback()
        await blocker.close()
        await watcher.close()
        b.proxy.set_mode("forward")


#: How the server's state change begins on PostgreSQL: it locks its meeting's row
#: (the writer's ``lock_rows``), so that is the statement that waits on a held lock
#: (an ILIKE pattern).
LOCKS_MEETING = "SELECT zl_meetings.id%FROM zl_meetings%FOR UPDATE"


def _row_lock(mid: int) -> str:
    return f"SELECT 1 FROM zl_meetings WHERE id = {mid} FOR UPDATE"


@pytest.mark.parametrize("how", ["terminate", "unreachable"])
def test_an_end_that_postgresql_fails_is_a_503_with_no_state_change_and_no_event(
    fresh: Broken, how: str
) -> None:
    """``PUT …/status end`` with the database failing under its compare-and-set: a
    Zoom-shaped 503; the meeting still started with its stream live, and neither
    ``live_streaming_stopped`` nor ``meeting.ended`` queued. Once the database is
    back, the same call ends it, with each event queued once."""
    b = fresh
    receiver = Receiver(SECRET)
    try:
        _subscribe_all(b.api, receiver.url)
        token = b.api.token()
        mid = _started_and_live(b.api, token)
        before = _meeting_events(b.db, mid)
        assert before == ["meeting.started", wh.LIVE_STREAMING_STARTED]

        async def end(http: httpx.AsyncClient) -> httpx.Response:
            return await http.put(f"{b.api.base_url}/v2/meetings/{mid}/status",
                                  json={"action": "end"},
                                  headers={"Authorization": f"Bearer {token}"})  # fmt: skip

        r = asyncio.run(_fail_while_blocked(b, _row_lock(mid), LOCKS_MEETING, end, how))
        _zoom_503(r)
        assert _row(b.db, mid) == ("started", True)
        assert _meeting_events(b.db, mid) == before
        _wait_ok(b.api)
        got = b.api.admin("GET", f"/meetings/{mid}").json()
        assert (got["status"], got["stream_live"]) == ("started", True)  # the server agrees
        r = b.api.call("PUT", f"/meetings/{mid}/status", token, json={"action": "end"})
        assert r.status_code == 204, r.text
        assert _row(b.db, mid) == ("ended", False)
        assert _meeting_events(b.db, mid) == [*before, wh.LIVE_STREAMING_STOPPED, "meeting.ended"]
    finally:
        receiver.close()


def test_a_start_whose_first_try_postgresql_fails_is_retried_and_queues_one_event(
    fresh: Broken,
) -> None:
    """The control API's start: its transaction's connection is ended once, the write
    is retried on a fresh connection and goes through: one ``meeting.started``."""
    b = fresh
    receiver = Receiver(SECRET)
    try:
        _subscribe_all(b.api, receiver.url)
        host = b.api.admin("GET", "/meetings/68423085").json()["host_id"]
        mid = int(b.api.new_meeting(host)["id"])

        async def start(http: httpx.AsyncClient) -> httpx.Response:
            return await http.post(f"{b.api.base_url}/_zoomlive/meetings/{mid}/start",
                                   headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip

        r = asyncio.run(_fail_while_blocked(b, _row_lock(mid), LOCKS_MEETING, start,
                                            "terminate", release_after=1))  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "started"
        assert _row(b.db, mid) == ("started", False)
        assert _meeting_events(b.db, mid) == ["meeting.started"]
    finally:
        receiver.close()


def test_a_dashboard_end_that_postgresql_fails_is_an_error_page(fresh: Broken) -> None:
    """A logged-in browser ends a meeting from the dashboard while the database is
    unreachable: a 503 page saying so (HTML, with x-zm-trackingid), no traceback,
    nothing changed; and the same button works once the database is back."""
    b = fresh
    receiver = Receiver(SECRET)
    _subscribe_all(b.api, receiver.url)
    token = b.api.token()
    mid = _started_and_live(b.api, token)
    before = _meeting_events(b.db, mid)
    assert before == ["meeting.started", wh.LIVE_STREAMING_STARTED]

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        base = b.api.base_url
        async with httpx.AsyncClient(base_url=base, timeout=60) as browser:
            r = await browser.post(f"{UI}/login", data={"token": ADMIN_TOKEN})
            assert r.status_code == 303, r.text
            page = await browser.get(f"{UI}/meetings/{mid}")
            found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert found, page.text[:500]
            form = {"csrf_token": found.group(1)}
            html = {"Accept": "text/html,application/xhtml+xml"}

            async def end(_: httpx.AsyncClient) -> httpx.Response:
                return await browser.post(f"{UI}/meetings/{mid}/end", data=form, headers=html)

            failed = await _fail_while_blocked(b, _row_lock(mid), LOCKS_MEETING, end,
                                               "unreachable")  # fmt: skip
            after.extend([await asyncio.to_thread(_row, b.db, mid),
                          await asyncio.to_thread(_meeting_events, b.db, mid)])  # fmt: skip
            await asyncio.to_thread(_wait_ok, b.api)
            ok = await browser.post(f"{UI}/meetings/{mid}/end", data=form, headers=html)
            return failed, ok

    after: list[Any] = []
    try:
        failed, ok = asyncio.run(scenario())
    finally:
        receiver.close()
    assert failed.status_code == 503, (failed.status_code, failed.text[:500])
    assert failed.headers.get("x-zm-trackingid")
    assert failed.headers["content-type"].startswith("text/html"), failed.headers
    assert "Traceback" not in failed.text
    assert "unavailable" in failed.text.lower(), failed.text
    assert after == [("started", True), before]  # nothing changed, nothing queued
    journal = b.api.admin_list(f"/journal?path={UI}/meetings/{mid}/end", "entries")
    assert [e["status"] for e in journal][-2:] == [503, 303], journal
    assert ok.status_code == 303, ok.text
    assert _row(b.db, mid) == ("ended", False)
    assert _meeting_events(b.db, mid) == [*before, wh.LIVE_STREAMING_STOPPED, "meeting.ended"]


# -- the bulk create: all or nothing -----------------------------------------------------

BULK = 2000


@pytest.mark.parametrize(
    ("how", "release_after"), [("terminate", None), ("unreachable", None), ("terminate", 1)]
)
def test_a_bulk_create_that_postgresql_fails_creates_all_or_nothing(
    fresh: Broken, how: str, release_after: int | None
) -> None:
    """2,000 meetings in one array, the batch held on one key past its first 1,000
    rows, then PostgreSQL fails under it: a 503 and not one of them stored, or (the
    retry let through) a 201 and every one stored once. Then the same array succeeds."""
    b = fresh
    host = b.api.admin("GET", "/meetings/68423085").json()["host_id"]
    first = 20_000_000_000 + (time.monotonic_ns() % 1_000_000) * 10_000
    items = [{"id": first + i, "host_id": host, "topic": f"bulk {i}"} for i in range(BULK)]
    held = first + 1500
    (rows,) = pg_execute(b.db, "SELECT id FROM zl_meetings WHERE id <> 68423085 LIMIT 1")
    other = int(rows[0][0])
    # Our transaction moves another meeting onto one of the batch's keys and keeps it
    # open: the server's INSERT waits on that key, its earlier rows already written.
    lock = f"UPDATE zl_meetings SET id = {held} WHERE id = {other}"

    async def bulk(http: httpx.AsyncClient) -> httpx.Response:
        return await http.post(f"{b.api.base_url}/_zoomlive/meetings", json=items,
                               headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip

    r = asyncio.run(
        _fail_while_blocked(b, lock, "INSERT INTO zl_meetings", bulk, how, release_after)
    )
    count = f"SELECT count(*) FROM zl_meetings WHERE id BETWEEN {first} AND {first + BULK - 1}"
    if release_after is None:
        _zoom_503(r)
        assert pg_execute(b.db, count)[0][0][0] == 0
    else:
        assert r.status_code == 201, r.text
        assert r.json() == {"created": BULK, "ids": [i["id"] for i in items]}
        assert pg_execute(b.db, count)[0][0][0] == BULK
    _wait_ok(b.api)
    again = b.api.http.post(f"{b.api.base_url}/_zoomlive/meetings", json=items,
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
    # Back: the array goes through now, or, stored already, is refused whole.
    assert again.status_code == (201 if release_after is None else 409), again.text
    assert pg_execute(b.db, count)[0][0][0] == BULK


# -- Redis failing -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["silent", "drop"])
def test_a_lifecycle_with_redis_failing_counts_locally_and_changes_state_once(
    tmp_path: Path, mode: Mode
) -> None:
    """Redis (the rate-limit counters, the hosts' daily create cap) hung or dropping
    every connection through a whole create, start, end: every answer 2xx, counted in
    the process and saying so, each state change once with its one event; and the
    shared counters again once Redis is back (README, Decision 9: Redis fails soft)."""
    real = urlsplit(service_url("ZOOMLIVE_TEST_REDIS_URL"))
    receiver = Receiver(SECRET)
    with proxy_to(real.hostname or "", real.port or 6379) as p:
        url = urlunsplit(real._replace(netloc=f"127.0.0.1:{p.port}"))
        env = {"ZOOMLIVE_REDIS_URL": url, "ZOOMLIVE_WEBHOOK_RETRY_SCALE": "0.001"}
        srv = ServerProcess(str(tmp_path / "r.db"), env=env).start(120)
        try:
            with httpx.Client(timeout=30) as http:
                api = Api(srv.base_url, http)
                api.admin("POST", "/reset", {"demo": True})
                _subscribe_all(api, receiver.url)
                token = api.token()
                local = "X-Zoomlive-RateLimit"
                assert local not in api.call("GET", "/users/me/meetings", token).headers
                p.set_mode(mode)
                created = api.call("POST", "/users/me/meetings", token, json={"topic": "R"})
                assert created.status_code == 201, created.text
                assert created.headers[local] == "local"
                mid = int(created.json()["id"])
                api.admin("POST", f"/meetings/{mid}/start")
                ends = [api.call("PUT", f"/meetings/{mid}/status", token,
                                 json={"action": "end"}) for _ in range(3)]  # fmt: skip
                assert [(r.status_code, r.headers.get(local)) for r in ends] == [(204, "local")] * 3
                health = http.get(f"{srv.base_url}/_zoomlive/health").json()
                assert health["status"] == "degraded", health
                p.set_mode("forward")
                deadline = time.monotonic() + 15
                while http.get(f"{srv.base_url}/_zoomlive/health").json()["status"] != "ok":
                    assert time.monotonic() < deadline, "Redis never came back"
                    api.call("GET", "/users/me/meetings", token)
                    time.sleep(0.05)
                api.admin("POST", f"/meetings/{mid}/start")
                r = api.call("PUT", f"/meetings/{mid}/status", token, json={"action": "end"})
                assert r.status_code == 204 and local not in r.headers, r.headers
                rows = api.admin_list("/webhooks/events", "events")
                bodies = [(e["id"], e["event"], json.loads(e["body"])) for e in rows]
                mine = [name for _, name, body in sorted(bodies)
                        if int(body["payload"]["object"]["id"]) == mid]  # fmt: skip
                assert mine == ["meeting.created", "meeting.started", "meeting.ended",
                                "meeting.started", "meeting.ended"]  # fmt: skip
                assert api.admin("GET", f"/meetings/{mid}").json()["status"] == "ended"
        finally:
            srv.stop()
            receiver.close()
    assert "Traceback" not in srv.output()


def test_the_dashboards_live_updates_outlast_an_unreachable_database(fresh: Broken) -> None:
    """An open page's event stream while the database is unreachable: it says so
    (``unavailable``), logs no traceback, stays open, says when the database is back
    (``available``) and then carries the meeting's next change."""
    b = fresh
    token = b.api.token()
    mid = _started_and_live(b.api, token)
    before = len(b.server.output().splitlines())
    with httpx.Client(base_url=b.api.base_url, timeout=30) as browser:
        r = browser.post(f"{UI}/login", data={"token": ADMIN_TOKEN})
        assert r.status_code == 303, r.text
        seen: list[str] = []
        with browser.stream("GET", f"{UI}/live", params={"ids": str(mid)}) as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()

            def until(event: str, data: str = "") -> None:
                for line in lines:
                    seen.append(line)
                    if seen[-2:-1] == [f"event: {event}"] and data in line:
                        return
                raise AssertionError(f"the stream ended before {event} {data}: {seen}")

            until("meeting", '"status": "started"')
            b.proxy.set_mode("drop")
            until("unavailable")
            b.proxy.set_mode("forward")
            until("available")
            b.api.admin("POST", f"/meetings/{mid}/end")
            until("meeting", '"status": "ended"')
    new_lines = b.server.output().splitlines()[before:]
    assert not any("Traceback" in line or "Exception" in line for line in new_lines), new_lines


def test_a_dashboard_page_with_the_database_unreachable_is_a_503_page(fresh: Broken) -> None:
    b = fresh
    with httpx.Client(base_url=b.api.base_url, timeout=30) as browser:
        assert browser.post(f"{UI}/login", data={"token": ADMIN_TOKEN}).status_code == 303
        assert browser.get(f"{UI}/meetings").status_code == 200
        b.proxy.set_mode("drop")
        try:
            r = browser.get(f"{UI}/meetings", headers={"Accept": "text/html"})
        finally:
            b.proxy.set_mode("forward")
        assert r.status_code == 503, r.text[:300]
        assert r.headers["content-type"].startswith("text/html"), r.headers
        assert r.headers["retry-after"] == "1" and r.headers.get("x-zm-trackingid")
        assert "Service temporarily unavailable" in r.text and "Traceback" not in r.text
        _wait_ok(b.api)
        assert browser.get(f"{UI}/meetings").status_code == 200

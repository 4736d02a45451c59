"""Concurrency is normal input: transitions are compare-and-set, edits are partial.

Real servers over real HTTP: one process on SQLite, and two processes sharing one
PostgreSQL database. Webhook events are counted in the outbox, which is written in
the same transaction as the state change it reports.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.webhooks.test_webhooks import SECRET, events, subscribe
from tests.server.webhooks.receiver import Receiver
from tests.support import (
    ADMIN_TOKEN,
    DEMO_ACCOUNT,
    DEMO_CLIENT,
    Api,
    ServerProcess,
    fresh_pg_database,
    service_url,
)

MEETING = 68423085
STREAM = {"stream_url": "rtmp://live.example.com/app", "stream_key": "k0",
          "page_url": "https://example.com/watch"}  # fmt: skip
STARTED, STOPPED = "meeting.live_streaming_started", "meeting.live_streaming_stopped"


@pytest.fixture(scope="module", params=["sqlite", "postgres-2"])
def cluster(request: pytest.FixtureRequest) -> Iterator[list[Api]]:
    """The servers under test, sharing one database: 1 on SQLite, 2 on PostgreSQL."""
    env = {"ZOOMLIVE_RATE_LIMITS": "0"}
    with tempfile.TemporaryDirectory() as tmp, httpx.Client(timeout=30) as http:
        if request.param == "sqlite":
            servers = [ServerProcess(str(Path(tmp) / "c.db"), env=env).start()]
            try:
                yield [Api(s.base_url, http) for s in servers]
            finally:
                for s in servers:
                    s.stop()
            return
        with fresh_pg_database(service_url("ZOOMLIVE_TEST_POSTGRES_URL")) as url:
            servers = [ServerProcess(url, env=env).start() for _ in range(2)]
            try:
                yield [Api(s.base_url, http) for s in servers]
            finally:
                for s in servers:
                    s.stop()


@pytest.fixture
def hooked(cluster: list[Api]) -> Iterator[tuple[list[Api], str]]:
    """Fresh demo state, the demo app subscribed to a real receiver, the stream
    configured and stopped; yields the servers and a token."""
    api = cluster[0]
    api.admin("POST", "/reset", {"demo": True})
    receiver = Receiver(SECRET)
    try:
        subscribe(api, receiver.url)
        token = api.token()
        r = api.call("PATCH", f"/meetings/{MEETING}/livestream", token, json=STREAM)
        assert r.status_code == 204, r.text
        assert api.admin("GET", f"/meetings/{MEETING}").json()["stream_live"] is False
        yield cluster, token
    finally:
        receiver.close()


async def _burst(servers: list[Api], token: str, actions: list[str]) -> list[int]:
    """Send the status calls all at once, spread over the servers; their statuses."""
    async with httpx.AsyncClient(timeout=30) as http:

        async def one(i: int, action: str) -> int:
            base = servers[i % len(servers)].base_url
            r = await http.patch(
                f"{base}/v2/meetings/{MEETING}/livestream/status",
                json={"action": action},
                headers={"Authorization": f"Bearer {token}"},
            )
            return r.status_code

        return list(await asyncio.gather(*(one(i, a) for i, a in enumerate(actions))))


def _stream_events(api: Api) -> list[str]:
    """The meeting's live streaming events, in the order they were queued."""
    rows = sorted(events(api), key=lambda e: e["id"])
    return [e["event"] for e in rows if e["event"] in (STARTED, STOPPED)]


def test_20_concurrent_starts_queue_exactly_one_event(hooked: tuple[list[Api], str]) -> None:
    servers, token = hooked
    statuses = asyncio.run(_burst(servers, token, ["start"] * 20))
    assert statuses == [204] * 20  # Zoom's idempotent start: every caller gets 204
    assert _stream_events(servers[0]) == [STARTED]
    for api in servers:
        assert api.admin("GET", f"/meetings/{MEETING}").json()["stream_live"] is True

    statuses = asyncio.run(_burst(servers, token, ["stop"] * 20))
    assert statuses == [204] * 20
    assert _stream_events(servers[0]) == [STARTED, STOPPED]


def test_random_concurrent_start_stop_events_match_transitions(
    hooked: tuple[list[Api], str],
) -> None:
    """200 rounds of concurrent starts and stops: the queued events alternate, and
    after every round their parity is the state the database shows."""
    servers, token = hooked
    rng = random.Random(8)
    live = False
    changes = 0
    for round_no in range(200):
        actions = [rng.choice(["start", "stop"]) for _ in range(rng.randint(2, 6))]
        assert asyncio.run(_burst(servers, token, actions)) == [204] * len(actions)
        state = servers[round_no % len(servers)].admin("GET", f"/meetings/{MEETING}").json()
        queued = _stream_events(servers[0])
        # No event repeats the previous state: started, stopped, started, ...
        assert queued == [STARTED, STOPPED] * (len(queued) // 2) + [STARTED] * (len(queued) % 2)
        assert state["stream_live"] is (len(queued) % 2 == 1), (round_no, actions, queued)
        if state["stream_live"] is not live:
            changes += 1
        live = state["stream_live"]
    assert changes > 20  # the rounds did move the state back and forth
    assert len(_stream_events(servers[0])) >= changes


def test_control_api_edits_never_undo_acknowledged_stream_writes(api: Api) -> None:
    """A loop editing the meeting's topic beside 1,000 stream PATCHes: every
    acknowledged stream value reads back, and so does the last topic."""
    token = api.token()
    stop = threading.Event()
    topics: list[str] = []
    errors: list[str] = []

    def edit_topics() -> None:
        with httpx.Client(timeout=30) as http:
            n = 0
            while not stop.is_set():
                n += 1
                r = http.patch(
                    f"{api.base_url}/_zoomlive/meetings/{MEETING}",
                    json={"topic": f"topic {n}"},
                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                )
                if r.status_code != 200:
                    errors.append(r.text)
                else:
                    topics.append(f"topic {n}")

    editor = threading.Thread(target=edit_topics)
    editor.start()
    lost = []
    try:
        for i in range(1000):
            body = {**STREAM, "stream_key": f"key-{i}"}
            r = api.call("PATCH", f"/meetings/{MEETING}/livestream", token, json=body)
            assert r.status_code == 204, r.text
            got = api.call("GET", f"/meetings/{MEETING}/livestream", token).json()
            if got["stream_key"] != f"key-{i}":
                lost.append((i, got["stream_key"]))
    finally:
        stop.set()
        editor.join()
    assert not errors
    assert len(topics) > 50  # the editor really ran beside the stream writes
    assert lost == []
    meeting = api.admin("GET", f"/meetings/{MEETING}").json()
    assert meeting["topic"] == topics[-1]
    got = api.call("GET", f"/meetings/{MEETING}/livestream", token).json()
    assert got["stream_key"] == "key-999"


def _post(api: Api, path: str, body: dict[str, Any]) -> httpx.Response:
    return api.http.post(
        f"{api.base_url}/_zoomlive{path}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )


def test_create_with_an_existing_id_is_409_and_changes_nothing(api: Api) -> None:
    before = {
        "account": api.admin("GET", f"/accounts/{DEMO_ACCOUNT}").json(),
        "meeting": api.admin("GET", f"/meetings/{MEETING}").json(),
    }
    host_id = before["meeting"]["host_id"]
    before["user"] = api.admin("GET", f"/users/{host_id}").json()
    apps = api.admin("GET", f"/accounts/{DEMO_ACCOUNT}/apps").json()["apps"]
    other = api.admin("POST", "/accounts", {"plan": "free"}).json()

    attempts = [
        ("/accounts", {"id": DEMO_ACCOUNT, "plan": "free", "live_streaming": False}, "Account"),
        (f"/accounts/{DEMO_ACCOUNT}/users", {"id": host_id, "type": 1}, "User"),
        # The same client_id under another account: the app must not move there.
        (f"/accounts/{other['id']}/apps", {"client_id": DEMO_CLIENT, "name": "thief"}, "App"),
        ("/meetings", {"id": MEETING, "host_id": host_id, "topic": "replaced"}, "Meeting"),
    ]
    for path, body, what in attempts:
        r = _post(api, path, body)
        assert r.status_code == 409, (path, r.text)
        assert "x-zm-trackingid" in r.headers
        assert r.json()["code"] == 409
        assert r.json()["message"].startswith(f"{what} already exists: ")

    assert api.admin("GET", f"/accounts/{DEMO_ACCOUNT}").json() == before["account"]
    assert api.admin("GET", f"/users/{host_id}").json() == before["user"]
    assert api.admin("GET", f"/meetings/{MEETING}").json() == before["meeting"]
    assert api.admin("GET", f"/accounts/{DEMO_ACCOUNT}/apps").json()["apps"] == apps
    assert api.admin("GET", f"/accounts/{other['id']}/apps").json()["apps"] == []
    api.token()  # the demo app still authenticates in its own account

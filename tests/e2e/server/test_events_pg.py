"""Events across processes: two ``zoomlive serve`` processes on one PostgreSQL
database, real HTTP, a real receiver.

A retry is sent only when its schedule says (Zoom's 5, 20 and 60 minutes, scaled
down here), however the two processes race for it; an event's ``event_ts`` is read
in the transaction that commits it, under its meeting's lock, so per meeting the
events' times follow the order of the commits; rows are locked in one order, so
the processes never deadlock; concurrent partial updates of one meeting all land;
and a database that ends the server's connections mid-delivery only delays an
event. Outcomes are read from the database itself.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

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

SECRET = "events-pg-secret"
FLAGS = ("host_video", "participant_video", "cn_meeting", "in_meeting", "join_before_host",
         "mute_upon_entry", "watermark", "enforce_login", "close_registration", "waiting_room",
         "meeting_authentication", "device_testing", "private_meeting")  # fmt: skip
#: 5/20/60 minutes -> 1.2/4.8/14.4 seconds: the fourth attempt comes 20.4 s after the
#: first, past a receiver down for 20 s.
SCALE = 0.004
#: How long the receiver answers 503.
DOWN_SECONDS = 20.0
#: A connection per request: on a loaded machine a burst can outlast the server's
#: keep-alive, and a reused connection the server closed meanwhile fails the call.
FRESH = httpx.Limits(max_keepalive_connections=0)
STREAM = {"stream_url": "rtmp://live.example.com/app", "stream_key": "ev-key",
          "page_url": "https://example.com/watch"}  # fmt: skip


class Cluster:
    def __init__(self, db: str, servers: list[ServerProcess], http: httpx.Client) -> None:
        self.db = db
        self.servers = servers
        self.apis = [Api(s.base_url, http) for s in servers]

    def logs(self) -> str:
        return "\n".join(s.output() for s in self.servers)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    env = {"ZOOMLIVE_RATE_LIMITS": "0", "ZOOMLIVE_WEBHOOK_RETRY_SCALE": str(SCALE)}
    with (
        fresh_pg_database(service_url("ZOOMLIVE_TEST_POSTGRES_URL")) as db,
        httpx.Client(timeout=30) as http,
    ):
        servers = [ServerProcess(db, env=env).launch() for _ in range(2)]
        try:
            for s in servers:
                s.wait_ready(120)
            yield Cluster(db, servers, http)
        finally:
            for s in servers:
                s.stop()


@pytest.fixture
def receiver(cluster: Cluster) -> Iterator[Receiver]:
    """Fresh demo state; the demo app subscribed to every event at a real receiver."""
    api = cluster.apis[0]
    api.admin("POST", "/reset", {"demo": True})
    r = Receiver(SECRET)
    try:
        client = api.admin("GET", "/demo").json()["client_id"]
        sub = api.admin("PUT", f"/apps/{client}/subscription",
                        {"url": r.url, "secret_token": SECRET,
                         "events": list(wh.ALL_EVENTS)}).json()  # fmt: skip
        assert sub["enabled"] is True, sub
        yield r
    finally:
        r.close()


def _settled(db: str, within: float = 30.0) -> None:
    """Wait until no event is pending."""
    deadline = time.monotonic() + within
    while pg_execute(db, "SELECT count(*) FROM zl_outbox WHERE status = 'pending'")[0][0][0]:
        assert time.monotonic() < deadline, "events still pending"
        time.sleep(0.05)


def _deadlocks(db: str) -> int:
    (rows,) = pg_execute(
        db, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    return int(rows[0][0])


def _new_meeting(api: Api, token: str, host: str) -> int:
    mid = int(api.new_meeting(host)["id"])
    r = api.call("PATCH", f"/meetings/{mid}/livestream", token, json=STREAM)
    assert r.status_code == 204, r.text
    return mid


def test_a_receiver_down_gets_every_event_with_no_retry_before_its_schedule(
    cluster: Cluster, receiver: Receiver
) -> None:
    """150 events, thirty at a time (so their retries fall due together), while the
    receiver answers 503 for 20 s, both processes delivering: every event is delivered
    in the end, and no attempt came before the schedule said (each retry at least 5,
    20, 60 minutes, scaled, after the one before). Every event is made after the
    receiver went down, so each is refused until at least its last attempt."""
    api = cluster.apis[0]
    token = api.token()
    host = api.admin("GET", "/meetings/68423085").json()["host_id"]
    mids = [_new_meeting(api, token, host) for _ in range(30)]
    for mid in mids:
        api.admin("POST", f"/meetings/{mid}/start")
    _settled(cluster.db)
    (rows,) = pg_execute(cluster.db, "SELECT coalesce(max(id), 0) FROM zl_outbox")
    first_id = int(rows[0][0]) + 1
    # Every event is made within seconds of this, so each is refused at least once
    # (asserted below) and reaches its last attempt only after the receiver is back.
    receiver.down_until = time.time() + DOWN_SECONDS

    async def toggles() -> None:
        async with httpx.AsyncClient(timeout=60, limits=FRESH) as http:
            for n in range(5):
                action = "start" if n % 2 == 0 else "stop"
                answers = await asyncio.gather(*(
                    http.patch(f"{cluster.apis[i % 2].base_url}/v2/meetings/{mid}"
                               "/livestream/status", json={"action": action},
                               headers={"Authorization": f"Bearer {token}"})
                    for i, mid in enumerate(mids)
                ))  # fmt: skip
                assert [r.status_code for r in answers] == [204] * len(mids)

    asyncio.run(toggles())
    _settled(cluster.db, within=DOWN_SECONDS + 30)
    (outbox,) = pg_execute(
        cluster.db, f"SELECT id, status FROM zl_outbox WHERE id >= {first_id} ORDER BY id"
    )
    assert len(outbox) == 150
    assert {str(s) for _, s in outbox} == {"delivered"}, [tuple(r) for r in outbox]
    (attempts,) = pg_execute(
        cluster.db,
        f"SELECT outbox_id, number, at FROM zl_attempts WHERE outbox_id >= {first_id}"
        " ORDER BY outbox_id, number",
    )
    by_event: dict[int, list[float]] = defaultdict(list)
    for oid, number, at in attempts:
        by_event[int(oid)].append(float(at))
        assert number == len(by_event[int(oid)])
    early = []
    for oid, times in by_event.items():
        assert len(times) <= 4, (oid, times)
        for n in range(1, len(times)):
            due = times[n - 1] + wh.RETRY_SCHEDULE_SECONDS[n - 1] * SCALE
            if times[n] < due:
                early.append((oid, n + 1, round(due - times[n], 3)))
    assert early == []
    assert all(len(t) > 1 for t in by_event.values())  # each had its first attempt refused


async def _lifecycle_rounds(
    cluster: Cluster, token: str, mids: list[int], rng: random.Random, rounds: int
) -> None:
    """Bursts of concurrent lifecycle calls on a few meetings, over both processes,
    one burst after the other; each call answered 2xx."""
    async with httpx.AsyncClient(timeout=60, limits=FRESH) as http:

        async def one(i: int) -> int:
            base = cluster.apis[rng.randrange(2)].base_url
            mid = rng.choice(mids)
            auth = {"Authorization": f"Bearer {token}"}
            kind = rng.choice(["start", "end", "live", "unlive", "topic"])
            if kind == "start":
                r = await http.post(f"{base}/_zoomlive/meetings/{mid}/start",
                                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
            elif kind == "end":
                r = await http.put(f"{base}/v2/meetings/{mid}/status",
                                   json={"action": "end"}, headers=auth)  # fmt: skip
            elif kind == "topic":
                topic = {"topic": f"t{i}-{rng.random()}"}
                r = await http.patch(f"{base}/v2/meetings/{mid}", json=topic, headers=auth)
            else:
                action = "start" if kind == "live" else "stop"
                r = await http.patch(f"{base}/v2/meetings/{mid}/livestream/status",
                                     json={"action": action}, headers=auth)  # fmt: skip
            if r.status_code == 400 and kind == "live":
                return 204  # Zoom's "meeting not started": this meeting had ended
            return r.status_code

        for n in range(rounds):
            statuses = await asyncio.gather(*(one(i) for i in range(6)))
            assert set(statuses) <= {200, 204}, (n, statuses)


def test_lifecycle_events_are_stamped_in_commit_order_without_deadlocks(
    cluster: Cluster, receiver: Receiver
) -> None:
    """200 rounds of concurrent starts, ends, stream starts and stops and updates of
    three meetings over both processes: every call answered, per meeting the events'
    ``event_ts`` never goes back in the order they were committed (outbox id order),
    and PostgreSQL saw no deadlock. Then a stream stopped by an end shares
    ``event_ts`` with its ``ended``."""
    api = cluster.apis[0]
    token = api.token()
    host = api.admin("GET", "/meetings/68423085").json()["host_id"]
    mids = [_new_meeting(api, token, host) for _ in range(3)]
    deadlocks = _deadlocks(cluster.db)
    rng = random.Random(11)
    asyncio.run(_lifecycle_rounds(cluster, token, mids, rng, 200))
    assert _deadlocks(cluster.db) == deadlocks
    assert "deadlock" not in cluster.logs().lower()
    (rows,) = pg_execute(cluster.db, "SELECT id, event, body FROM zl_outbox ORDER BY id")
    per_meeting: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for oid, event, body in rows:
        doc = json.loads(body)
        mid = int(doc["payload"]["object"]["id"])
        if mid in mids:
            per_meeting[mid].append((int(oid), str(event), int(doc["event_ts"])))
    back = []
    for mid, queued in per_meeting.items():
        for before, after in itertools.pairwise(queued):
            if after[2] < before[2]:
                back.append((mid, before, after))
    assert back == []
    assert sum(len(q) for q in per_meeting.values()) > 200  # the rounds changed states

    # An end of a live meeting: its two events, one change, share one event_ts.
    mid = mids[0]
    api.admin("POST", f"/meetings/{mid}/start")
    r = api.call("PATCH", f"/meetings/{mid}/livestream/status", token, json={"action": "start"})
    assert r.status_code == 204, r.text
    (rows,) = pg_execute(cluster.db, "SELECT coalesce(max(id), 0) FROM zl_outbox")
    last = int(rows[0][0])
    r = api.call("PUT", f"/meetings/{mid}/status", token, json={"action": "end"})
    assert r.status_code == 204, r.text
    (rows,) = pg_execute(
        cluster.db, f"SELECT event, body FROM zl_outbox WHERE id > {last} ORDER BY id"
    )
    ends = [(str(e), json.loads(b)["event_ts"]) for e, b in rows]
    assert [e for e, _ in ends] == [wh.LIVE_STREAMING_STOPPED, "meeting.ended"]
    assert ends[0][1] == ends[1][1], ends


def test_bursts_over_many_meetings_on_both_processes_never_deadlock(
    cluster: Cluster, receiver: Receiver
) -> None:
    """Bursts of 40 stream starts and stops of 20 live-capable meetings at once, over
    both processes: each process's batches change many meetings, in whatever order
    the calls came; every call answered 204, and PostgreSQL saw no deadlock."""
    api = cluster.apis[0]
    token = api.token()
    host = api.admin("GET", "/meetings/68423085").json()["host_id"]
    mids = [_new_meeting(api, token, host) for _ in range(20)]
    for mid in mids:
        api.admin("POST", f"/meetings/{mid}/start")
    deadlocks = _deadlocks(cluster.db)
    rng = random.Random(3)

    async def bursts() -> None:
        async with httpx.AsyncClient(timeout=60, limits=FRESH) as http:
            for n in range(20):
                answers = await asyncio.gather(*(
                    http.patch(f"{cluster.apis[i % 2].base_url}/v2/meetings/"
                               f"{rng.choice(mids)}/livestream/status",
                               json={"action": rng.choice(["start", "stop"])},
                               headers={"Authorization": f"Bearer {token}"})
                    for i in range(40)
                ))  # fmt: skip
                assert [r.status_code for r in answers] == [204] * 40, n

    asyncio.run(bursts())
    assert _deadlocks(cluster.db) == deadlocks
    assert "deadlock" not in cluster.logs().lower()


def test_20_concurrent_partial_updates_of_one_meeting_all_land(cluster: Cluster) -> None:
    """20 ``PATCH /v2/meetings/{id}`` at once over both processes, each setting a
    different field: all 204, and every field reads back."""
    api = cluster.apis[0]
    api.admin("POST", "/reset", {"demo": True})
    token = api.token()
    host = api.admin("GET", "/meetings/68423085").json()["host_id"]
    mid = int(api.new_meeting(host)["id"])
    bodies: list[dict[str, Any]] = [
        {"topic": "all land"},
        {"agenda": "every field"},
        {"duration": 95},
        {"timezone": "Europe/Paris"},
        {"password": "abc123"},
        *({"settings": {name: True}} for name in FLAGS),
        {"settings": {"audio": "voip"}},
        {"settings": {"auto_recording": "cloud"}},
    ]
    assert len(bodies) == 20

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as http:
            return list(await asyncio.gather(*(
                http.patch(f"{cluster.apis[i % 2].base_url}/v2/meetings/{mid}", json=body,
                           headers={"Authorization": f"Bearer {token}"})
                for i, body in enumerate(bodies)
            )))  # fmt: skip

    answers = asyncio.run(burst())
    assert [r.status_code for r in answers] == [204] * 20, [
        (r.status_code, r.headers.get("retry-after"), r.text) for r in answers
    ]
    for other in cluster.apis:
        got = other.call("GET", f"/meetings/{mid}", token).json()
        for body in bodies:
            for name, value in body.items():
                if name == "settings":
                    for key, v in value.items():
                        assert got["settings"][key] == v, (key, got["settings"])
                else:
                    assert got[name] == value, (name, got[name])


def test_backends_terminated_during_a_delivery_burst_only_delay_the_events(
    cluster: Cluster, receiver: Receiver
) -> None:
    """PostgreSQL ends every server connection, again and again, while both processes
    deliver a burst of events: no task exception goes unhandled (the server's log
    holds no traceback), and once the database is left alone every event is
    delivered."""
    api = cluster.apis[0]
    token = api.token()
    host = api.admin("GET", "/meetings/68423085").json()["host_id"]
    mid = _new_meeting(api, token, host)
    api.admin("POST", f"/meetings/{mid}/start")
    _settled(cluster.db)
    receiver.delay = 0.2  # deliveries in flight when the connections end
    for i in range(60):
        action = "start" if i % 2 == 0 else "stop"
        r = cluster.apis[i % 2].call(
            "PATCH", f"/meetings/{mid}/livestream/status", token, json={"action": action}
        )
        assert r.status_code == 204, r.text
    stop = threading.Event()
    terminated = 0

    def terminate() -> None:
        nonlocal terminated
        while not stop.is_set():
            (rows,) = pg_execute(
                cluster.db,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            terminated += len(rows)
            time.sleep(0.01)

    killer = threading.Thread(target=terminate, daemon=True)
    killer.start()
    try:
        receiver.wait_for(30, timeout=30)  # the burst is being delivered
        time.sleep(1.0)
    finally:
        stop.set()
        killer.join(30)
    assert terminated > 0
    _settled(cluster.db, within=60)
    (rows,) = pg_execute(
        cluster.db,
        "SELECT status, count(*) FROM zl_outbox WHERE event LIKE 'meeting.live_streaming%'"
        " GROUP BY status",
    )
    assert {str(s): int(n) for s, n in rows} == {"delivered": 60}
    logs = cluster.logs()
    assert "Task exception was never retrieved" not in logs
    assert "Traceback" not in logs, logs[-3000:]

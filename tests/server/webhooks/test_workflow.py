"""The whole integration workflow against a real server, with a real receiver on
127.0.0.1: create a meeting through the API, configure its stream, the host joins;
the receiver gets ``meeting.started`` and the integration's handler goes live; the
receiver gets ``meeting.live_streaming_started``; ``PUT …/status end`` ends it with
``meeting.live_streaming_stopped`` and ``meeting.ended``. Every event is signed and
received exactly once."""

from __future__ import annotations

import time
from typing import Any

from tests.support import DEMO_ACCOUNT, DEMO_CLIENT, DEMO_SECRET, Api
from zoomlive.client import Client
from zoomlive.testing.events import EventCollector, Received
from zoomlive.wire import webhooks as wh

SECRET = "workflow-secret-token"


def _client(api: Api) -> Client:
    return Client(
        account_id=DEMO_ACCOUNT,
        client_id=DEMO_CLIENT,
        client_secret=DEMO_SECRET,
        base_url=f"{api.base_url}/v2",
        oauth_url=f"{api.base_url}/oauth/token",
    )


def _settled(api: Api, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The outbox once ``count`` events are recorded and none is pending (the receiver
    sees a request before the server records the answer)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = api.admin_list("/webhooks/events", "events")
        if len(rows) >= count and all(r["status"] != "pending" for r in rows):
            return rows
        assert time.monotonic() < deadline, rows
        time.sleep(0.05)


def test_the_whole_workflow_runs_and_each_event_arrives_once_signed(api: Api) -> None:
    with _client(api) as client:
        went_live: list[int] = []

        def handler(event: Received) -> None:
            # The integration's own code: on meeting.started, go live.
            if event.event == "meeting.started":
                client.meetings.livestream.start(event.object_id)
                went_live.append(event.object_id)

        with EventCollector(SECRET, handler) as events:
            sub = api.admin("PUT", f"/apps/{DEMO_CLIENT}/subscription",
                            {"url": events.url, "secret_token": SECRET,
                             "events": list(wh.ALL_EVENTS)}).json()  # fmt: skip
            assert sub["enabled"] is True
            meeting = client.meetings.create("me", topic="Town hall", duration=30)
            client.meetings.livestream.update(
                meeting.id, stream_url="rtmp://live.example.com/app", stream_key="wf-key",
                page_url="https://example.com/live",
            )  # fmt: skip
            api.admin("POST", f"/meetings/{meeting.id}/start")  # the host joins
            (started,) = events.wait_for("meeting.started")
            assert started.body["payload"]["object"]["id"] == str(meeting.id)
            events.wait_for(wh.LIVE_STREAMING_STARTED)
            assert went_live == [meeting.id]
            assert api.admin("GET", f"/meetings/{meeting.id}").json()["stream_live"] is True
            client.meetings.end(meeting.id)
            (ended,) = events.wait_for("meeting.ended")
            events.wait_for(wh.LIVE_STREAMING_STOPPED)
            assert ended.body["payload"]["object"]["end_time"].endswith("Z")
            rows = _settled(api, 5)
            names = sorted(events.names())
        assert names == sorted([
            "meeting.created", "meeting.started", wh.LIVE_STREAMING_STARTED,
            wh.LIVE_STREAMING_STOPPED, "meeting.ended",
        ])  # fmt: skip
        assert events.rejected == 0 and all(e.signed for e in events.events)
        assert len({e.request_id for e in events.events}) == 5
        assert sorted(r["event"] for r in rows) == names
        assert all(r["status"] == "delivered" and len(r["attempts"]) == 1 for r in rows)
        state = api.admin("GET", f"/meetings/{meeting.id}").json()
        assert (state["status"], state["stream_live"]) == ("ended", False)


def test_concurrent_ends_queue_each_event_once(api: Api) -> None:
    """Compare-and-set: ten ends racing, one ``meeting.ended``; a PATCH that changes
    nothing queues no ``meeting.updated``."""
    import concurrent.futures

    with _client(api) as client, EventCollector(SECRET) as events:
        api.admin("PUT", f"/apps/{DEMO_CLIENT}/subscription",
                  {"url": events.url, "secret_token": SECRET,
                   "events": ["meeting.updated", "meeting.ended"]})  # fmt: skip
        meeting = client.meetings.create(topic="Race")
        client.meetings.update(meeting.id, topic="Race")  # no change: no event
        client.meetings.update(meeting.id, topic="Renamed")
        api.admin("POST", f"/meetings/{meeting.id}/start")
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            list(pool.map(lambda _: client.meetings.end(meeting.id), range(10)))
        events.wait_for("meeting.ended")
        rows = _settled(api, 2)
    assert sorted(r["event"] for r in rows) == ["meeting.ended", "meeting.updated"]
    (updated,) = [e for e in events.events if e.event == "meeting.updated"]
    payload = updated.body["payload"]
    assert payload["object"] == {"id": meeting.id, "topic": "Renamed"}
    assert payload["old_object"] == {"id": meeting.id, "topic": "Race"}

"""Webhooks: a real receiver, Zoom's retry schedule, durability."""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from tests.server.webhooks.receiver import Receiver
from tests.support import Api, ServerProcess, service_url
from zoomlive.client.webhooks import WebhookReceiver, parse_event
from zoomlive.wire import webhooks as wh

SECRET = "webhook-secret-token-123"
SCALE = 0.001  # 5/20/60 minutes -> 0.3/1.2/3.6 seconds
SEED = {"stream_url": "rtmp://live.example.com/app", "stream_key": "wh-key",
        "page_url": "https://example.com/watch", "resolution": "1080p"}  # fmt: skip


@pytest.fixture(scope="module")
def hooks() -> Iterator[Api]:
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(str(Path(tmp) / "wh.db"),
                            env={"ZOOMLIVE_WEBHOOK_RETRY_SCALE": str(SCALE),
                                 "ZOOMLIVE_RATE_LIMITS": "0"}).start()  # fmt: skip
        try:
            with httpx.Client(timeout=30) as http:
                yield Api(srv.base_url, http)
        finally:
            srv.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(SECRET)
    yield r
    r.close()


def subscribe(api: Api, url: str, secret: str = SECRET) -> dict[str, Any]:
    from tests.support import DEMO_CLIENT

    r = api.http.put(
        f"{api.base_url}/_zoomlive/apps/{DEMO_CLIENT}/subscription",
        json={"url": url, "secret_token": secret},
        headers={"Authorization": "Bearer test-admin-token-0123456789"},
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def events(api: Api) -> list[dict[str, Any]]:
    return api.admin_list("/webhooks/events", "events")


def settled(api: Api, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The outbox once nothing is pending (a receiver sees a request before the
    server has recorded its answer)."""
    deadline = time.time() + timeout
    rows = events(api)
    while time.time() < deadline and any(r["status"] == "pending" for r in rows):
        time.sleep(0.05)
        rows = events(api)
    return rows


def go_live(api: Api, token: str) -> None:
    assert api.call("PATCH", "/meetings/68423085/livestream", token, json=SEED).status_code == 204
    r = api.call("PATCH", "/meetings/68423085/livestream/status", token, json={"action": "start"})
    assert r.status_code == 204


def stop(api: Api, token: str) -> None:
    r = api.call("PATCH", "/meetings/68423085/livestream/status", token, json={"action": "stop"})
    assert r.status_code == 204


def test_real_receiver_validates_and_receives_signed_events(hooks: Api, receiver: Receiver) -> None:
    hooks.admin("POST", "/reset", {"demo": True})
    sub = subscribe(hooks, receiver.url)
    assert sub["enabled"] is True and sub["failures"] == 0
    challenge = receiver.requests[0]
    assert challenge.event == "endpoint.url_validation"
    token = hooks.token()
    go_live(hooks, token)
    go_live(hooks, token)  # already live: no new event
    stop(hooks, token)
    got = receiver.wait_for(2)
    assert [g.event for g in got] == [wh.LIVE_STREAMING_STARTED, wh.LIVE_STREAMING_STOPPED]
    helper = WebhookReceiver(SECRET)
    ids = set()
    for g in got:
        helper.verify(g.body, g.headers)  # the library's check
        ts = g.headers["x-zm-request-timestamp"]  # an independent one
        mine = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + g.body, hashlib.sha256)
        assert g.headers["x-zm-signature"] == "v0=" + mine.hexdigest()
        assert abs(int(ts) - time.time()) < 60
        assert g.headers["user-agent"] == "Zoom Marketplace/1.0a"
        assert g.headers["content-type"] == "application/json; charset=utf-8"
        assert g.headers["x-zm-trackingid"]
        ids.add(g.headers["x-zm-request-id"])
        event = parse_event(g.body)  # validates against the wire model
        assert msgspec.json.encode(event) == g.body  # compact JSON, nothing extra
        obj = event.payload.object
        assert obj.id == 68423085 and event.payload.account_id
        assert obj.live_streaming.service == "Custom_Live_Streaming_Service"
        settings = obj.live_streaming.custom_live_streaming_settings
        assert not isinstance(settings, msgspec.UnsetType)
        assert (settings.stream_url, settings.stream_key, settings.resolution) == (
            SEED["stream_url"], SEED["stream_key"], "1080p",
        )  # fmt: skip
        assert abs(event.event_ts / 1000 - g.at) < 10
    assert len(ids) == 2
    rows = settled(hooks)
    assert [(r["status"], len(r["attempts"])) for r in rows] == [("delivered", 1)] * 2
    journal = hooks.admin_list("/journal", "entries")
    assert sum(1 for e in journal if e["path"].startswith("webhook meeting.")) == 2


def test_endpoint_failing_validation_is_not_enabled(hooks: Api, receiver: Receiver) -> None:
    hooks.admin("POST", "/reset", {"demo": True})
    receiver.validation_ok = False
    sub = subscribe(hooks, receiver.url)
    assert sub["enabled"] is False and "400" in sub["last_error"]
    wrong = subscribe(hooks, receiver.url, secret="another-secret")  # receiver's check fails
    assert wrong["enabled"] is False
    token = hooks.token()
    go_live(hooks, token)
    # Events are written to the outbox with the state change, before the 204: an empty
    # outbox now means nothing will ever be delivered, and a run of the worker sends none.
    assert events(hooks) == []
    assert hooks.admin("POST", "/webhooks/run").json() == {"started": 0}
    assert receiver.events() == []


def test_500_twice_then_200_gets_three_attempts_on_the_scaled_schedule(
    hooks: Api, receiver: Receiver
) -> None:
    hooks.admin("POST", "/reset", {"demo": True})
    subscribe(hooks, receiver.url)
    receiver.script.extend([500, 500, 200])
    go_live(hooks, hooks.token())
    got = receiver.wait_for(3, timeout=15)
    assert len(got) == 3
    assert len({g.headers["x-zm-request-id"] for g in got}) == 1  # one event, three tries
    gaps = [got[1].at - got[0].at, got[2].at - got[1].at]
    for gap, minutes in zip(gaps, (5, 20), strict=True):
        expected = minutes * 60 * SCALE
        assert expected - 0.05 <= gap <= expected + 0.5, (gaps, expected)
    (row,) = settled(hooks)
    assert row["status"] == "delivered"
    assert [a["status_code"] for a in row["attempts"]] == [500, 500, 200]


def test_400_gets_one_attempt(hooks: Api, receiver: Receiver) -> None:
    hooks.admin("POST", "/reset", {"demo": True})
    subscribe(hooks, receiver.url)
    receiver.script.append(400)
    go_live(hooks, hooks.token())
    receiver.wait_for(1)
    (row,) = settled(hooks)  # failed is final: the worker never picks the row up again
    assert row["status"] == "failed" and [a["status_code"] for a in row["attempts"]] == [400]
    hooks.admin("POST", "/clock", {"advance": 2 * 3600})  # past every retry's due time
    assert hooks.admin("POST", "/webhooks/run").json() == {"started": 0}
    assert len(receiver.events()) == 1


def test_never_answering_gets_four_attempts_then_failed(hooks: Api, receiver: Receiver) -> None:
    hooks.admin("POST", "/reset", {"demo": True})
    subscribe(hooks, receiver.url)
    receiver.script.extend(["hang"] * 4)
    go_live(hooks, hooks.token())
    got = receiver.wait_for(4, timeout=30)
    assert len(got) == 4
    (row,) = settled(hooks)
    assert row["status"] == "failed"
    assert [a["error"] for a in row["attempts"]] == ["ReadTimeout"] * 4
    assert all(a["duration_ms"] >= 2900 for a in row["attempts"])


def test_revalidation_every_72_hours_disables_after_6_failures(
    hooks: Api, receiver: Receiver
) -> None:
    hooks.admin("POST", "/reset", {"demo": True})
    assert subscribe(hooks, receiver.url)["enabled"] is True
    from tests.support import DEMO_CLIENT

    def state() -> dict[str, Any]:
        return dict(hooks.admin("GET", f"/apps/{DEMO_CLIENT}/subscription").json())

    hooks.admin("POST", "/clock", {"advance": 71 * 3600})
    hooks.admin("POST", "/webhooks/run")
    assert len(receiver.requests) == 1  # not yet due
    receiver.validation_ok = False
    for n in range(1, 7):
        hooks.admin("POST", "/clock", {"advance": 72 * 3600})
        hooks.admin("POST", "/webhooks/run")
        assert state()["failures"] == n
        assert state()["enabled"] is (n < 6)
    hooks.admin("POST", "/clock", {"advance": 72 * 3600})
    hooks.admin("POST", "/webhooks/run")
    assert len(receiver.requests) == 7  # disabled: no more validations


def test_event_survives_sigkill_right_after_204(receiver: Receiver) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "kill.db")
        srv = ServerProcess(db, env={"ZOOMLIVE_WEBHOOK_RETRY_SCALE": str(SCALE)}).start()
        with httpx.Client(timeout=10) as http:
            api = Api(srv.base_url, http)
            api.admin("POST", "/reset", {"demo": True})
            subscribe(api, receiver.url)
            receiver.script.append("hang")  # the first try cannot finish before the kill
            token = api.token()
            go_live(api, token)
            srv.kill()  # right after the 204
        again = ServerProcess(db, port=srv.port,
                              env={"ZOOMLIVE_WEBHOOK_RETRY_SCALE": str(SCALE)}).start()  # fmt: skip
        try:
            got = receiver.wait_for(2, timeout=30)
            delivered = [g for g in got if g.event == wh.LIVE_STREAMING_STARTED]
            assert len(delivered) >= 2  # the hung try, then the delivery after restart
            assert len({g.headers["x-zm-request-id"] for g in delivered}) == 1
            with httpx.Client(timeout=10) as http:
                deadline = time.time() + 10
                status = ""
                while time.time() < deadline and status != "delivered":
                    status = Api(again.base_url, http).admin_list("/webhooks/events", "events")[0][
                        "status"
                    ]
                    time.sleep(0.1)
            assert status == "delivered"
        finally:
            again.stop()


def test_two_processes_deliver_each_event_once(receiver: Receiver) -> None:
    db = os.environ.get("ZOOMLIVE_TEST_POSTGRES_URL") or service_url("ZOOMLIVE_TEST_POSTGRES_URL")
    a = ServerProcess(db, env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
    b = ServerProcess(db, env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
    try:
        with httpx.Client(timeout=10) as http:
            api_a, api_b = Api(a.base_url, http), Api(b.base_url, http)
            api_a.admin("POST", "/reset", {"demo": True})
            subscribe(api_a, receiver.url)
            token = api_a.token()
            assert (
                api_a.call("PATCH", "/meetings/68423085/livestream", token, json=SEED).status_code
                == 204
            )
            for i in range(40):
                api = api_a if i % 2 == 0 else api_b
                body = {"action": "start" if i % 2 == 0 else "stop"}
                r = api.call("PATCH", "/meetings/68423085/livestream/status", token, json=body)
                assert r.status_code == 204
        got = receiver.wait_for(40, timeout=30)
        # Every delivery is recorded as an attempt once answered: with all 40 rows
        # delivered after one attempt each, no process sent any event a second time.
        with httpx.Client(timeout=10) as http:
            rows = settled(Api(a.base_url, http))
        assert [(r["status"], len(r["attempts"])) for r in rows] == [("delivered", 1)] * 40
        ids = [g.headers["x-zm-request-id"] for g in receiver.events()]
        assert len(ids) == 40 and len(set(ids)) == 40
        assert len(got) == 40
    finally:
        a.stop()
        b.stop()


def test_receiver_helper_rejects_forgeries_and_replays() -> None:
    now = 1_800_000_000
    helper = WebhookReceiver(SECRET, clock=lambda: now)
    body = b'{"event":"meeting.live_streaming_stopped"}'
    good = {"x-zm-request-timestamp": str(now), "x-zm-signature": wh.signature(SECRET, now, body)}
    helper.verify(body, good)
    assert helper.handle(body + b" ", good).status == 401  # body changed
    old = {"x-zm-request-timestamp": str(now - 301),
           "x-zm-signature": wh.signature(SECRET, now - 301, body)}  # fmt: skip
    assert helper.handle(body, old).status == 401
    assert helper.handle(body, {}).status == 401
    challenge = b'{"payload":{"plainToken":"abc"},"event_ts":1,"event":"endpoint.url_validation"}'
    headers = {"X-Zm-Request-Timestamp": str(now),
               "X-Zm-Signature": wh.signature(SECRET, now, challenge)}  # fmt: skip
    answer = helper.handle(challenge, headers)
    assert answer.status == 200 and answer.body == {
        "plainToken": "abc",
        "encryptedToken": hmac.new(SECRET.encode(), b"abc", hashlib.sha256).hexdigest(),
    }
    assert "webhook-secret" not in repr(helper)

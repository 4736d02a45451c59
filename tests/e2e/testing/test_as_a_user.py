"""A suite written as a user would write it, with
nothing but the public fixtures (zoom, zoom_client, async_zoom_client, zoom_server)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from tests.support import start_of_second
from zoomlive.client import (
    AsyncClient,
    Client,
    NotFound,
    RateLimitExceeded,
    RetryPolicy,
    ServerError,
)
from zoomlive.testing import Zoom


def test_configure_start_stop(zoom: Zoom, zoom_client: Client) -> None:
    live = zoom_client.meetings.livestream
    live.update(zoom.meeting_id, stream_url="rtmp://live.example.com/app",
                stream_key="k-1", page_url="https://example.com/watch")  # fmt: skip
    live.start(zoom.meeting_id, display_name="All hands")
    assert zoom.meeting(zoom.meeting_id)["stream_live"] is True
    live.stop(zoom.meeting_id)
    assert zoom.meeting(zoom.meeting_id)["stream_live"] is False
    assert [e["status"] for e in zoom.journal("/v2/meetings/*")] == [204, 204, 204]


def test_state_is_fresh_for_each_test(zoom: Zoom, zoom_client: Client) -> None:
    """After the test above (a configured, started and stopped stream, three PATCHes,
    a token), the journal holds only this test's own requests."""
    assert zoom_client.meetings.livestream.get(zoom.meeting_id).stream_url == ""
    assert [(e["method"], e["path"], e["status"]) for e in zoom.journal()] == [
        ("POST", "/oauth/token", 200),
        ("GET", f"/v2/meetings/{zoom.meeting_id}/livestream", 200),
    ]
    assert zoom.tokens_issued() == 1


def test_429_and_retry_after(zoom: Zoom) -> None:
    message = "You have reached the maximum per-second rate limit for this API. Try again later."
    zoom.fail("/v2/meetings/*/livestream", status=429, code=429, message=message,
              headers={"Retry-After": "1", "X-RateLimit-Type": "QPS"})  # fmt: skip
    slept: list[float] = []
    with zoom.client(sleep=slept.append) as client:
        client.meetings.livestream.get(zoom.meeting_id)
    assert slept == [1.0]
    statuses = [e["status"] for e in zoom.journal("/v2/meetings/*")]
    assert statuses == [429, 200]


def test_real_qps_limit_gives_retry_after(zoom: Zoom) -> None:
    zoom.update_account(rate_limit_qps=1)
    with zoom.client(retry=RetryPolicy(max_attempts=1)) as client:
        client.meetings.livestream.get(zoom.meeting_id)  # the token, outside the timing
        for _ in range(3):  # a stalled machine may still split a pair: try again
            start_of_second()
            client.meetings.livestream.get(zoom.meeting_id)
            try:
                client.meetings.livestream.get(zoom.meeting_id)
            except RateLimitExceeded as exc:
                rejected = exc
                break
        else:
            pytest.fail("two calls in one second at 1/s were never refused")
    assert rejected.status == 429 and rejected.limit_type == "QPS"
    assert rejected.retry_after is not None and 0 < rejected.retry_after <= 1


def test_a_5xx_is_retried(zoom: Zoom) -> None:
    zoom.fail("/v2/meetings/*/livestream", method="PATCH", status=503, times=2)
    with zoom.client(sleep=lambda s: None) as client:
        client.meetings.livestream.update(zoom.meeting_id, stream_url="rtmp://x/y",
                                          stream_key="k", page_url="https://p/q")  # fmt: skip
    patches = zoom.journal("/v2/meetings/*", method="PATCH")
    assert [e["status"] for e in patches] == [503, 503, 204]
    assert all(e["fault_id"] for e in patches[:2]) and patches[2]["fault_id"] is None


def test_a_5xx_that_persists_raises(zoom: Zoom) -> None:
    zoom.fail("/v2/*", status=500, times=None)
    retry = RetryPolicy(max_attempts=3)
    with (
        zoom.client(sleep=lambda s: None, retry=retry) as client,
        pytest.raises(ServerError) as exc,
    ):
        client.meetings.livestream.get(zoom.meeting_id)
    assert exc.value.status == 500
    assert len(zoom.journal("/v2/*")) == 3


def test_token_expiry_through_the_clock(zoom: Zoom, zoom_client: Client) -> None:
    zoom_client.meetings.livestream.get(zoom.meeting_id)
    assert zoom.tokens_issued() == 1
    zoom.advance_clock(3601)  # an hour later, for the server
    zoom_client.meetings.livestream.get(zoom.meeting_id)  # 401/124, refresh, resend
    assert zoom.tokens_issued() == 2
    codes = [(e["status"], e["code"]) for e in zoom.journal("/v2/*")]
    assert codes == [(200, None), (401, 124), (200, None)]


def test_journal_by_path_status_and_time(zoom: Zoom, zoom_client: Client) -> None:
    t0 = zoom.freeze_clock()
    zoom_client.meetings.livestream.get(zoom.meeting_id)
    zoom.advance_clock(60)
    with pytest.raises(NotFound):
        zoom_client.webinars.livestream.get(99999999999)
    entries = zoom.journal("/v2/webinars/*")
    assert len(entries) == 1
    e = entries[0]
    assert (e["method"], e["status"], e["code"]) == ("GET", 404, 3001)
    assert e["account_id"] == zoom.account_id and e["client_id"] == zoom.client_id
    assert e["duration_ms"] >= 0 and e["tracking_id"]
    assert [x["path"] for x in zoom.journal(status=404)] == ["/v2/webinars/99999999999/livestream"]
    assert len(zoom.journal(until=t0 + 1)) == 2  # the token request and the first GET
    assert len(zoom.journal(since=t0 + 30)) == 1


def test_async_client(zoom: Zoom, async_zoom_client: AsyncClient) -> None:
    async def run() -> list[str]:
        live = async_zoom_client.webinars.livestream
        await live.update(zoom.webinar_id, stream_url="rtmp://w/x", stream_key="k",
                          page_url="https://p/w")  # fmt: skip
        got = await asyncio.gather(*(live.get(zoom.webinar_id) for _ in range(5)))
        return [g.stream_url for g in got]

    assert asyncio.run(run()) == ["rtmp://w/x"] * 5
    assert zoom.tokens_issued() == 1


def test_zoom_server_for_other_processes(zoom_server: Zoom) -> None:
    code = (
        "from zoomlive.client import Client\n"
        "with Client.from_env() as c:\n"
        "    print(c.meetings.livestream.get(68423085).stream_url == '')\n"
    )
    env = {"PATH": "/usr/bin:/bin", **zoom_server.env()}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "True", out.stderr
    assert zoom_server.base_url.startswith("http://127.0.0.1:")


def test_reset_is_fast(zoom: Zoom) -> None:
    started = time.perf_counter()
    for _ in range(20):
        zoom.reset()
    assert (time.perf_counter() - started) / 20 < 0.05  # generous: figures are in bench/

"""Each kind of fault, and what the client does under it."""

from __future__ import annotations

import time

import httpx
import pytest

from zoomlive.client import RetryPolicy, ServerError, TransportError, ValidationError
from zoomlive.testing import Zoom

LIVE = "/v2/meetings/*/livestream"


def test_error_fault_with_code_message_headers_then_recovers(zoom: Zoom) -> None:
    zoom.fail(LIVE, method="GET", status=400, code=3000, message="Cannot access webinar info.",
              headers={"X-Test": "yes"}, times=1)  # fmt: skip
    with zoom.http() as http:
        r = http.get(f"/v2/meetings/{zoom.meeting_id}/livestream")
    assert (r.status_code, r.json()) == (
        400,
        {"code": 3000, "message": "Cannot access webinar info."},
    )
    assert r.headers["X-Test"] == "yes" and r.headers["x-zm-trackingid"]
    with zoom.client() as client:  # the fault was used up: the next call is normal
        assert client.meetings.livestream.get(zoom.meeting_id).stream_url == ""
    with zoom.client() as client:
        zoom.fail(LIVE, status=400, code=3000, message="Cannot access webinar info.")
        with pytest.raises(ValidationError) as exc:  # a 4xx is not retried
            client.meetings.livestream.get(zoom.meeting_id)
    assert exc.value.code == 3000


def test_fault_scoped_to_an_account(zoom: Zoom) -> None:
    other = zoom.create_account()
    zoom.fail(LIVE, status=500, account_id=other["id"], times=None)
    with zoom.client() as client:  # the demo account is untouched
        client.meetings.livestream.get(zoom.meeting_id)
    assert zoom.faults()[0]["hits"] == 0


def test_delay_fault(zoom: Zoom) -> None:
    with zoom.client() as client:
        client.meetings.livestream.get(zoom.meeting_id)  # token first
        zoom.delay(LIVE, ms=300)
        started = time.perf_counter()
        client.meetings.livestream.get(zoom.meeting_id)
        assert time.perf_counter() - started >= 0.3
        # A client timeout shorter than the delay: the call fails as a transport error.
        zoom.delay(LIVE, ms=500, times=None)
    retry = RetryPolicy(max_attempts=2)
    with (
        zoom.client(timeout=0.1, retry=retry, sleep=lambda s: None) as slow,
        pytest.raises(TransportError),
    ):
        slow.meetings.livestream.get(zoom.meeting_id)
    zoom.clear_faults()
    assert zoom.faults() == []


def test_drop_fault_on_a_real_socket(zoom_server: Zoom) -> None:
    zoom_server.drop(LIVE, times=1)
    slept: list[float] = []
    with zoom_server.client(sleep=slept.append) as client:
        assert client.meetings.livestream.get(68423085).stream_url == ""  # retried once
    assert len(slept) == 1
    zoom_server.drop(LIVE, times=None)
    retry = RetryPolicy(max_attempts=3)
    with (
        zoom_server.client(sleep=lambda s: None, retry=retry) as client,
        pytest.raises(TransportError),
    ):
        client.meetings.livestream.get(68423085)
    dropped = [e for e in zoom_server.journal(LIVE) if e["fault_id"]]
    assert len(dropped) == 4


def test_drop_fault_in_process(zoom: Zoom) -> None:
    zoom.drop(LIVE)
    with zoom.http() as http, pytest.raises(httpx.RemoteProtocolError):
        http.get(f"/v2/meetings/{zoom.meeting_id}/livestream")


def test_seeded_random_error_rate_is_repeatable(zoom: Zoom) -> None:
    def pattern() -> list[int]:
        zoom.reset()
        zoom.error_rate(0.3, seed=42, path=LIVE, status=502)
        with zoom.http() as http:
            return [
                http.get(f"/v2/meetings/{zoom.meeting_id}/livestream").status_code
                for _ in range(40)
            ]

    first, second = pattern(), pattern()
    assert first == second
    assert 5 <= first.count(502) <= 20  # about 30% of 40
    assert set(first) == {401, 502}  # no token sent: the others reach auth


def test_client_under_a_random_error_rate(zoom: Zoom) -> None:
    zoom.error_rate(0.3, seed=7, path=LIVE, status=503)
    with zoom.client(sleep=lambda s: None, retry=RetryPolicy(max_attempts=6)) as client:
        for _ in range(20):
            client.meetings.livestream.get(zoom.meeting_id)  # every call gets through
    statuses = [e["status"] for e in zoom.journal(LIVE)]
    assert statuses.count(200) == 20 and statuses.count(503) >= 1


def test_forced_token_expiry(zoom: Zoom) -> None:
    with zoom.client() as client:
        client.meetings.livestream.get(zoom.meeting_id)
        assert zoom.expire_tokens() == 1
        client.meetings.livestream.get(zoom.meeting_id)
    assert zoom.tokens_issued() == 2
    assert [(e["status"], e["code"]) for e in zoom.journal(LIVE)] == [
        (200, None),
        (401, 124),
        (200, None),
    ]


def test_faults_show_in_the_journal_and_can_be_listed(zoom: Zoom) -> None:
    a = zoom.fail(LIVE, status=500, times=2)
    b = zoom.delay("/v2/webinars/*", ms=1, times=None)
    assert [f["id"] for f in zoom.faults()] == [a["id"], b["id"]]
    with (
        pytest.raises(ServerError),
        zoom.client(sleep=lambda s: None, retry=RetryPolicy(max_attempts=2)) as client,
    ):
        client.meetings.livestream.get(zoom.meeting_id)
    assert [e["fault_id"] for e in zoom.journal(LIVE)] == [a["id"], a["id"]]
    assert [f["id"] for f in zoom.faults()] == [b["id"]]  # a was used up
    zoom.admin("DELETE", f"/faults/{b['id']}")
    assert zoom.faults() == []

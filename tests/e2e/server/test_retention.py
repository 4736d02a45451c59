"""Retention: finished webhook events, their attempts and expired tokens are pruned
7 days (server clock) after they finished or expired; nothing recent or pending is."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.webhooks.test_webhooks import SECRET, events, go_live, stop, subscribe
from tests.server.webhooks.receiver import Receiver
from tests.support import DEMO_CLIENT, Api, ServerProcess, service_url
from zoomlive.server.settings import normalise_db_url

DAY = 86400.0


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return service_url("ZOOMLIVE_TEST_POSTGRES_URL")
    return str(tmp_path / "retention.db")


@pytest.fixture
def api(db: str) -> Iterator[Api]:
    # Zoom's retry schedule, unscaled: a 5xx leaves its event pending for 5 minutes.
    srv = ServerProcess(db, env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
    try:
        with httpx.Client(timeout=10) as http:
            yield Api(srv.base_url, http)
    finally:
        srv.stop()


def wait_until(what: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def stats(api: Api) -> dict[str, int]:
    return dict(api.admin("GET", "/stats").json())


def attempts_recorded(api: Api, counts: list[int]) -> list[dict[str, Any]] | None:
    """The events, once they have these many attempts each and none is in flight."""
    rows = events(api)
    done = [len(r["attempts"]) for r in rows] == counts
    return rows if done and stats(api)["webhooks_in_flight"] == 0 else None


def attempt_rows(db: str) -> dict[int, int]:
    """Attempts per event id, read straight from the database."""

    async def read() -> dict[int, int]:
        engine = create_async_engine(normalise_db_url(db))
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    sa.text("SELECT outbox_id, count(*) FROM zl_attempts GROUP BY outbox_id")
                )
                return {int(i): int(n) for i, n in rows}
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_old_events_attempts_and_tokens_are_pruned_recent_and_pending_kept(
    api: Api, db: str
) -> None:
    api.admin("POST", "/reset", {"demo": True})
    receiver = Receiver(SECRET)
    try:
        subscribe(api, receiver.url)
        # Day 0: an event delivered, one failed (a 4xx ends it), a token that expires.
        # The receiver answers in arrival order, and the start's and the stop's events
        # are delivered concurrently: each is delivered before the next is made.
        receiver.script.extend([200, 400])
        old_token = api.token()
        go_live(api, old_token)
        wait_until(lambda: attempts_recorded(api, [1]))
        stop(api, old_token)
        old = wait_until(lambda: attempts_recorded(api, [1, 1]))
        assert [r["status"] for r in old] == ["delivered", "failed"]

        # Day 6: an event delivered, one pending (a 5xx: retried 5 minutes later),
        # and a token that expires an hour later.
        api.admin("POST", "/clock", {"advance": 6 * DAY})
        receiver.script.extend([200, 500])
        recent_token = api.token()
        go_live(api, recent_token)
        wait_until(lambda: attempts_recorded(api, [1, 1, 1]))
        stop(api, recent_token)
        rows = wait_until(lambda: attempts_recorded(api, [1, 1, 1, 1]))
        assert [r["status"] for r in rows] == ["delivered", "failed", "delivered", "pending"]
        assert stats(api)["pruned_events"] == 0  # nothing is 7 days old yet
        assert api.admin("GET", f"/apps/{DEMO_CLIENT}/tokens").json()["issued"] == 2

        # Day 7 + 2 h: the day-0 events finished, and the day-0 token expired, over
        # 7 days ago; the day-6 ones did not. Moving the clock runs retention.
        api.admin("POST", "/clock", {"advance": DAY + 2 * 3600})
        pruned = wait_until(lambda: (s := stats(api))["pruned_tokens"] == 1 and s)
    finally:
        receiver.close()
    assert (pruned["pruned_events"], pruned["pruned_attempts"]) == (2, 2)
    kept = events(api)
    assert [r["request_id"] for r in kept] == [r["request_id"] for r in rows[2:]]
    assert kept[0]["status"] == "delivered"
    # The pending event is kept (its retry came due with the clock and may have run).
    assert kept[1]["status"] in ("pending", "delivered")
    in_db = attempt_rows(db)
    assert set(in_db) == {r["id"] for r in kept}  # the pruned events' attempts are gone
    assert api.admin("GET", f"/apps/{DEMO_CLIENT}/tokens").json()["issued"] == 1
    # A pruned token is unknown; an expired one still kept is told apart as expired.
    gone = api.call("GET", "/meetings/68423085/livestream", old_token).json()
    expired = api.call("GET", "/meetings/68423085/livestream", recent_token).json()
    assert gone == {"code": 124, "message": "Invalid access token."}
    assert expired == {"code": 124, "message": "Access token is expired."}

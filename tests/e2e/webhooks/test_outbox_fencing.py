"""The outbox's fence: a result recorded under a lease that has passed to a newer
claim changes nothing, so a late answer cannot undo a delivery or reuse a number."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import fresh_pg_database, service_url
from zoomlive.server.settings import normalise_db_url
from zoomlive.server.storage.store import Store
from zoomlive.server.storage.webhooks import WebhookStore


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: a running server's worker would claim its rows."""
    if request.param == "postgres":
        with fresh_pg_database(service_url("ZOOMLIVE_TEST_POSTGRES_URL")) as url:
            yield normalise_db_url(url)
        return
    yield normalise_db_url(str(tmp_path / "fence.db"))


async def _stale_claim_cannot_record(url: str) -> None:
    store = Store(url, cache_reads=False)
    await store.open()
    try:
        await store.reset()
        outbox = WebhookStore(store)
        stmt, values = outbox.outbox_insert(
            {"request_id": "r-fence", "client_id": "c", "account_id": "a", "event": "e",
             "body": "{}", "status": "pending", "attempts": 0, "next_attempt_at": 0.0,
             "lease_until": None, "lease_token": None, "created_at": 0.0, "finished_at": None}
        )  # fmt: skip
        await store.writer.execute(stmt, values)
        (first,) = await outbox.claim(now=1.0, real_now=100.0, lease=5.0, limit=10)
        assert await outbox.claim(now=1.0, real_now=104.0, lease=5.0, limit=10) == []  # held
        # The first claim's lease runs out while its attempt is in flight: claimed again.
        (second,) = await outbox.claim(now=1.0, real_now=106.0, lease=5.0, limit=10)
        assert second.id == first.id and second.lease_token != first.lease_token

        done = dict(url="u", status_code=200, error=None, duration_ms=1.0,
                    outcome="delivered", next_attempt_at=1.0)  # fmt: skip
        assert await outbox.finish_attempt(second, at=2.0, **done) is True  # type: ignore[arg-type]
        late = dict(url="u", status_code=None, error="ReadTimeout", duration_ms=3000.0,
                    outcome="pending", next_attempt_at=300.0)  # fmt: skip
        assert await outbox.finish_attempt(first, at=3.0, **late) is False  # type: ignore[arg-type]
        assert await outbox.release(first) is False

        ((row, attempts),) = await outbox.events()
        assert (row.status, row.attempts, row.lease_token) == ("delivered", 1, None)
        assert [(a.number, a.status_code) for a in attempts] == [(1, 200)]
        await store.reset()
    finally:
        await store.close()


def test_a_late_result_under_a_lost_lease_changes_nothing(db_url: str) -> None:
    asyncio.run(_stale_claim_cannot_record(db_url))

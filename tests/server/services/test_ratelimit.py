"""The rate limiter's counting (Decision 9): a fixed one-second window and a UTC-day
window per account; a rejected request consumes nothing."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from zoomlive.server.services.ratelimit import DAILY, QPS, Hit, MemoryCounters, next_utc_midnight


def run(calls: list[tuple[str, int, int]], qps: int, daily: int | None) -> list[Hit]:
    counters = MemoryCounters()

    async def go() -> list[Hit]:
        return [await counters.hit(a, s, d, qps, daily) for a, s, d in calls]

    return asyncio.run(go())


def test_per_second_window_is_fixed_and_per_account() -> None:
    hits = run([("a", 10, 0), ("a", 10, 0), ("a", 10, 0), ("b", 10, 0), ("a", 11, 0)], 2, None)
    assert [h.rejected for h in hits] == [0, 0, QPS, 0, 0]
    assert [h.second_count for h in hits] == [1, 2, 2, 1, 1]


def test_an_older_second_counts_in_the_current_window_without_starting_it_over() -> None:
    hits = run([("a", 11, 0), ("a", 10, 0), ("a", 11, 0), ("a", 10, 0)], 2, None)
    assert [h.rejected for h in hits] == [0, 0, QPS, QPS]
    assert [h.second_count for h in hits] == [1, 2, 2, 2]


def test_daily_window_counts_only_accepted_requests() -> None:
    calls = [("a", s, 5) for s in range(5)] + [("a", 100, 6)]
    hits = run(calls, 1, 3)
    assert [h.rejected for h in hits] == [0, 0, 0, DAILY, DAILY, 0]
    assert [h.day_count for h in hits] == [1, 2, 3, 3, 3, 1]


def test_daily_is_checked_before_the_second() -> None:
    hits = run([("a", 1, 0), ("a", 1, 0)], 1, 1)
    assert hits[1].rejected == DAILY


@given(
    st.lists(st.tuples(st.sampled_from("ab"), st.integers(0, 5)), max_size=60),
    st.integers(1, 4),
    st.one_of(st.none(), st.integers(1, 20)),
)
def test_never_more_than_the_limits_in_any_window(
    calls: list[tuple[str, int]], qps: int, daily: int | None
) -> None:
    calls = sorted(calls, key=lambda c: c[1])  # time only moves forward
    hits = run([(a, s, 0) for a, s in calls], qps, daily)
    accepted: dict[tuple[str, int], int] = {}
    per_day: dict[str, int] = {}
    for (account, second), hit in zip(calls, hits, strict=True):
        if hit.rejected:
            continue
        accepted[account, second] = accepted.get((account, second), 0) + 1
        per_day[account] = per_day.get(account, 0) + 1
    assert all(n <= qps for n in accepted.values())
    assert daily is None or all(n <= daily for n in per_day.values())
    # And it refuses only when a limit is met: every refusal had a full window.
    for hit in hits:
        if hit.rejected == QPS:
            assert hit.second_count == qps
        if hit.rejected == DAILY:
            assert hit.day_count == daily


def test_next_utc_midnight() -> None:
    assert next_utc_midnight(1_800_000_000.0) == "2027-01-16T00:00:00Z"
    assert next_utc_midnight(1_800_057_599.9) == "2027-01-16T00:00:00Z"
    assert next_utc_midnight(1_800_057_600.0) == "2027-01-17T00:00:00Z"

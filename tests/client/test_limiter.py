"""The client limiter, on a simulated clock: whatever the latencies and however many
workers share it, no one-second server window (of any phase) counts more than
``rate`` requests, and with no latency it still sends ``rate`` per second."""

from __future__ import annotations

import asyncio
import heapq
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zoomlive.client.limiter import AsyncRateLimiter, RateLimiter, Window, plan_rate


class Sim:
    """A discrete-event run of ``workers`` loops sending ``total`` requests through one
    ``Window``. Each request is counted by the server at some moment between its send
    and its answer (``where`` in [0, 1] of the way), as a real server does."""

    def __init__(self, rate: int, workers: int) -> None:
        self.now = 0.0
        self.window = Window(rate, 1.0, lambda: self.now)
        self.workers = workers
        self.counted: list[float] = []
        self.sent = 0

    def run(self, total: int, latency: list[float], where: list[float]) -> list[float]:
        events: list[tuple[float, int, str, int]] = []  # (time, seq, kind, worker)
        seq = 0
        for w in range(self.workers):
            heapq.heappush(events, (0.0, seq := seq + 1, "try", w))
        waiting: set[int] = set()
        while events:
            t, _, kind, w = heapq.heappop(events)
            self.now = max(self.now, t)
            if kind == "answer":
                self.window.release()
                for other in sorted(waiting):
                    heapq.heappush(events, (self.now, seq := seq + 1, "try", other))
                waiting.clear()
                heapq.heappush(events, (self.now, seq := seq + 1, "try", w))
                continue
            if self.sent >= total:
                continue
            delay = self.window.try_acquire()
            if delay is None:
                waiting.add(w)
            elif delay > 0:
                heapq.heappush(events, (self.now + delay, seq := seq + 1, "try", w))
            else:
                i = self.sent
                self.sent += 1
                took = latency[i % len(latency)]
                self.counted.append(self.now + took * where[i % len(where)])
                heapq.heappush(events, (self.now + took, seq := seq + 1, "answer", w))
        return self.counted


def busiest_window(moments: list[float]) -> int:
    """The most moments in any half-open one-second span (any phase)."""
    moments = sorted(moments)
    best, j = 0, 0
    for i, start in enumerate(moments):
        j = max(j, i)
        while j < len(moments) and moments[j] < start + 1.0:
            j += 1
        best = max(best, j - i)
    return best


@settings(max_examples=100, deadline=None)
@given(
    rate=st.integers(1, 6),
    workers=st.integers(1, 10),
    total=st.integers(1, 40),
    latency=st.lists(st.floats(0.0, 2.5), min_size=1, max_size=20),
    where=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20),
)
def test_no_server_window_sees_more_than_rate(
    rate: int, workers: int, total: int, latency: list[float], where: list[float]
) -> None:
    counted = Sim(rate, workers).run(total, latency, where)
    assert len(counted) == total
    assert busiest_window(counted) <= rate


def test_without_latency_it_sends_rate_per_second() -> None:
    sim = Sim(30, 8)
    counted = sim.run(300, [0.0], [0.0])
    assert busiest_window(counted) == 30
    assert 9.0 <= max(counted) < 9.0 + 1e-3  # 10 windows of 30: the last opens at 9 s


def test_release_without_acquire_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        Window(1, 1.0, time.monotonic).release()
    with pytest.raises(ValueError):
        Window(0, 1.0, time.monotonic)


def test_plan_rates() -> None:
    assert [plan_rate(p) for p in ("free", "pro", "business")] == [4, 30, 80]


def test_threads_wait_for_an_answer_then_go() -> None:
    limiter = RateLimiter(1, window=0.05)
    limiter.acquire()
    sent = threading.Event()

    def second() -> None:
        with limiter.slot():
            sent.set()

    t = threading.Thread(target=second)
    t.start()
    assert not sent.wait(0.1)  # one in flight at rate 1: nothing may go, however long
    limiter.release()
    assert sent.wait(5)  # woken by the answer, then sent once it is 0.05 s old
    t.join(5)


def test_tasks_wait_for_an_answer_then_go() -> None:
    async def run() -> list[str]:
        limiter = AsyncRateLimiter(1, window=0.05)
        order: list[str] = []
        await limiter.acquire()

        async def second() -> None:
            async with limiter.slot():
                order.append("second sent")

        task = asyncio.create_task(second())
        done, _ = await asyncio.wait([task], timeout=0.1)
        assert not done  # one in flight at rate 1: nothing may go, however long
        order.append("first answered")
        limiter.release()
        await asyncio.wait_for(task, 5)
        return order

    assert asyncio.run(run()) == ["first answered", "second sent"]

"""A client-side limiter: keep requests under a plan's per-second limit, so bulk
work never meets a 429.

Zoom counts requests in one-second windows. The limiter allows at most ``rate``
sends in any span of ``window`` seconds (one second plus a margin for network
jitter), so no server window can see more than ``rate`` of them.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Callable

from zoomlive.wire.ratelimit import LIMITS, LIVESTREAM_LABEL, Plan


def plan_rate(plan: str) -> int:
    """The Light label's per-second limit for a plan name (free, pro, business)."""
    return LIMITS[LIVESTREAM_LABEL][Plan(plan)].per_second


class _Window:
    def __init__(self, rate: int, window: float, clock: Callable[[], float]) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1 request per second")
        self.rate = rate
        self.window = window
        self._clock = clock
        self._sent: collections.deque[float] = collections.deque()

    def wait_time(self) -> float:
        """Seconds until a send is allowed; 0 means: send now (and it is counted)."""
        now = self._clock()
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()
        if len(self._sent) < self.rate:
            self._sent.append(now)
            return 0.0
        return self._sent[0] + self.window - now


class RateLimiter:
    """Thread-safe, for ``Client``."""

    def __init__(
        self,
        rate: int,
        *,
        window: float = 1.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._w = _Window(rate, window, clock)
        self._lock = threading.Lock()
        self._sleep = sleep

    @property
    def rate(self) -> int:
        return self._w.rate

    def acquire(self) -> None:
        while True:
            with self._lock:
                delay = self._w.wait_time()
            if delay <= 0:
                return
            self._sleep(delay)


class AsyncRateLimiter:
    """For ``AsyncClient``: one event loop, many tasks."""

    def __init__(
        self, rate: int, *, window: float = 1.05, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._w = _Window(rate, window, clock)

    @property
    def rate(self) -> int:
        return self._w.rate

    async def acquire(self) -> None:
        while True:
            delay = self._w.wait_time()
            if delay <= 0:
                return
            await asyncio.sleep(delay)

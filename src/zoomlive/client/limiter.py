"""A client-side limiter: keep requests under a plan's per-second limit, so bulk
work never meets a 429.

Zoom counts requests in fixed one-second windows of its own clock (Decision 9), at
some moment between the client sending a request and receiving its answer; neither
the moment nor the phase of the server's windows is known to the client. So each
request is treated as occupying the whole span from its send to its answer, and a
new request is sent only while fewer than ``rate`` requests are in flight or were
answered less than ``window`` (one second) ago. Any one-second server window then
holds at most ``rate`` requests, whatever the network or a busy machine delays:
if a window held the counting moments of ``rate + 1`` requests, the last of them to
be sent would have found the other ``rate`` in flight or answered within a second.
The cost is the latency: at most ``rate`` requests per (1 s + round trip).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator

from zoomlive.wire.ratelimit import LIMITS, LIVESTREAM_LABEL, Plan


def plan_rate(plan: str) -> int:
    """The Light label's per-second limit for a plan name (free, pro, business)."""
    return LIMITS[LIVESTREAM_LABEL][Plan(plan)].per_second


class Window:
    """The limiter's bookkeeping, without locks or sleeps (one instance per limiter).

    ``try_acquire`` answers 0.0 (send now: counted as in flight), a number of seconds
    to wait, or ``None`` (wait until a request in flight is answered); ``release``
    records an answer (or a failed send).
    """

    def __init__(self, rate: int, window: float, clock: Callable[[], float]) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1 request per second")
        self.rate = rate
        self.window = window
        self._clock = clock
        self.in_flight = 0
        #: When each recent request was answered, oldest first (answers come in order
        #: of the clock, so this stays sorted).
        self._answered: collections.deque[float] = collections.deque()

    def busy(self) -> int:
        """Requests that may still share a server window with one sent now."""
        horizon = self._clock() - self.window
        while self._answered and self._answered[0] <= horizon:
            self._answered.popleft()
        return self.in_flight + len(self._answered)

    def try_acquire(self) -> float | None:
        busy = self.busy()
        if busy < self.rate:
            self.in_flight += 1
            return 0.0
        surplus = busy - self.rate  # this many more must age out first
        if surplus >= len(self._answered):
            return None
        return max(self._answered[surplus] + self.window - self._clock(), 1e-6)

    def release(self) -> None:
        if self.in_flight < 1:
            raise RuntimeError("release() without a matching acquire()")
        self.in_flight -= 1
        self._answered.append(self._clock())


class RateLimiter:
    """Thread-safe, for ``Client``: ``with limiter.slot(): send()``."""

    def __init__(
        self, rate: int, *, window: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._w = Window(rate, window, clock)
        self._cond = threading.Condition()

    @property
    def rate(self) -> int:
        return self._w.rate

    def acquire(self) -> None:
        with self._cond:
            while True:
                delay = self._w.try_acquire()
                if delay == 0.0:
                    return
                self._cond.wait(delay)  # None: until an answer arrives

    def release(self) -> None:
        with self._cond:
            self._w.release()
            self._cond.notify_all()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """One request, from its send to its answer (or failure)."""
        self.acquire()
        try:
            yield
        finally:
            self.release()


class AsyncRateLimiter:
    """For ``AsyncClient``: one event loop, many tasks."""

    def __init__(
        self, rate: int, *, window: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._w = Window(rate, window, clock)
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def rate(self) -> int:
        return self._w.rate

    async def acquire(self) -> None:
        while True:
            delay = self._w.try_acquire()
            if delay == 0.0:
                return
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, delay)  # None: until an answer arrives
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)

    def release(self) -> None:
        self._w.release()
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()

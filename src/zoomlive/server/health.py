"""Dependency health: what ``/_zoomlive/health`` reports, logged without flooding.

Each component that talks to a dependency (the rate limiter to Redis, the store to
the database) owns one ``Dependency``. The component records failures and
recoveries as it meets them; health reads the state back. During an outage under
load every request may fail the same way, so the log gets one line per distinct
failure per minute, and one when the dependency is back (README, "When Redis or
PostgreSQL fails").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

OK = "ok"


class ThrottledLog:
    """At most one line per key per ``every`` seconds (a key is a distinct failure)."""

    def __init__(
        self,
        logger: logging.Logger,
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._every = every
        self._clock = clock
        self._last: dict[str, float] = {}

    def warning(self, key: str, message: str) -> bool:
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._every:
            return False
        if len(self._last) >= 64:  # failures are few; keep the memory bounded anyway
            self._last = {k: t for k, t in self._last.items() if now - t < self._every}
        self._last[key] = now
        self._logger.warning("%s", message)
        return True


class Dependency:
    """One dependency as its owner last saw it: ``reason`` is None while it works."""

    def __init__(self, name: str, logger: logging.Logger, consequence: str = "") -> None:
        self.name = name
        #: What still works while it fails, appended to the reason (for the operator).
        self.consequence = consequence
        self.reason: str | None = None
        self._logger = logger
        self._log = ThrottledLog(logger)
        self._announced = False

    @property
    def ok(self) -> bool:
        return self.reason is None

    def status(self) -> str:
        return OK if self.reason is None else self.reason

    def failed(self, exc: BaseException) -> None:
        failure = describe(exc)
        reason = f"{self.name} unavailable: {failure}"
        if self.consequence:
            reason = f"{reason}; {self.consequence}"
        self.reason = reason
        if self._log.warning(failure, reason):
            self._announced = True

    def recovered(self) -> None:
        if self.reason is not None:
            self.reason = None
            # "back" pairs with a logged failure, so it is throttled just as much.
            if self._announced:
                self._announced = False
                self._logger.warning("%s is back", self.name)


def describe(exc: BaseException) -> str:
    """The innermost cause's type and the first line of its message, kept short.

    The innermost cause is the driver's or the socket's error: the wrappers around
    it (SQLAlchemy's) quote the statement and its parameters, which may hold secrets.
    """
    root = exc
    seen = {id(root)}
    while True:
        nxt = root.__cause__ or root.__context__
        # Stop above a cancellation: a timeout's cause is the cancelled wait.
        if not isinstance(nxt, Exception) or id(nxt) in seen:
            break
        seen.add(id(nxt))
        root = nxt
    text = str(root).strip().splitlines()[0] if str(root).strip() else ""
    if len(text) > 160:
        text = text[:157] + "..."
    name = type(root).__name__
    return f"{name}: {text}" if text else name

"""The server's time source. Injected, so tests can freeze, set and advance it."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

#: The range the clock may be set to, in epoch seconds: 1970-01-01T00:00:00Z to
#: 9999-12-30T23:59:59Z. The last day of year 9999 is left out so that "the next UTC
#: midnight" (Zoom's daily rate-limit reset) and a day of running still exist.
MIN_TIME = 0.0
MAX_TIME = 253402214399.0


def iso_utc(ts: float) -> str:
    """Epoch seconds as Zoom writes times: ``2026-11-25T09:30:00Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_range(at: float) -> bool:
    return math.isfinite(at) and MIN_TIME <= at <= MAX_TIME


class Clock:
    """Wall-clock seconds, optionally frozen or offset by the control API.

    ``now()`` is on every request's path, so it stays one attribute read and one
    addition when not frozen.
    """

    __slots__ = ("_frozen", "_offset")

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen: float | None = None

    def now(self) -> float:
        if self._frozen is not None:
            return self._frozen
        return time.time() + self._offset

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(min(max(self.now(), MIN_TIME), MAX_TIME), UTC)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def freeze(self, at: float | None = None) -> None:
        if at is not None:
            _check(at)
        self._frozen = self.now() if at is None else at

    def unfreeze(self) -> None:
        if self._frozen is not None:
            self._offset = self._frozen - time.time()
            self._frozen = None

    def set(self, at: float) -> None:
        """Raises ``ValueError`` (and changes nothing) outside ``MIN_TIME..MAX_TIME``."""
        _check(at)
        if self._frozen is not None:
            self._frozen = at
        else:
            self._offset = at - time.time()

    def advance(self, seconds: float) -> None:
        """Raises ``ValueError`` (and changes nothing) if the result would leave the range."""
        _check(self.now() + seconds)
        if self._frozen is not None:
            self._frozen += seconds
        else:
            self._offset += seconds

    def reset(self) -> None:
        self._offset = 0.0
        self._frozen = None


def _check(at: float) -> None:
    if not in_range(at):
        raise ValueError(f"clock value out of range: {at!r}")

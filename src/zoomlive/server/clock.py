"""The server's time source. Injected, so tests can freeze, set and advance it."""

from __future__ import annotations

import time
from datetime import UTC, datetime


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
        return datetime.fromtimestamp(self.now(), UTC)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def freeze(self, at: float | None = None) -> None:
        self._frozen = self.now() if at is None else at

    def unfreeze(self) -> None:
        if self._frozen is not None:
            self._offset = self._frozen - time.time()
            self._frozen = None

    def set(self, at: float) -> None:
        if self._frozen is not None:
            self._frozen = at
        else:
            self._offset = at - time.time()

    def advance(self, seconds: float) -> None:
        if self._frozen is not None:
            self._frozen += seconds
        else:
            self._offset += seconds

    def reset(self) -> None:
        self._offset = 0.0
        self._frozen = None

"""Fault injection: make matching requests fail, stall or lose their connection.

A fault matches by method, a glob over the path and, optionally, the caller's
account. It fires for its next ``times`` matches (``None``: until cleared).
``random`` faults fire with probability ``rate`` from a seeded generator, so a
run can be repeated exactly.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import re
from typing import Literal

import msgspec

Action = Literal["error", "delay", "drop", "random"]


class FaultSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: HTTP method, or ``*``.
    method: str = "*"
    #: Glob over the path, e.g. ``/v2/meetings/*/livestream``.
    path: str = "*"
    account_id: str | None = None
    #: How many matching requests it applies to; ``None`` = until cleared.
    times: int | None = 1
    #: ``error``: answer with status/code/message/headers (after ``delay_ms``, if set);
    #: ``delay``: wait ``delay_ms`` then answer normally; ``drop``: close the connection
    #: without an answer; ``random``: answer with the error with probability ``rate``.
    action: Action = "error"
    status: int = 500
    code: int | None = None
    message: str = "Internal server error."
    headers: dict[str, str] = {}
    delay_ms: int = 0
    rate: float = 0.0
    seed: int | None = None


class Fault(msgspec.Struct, kw_only=True):
    id: int
    spec: FaultSpec
    remaining: int | None
    hits: int = 0


class FaultBook:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._patterns: dict[int, re.Pattern[str]] = {}
        self._rngs: dict[int, random.Random] = {}
        self._ids = itertools.count(1)
        #: Whether any fault needs the caller's account to match.
        self.needs_account = False

    @property
    def active(self) -> bool:
        return bool(self._faults)

    def add(self, spec: FaultSpec) -> Fault:
        fault = Fault(id=next(self._ids), spec=spec, remaining=spec.times)
        self._faults.append(fault)
        self._patterns[fault.id] = re.compile(fnmatch.translate(spec.path))
        self._rngs[fault.id] = random.Random(spec.seed)
        self.needs_account = any(f.spec.account_id for f in self._faults)
        return fault

    def list(self) -> list[Fault]:
        return list(self._faults)

    def remove(self, fault_id: int) -> bool:
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        self.needs_account = any(f.spec.account_id for f in self._faults)
        return len(self._faults) != before

    def clear(self) -> None:
        self._faults.clear()
        self._patterns.clear()
        self._rngs.clear()
        self.needs_account = False

    def match(self, method: str, path: str, account_id: str | None) -> Fault | None:
        """The first fault that fires for this request (its use is counted)."""
        for fault in self._faults:
            spec = fault.spec
            if spec.method != "*" and spec.method.upper() != method:
                continue
            if spec.account_id is not None and spec.account_id != account_id:
                continue
            if not self._patterns[fault.id].match(path):
                continue
            if spec.action == "random" and self._rngs[fault.id].random() >= spec.rate:
                continue
            fault.hits += 1
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.remove(fault.id)
            return fault
        return None

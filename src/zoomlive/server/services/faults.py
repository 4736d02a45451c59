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
from http import HTTPStatus
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from zoomlive.wire import errors as E
from zoomlive.wire import ratelimit as rl

Action = Literal["error", "delay", "drop", "random"]

#: Statuses that cannot carry the error body a fault sends (RFC 9110 §15: 1xx are
#: interim, 204/205/304 have no content), so a client would hang or misread the
#: next answer on the connection.
NO_BODY_STATUSES = frozenset({204, 205, 304})
#: RFC 9110 ``token``: what a header name may be.
HEADER_NAME_PATTERN = r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$(?!\n)"
#: Visible ASCII, space and tab: no CR/LF (which would split the answer) and nothing
#: outside latin-1. ``$(?!\n)``: Python's ``$`` also matches before a final newline.
HEADER_VALUE_PATTERN = r"^[\t\x20-\x7e]*$(?!\n)"
#: The fault's own framing sets these; a second value would corrupt the answer.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})

METHOD_PATTERN = r"^(\*|[A-Za-z]+)$(?!\n)"
HeaderName = Annotated[str, Meta(min_length=1, max_length=64, pattern=HEADER_NAME_PATTERN)]
HeaderValue = Annotated[str, Meta(max_length=1024, pattern=HEADER_VALUE_PATTERN)]
INT32_MAX = 2**31 - 1


class FaultSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What to inject. Every field is bounded so that a fault always produces a
    well-formed HTTP answer (README, the control API)."""

    #: HTTP method, or ``*``.
    method: Annotated[str, Meta(min_length=1, max_length=16, pattern=METHOD_PATTERN)] = "*"
    #: Glob over the path, e.g. ``/v2/meetings/*/livestream``.
    path: Annotated[str, Meta(max_length=1024)] = "*"
    account_id: Annotated[str, Meta(max_length=64)] | None = None
    #: How many matching requests it applies to; ``None`` = until cleared.
    times: Annotated[int, Meta(ge=1, le=INT32_MAX)] | None = 1
    #: ``error``: answer with status/code/message/headers (after ``delay_ms``, if set);
    #: ``delay``: wait ``delay_ms`` then answer normally; ``drop``: close the connection
    #: without an answer; ``random``: answer with the error with probability ``rate``.
    action: Action = "error"
    #: 200 to 599, except 204, 205 and 304 (no body).
    status: Annotated[int, Meta(ge=200, le=599)] = 500
    code: Annotated[int, Meta(ge=0, le=INT32_MAX)] | None = None
    #: None: the message Zoom answers with that status (``default_message``).
    message: Annotated[str, Meta(max_length=4096)] | None = None
    headers: Annotated[dict[HeaderName, HeaderValue], Meta(max_length=32)] = {}
    #: At most 10 minutes.
    delay_ms: Annotated[int, Meta(ge=0, le=600_000)] = 0
    rate: Annotated[float, Meta(ge=0.0, le=1.0)] = 0.0
    seed: Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)] | None = None

    def __post_init__(self) -> None:
        # Raised as "Invalid parameter: {field}. …": the control API's error handler
        # reads the field back from the message (msgspec keeps only the text).
        if self.status in NO_BODY_STATUSES:
            raise ValueError(
                f"Invalid parameter: status. {self.status} cannot carry a body; "
                "use 200-599 except 204, 205 and 304."
            )
        for name in self.headers:
            if name.lower() in FRAMING_HEADERS:
                raise ValueError(
                    f"Invalid parameter: headers. {name} is set by the server, not by a fault."
                )


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

    def reset(self) -> None:
        """No faults (ids keep counting, so an old id never names a new fault)."""
        self.clear()

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


#: Zoom's words for the statuses a fault most often plays; any other status says its
#: HTTP reason phrase.
_MESSAGES = {
    401: E.TOKEN_INVALID.message,
    429: E.RATE_LIMIT_QPS.message,
    500: E.INTERNAL.message,
    503: E.SERVICE_UNAVAILABLE.message,
}


def default_message(status: int) -> str:
    found = _MESSAGES.get(status)
    if found is not None:
        return found
    try:
        return f"{HTTPStatus(status).phrase}."
    except ValueError:
        return "Error."


def default_headers(status: int) -> dict[str, str]:
    """What a 429 fault carries unless it says otherwise: Zoom's per-second limit's
    headers (``X-RateLimit-Type: QPS``, none remaining, ``Retry-After: 1``)."""
    if status != 429:
        return {}
    return {rl.HEADER_TYPE: rl.TYPE_QPS, rl.HEADER_REMAINING: "0", rl.HEADER_RETRY_AFTER: "1"}

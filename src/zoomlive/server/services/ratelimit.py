"""Zoom's rate limits (Decision 9): per account, by plan, Light label.

A fixed one-second window for the per-second limit and a UTC-day window for the
Free plan's daily cap. Rejected requests consume nothing. The counter backend is
pluggable: in-process by default, Redis (one atomic script per request) when
several server processes must share one account's budget. When Redis fails, each
process counts alone until it is back (``SharedCounters``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from zoomlive.server.health import Dependency
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.storage.records import Account
from zoomlive.wire import errors as E
from zoomlive.wire import ratelimit as rl

Headers = list[tuple[str, str]]

QPS = 1
DAILY = 2


class Hit(NamedTuple):
    rejected: int  # 0, QPS or DAILY
    second_count: int
    day_count: int
    #: Counted by this process alone because the shared counters failed.
    local: bool = False


class CounterBackend(Protocol):
    async def hit(
        self, account_id: str, second: int, day: int, qps: int, daily: int | None
    ) -> Hit: ...

    async def reset(self) -> None: ...


class MemoryCounters:
    """Counters in this process: right for one server process."""

    def __init__(self) -> None:
        self._sec: dict[str, tuple[int, int]] = {}
        self._day: dict[str, tuple[int, int]] = {}

    async def hit(self, account_id: str, second: int, day: int, qps: int, daily: int | None) -> Hit:
        s_win, s_count = self._sec.get(account_id, (second, 0))
        if second < s_win:
            # A second read before a wait (a caller that tried Redis first) counts in
            # the current window: going back would start that window over.
            second = s_win
        elif s_win != second:
            s_count = 0
        d_win, d_count = self._day.get(account_id, (day, 0))
        if d_win != day:
            d_count = 0
        if daily is not None and d_count >= daily:
            return Hit(DAILY, s_count, d_count)
        if s_count >= qps:
            return Hit(QPS, s_count, d_count)
        self._sec[account_id] = (second, s_count + 1)
        self._day[account_id] = (day, d_count + 1)
        return Hit(0, s_count + 1, d_count + 1)

    async def reset(self) -> None:
        self._sec.clear()
        self._day.clear()


_LUA = """
local s = tonumber(redis.call('GET', KEYS[1]) or '0')
local d = tonumber(redis.call('GET', KEYS[2]) or '0')
local qps = tonumber(ARGV[1])
local daily = tonumber(ARGV[2])
if daily >= 0 and d >= daily then return {2, s, d} end
if s >= qps then return {1, s, d} end
s = redis.call('INCR', KEYS[1])
if s == 1 then redis.call('EXPIRE', KEYS[1], 5) end
d = redis.call('INCR', KEYS[2])
if d == 1 then redis.call('EXPIRE', KEYS[2], 172800) end
return {0, s, d}
"""


class RedisCounters:
    """Counters in Redis, checked and counted in one Lua script, so several server
    processes share one account's budget exactly.

    Short timeouts and no client-side retries: a request waits at most ``timeout``
    seconds on a Redis that hangs, and ``SharedCounters`` decides what happens next.
    """

    def __init__(self, url: str, prefix: str = "zoomlive:rl", timeout: float = 1.0) -> None:
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._redis: Any = aioredis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self._prefix = prefix
        self._script: Any = self._redis.register_script(_LUA)

    async def hit(self, account_id: str, second: int, day: int, qps: int, daily: int | None) -> Hit:
        keys = [f"{self._prefix}:s:{account_id}:{second}", f"{self._prefix}:d:{account_id}:{day}"]
        res = await self._script(keys=keys, args=[qps, -1 if daily is None else daily])
        return Hit(int(res[0]), int(res[1]), int(res[2]))

    async def reset(self) -> None:
        async for key in self._redis.scan_iter(match=f"{self._prefix}:*"):
            await self._redis.delete(key)

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


log = logging.getLogger("zoomlive.server.ratelimit")


class SharedCounters:
    """Redis counters that fail soft: per-process counters while Redis fails.

    A circuit breaker: after a failure, requests count locally (and say so, with
    ``X-Zoomlive-RateLimit: local``) without touching Redis; at most one request per
    ``retry_every`` seconds tries Redis again, and the first success closes the
    breaker. The local counters then give each process the account's whole budget,
    so N processes admit up to N times the limit until Redis is back.

    A request that waited on Redis counts locally in the second it is counted in, not
    the one it started in: every second of real time admits at most the limit in
    each process (README, "When Redis or PostgreSQL fails").
    """

    def __init__(
        self,
        redis: RedisCounters,
        retry_every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.local = MemoryCounters()
        self.dependency = Dependency("redis", log, "rate limits are counted in each process alone")
        self._retry_every = retry_every
        self._clock = clock
        self._wall = wall
        self._retry_at = 0.0
        self._errors = _redis_errors()  # imported with Redis, not with this module

    def _may_try(self) -> bool:
        if self.dependency.ok:
            return True
        now = self._clock()
        if now < self._retry_at:
            return False
        self._retry_at = now + self._retry_every  # this caller probes; others stay local
        return True

    def _failed(self, exc: BaseException) -> None:
        self._retry_at = self._clock() + self._retry_every
        self.dependency.failed(exc)

    async def hit(self, account_id: str, second: int, day: int, qps: int, daily: int | None) -> Hit:
        if self._may_try():
            try:
                hit = await self.redis.hit(account_id, second, day, qps, daily)
            except self._errors as exc:
                self._failed(exc)
            else:
                self.dependency.recovered()
                return hit
            second = max(second, int(self._wall()))
        local = await self.local.hit(account_id, second, day, qps, daily)
        return local._replace(local=True)

    async def probe(self) -> None:
        """Try Redis now if it failed and a retry is due (health calls this)."""
        if not self.dependency.ok and self._may_try():
            try:
                await self.redis.ping()
            except self._errors as exc:
                self._failed(exc)
            else:
                self.dependency.recovered()

    async def reset(self) -> None:
        await self.local.reset()
        if self._may_try():
            try:
                await self.redis.reset()
            except self._errors as exc:
                self._failed(exc)
            else:
                self.dependency.recovered()

    async def close(self) -> None:
        await self.redis.close()


def _redis_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import RedisError

    return (RedisError, OSError, TimeoutError)


class RateLimiter:
    def __init__(self, backend: CounterBackend, enabled: bool = True) -> None:
        self.backend = backend
        self.enabled = enabled
        #: 429s this process has sent.
        self.rejected = 0

    async def check(
        self, account: Account, now: float, label: rl.Label = rl.LIVESTREAM_LABEL
    ) -> Headers:
        """Count one request; return its response headers, or raise Zoom's 429.

        ``now`` is the server clock (controllable): it drives the daily windows, so a
        test can jump to the next UTC day. Per-second windows follow real time, so a
        frozen clock never freezes a client out.
        """
        limit = _LIMITS[label].get(account.plan) or rl.LIMITS[label][rl.Plan.PRO]
        qps = account.rate_limit_qps or limit.per_second
        daily = account.rate_limit_daily if account.rate_limit_daily is not None else limit.per_day
        if not self.enabled:
            return [(rl.HEADER_CATEGORY, label.value)]
        real = time.time()
        second = int(real)
        # Each label has its own budget (Zoom: "per-second limits per label").
        key = account.id if label is rl.Label.LIGHT else f"{account.id}:{label.value}"
        hit = await self.backend.hit(key, second, int(now // 86400), qps, daily)
        if daily is not None:
            headers = [
                (rl.HEADER_CATEGORY, label.value),
                (rl.HEADER_LIMIT, str(daily)),
                (rl.HEADER_REMAINING, str(max(daily - hit.day_count, 0))),
            ]
        else:
            headers = [
                (rl.HEADER_CATEGORY, label.value),
                (rl.HEADER_LIMIT, str(qps)),
                (rl.HEADER_REMAINING, str(max(qps - hit.second_count, 0))),
            ]
        if hit.local:
            headers.append((rl.HEADER_ZOOMLIVE_SCOPE, rl.SCOPE_LOCAL))
        if hit.rejected:
            self.rejected += 1
        if hit.rejected == DAILY:
            raise ZoomProblem.of(
                E.RATE_LIMIT_DAILY,
                headers=dict(
                    [
                        *headers,
                        (rl.HEADER_TYPE, rl.TYPE_DAILY),
                        (rl.HEADER_RETRY_AFTER, next_utc_midnight(now)),
                    ]
                ),
            )
        if hit.rejected == QPS:
            retry = max(1, math.ceil(second + 1 - real))
            raise ZoomProblem.of(
                E.RATE_LIMIT_QPS,
                headers=dict(
                    [*headers, (rl.HEADER_TYPE, rl.TYPE_QPS), (rl.HEADER_RETRY_AFTER, str(retry))]
                ),
            )
        return headers

    def daily_cap_exceeded(self, now: float, cap: int) -> ZoomProblem:
        """Zoom's 429 for a per-day cap used up (a host's 100 meeting
        creates/updates), with ``X-RateLimit-Type: Daily-limit`` and the server clock's
        next UTC midnight as ``Retry-After`` (README, Decisions). The count itself is
        kept in the database, with the write it limits (``storage.lifecycle.Quota``)."""
        self.rejected += 1
        return ZoomProblem.of(
            E.DAILY_CREATE_LIMIT,
            headers={
                rl.HEADER_TYPE: rl.TYPE_DAILY,
                rl.HEADER_LIMIT: str(cap),
                rl.HEADER_REMAINING: "0",
                rl.HEADER_RETRY_AFTER: next_utc_midnight(now),
            },
        )

    async def reset(self) -> None:
        await self.backend.reset()


#: ``rl.LIMITS`` keyed by the plan's stored text (no enum lookup per request); an
#: unknown plan counts as Pro.
_LIMITS: dict[rl.Label, dict[str, rl.PlanLimit]] = {
    label: {plan.value: limit for plan, limit in by_plan.items()}
    for label, by_plan in rl.LIMITS.items()
}


def next_utc_midnight(now: float) -> str:
    day = datetime.fromtimestamp(now, UTC).date() + timedelta(days=1)
    return f"{day.isoformat()}T00:00:00Z"

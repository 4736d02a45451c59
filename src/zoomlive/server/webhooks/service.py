"""Subscriptions, URL validation and the delivery worker.

Delivery follows Zoom: POST compact JSON with Zoom's headers and a v0 signature;
success is 200 or 204 within 3 s; only a 5xx or a network failure is retried,
5, 20 and 60 minutes later (times ``webhook_retry_scale``, on the server clock);
after the fourth failed attempt the event is marked failed. A 3xx or 4xx ends it
at once. Endpoints are validated when set, revalidated every 72 hours of server
time, and disabled after 6 failed validations in a row.

An attempt's result counts only while its claim holds the lease, and the lease is
sized to outlive the attempt: the worker keeps at most ``MAX_IN_FLIGHT`` deliveries
in flight, so none waits for a connection; a delivery is sent only if the lease has
``ATTEMPT_DEADLINE + RECORD_MARGIN`` left; and ``ATTEMPT_DEADLINE`` bounds the whole
exchange. So an event is sent twice only if a process dies between sending it and
recording the answer (README, Webhooks).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
import traceback
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from zoomlive.server.clock import Clock
from zoomlive.server.crashes import redact
from zoomlive.server.health import ThrottledLog
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.services.events import live_streaming_event
from zoomlive.server.services.factory import subscription_record
from zoomlive.server.services.journal import Journal
from zoomlive.server.storage.failures import CommitOutcomeUnknown, StorageUnavailable
from zoomlive.server.storage.records import Attempt, Meeting, OutboxRow, Subscription
from zoomlive.server.storage.store import Queued, Store
from zoomlive.server.storage.webhooks import WebhookStore
from zoomlive.server.tasks import cancel, spawn
from zoomlive.wire import errors as E
from zoomlive.wire import webhooks as wh

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("zoomlive.server.webhooks")

#: Deliveries in flight at once, per process; more wait, unclaimed, for a free slot.
MAX_IN_FLIGHT = 100
#: The most one exchange with a receiver can take. httpx's timeouts (3 s) apply to
#: connecting, sending and each read; this also ends a receiver that answers a
#: byte at a time.
ATTEMPT_DEADLINE = wh.DELIVERY_TIMEOUT + 1.0
#: Time kept, after the exchange, to record its result under the lease.
RECORD_MARGIN = 4.0
#: Real seconds a claim holds an event. After a crash, the event waits this long
#: before another claim sends it again.
LEASE_SECONDS = 12.0


def _headers(secret: str, body: bytes, request_id: str) -> dict[str, str]:
    timestamp = str(int(time.time()))  # real time: what a receiver's replay check compares
    return {
        "content-type": wh.CONTENT_TYPE,
        "user-agent": wh.USER_AGENT,
        wh.HEADER_TIMESTAMP: timestamp,
        wh.HEADER_SIGNATURE: wh.signature(secret, timestamp, body),
        wh.HEADER_REQUEST_ID: request_id,
        wh.HEADER_TRACKING_ID: f"v=2.0;clid=zl;rid=WH_{secrets.token_hex(8)}",
    }


class WebhookService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        journal: Journal,
        *,
        retry_scale: float = 1.0,
        poll_interval: float = 0.1,
    ) -> None:
        self.db = WebhookStore(store)
        self._store = store
        self._clock = clock
        self._journal = journal
        self._scale = retry_scale
        self._poll = poll_interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._tick_lock = asyncio.Lock()
        self._tick_errors = ThrottledLog(log)

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._task = spawn(self._run(), "zoomlive-webhooks")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
        if self._inflight:
            # Let deliveries in flight record their answers: a delivery cut off
            # between send and record would be sent again after the lease.
            await asyncio.wait(set(self._inflight), timeout=ATTEMPT_DEADLINE + RECORD_MARGIN)
        for task in list(self._inflight):
            task.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def reset(self) -> None:
        """Forget the work in hand (the store drops the rows): deliveries in flight
        are cancelled, so none records an attempt after the wipe."""
        async with self._tick_lock:
            for task in list(self._inflight):
                task.cancel()
            if self._inflight:
                await asyncio.gather(*self._inflight, return_exceptions=True)

    def _client(self) -> httpx.AsyncClient:
        # httpx is imported with the first endpoint, not at start: a server that
        # never sends a webhook does not carry it (about 4 MiB).
        if self._http is None:
            import httpx

            # No pool limit: deliveries are bounded by MAX_IN_FLIGHT instead, so an
            # attempt never spends its lease waiting for a connection.
            self._http = httpx.AsyncClient(
                timeout=wh.DELIVERY_TIMEOUT,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
            )
        return self._http

    @property
    def in_flight(self) -> int:
        """Deliveries claimed and not yet recorded, in this process."""
        return len(self._inflight)

    def wake(self) -> None:
        """Look for due work now (a new event, or the clock moved)."""
        self._wake.set()

    # -- subscriptions ------------------------------------------------------------------

    async def subscribe(
        self, client_id: str, url: str, events: list[str] | None, secret_token: str | None
    ) -> Subscription:
        """Set an app's endpoint; it is enabled only if it passes URL validation."""
        return await self.validate(
            subscription_record(client_id, url, events, secret_token), first=True
        )

    async def get_subscription(self, client_id: str) -> Subscription:
        sub = await self.db.get_subscription(client_id)
        if sub is None:
            raise ZoomProblem.of(E.RECORD_NOT_FOUND, what="Subscription", key=client_id)
        return sub

    async def revalidate(self, client_id: str) -> Subscription:
        """Run URL validation on the app's endpoint again, now."""
        return await self.validate(await self.get_subscription(client_id))

    async def events(
        self,
        status: str | None = None,
        limit: int = 1000,
        after: int | None = None,
        *,
        newest_first: bool = False,
    ) -> list[tuple[OutboxRow, list[Attempt]]]:
        """Queued, delivered and failed events, oldest first, with their attempts: up
        to ``limit`` of them after the event id ``after`` (a page of a keyset walk), or
        the newest ``limit`` (the dashboard's view)."""
        return await self.db.events(status, limit, after, newest_first=newest_first)

    async def count_events(self, status: str | None = None) -> int:
        """Events in the outbox (with ``status``, or all)."""
        statuses = (status,) if status is not None else ("pending", "delivered", "failed")
        return sum((await self.db.count(statuses)).values())

    async def validate(self, sub: Subscription, *, first: bool = False) -> Subscription:
        """Zoom's ``endpoint.url_validation`` handshake; store the result."""
        error = await self._challenge(sub)
        now = self._clock.now()
        if error is None:
            sub = msgspec.structs.replace(
                sub, enabled=True, validated_at=now, failures=0, last_error=None
            )
        else:
            failures = 1 if first else sub.failures + 1
            enabled = not first and failures < wh.MAX_VALIDATION_FAILURES
            sub = msgspec.structs.replace(
                sub, enabled=enabled, failures=failures, last_error=error,
                validated_at=now if not first else sub.validated_at,
            )  # fmt: skip
        await self.db.put_subscription(sub)
        return sub

    async def _challenge(self, sub: Subscription) -> str | None:
        import httpx

        http = self._client()
        plain = secrets.token_urlsafe(16)
        body = wh.encode(
            wh.UrlValidationEvent(
                event="endpoint.url_validation",
                event_ts=int(self._clock.now() * 1000),
                payload=wh.UrlValidationPayload(plain),
            )
        )
        started = time.perf_counter()
        status = 0
        try:
            r = await http.post(
                sub.url, content=body, headers=_headers(sub.secret_token, body, uuid.uuid4().hex)
            )
            status = r.status_code
            if r.status_code not in (200, 204):
                return f"validation answered HTTP {r.status_code}"
            answer = msgspec.json.decode(r.content, type=wh.UrlValidationResponse)
        except httpx.HTTPError as exc:
            return f"validation failed: {type(exc).__name__}"
        except msgspec.MsgspecError:
            return "validation answer is not {plainToken, encryptedToken}"
        finally:
            self._record("webhook validation", sub, status, started)
        expected = wh.encrypted_token(sub.secret_token, plain)
        if answer.plainToken != plain or not secrets.compare_digest(
            answer.encryptedToken, expected
        ):
            return "validation answer has the wrong encryptedToken"
        return None

    # -- events -------------------------------------------------------------------------

    async def stream_event_rows(self, meeting: Meeting, started: bool) -> list[Queued]:
        """Statements that queue this stream change's event for every subscriber; the
        caller runs them in the transaction that changes the state, given the moment
        of the change (its ``event_ts``). Built by ``_rows``, as every event's are; the
        body is the typed live streaming event (encoded once per moment)."""
        if meeting.kind != "meeting":
            return []  # Zoom has no webinar live streaming events
        event_name = wh.LIVE_STREAMING_STARTED if started else wh.LIVE_STREAMING_STOPPED
        subs = await self.db.subscribers(meeting.account_id, event_name)
        if not subs:
            return []
        host = await self._store.get_user(meeting.host_id)

        def body(at: float) -> str:
            return wh.encode(live_streaming_event(meeting, host, started, at)).decode()

        return self._rows(subs, meeting.account_id, event_name, body)

    async def event_rows(
        self, account_id: str, body: Callable[[float], dict[str, Any]]
    ) -> list[Queued]:
        """The outbox rows for one event (``body(at)`` is the whole event at the moment
        of the change, ``event`` naming it), one per subscriber of the account's apps
        that takes it."""
        name = str(body(self._clock.now())["event"])  # the same at any moment
        subs = await self.db.subscribers(account_id, name)
        if not subs:
            return []
        return self._rows(subs, account_id, name, lambda at: msgspec.json.encode(body(at)).decode())

    def _rows(
        self,
        subs: list[Subscription],
        account_id: str,
        event_name: str,
        body: Callable[[float], str],
    ) -> list[Queued]:
        made: dict[float, str] = {}  # one body per moment, for all subscribers

        def row(sub: Subscription, at: float) -> tuple[Any, Any]:
            if at not in made:
                made.clear()
                made[at] = body(at)
            return self.db.outbox_insert(
                {
                    "request_id": uuid.uuid4().hex,
                    "client_id": sub.client_id,
                    "account_id": account_id,
                    "event": event_name,
                    "body": made[at],
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": at,
                    "lease_until": None,
                    "lease_token": None,
                    "created_at": at,
                    "finished_at": None,
                }
            )

        return [functools.partial(row, sub) for sub in subs]

    # -- the worker ---------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except StorageUnavailable:
                pass  # the store logs it, once per distinct failure per minute
            except Exception as exc:  # the worker must outlive a bad tick
                # Its traceback, redacted, once per distinct failure per minute: the
                # worker ticks ten times a second.
                trace = redact("".join(traceback.format_exception(exc))).rstrip()
                self._tick_errors.warning(
                    f"{type(exc).__name__}: {exc}", f"webhook worker:\n{trace}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()

    async def tick(self) -> int:
        """Start every due delivery and revalidation; returns deliveries started.
        One tick at a time: a tick asked for through the control API waits for the
        worker's."""
        async with self._tick_lock:
            return await self._tick()

    async def _tick(self) -> int:
        now = self._clock.now()
        before = now - wh.REVALIDATE_EVERY_SECONDS
        for sub in await self.db.due_for_revalidation(before):
            if await self.db.claim_revalidation(sub.client_id, before, now):
                await self.validate(sub)
        free = MAX_IN_FLIGHT - len(self._inflight)
        if free <= 0:
            return 0
        rows = await self.db.claim(now, time.time(), LEASE_SECONDS, limit=free)
        for row in rows:
            task = asyncio.get_running_loop().create_task(self._deliver(row))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return len(rows)

    async def _deliver(self, row: OutboxRow) -> None:
        """One delivery, as a task of its own: nothing it raises may go unretrieved.
        Losing the database here only delays the event: its claim lapses with the
        lease, and the next claim sends it."""
        try:
            await self._attempt(row)
        except asyncio.CancelledError:
            raise
        except StorageUnavailable as exc:
            self._tick_errors.warning(
                f"deliver: {type(exc).__name__}",
                f"webhook {row.id}: the database is unavailable ({type(exc).__name__}); "
                "the event is sent again when its lease ends",
            )
        except Exception as exc:
            trace = redact("".join(traceback.format_exception(exc))).rstrip()
            self._tick_errors.warning(
                f"deliver: {type(exc).__name__}: {exc}", f"webhook delivery:\n{trace}"
            )

    async def _finish(self, row: OutboxRow, **result: Any) -> bool:
        """``finish_attempt``, tried again while the database is unavailable and the
        lease lasts. Safe to repeat even when a COMMIT's outcome was unknown: the
        write applies only under this claim's lease token, which it clears, so a
        repeat after a landed write changes nothing. Inside the lease no other claim
        can clear the token, so such a repeat that finds it gone means the first
        write landed."""
        assert row.lease_until is not None
        pause = 0.05
        unknown = False
        while True:
            try:
                done = await self.db.finish_attempt(row, **result)
            except StorageUnavailable as exc:
                unknown = unknown or isinstance(exc, CommitOutcomeUnknown)
                if time.time() + pause >= row.lease_until:
                    raise
            else:
                return done or (unknown and time.time() < row.lease_until)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)

    async def _attempt(self, row: OutboxRow) -> None:
        import httpx

        sub = await self.db.get_subscription(row.client_id)
        if sub is None or not sub.enabled:
            await self._finish(
                row, at=self._clock.now(), url=sub.url if sub else "", status_code=None,
                error="no enabled subscription", duration_ms=0.0, outcome="failed",
                next_attempt_at=row.next_attempt_at,
            )  # fmt: skip
            return
        assert row.lease_until is not None
        if time.time() + ATTEMPT_DEADLINE + RECORD_MARGIN > row.lease_until:
            # Too late to finish inside the lease (a slow start): give it back unsent.
            await self.db.release(row)
            return
        body = row.body.encode()
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(ATTEMPT_DEADLINE):
                r = await self._client().post(
                    sub.url, content=body, headers=_headers(sub.secret_token, body, row.request_id)
                )
            status_code = r.status_code
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        except TimeoutError:
            error = "Timeout"
        duration = (time.perf_counter() - started) * 1000
        self._record("webhook " + row.event, sub, status_code or 0, started, row.account_id)
        number = row.attempts + 1
        now = self._clock.now()
        if status_code is not None and 200 <= status_code < 300:
            outcome, next_at = "delivered", now
        elif (status_code is None or status_code >= 500) and number <= len(
            wh.RETRY_SCHEDULE_SECONDS
        ):
            outcome = "pending"
            next_at = now + wh.RETRY_SCHEDULE_SECONDS[number - 1] * self._scale
        else:
            outcome, next_at = "failed", now
        recorded = await self._finish(
            row, at=now, url=sub.url, status_code=status_code, error=error,
            duration_ms=duration, outcome=outcome, next_attempt_at=next_at,
        )  # fmt: skip
        if not recorded:
            log.warning("webhook %s: the lease ended before the answer was recorded", row.id)
        elif outcome != "delivered":
            # At the default level: a receiver that fails is what a user debugs.
            log.warning(
                "webhook %s %s to %s: attempt %d failed (%s); %s",
                row.id, row.event, sub.url, number,
                f"HTTP {status_code}" if status_code is not None else error,
                "will retry" if outcome == "pending" else "giving up",
            )  # fmt: skip

    def _record(
        self, what: str, sub: Subscription, status: int, started: float, account: str | None = None
    ) -> None:
        self._journal.add(
            self._clock.now(), "POST", f"{what} {sub.url}", status, None, account, sub.client_id,
            (time.perf_counter() - started) * 1000, None, "",
        )  # fmt: skip

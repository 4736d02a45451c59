"""Retention: what the server stops keeping, and when.

Expired tokens leave memory as soon as they expire; the database keeps them, with
delivered and failed webhook events and their attempts, for the retention period
(7 days by default, on the server clock), so an expired token is still answered as
expired and the control API still shows recent deliveries (README, Configuration).
One task does both, every ``interval`` seconds and whenever the clock moves; when
nothing is due it costs an index probe per table.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging

from zoomlive.server.clock import Clock
from zoomlive.server.health import ThrottledLog
from zoomlive.server.storage.failures import StorageUnavailable
from zoomlive.server.storage.store import Store
from zoomlive.server.storage.webhooks import WebhookStore
from zoomlive.server.tasks import cancel, spawn

log = logging.getLogger("zoomlive.server.retention")

#: Rows deleted per transaction, so a large backlog does not hold the writer long.
BATCH = 5000
#: Tokens purged at once after which free heap memory is handed back to the OS.
TRIM_AFTER = 10_000


def _trim() -> None:
    """Return free memory at the top and in the middle of glibc's heaps to the OS
    (``malloc_trim``). A large purge frees dict tables and lists that glibc keeps
    otherwise: 100,000 tokens purged a second time left RSS 10.3 MiB above the first
    purge without it, 1.8 to 6.7 MiB with it (tests/e2e/server/test_growth.py). Elsewhere (not
    glibc) this does nothing."""
    try:
        libc = ctypes.CDLL(None)
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


class Retention:
    def __init__(
        self,
        store: Store,
        outbox: WebhookStore,
        clock: Clock,
        retention_seconds: float,
        *,
        interval: float = 10.0,
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._clock = clock
        self._keep = retention_seconds
        self._interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.pruned_events = 0
        self.pruned_attempts = 0
        self.pruned_tokens = 0
        self._log = ThrottledLog(log)

    def start(self) -> None:
        self._task = spawn(self._run(), "zoomlive-retention")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    def wake(self) -> None:
        """Run now (the clock moved)."""
        self._wake.set()

    async def run_once(self) -> None:
        now = self._clock.now()
        if self._store.purge_expired_tokens(now) >= TRIM_AFTER:
            _trim()

        def before() -> float:
            return self._clock.now() - self._keep

        while True:
            events, attempts = await self._outbox.prune(before, BATCH)
            self.pruned_events += events
            self.pruned_attempts += attempts
            if events < BATCH:
                break
        while True:
            tokens = await self._store.prune_tokens(before, BATCH)
            self.pruned_tokens += tokens
            if tokens < BATCH:
                break

    async def _run(self) -> None:
        # Wait first: a server starting (the test kit starts one per test) does no work.
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except StorageUnavailable:
                pass  # the store logs it, once per distinct failure per minute
            except Exception as exc:  # retention must outlive a bad run
                name = type(exc).__name__
                self._log.warning(name, f"retention run failed: {name}")

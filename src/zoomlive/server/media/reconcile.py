"""Media follows the database: every stream live in it is published, by one process.

One loop compares the streams live in the database that this process may publish
with what its media worker publishes, and starts or stops the difference. It runs
at start-up, after each commit that started or stopped a stream (the livestream
service's after-commit hook wakes it), when the worker dies, and every ``PERIOD``
seconds. So after a crash of the server or of its worker, every live stream is
published again; a stream whose publish failed is tried again after a back-off that
doubles from ``BACKOFF_FIRST`` to at most ``BACKOFF_MAX``, and a worker that keeps
dying is started again after the same kind of back-off (README, "Real media").

Each live stream has one publisher. On SQLite the server is its database's only
writer (README), so it publishes every live stream. On PostgreSQL, where several
processes (or machines) share the database, a stream is published by the holder of
its lease in ``zl_media_leases``: a holder id and an expiry, renewed by the holder at
every turn and taken over by a compare-and-set once it has expired, so when a holder
dies another process publishes its streams within ``LEASE_SECONDS`` and a turn. A
holder that can no longer renew stops publishing once its lease would have expired.
A process that sees live streams held by others starts its worker ahead (``warm``),
so that a takeover publishes without waiting for a cold worker.
Expiries are in real time (``time.time``), not the emulated clock, which a test may
move; processes on several machines need their clocks in step to well within it.

This module imports no PyAV: it runs in the API process (README, Decision 25).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable

from zoomlive.server.media.supervisor import MediaSupervisor
from zoomlive.server.storage.leases import MediaLeases
from zoomlive.server.storage.records import Meeting
from zoomlive.server.storage.store import Store
from zoomlive.server.tasks import cancel, spawn

log = logging.getLogger("zoomlive.media")

#: Seconds between two turns when nothing wakes the loop.
PERIOD = 0.5
#: How long a lease lasts unless renewed (at every turn).
LEASE_SECONDS = 2.0
#: A failed stream's back-off before its next publish: doubles up to the most.
BACKOFF_FIRST = 5.0
BACKOFF_MAX = 60.0
#: Seconds between two sweeps for deleted meetings' statuses.
SWEEP_EVERY = 5.0


def backoff(failures: int) -> float:
    """The wait before the next try after ``failures`` consecutive failures."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** max(0, failures - 1))


class Reconciler:
    def __init__(
        self,
        store: Store,
        media: MediaSupervisor,
        holder: str | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._leases_db = MediaLeases(store)
        self._media = media
        #: This process's lease holder id (random: a restarted process is another).
        self.holder = holder or secrets.token_hex(8)
        self._wall = wall
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Per stream: consecutive failed publishes, and when it may be tried again.
        self._failures: dict[int, int] = {}
        self._retry_at: dict[int, float] = {}
        #: Per stream held under a lease: until when (real time) it is ours for sure.
        self._held_until: dict[int, float] = {}
        #: The worker's deaths in a row, and when it may be started again.
        self._worker_deaths = 0
        self._worker_at = 0.0
        self._seen_commits = -1
        self._live: dict[int, Meeting] = {}
        self._swept_at = 0.0
        media.on_change = self.wake
        media.on_worker_lost = self._worker_lost

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        """At server start: publish what the database says is live."""
        if self._media.enabled and self._task is None:
            self._task = spawn(self._run(), "zoomlive-media-reconcile")

    async def stop(self) -> None:
        """Stop the loop (before the worker closes: it publishes nothing more)."""
        await cancel(self._task)
        self._task = None

    async def release(self) -> None:
        """Give up this process's leases once its worker has closed their streams, so
        that another process takes them at once rather than when they expire."""
        if self._store.sole_writer or not self._held_until:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._leases_db.release(self.holder), 1.0)
        self._held_until.clear()

    def wake(self) -> None:
        """A stream started or stopped (after the commit), or the worker died."""
        self._wake.set()

    def _worker_lost(self) -> None:
        """Its streams failed through no fault of theirs: they start again at once (no
        back-off of their own), with the worker after a back-off if it keeps dying."""
        now = time.monotonic()
        self._worker_deaths = (
            1 if now - self._worker_at > 2 * BACKOFF_MAX else self._worker_deaths + 1
        )
        self._worker_at = now + (
            0.0 if self._worker_deaths == 1 else backoff(self._worker_deaths - 1)
        )
        self._failures.clear()
        self._retry_at = dict.fromkeys(self._media.known_ids(), 0.0)  # due now
        self.wake()

    async def _run(self) -> None:
        woke = True
        while True:
            self._wake.clear()  # before the turn: a wake during it makes another
            try:
                await self.turn(woke)
            except Exception as exc:  # the database is away: keep only what we surely hold
                log.warning("media: reconcile failed: %s", type(exc).__name__)
                self._expire_held()
            woke = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), PERIOD)
                woke = True

    # -- one turn -----------------------------------------------------------------------

    async def turn(self, woke: bool = True) -> None:
        store = self._store
        if woke or not store.sole_writer or store.writer.commits != self._seen_commits:
            # The only writer knows nothing changed while it committed nothing.
            self._seen_commits = store.writer.commits
            self._live = await self._leases_db.live_streams()
        live = self._live
        mine = set(live) if store.sole_writer else await self._leases(set(live))
        if live and not mine and time.monotonic() >= self._worker_at:
            # Another process publishes them: be ready to take over when it dies.
            self._media.warm()
        self._publish({mid: m for mid, m in live.items() if mid in mine})
        await self._sweep(live)

    def _publish(self, wanted: dict[int, Meeting]) -> None:
        media = self._media
        now = time.monotonic()
        active = set(media.publishing())
        for mid in active - wanted.keys():
            media.withdraw(mid)
        if now < self._worker_at:
            return
        for mid, meeting in wanted.items():
            state = media.status(mid).state
            if mid in active:
                if state == "live":
                    self._failures.pop(mid, None)
                    self._retry_at.pop(mid, None)
                continue
            if state == "failed" and mid not in self._retry_at:
                failures = self._failures[mid] = self._failures.get(mid, 0) + 1
                self._retry_at[mid] = now + backoff(failures)
            if now < self._retry_at.get(mid, 0.0):
                continue
            self._retry_at.pop(mid, None)
            media.publish(meeting)
        for mid in [m for m in self._failures if m not in wanted]:
            self._failures.pop(mid, None)
            self._retry_at.pop(mid, None)

    def _expire_held(self) -> None:
        """Stop publishing streams whose lease may have passed to another process."""
        now = self._wall()
        for mid, until in list(self._held_until.items()):
            if until <= now:
                del self._held_until[mid]
                self._media.withdraw(mid)

    async def _leases(self, live: set[int]) -> set[int]:
        """Renew this process's leases, give up those of streams no longer live, take
        the free and the expired ones; the live streams this process now holds."""
        db = self._leases_db
        now = self._wall()
        until = now + LEASE_SECONDS
        leases = await db.all()
        held = {mid for mid, (holder, _) in leases.items() if holder == self.holder}
        free = [mid for mid in live if mid not in leases or leases[mid][1] < now]
        stale = [
            mid
            for mid, (h, exp) in leases.items()
            if mid not in live and (h == self.holder or exp < now)
        ]
        if not held and not free and not stale:
            self._held_until.clear()
            return set()
        if stale:
            await db.drop(stale, self.holder, now)
        want = (held & live) | set(free)
        if want:
            await db.take(want, self.holder, until, now)
        mine = await db.held_by(self.holder)
        self._held_until = {mid: until for mid in mine}
        return mine & live

    async def _sweep(self, live: dict[int, Meeting]) -> None:
        """Forget the media state of meetings deleted since (by any process)."""
        now = time.monotonic()
        if now - self._swept_at < SWEEP_EVERY:
            return
        self._swept_at = now
        known = [mid for mid in self._media.known_ids() if mid not in live]
        if known:
            found = await self._leases_db.existing(known)
            self._media.forget(mid for mid in known if mid not in found)

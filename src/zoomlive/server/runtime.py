"""Everything one server instance holds, built once by ``create_app``."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zoomlive.server.clock import Clock
from zoomlive.server.health import OK
from zoomlive.server.media.reconcile import Reconciler
from zoomlive.server.media.supervisor import MediaSupervisor
from zoomlive.server.services.admin import AdminService
from zoomlive.server.services.auth import AuthService
from zoomlive.server.services.faults import FaultBook
from zoomlive.server.services.journal import Journal
from zoomlive.server.services.livestream import LiveStreamService
from zoomlive.server.services.meetings import MeetingService
from zoomlive.server.services.paging import TokenCodec
from zoomlive.server.services.ratelimit import (
    CounterBackend,
    MemoryCounters,
    RateLimiter,
    RedisCounters,
    SharedCounters,
)
from zoomlive.server.services.retention import Retention
from zoomlive.server.services.users import UserService
from zoomlive.server.settings import ServerSettings
from zoomlive.server.storage.store import Store
from zoomlive.server.webhooks.service import WebhookService

if TYPE_CHECKING:
    from zoomlive.server.seeding import Seed


@dataclass
class Runtime:
    settings: ServerSettings
    clock: Clock
    store: Store
    auth: AuthService
    livestream: LiveStreamService
    meetings: MeetingService
    users: UserService
    admin: AdminService
    limiter: RateLimiter
    faults: FaultBook
    journal: Journal
    webhooks: WebhookService
    retention: Retention
    media: MediaSupervisor
    #: What media publishes follows the database (media/reconcile.py).
    reconcile: Reconciler
    admin_token: str = ""
    #: What the demo seeding produced (credentials and ids), for the start banner.
    demo: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> TokenCodec:
        """The page-token codec of every paged list (Zoom's and the control API's)."""
        return self.meetings.pages

    @classmethod
    def build(cls, settings: ServerSettings, clock: Clock | None = None) -> Runtime:
        clock = clock or Clock()
        store = Store(
            settings.database_url,
            cache_reads=settings.cache_reads,
            pool_size=settings.db_pool_size,
            cache_size=settings.read_cache_size,
        )
        backend: CounterBackend = (
            SharedCounters(RedisCounters(settings.redis_url, timeout=settings.redis_timeout))
            if settings.redis_url
            else MemoryCounters()
        )
        journal = Journal(settings.journal_size)
        webhooks = WebhookService(store, clock, journal, retry_scale=settings.webhook_retry_scale)
        limiter = RateLimiter(backend, enabled=settings.rate_limits)
        media = MediaSupervisor(journal, clock.now, settings.media)
        meetings = MeetingService(store, clock, limiter, events=webhooks, media=media)
        return cls(
            settings=settings,
            clock=clock,
            store=store,
            auth=AuthService(store, clock, settings.token_ttl_seconds),
            livestream=LiveStreamService(store, clock, events=webhooks, media=media),
            meetings=meetings,
            users=UserService(store, clock, meetings),
            admin=AdminService(store, clock, meetings),
            limiter=limiter,
            faults=FaultBook(),
            journal=journal,
            webhooks=webhooks,
            retention=Retention(store, webhooks.db, clock, settings.retention_days * 86400),
            media=media,
            reconcile=Reconciler(store, media),
        )

    async def start(self) -> None:
        """Open the database and seed it. Any number of processes may run this at once
        on one PostgreSQL database: migrations and the seed run under an advisory lock,
        the seed is one transaction, and the admin token is set once."""
        await self.store.open()
        self.media.open()
        self.reconcile.start()
        self.webhooks.start()
        self.retention.start()
        if self.settings.admin_token:
            self.admin_token = self.settings.admin_token
            if await self.store.get_meta("admin_token") != self.admin_token:
                await self.store.set_meta("admin_token", self.admin_token)
        else:
            self.admin_token = await self.store.ensure_meta(
                "admin_token", secrets.token_urlsafe(24)
            )
        # One page-token key per database: a token one process issued pages on in another.
        key = await self.store.ensure_meta("page_token_key", secrets.token_hex(32))
        self.meetings.pages = TokenCodec(bytes.fromhex(key))
        if self.settings.seed_file:
            from zoomlive.server.seeding import read_file

            seed = await asyncio.to_thread(read_file, self.settings.seed_file)
            await self.load_seed(seed, at_start=True)
        if not self.settings.demo:
            return
        st = self.settings
        records, info = self.admin.demo_records(
            st.demo_account_id, st.demo_client_id, st.demo_client_secret
        )
        if await self.store.seed_once(
            "demo_seeded", records, {"demo_client_id": info["client_id"]}
        ):
            self.demo = info
        else:
            self.demo = await self._load_demo()

    async def load_seed(self, seed: Seed, *, at_start: bool) -> dict[str, Any]:
        """Write a seed file's records, its subscriptions among them, in one
        transaction (nothing if its ids exist: the same file again, at a restart or
        posted twice, changes nothing); then, after the commit, run URL validation on
        the new subscriptions (as the control API's PUT does) and set the faults (in
        memory: at every start, or with new records)."""
        marker = seed.marker if at_start else f"{seed.marker}:{secrets.token_hex(8)}"
        seeded = await self.store.seed_once(marker, seed.records, {})
        if seeded:
            for sub in seed.subscriptions:
                await self.webhooks.validate(sub, first=True)
        if seeded or at_start:
            for spec in seed.faults:
                self.faults.add(spec)
        return {"seeded": seeded, "counts": seed.counts}

    async def _load_demo(self) -> dict[str, Any]:
        client_id = await self.store.get_meta("demo_client_id")
        app = await self.store.get_app(client_id) if client_id else None
        if app is None:  # reset since: the demo app seeded last
            demo_apps = [a for a in await self.store.list_apps() if a.name == "zoomlive demo"]
            app = demo_apps[-1] if demo_apps else None
        if app is None:
            return {}
        return {
            "account_id": app.account_id,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        }

    async def reset(self, demo: bool = False, new_credentials: bool = False) -> dict[str, Any]:
        """Every component back to its first state, as a fresh server has it; with
        ``demo`` the README's demo is seeded again (returned: its credentials and ids),
        with the credentials it had unless ``new_credentials`` (exported ``ZOOM_*``
        variables keep working across resets).

        Each component resets its own state (as moto's backends do). Webhook work in
        flight stops first, so none is recorded after the wipe; the store wipes and
        seeds in one transaction (one commit: the test kit's reset stays fast).
        """
        await self.webhooks.reset()
        self.media.reset()
        self.clock.reset()  # first: the demo's start times are read from it
        keep = {} if new_credentials else self.demo
        st = self.settings
        records, info = self.admin.demo_records(
            st.demo_account_id or keep.get("account_id", ""),
            st.demo_client_id or keep.get("client_id", ""),
            st.demo_client_secret or keep.get("client_secret", ""),
        ) if demo else ([], {})  # fmt: skip
        await self.store.reset(seed=records)
        await self.limiter.reset()
        self.faults.reset()
        self.journal.reset()
        if demo:
            self.demo = info
        return info

    async def stats(self) -> dict[str, int]:
        """Counters since the process started (a reset keeps them)."""
        return {
            "token_requests": self.auth.token_requests,
            "rate_limited": self.limiter.rejected,
            "tokens_issued": await self.store.count_tokens(),
            "write_batches": self.store.writer.batches,
            "writes": self.store.writer.writes,
            **self.store.read_stats(),
            "tokens_in_memory": self.store.tokens_in_memory(),
            "webhooks_in_flight": self.webhooks.in_flight,
            "pruned_events": self.retention.pruned_events,
            "pruned_attempts": self.retention.pruned_attempts,
            "pruned_tokens": self.retention.pruned_tokens,
            **self.media.stats(),
        }

    async def health(self) -> dict[str, Any]:
        """``ok``, or ``degraded`` with each failing dependency's reason.

        A dependency that failed is tried again here (at most once a second for
        Redis), so health turns ``ok`` when it is back even with no traffic.
        """
        await self.store.probe()
        deps = {"database": self.store.dependency.status()}
        backend = self.limiter.backend
        if isinstance(backend, SharedCounters):
            await backend.probe()
            deps["redis"] = backend.dependency.status()
        ok = all(v == OK for v in deps.values())
        # Media off is a choice (or a missing extra), not a failure: it does not degrade.
        media = {"enabled": self.media.enabled, "detail": self.media.description}
        return {"status": "ok" if ok else "degraded", "dependencies": deps, "media": media}

    async def stop(self) -> None:
        await self.reconcile.stop()
        await self.media.close()
        await self.reconcile.release()
        await self.retention.stop()
        await self.webhooks.stop()
        await self.store.close()
        backend = self.limiter.backend
        if isinstance(backend, SharedCounters):
            await backend.close()

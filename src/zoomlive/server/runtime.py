"""Everything one server instance holds, built once by ``create_app``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from zoomlive.server.clock import Clock
from zoomlive.server.health import OK
from zoomlive.server.services.admin import AdminService
from zoomlive.server.services.auth import AuthService
from zoomlive.server.services.faults import FaultBook
from zoomlive.server.services.journal import Journal
from zoomlive.server.services.livestream import LiveStreamService
from zoomlive.server.services.ratelimit import (
    CounterBackend,
    MemoryCounters,
    RateLimiter,
    RedisCounters,
    SharedCounters,
)
from zoomlive.server.services.retention import Retention
from zoomlive.server.settings import ServerSettings
from zoomlive.server.storage.store import Store
from zoomlive.server.webhooks.service import WebhookService


@dataclass
class Runtime:
    settings: ServerSettings
    clock: Clock
    store: Store
    auth: AuthService
    livestream: LiveStreamService
    admin: AdminService
    limiter: RateLimiter
    faults: FaultBook
    journal: Journal
    webhooks: WebhookService
    retention: Retention
    admin_token: str = ""
    #: What the demo seeding produced (credentials and ids), for the start banner.
    demo: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: ServerSettings, clock: Clock | None = None) -> Runtime:
        clock = clock or Clock()
        store = Store(
            settings.database_url,
            cache_reads=settings.read_cache,
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
        return cls(
            settings=settings,
            clock=clock,
            store=store,
            auth=AuthService(store, clock, settings.token_ttl_seconds),
            livestream=LiveStreamService(store, clock, webhooks.outbox_rows, webhooks.wake),
            admin=AdminService(store, clock),
            limiter=RateLimiter(backend, enabled=settings.rate_limits),
            faults=FaultBook(),
            journal=journal,
            webhooks=webhooks,
            retention=Retention(store, webhooks.db, clock, settings.retention_days * 86400),
        )

    async def start(self) -> None:
        """Open the database and seed it. Any number of processes may run this at once
        on one PostgreSQL database: migrations and the seed run under an advisory lock,
        the seed is one transaction, and the admin token is set once."""
        await self.store.open()
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

    async def reset(self, demo: bool = False) -> dict[str, Any]:
        """Every component back to its first state, as a fresh server has it; with
        ``demo`` the README's demo is seeded again (returned: its credentials and ids).

        Each component resets its own state (as moto's backends do). Webhook work in
        flight stops first, so none is recorded after the wipe; the store wipes and
        seeds in one transaction (one commit: the test kit's reset stays fast).
        """
        await self.webhooks.reset()
        self.clock.reset()  # first: the demo's start times are read from it
        records, info = self.admin.demo_records(
            self.settings.demo_account_id,
            self.settings.demo_client_id,
            self.settings.demo_client_secret,
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
            "tokens_in_memory": self.store.tokens_in_memory(),
            "webhooks_in_flight": self.webhooks.in_flight,
            "pruned_events": self.retention.pruned_events,
            "pruned_attempts": self.retention.pruned_attempts,
            "pruned_tokens": self.retention.pruned_tokens,
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
        return {"status": "ok" if ok else "degraded", "dependencies": deps}

    async def stop(self) -> None:
        await self.retention.stop()
        await self.webhooks.stop()
        await self.store.close()
        backend = self.limiter.backend
        if isinstance(backend, SharedCounters):
            await backend.close()

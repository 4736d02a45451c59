"""Everything one server instance holds, built once by ``create_app``."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from zoomlive.server.clock import Clock
from zoomlive.server.services.admin import AdminService
from zoomlive.server.services.auth import AuthService
from zoomlive.server.services.faults import FaultBook
from zoomlive.server.services.journal import Journal
from zoomlive.server.services.livestream import LiveStreamService, StreamChange
from zoomlive.server.services.ratelimit import (
    CounterBackend,
    MemoryCounters,
    RateLimiter,
    RedisCounters,
)
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
    admin_token: str = ""
    #: What the demo seeding produced (credentials and ids), for the start banner.
    demo: dict[str, Any] = field(default_factory=dict)
    #: Called after a start or stop changed a stream's state (webhooks hook in here).
    on_stream_change: Callable[[StreamChange], Awaitable[None]] | None = None

    @classmethod
    def build(cls, settings: ServerSettings, clock: Clock | None = None) -> Runtime:
        clock = clock or Clock()
        store = Store(settings.database_url, cache_reads=settings.read_cache)
        backend: CounterBackend = (
            RedisCounters(settings.redis_url) if settings.redis_url else MemoryCounters()
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
        )

    async def start(self) -> None:
        await self.store.open()
        self.webhooks.start()
        token = self.settings.admin_token or await self.store.get_meta("admin_token")
        if not token:
            token = secrets.token_urlsafe(24)
        if token != await self.store.get_meta("admin_token"):
            await self.store.set_meta("admin_token", token)
        self.admin_token = token
        if self.settings.demo and await self.store.get_meta("demo_seeded") is None:
            self.demo = await self.admin.seed_demo(
                self.settings.demo_account_id,
                self.settings.demo_client_id,
                self.settings.demo_client_secret,
            )
            await self.store.set_meta("demo_seeded", "1")
            await self.store.set_meta("demo_client_id", self.demo["client_id"])
        elif self.settings.demo:
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

    async def stop(self) -> None:
        await self.webhooks.stop()
        await self.store.close()
        backend = self.limiter.backend
        if isinstance(backend, RedisCounters):
            await backend.close()

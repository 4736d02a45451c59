"""``Zoom``: a handle on a running emulator, for tests.

Everything goes through the /_zoomlive control API, so the same handle drives an
in-process emulator or one on a real port.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from zoomlive.client import AsyncClient, Client
from zoomlive.testing.events import EventCollector, Received
from zoomlive.wire.webhooks import ALL_EVENTS

if TYPE_CHECKING:
    from zoomlive.testing.rtmp_sink import RtmpSink


class Zoom:
    """Base URLs, the demo credentials and ids, and admin methods.

    After ``reset()`` (which each ``zoom`` fixture does) the demo is seeded: a Pro
    account, a licensed host, an app with every live stream scope, meeting
    ``meeting_id`` (started), ``scheduled_meeting_id`` (not started), ``webinar_id``.
    """

    def __init__(
        self,
        server_url: str,
        admin_token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        async_transport_factory: Any = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.base_url = f"{self.server_url}/v2"
        self.oauth_url = f"{self.server_url}/oauth/token"
        self._admin_token = admin_token
        self._transport = transport
        self._async_transport_factory = async_transport_factory
        self._http = httpx.Client(
            base_url=f"{self.server_url}/_zoomlive",
            headers={"Authorization": f"Bearer {admin_token}"},
            transport=transport,
            timeout=30,
        )
        self.account_id = self.client_id = self.client_secret = self.host_id = ""
        self.meeting_id = self.scheduled_meeting_id = self.webinar_id = 0

    def __repr__(self) -> str:
        return f"Zoom(server_url={self.server_url!r}, account_id={self.account_id!r})"

    # -- plumbing ---------------------------------------------------------------------

    def admin(
        self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        """Call the control API; raise on an error answer."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        r = self._http.request(method, path, json=json, params=query)
        if r.status_code >= 400:
            raise RuntimeError(f"control API {method} {path}: {r.status_code} {r.text}")
        return r.json() if r.content else None

    def close(self) -> None:
        self._http.close()

    # -- clients ----------------------------------------------------------------------

    def credentials(self) -> dict[str, str]:
        return {
            "account_id": self.account_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "base_url": self.base_url,
            "oauth_url": self.oauth_url,
        }

    def env(self) -> dict[str, str]:
        """ZOOM_* variables for code that builds its own client (real ports only)."""
        return {
            "ZOOM_ACCOUNT_ID": self.account_id,
            "ZOOM_CLIENT_ID": self.client_id,
            "ZOOM_CLIENT_SECRET": self.client_secret,
            "ZOOM_API_BASE_URL": self.base_url,
            "ZOOM_OAUTH_URL": self.oauth_url,
        }

    def client(self, **kw: Any) -> Client:
        """A ``Client`` for the demo app, wired to this emulator."""
        return Client(**{**self.credentials(), "transport": self._transport, **kw})

    def async_client(self, **kw: Any) -> AsyncClient:
        transport = self._async_transport_factory() if self._async_transport_factory else None
        return AsyncClient(**{**self.credentials(), "transport": transport, **kw})

    def http(self) -> httpx.Client:
        """A plain ``httpx.Client`` on the emulator (for raw-HTTP tests)."""
        return httpx.Client(base_url=self.server_url, transport=self._transport, timeout=30)

    # -- state --------------------------------------------------------------------------

    def reset(self, demo: bool = True) -> Zoom:
        """Wipe everything (accounts, meetings, tokens, faults, journal, clock, rate
        counters) and seed the demo again. Milliseconds, not a restart."""
        seeded = self.admin("POST", "/reset", {"demo": demo})["demo"]
        self.account_id = seeded.get("account_id", "")
        self.client_id = seeded.get("client_id", "")
        self.client_secret = seeded.get("client_secret", "")
        self.host_id = seeded.get("host_id", "")
        self.meeting_id = int(seeded.get("meeting_id", 0))
        self.scheduled_meeting_id = int(seeded.get("scheduled_meeting_id", 0))
        self.webinar_id = int(seeded.get("webinar_id", 0))
        return self

    def create_account(self, **fields: Any) -> dict[str, Any]:
        return dict(self.admin("POST", "/accounts", fields))

    def update_account(self, account_id: str | None = None, **changes: Any) -> dict[str, Any]:
        return dict(self.admin("PATCH", f"/accounts/{account_id or self.account_id}", changes))

    def create_user(self, account_id: str | None = None, **fields: Any) -> dict[str, Any]:
        return dict(self.admin("POST", f"/accounts/{account_id or self.account_id}/users", fields))

    def update_user(self, user_id: str, **changes: Any) -> dict[str, Any]:
        return dict(self.admin("PATCH", f"/users/{user_id}", changes))

    def create_app(self, account_id: str | None = None, **fields: Any) -> dict[str, Any]:
        return dict(self.admin("POST", f"/accounts/{account_id or self.account_id}/apps", fields))

    def create_meeting(self, host_id: str | None = None, **fields: Any) -> dict[str, Any]:
        return dict(self.admin("POST", "/meetings", {"host_id": host_id or self.host_id, **fields}))

    def create_webinar(self, host_id: str | None = None, **fields: Any) -> dict[str, Any]:
        return dict(self.admin("POST", "/webinars", {"host_id": host_id or self.host_id, **fields}))

    def meeting(self, meeting_id: int) -> dict[str, Any]:
        """A meeting or webinar as the emulator holds it (stream state included)."""
        return dict(self.admin("GET", f"/meetings/{meeting_id}"))

    def update_meeting(self, meeting_id: int, **changes: Any) -> dict[str, Any]:
        return dict(self.admin("PATCH", f"/meetings/{meeting_id}", changes))

    def start_meeting(self, meeting_id: int) -> dict[str, Any]:
        return dict(self.admin("POST", f"/meetings/{meeting_id}/start"))

    def end_meeting(self, meeting_id: int) -> dict[str, Any]:
        return dict(self.admin("POST", f"/meetings/{meeting_id}/end"))

    def host_joins(self, meeting_id: int) -> dict[str, Any]:
        """The host starts the meeting (or webinar) as a person does, in the Zoom app:
        Zoom has no REST call for it. Queues ``meeting.started`` if it was not started."""
        return self.start_meeting(meeting_id)

    def host_leaves(self, meeting_id: int) -> dict[str, Any]:
        """The host ends the meeting: its live stream stops, and
        ``meeting.live_streaming_stopped`` (if it was live) then ``meeting.ended`` are
        queued."""
        return self.end_meeting(meeting_id)

    def collect_events(
        self,
        events: list[str] | None = None,
        *,
        client_id: str | None = None,
        on_event: Callable[[Received], None] | None = None,
    ) -> EventCollector:
        """A real endpoint on 127.0.0.1 subscribed for the app (the demo's by default)
        to ``events`` (default: every event zoomlive sends); it keeps what it receives
        and runs ``on_event`` for each. Use it as a context manager."""
        secret = secrets.token_urlsafe(16)
        collector = EventCollector(secret, on_event)
        try:
            sub = self.admin(
                "PUT",
                f"/apps/{client_id or self.client_id}/subscription",
                {
                    "url": collector.url,
                    "events": events or list(ALL_EVENTS),
                    "secret_token": secret,
                },
            )
            if not sub["enabled"]:
                raise RuntimeError(f"the endpoint failed URL validation: {sub['last_error']}")
        except BaseException:
            collector.close()
            raise
        return collector

    def tokens_issued(self, client_id: str | None = None) -> int:
        return int(self.admin("GET", f"/apps/{client_id or self.client_id}/tokens")["issued"])

    def expire_tokens(self, client_id: str | None = None) -> int:
        """Fault: every live token (of one app) expires now."""
        return int(self.admin("POST", "/tokens/expire", {"client_id": client_id})["expired"])

    def rtmp_sink(self, app: str = "live") -> RtmpSink:
        """An RTMP receiver on 127.0.0.1 for one publish (``with zoom.rtmp_sink() as
        sink:``); give ``sink.url`` as ``stream_url``. Needs the ``media`` extra."""
        from zoomlive.testing.rtmp_sink import RtmpSink

        return RtmpSink(app)

    def media(self, meeting_id: int) -> dict[str, Any]:
        """The stream's media state (README, "Real media")."""
        return dict(self.meeting(meeting_id)["media"])

    def stats(self) -> dict[str, int]:
        return dict(self.admin("GET", "/stats"))

    # -- faults ---------------------------------------------------------------------------

    def fail(
        self,
        path: str = "*",
        *,
        method: str = "*",
        status: int = 500,
        code: int | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
        account_id: str | None = None,
        delay_ms: int = 0,
    ) -> dict[str, Any]:
        """The next ``times`` matching requests answer with this error (``message``
        unset: Zoom's words for the status; a 429 also carries ``Retry-After``)."""
        return self.add_fault(
            action="error", path=path, method=method, status=status, code=code,
            message=message, headers=headers or {}, times=times, account_id=account_id,
            delay_ms=delay_ms,
        )  # fmt: skip

    def delay(
        self, path: str = "*", *, ms: int, method: str = "*", times: int | None = 1
    ) -> dict[str, Any]:
        return self.add_fault(action="delay", path=path, method=method, delay_ms=ms, times=times)

    def drop(self, path: str = "*", *, method: str = "*", times: int | None = 1) -> dict[str, Any]:
        """The next matching requests lose their connection before an answer."""
        return self.add_fault(action="drop", path=path, method=method, times=times)

    def error_rate(
        self, rate: float, *, seed: int, path: str = "*", method: str = "*", status: int = 500,
        code: int | None = None, message: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Each matching request fails with probability ``rate`` (seeded, repeatable)."""
        return self.add_fault(
            action="random", rate=rate, seed=seed, path=path, method=method, status=status,
            code=code, message=message, times=None,
        )  # fmt: skip

    def add_fault(self, **spec: Any) -> dict[str, Any]:
        body = {k: v for k, v in spec.items() if v is not None or k == "times"}
        return dict(self.admin("POST", "/faults", body))

    def faults(self) -> list[dict[str, Any]]:
        return list(self.admin("GET", "/faults"))

    def clear_faults(self) -> None:
        self.admin("DELETE", "/faults")

    # -- clock ----------------------------------------------------------------------------

    def now(self) -> float:
        return float(self.admin("GET", "/clock")["now"])

    def freeze_clock(self, at: float | None = None) -> float:
        return float(self.admin("POST", "/clock", {"freeze": True, "set": at})["now"])

    def unfreeze_clock(self) -> float:
        return float(self.admin("POST", "/clock", {"freeze": False})["now"])

    def set_clock(self, at: float) -> float:
        return float(self.admin("POST", "/clock", {"set": at})["now"])

    def advance_clock(self, seconds: float) -> float:
        return float(self.admin("POST", "/clock", {"advance": seconds})["now"])

    # -- journal --------------------------------------------------------------------------

    def journal(
        self,
        path: str | None = None,
        *,
        method: str | None = None,
        status: int | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Requests and answers, oldest first; ``path`` is a glob. Every page of the
        control API's paged list (``next_page_token``), not only the first."""
        query = {"path": path, "method": method, "status": status, "since": since,
                 "until": until, "limit": limit}  # fmt: skip
        return self._every("/journal", "entries", query)

    def webhook_events(self, status: str | None = None) -> list[dict[str, Any]]:
        """Queued, delivered and failed webhook events with their attempts, oldest
        first (every page)."""
        return self._every("/webhooks/events", "events", {"status": status})

    def _every(self, path: str, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item of a paged control-API list, walking ``next_page_token`` with
        the largest page Zoom allows."""
        items: list[dict[str, Any]] = []
        token = None
        while True:
            page = self.admin(
                "GET", path, params={**params, "page_size": 300, "next_page_token": token}
            )
            items.extend(page[key])
            token = page["next_page_token"]
            if not token:
                return items

    def clear_journal(self) -> None:
        self.admin("DELETE", "/journal")

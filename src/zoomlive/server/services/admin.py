"""The emulator's own state management: what the /_zoomlive control API drives.

Creates and edits accounts, users, apps, meetings and webinars, starts and ends
meetings and seeds the demo; ``Runtime.reset`` writes the demo records it builds.

A create never replaces: an id that exists answers 409 and changes nothing (so an
app never moves between accounts). An edit writes only the fields it is given, so
it cannot undo a concurrent write to other fields (a stream PATCH, a start).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from zoomlive.server.clock import Clock
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.services.factory import (
    account_record,
    app_record,
    every_scope,
    new_meeting,
    new_meeting_id,
    user_record,
    zoom_user_id,
)
from zoomlive.server.storage.records import Account, App, Meeting, User
from zoomlive.server.storage.store import Conflict, Match, Store
from zoomlive.wire import errors as E
from zoomlive.wire.ids import MAX_ID

if TYPE_CHECKING:
    from zoomlive.server.services.meetings import MeetingService

SEED_MEETING_ID = 68423085


def not_found(what: str, key: object) -> ZoomProblem:
    return ZoomProblem.of(E.RECORD_NOT_FOUND, what=what, key=key)


def exists(what: str, key: object) -> ZoomProblem:
    return ZoomProblem.of(E.RECORD_EXISTS, what=what, key=key)


class AdminService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        lifecycle: MeetingService,
    ) -> None:
        self._store = store
        self._clock = clock
        #: Starts and ends meetings with their events (the host's side), as the API's
        #: ``status`` operation does; it tells the media feed after its commit.
        self.lifecycle = lifecycle

    # -- accounts ---------------------------------------------------------------------

    async def create_account(self, **fields: Any) -> Account:
        account = account_record(**fields)
        try:
            return await self._store.add_account(account)
        except Conflict:
            raise exists("Account", account.id) from None

    async def update_account(self, account_id: str, **changes: Any) -> Account:
        updated = await self._store.update_account(account_id, changes)
        if updated is None:
            raise not_found("Account", account_id)
        return updated

    async def get_account(self, account_id: str) -> Account:
        account = await self._store.get_account(account_id)
        if account is None:
            raise not_found("Account", account_id)
        return account

    async def page(
        self,
        what: str,
        after: Any,
        limit: int,
        account_id: str | None = None,
        *,
        before: Any = None,
        match: Match | None = None,
    ) -> list[Any]:
        """A page of meetings, accounts, users or apps, in key order after ``after``
        (or the ``limit`` before ``before``); meetings may be searched (``match``).
        Keyset paging: a deep page costs what the first does."""
        return await self._store.page(what, after, limit, account_id, before=before, match=match)

    async def count(
        self,
        what: str,
        account_id: str | None = None,
        *,
        match: Match | None = None,
        cap: int | None = None,
    ) -> int:
        """How many the listing holds (that match), counting no further than ``cap``."""
        return await self._store.count(what, account_id, match=match, cap=cap)

    async def list_accounts(self) -> list[Account]:
        return await self._store.list_accounts()

    # -- users ------------------------------------------------------------------------

    async def create_user(self, account_id: str, **fields: Any) -> User:
        await self.get_account(account_id)
        user = user_record(account_id, **fields)
        try:
            return await self._store.add_user(user)
        except Conflict:
            raise exists("User", user.id) from None

    async def get_user(self, user_id: str) -> User:
        user = await self._store.get_user(user_id)
        if user is None:
            raise not_found("User", user_id)
        return user

    async def list_users(self, account_id: str) -> list[User]:
        return await self._store.list_users(account_id)

    async def update_user(self, user_id: str, **changes: Any) -> User:
        updated = await self._store.update_user(user_id, changes)
        if updated is None:
            raise not_found("User", user_id)
        return updated

    # -- apps -------------------------------------------------------------------------

    async def create_app(self, account_id: str, **fields: Any) -> App:
        """An app made by the factory (``factory.app_record``: ``fields`` are its)."""
        await self.get_account(account_id)
        app = app_record(account_id, **fields)
        try:
            return await self._store.add_app(app)
        except Conflict:
            raise exists("App", app.client_id) from None

    async def get_app(self, client_id: str) -> App:
        app = await self._store.get_app(client_id)
        if app is None:
            raise not_found("App", client_id)
        return app

    async def list_apps(self, account_id: str) -> list[App]:
        return await self._store.list_apps(account_id)

    async def update_app(self, client_id: str, **changes: Any) -> App:
        if "scopes" in changes and isinstance(changes["scopes"], list):
            changes["scopes"] = " ".join(changes["scopes"])
        updated = await self._store.update_app(client_id, changes)
        if updated is None:
            raise not_found("App", client_id)
        return updated

    # -- tokens -------------------------------------------------------------------------

    async def count_tokens(self, client_id: str | None = None) -> int:
        """Tokens issued (to one app, or in all), expired ones included."""
        return await self._store.count_tokens(client_id)

    async def expire_tokens(self, client_id: str | None = None) -> int:
        """Every live token (of one app) expires now, on the server clock."""
        return await self._store.expire_tokens(self._clock.now(), client_id)

    # -- meetings and webinars -----------------------------------------------------------

    async def list_meetings(self, account_id: str | None = None) -> list[Meeting]:
        return await self._store.list_meetings(account_id)

    async def create_meetings(self, kind: str, items: list[dict[str, Any]]) -> list[int]:
        """Create many meetings (or webinars) in one transaction: all or none. Those
        without an ``id`` get consecutive 11-digit ids from a random start."""
        hosts: dict[str, Any] = {}
        for item in items:
            host_id = str(item["host_id"])
            if host_id not in hosts:
                host = await self._store.get_user(host_id)
                if host is None:
                    raise not_found("User", host_id)
                hosts[host_id] = host
        given = [int(i["id"]) for i in items if i.get("id") is not None]
        if len(set(given)) != len(given):
            raise ZoomProblem.of(E.INVALID_MEETING_ID)
        missing = sum(1 for i in items if i.get("id") is None)
        fresh: list[int] = []
        while missing and not fresh:
            # One free run of consecutive ids from a random 11-digit start: one range
            # check, and the inserts land together in the table's index instead of
            # on a random page each (bench/README.md, the bulk load).
            start = secrets.randbelow(90_000_000_000 - missing) + 10_000_000_000
            run = range(start, start + missing)
            clash = any(run.start <= g < run.stop for g in given)
            if not clash and not await self._store.meeting_ids_between(run.start, run.stop - 1):
                fresh = list(run)
        meetings = meeting_records(kind, items, hosts, iter(fresh), self._clock.now())
        try:
            await self._store.insert_all(meetings)
        except Conflict:
            raise exists("Meeting", ", ".join(map(str, given))) from None
        return [m.id for m in meetings]

    async def new_meeting_id(self) -> int:
        while True:
            candidate = new_meeting_id()
            if not await self._store.meeting_exists(candidate):
                return candidate

    async def create_meeting(
        self, kind: str, host_id: str, *, id: int | None = None, **fields: Any
    ) -> Meeting:
        host = await self._store.get_user(host_id)
        if host is None:
            raise not_found("User", host_id)
        if id is not None and not 0 < id <= MAX_ID:
            raise ZoomProblem.of(E.INVALID_MEETING_ID)
        meeting_id = id if id is not None else await self.new_meeting_id()
        meeting = new_meeting(kind, host, self._clock.now(), id=meeting_id, **fields)
        try:
            return await self._store.add_meeting(meeting)
        except Conflict:
            raise exists("Meeting", meeting_id) from None

    async def update_meeting(self, meeting_id: int, **changes: Any) -> Meeting:
        if changes.get("status") == "ended":
            changes.pop("status")
            await self.end_meeting(meeting_id)
        elif changes.get("status") == "started":
            changes.pop("status")
            await self.start_meeting(meeting_id)
        if not changes:
            return await self.get_meeting(meeting_id)
        if "host_id" in changes:
            host = await self._store.get_user(str(changes["host_id"]))
            if host is None:
                raise not_found("User", changes["host_id"])
        updated = await self._store.update_meeting(meeting_id, changes)
        if updated is None:
            raise not_found("Meeting", meeting_id)
        return updated

    async def get_meeting(self, meeting_id: int) -> Meeting:
        meeting = await self._store.get_meeting(meeting_id)
        if meeting is None:
            raise not_found("Meeting", meeting_id)
        return meeting

    async def start_meeting(self, meeting_id: int) -> Meeting:
        """The host joins: the meeting starts, and ``meeting.started`` (or
        ``webinar.started``) is queued if it was not started."""
        meeting = await self.get_meeting(meeting_id)
        await self.lifecycle.start(meeting)
        return await self.get_meeting(meeting_id)

    async def end_meeting(self, meeting_id: int) -> Meeting:
        """The host leaves: the meeting ends, its live stream stops (its media feed
        closes), and a later start of the stream gets 4927. Events as for ``status
        end`` (README, Decisions)."""
        meeting = await self.get_meeting(meeting_id)
        await self.lifecycle.end(meeting)  # tells the media feed itself
        return await self.get_meeting(meeting_id)

    # -- the demo -----------------------------------------------------------------------

    def demo_records(
        self, account_id: str = "", client_id: str = "", client_secret: str = ""
    ) -> tuple[list[Account | User | App | Meeting], dict[str, Any]]:
        """The README's demo, as records: a Pro account, a licensed host, an app with
        every live stream scope, meeting 68423085 (started), a scheduled meeting and a
        webinar (started). Written by ``Runtime.reset`` in the same transaction as the wipe."""
        account = Account(
            id=account_id or zoom_user_id(), plan="pro", live_streaming=True, webinar_plan=True
        )
        host_id = zoom_user_id()
        host = User(id=host_id, account_id=account.id, email="host@example.com", type=2)
        app = App(
            client_id=client_id or secrets.token_urlsafe(16),
            client_secret=client_secret or secrets.token_urlsafe(24),
            account_id=account.id,
            name="zoomlive demo",
            scopes=" ".join(every_scope()),
            owner_id=host_id,
        )
        scheduled_id = secrets.randbelow(90_000_000_000) + 10_000_000_000
        webinar_id = scheduled_id + 1
        now = self._clock.now()

        def meeting(mid: int, kind: str, topic: str, status: str) -> Meeting:
            return new_meeting(kind, host, now, id=mid, topic=topic, status=status)

        records: list[Account | User | App | Meeting] = [
            account,
            host,
            app,
            meeting(SEED_MEETING_ID, "meeting", "Seed meeting", "started"),
            meeting(scheduled_id, "meeting", "Scheduled meeting", "waiting"),
            meeting(webinar_id, "webinar", "Demo webinar", "started"),
        ]
        info = {
            "account_id": account.id,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "host_id": host_id,
            "meeting_id": SEED_MEETING_ID,
            "scheduled_meeting_id": scheduled_id,
            "webinar_id": webinar_id,
        }
        return records, info

    async def seed_demo(
        self, account_id: str = "", client_id: str = "", client_secret: str = ""
    ) -> dict[str, Any]:
        """Add the demo to what is there (fails if meeting 68423085 exists)."""
        records, info = self.demo_records(account_id, client_id, client_secret)
        try:
            await self._store.insert_all(records)
        except Conflict:
            raise exists("Meeting", SEED_MEETING_ID) from None
        return info


def meeting_records(
    kind: str,
    items: Iterable[Mapping[str, Any]],
    hosts: Mapping[str, User],
    fresh_ids: Iterator[int],
    now: float,
) -> list[Meeting]:
    """Meeting (or webinar) records from their fields, as many-at-once creation makes
    them: the control API's bulk create and a seed file (``seeding``) alike, by the one
    factory. Each item names its ``host_id`` (a key of ``hosts``, whose account it
    joins) and may give its ``id`` (else the next of ``fresh_ids``)."""
    meetings = []
    for item in items:
        fields = {k: v for k, v in item.items() if k not in ("host_id", "id")}
        host = hosts[str(item["host_id"])]
        meeting_id = item.get("id") or next(fresh_ids)
        meetings.append(new_meeting(kind, host, now, id=meeting_id, **fields))
    return meetings

"""Zoom's user reads: ``GET /users/{userId}`` (an id, an email or ``me``) and
``GET /users`` (the account's users, a page at a time). A user of another account,
or a deleted one, does not exist here (404/1001), as for the meeting operations."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from zoomlive.server.clock import Clock
from zoomlive.server.services.auth import Principal
from zoomlive.server.services.meetings import MeetingService
from zoomlive.server.services.paging import TokenCodec, parse_resume, parse_size
from zoomlive.server.storage.records import User
from zoomlive.server.storage.store import Store
from zoomlive.wire import users as wu
from zoomlive.wire.paths import Kind


def _names(user: User) -> tuple[str, str]:
    """A display name where zoomlive keeps none: the email's local part."""
    local = user.email.partition("@")[0]
    return local, local


def user_object(user: User) -> wu.UserObject:
    first, display = _names(user)
    return wu.UserObject(
        id=user.id, first_name=first, last_name="", display_name=display, email=user.email,
        type=user.type, role_name="Member", pmi=0, use_pmi=False, personal_meeting_url="",
        timezone="", verified=1, dept="", created_at="", user_created_at="",
        last_login_time="", last_client_version="", pic_url="", language="en-US",
        phone_number="", status="active" if user.in_account else "pending", role_id="2",
        account_id=user.account_id, account_number=0, cluster="", jid="", group_ids=[],
        im_group_ids=[], login_types=[100],
    )  # fmt: skip


def list_item(user: User) -> wu.UserListItem:
    first, display = _names(user)
    return wu.UserListItem(
        id=user.id, first_name=first, last_name="", display_name=display, email=user.email,
        type=user.type, pmi=0, timezone="", verified=1, dept="", created_at="",
        user_created_at="", last_login_time="", last_client_version="",
        status="active" if user.in_account else "pending", role_id="2", group_ids=[],
        im_group_ids=[],
    )  # fmt: skip


class UserService:
    def __init__(self, store: Store, clock: Clock, meetings: MeetingService) -> None:
        self._store = store
        self._clock = clock
        self._meetings = meetings

    @property
    def _pages(self) -> TokenCodec:
        return self._meetings.pages  # the one page-token key of the database

    async def get(self, principal: Principal, raw_user: str) -> bytes:
        user = await self._meetings.resolve_user(principal, Kind.MEETING, raw_user)
        return msgspec.json.encode(user_object(user))

    async def list(self, principal: Principal, query: Mapping[str, str]) -> bytes:
        """The account's users in id order (keyset paging, as the meeting lists)."""
        now = self._clock.now()
        scope = f"{principal.account_id}|users"
        size = parse_size(query)
        resume = parse_resume(self._pages, scope, query, now)
        after = resume.after or None
        rows: list[User] = list(
            await self._store.page("users", after, size + 1, principal.account_id)
        )
        more = len(rows) > size
        rows = rows[:size]
        total = await self._store.count("users", principal.account_id)
        token = self._pages.encode(scope, rows[-1].id, now, resume.number + 1) if more else ""
        return msgspec.json.encode(
            wu.UserList(
                page_count=-(-total // size) if total else 0, page_number=resume.number,
                page_size=size, total_records=total, next_page_token=token,
                users=[list_item(u) for u in rows if not u.deleted],
            )
        )  # fmt: skip

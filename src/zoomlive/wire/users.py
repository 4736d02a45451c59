"""Zoom's user operations zoomlive answers: ``GET /users/{userId}`` and ``GET /users``.

The route table (path, method, rate-limit label, scopes) and the answers' shapes, as
Zoom's Meeting API spec of 2023-10-25 gives them (the 2025 copy holds no user
operations). That spec lists the classic scopes (``user:read:admin``, ``user:read``);
the granular ones are Zoom's names for the same reads (``user:read:user``,
``user:read:list_users:admin``, each with its ``:admin`` twin where Zoom has one).
"""

from __future__ import annotations

import enum
from typing import NamedTuple

import msgspec

from zoomlive.wire.paths import API_PREFIX
from zoomlive.wire.ratelimit import Label


class UserOp(enum.StrEnum):
    GET = "get"
    LIST = "list"


class UserRoute(NamedTuple):
    op: UserOp

    @property
    def method(self) -> str:
        return "GET"

    @property
    def kind(self) -> None:
        """Users are of no kind (the meeting tables' routes are of a meeting or a
        webinar)."""
        return None

    @property
    def operation_id(self) -> str:
        return "user" if self.op is UserOp.GET else "users"

    @property
    def label(self) -> Label:
        return Label.LIGHT if self.op is UserOp.GET else Label.MEDIUM

    def granular_scopes(self) -> tuple[str, ...]:
        if self.op is UserOp.GET:
            return ("user:read:user", "user:read:user:admin")
        return ("user:read:list_users:admin",)

    def classic_scopes(self) -> tuple[str, ...]:
        return ("user:read:admin", "user:read") if self.op is UserOp.GET else ("user:read:admin",)

    def accepted_scopes(self) -> frozenset[str]:
        return frozenset(self.granular_scopes() + self.classic_scopes())

    def template(self, param: str | None = None) -> str:
        if self.op is UserOp.LIST:
            return f"{API_PREFIX}/users"
        return f"{API_PREFIX}/users/{{{param or 'userId'}}}"


USER_ROUTES: tuple[UserRoute, ...] = (UserRoute(UserOp.GET), UserRoute(UserOp.LIST))


def all_user_scopes() -> tuple[str, ...]:
    return tuple(s for route in USER_ROUTES for s in route.granular_scopes())


class UserObject(msgspec.Struct, frozen=True):
    """A user as ``GET /users/{userId}`` answers (Zoom's fields; zoomlive keeps the
    id, the account, the email, the type and whether the user is in the account)."""

    id: str
    first_name: str
    last_name: str
    display_name: str
    email: str
    type: int
    role_name: str
    pmi: int
    use_pmi: bool
    personal_meeting_url: str
    timezone: str
    verified: int
    dept: str
    created_at: str
    user_created_at: str
    last_login_time: str
    last_client_version: str
    pic_url: str
    language: str
    phone_number: str
    status: str
    role_id: str
    account_id: str
    account_number: int
    cluster: str
    jid: str
    group_ids: list[str]
    im_group_ids: list[str]
    login_types: list[int]


class UserListItem(msgspec.Struct, frozen=True):
    id: str
    first_name: str
    last_name: str
    display_name: str
    email: str
    type: int
    pmi: int
    timezone: str
    verified: int
    dept: str
    created_at: str
    user_created_at: str
    last_login_time: str
    last_client_version: str
    status: str
    role_id: str
    group_ids: list[str]
    im_group_ids: list[str]


class UserList(msgspec.Struct, frozen=True):
    page_count: int
    page_number: int
    page_size: int
    total_records: int
    next_page_token: str
    users: list[UserListItem]

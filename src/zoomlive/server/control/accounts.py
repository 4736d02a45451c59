"""Control API: accounts, their users and apps, and the apps' tokens."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import JSONBody

from zoomlive.server.control.params import (
    PageSize,
    PageToken,
    PathStr,
    RuntimeDep,
    paged,
)
from zoomlive.server.runtime import Runtime
from zoomlive.server.services.inputs import (
    AccountIn,
    AccountPatch,
    AppIn,
    AppPatch,
    ExpireIn,
    UserIn,
    UserPatch,
    changes,
)
from zoomlive.server.services.paging import DEFAULT_PAGE_SIZE
from zoomlive.server.storage.records import Account, App, User


class AccountsController(Controller):
    path = "/"

    @post(
        "/accounts",
        status_code=201,
        summary="Create an account (plan, live streaming, webinar plan)",
    )
    async def create_account(self, rt: RuntimeDep, data: JSONBody[AccountIn]) -> Account:
        return await rt.admin.create_account(**changes(data))

    @get("/accounts", summary="Accounts, a page at a time")
    async def list_accounts(
        self,
        rt: RuntimeDep,
        page_size: PageSize = DEFAULT_PAGE_SIZE,
        next_page_token: PageToken = None,
    ) -> dict[str, Any]:
        return await _page(rt, "accounts", None, page_size, next_page_token)

    @get("/accounts/{account_id:str}", summary="An account")
    async def get_account(self, rt: RuntimeDep, account_id: PathStr) -> Account:
        return await rt.admin.get_account(account_id)

    @patch(
        "/accounts/{account_id:str}",
        summary="Change an account's plan or flags (only the fields given)",
    )
    async def update_account(
        self, rt: RuntimeDep, account_id: PathStr, data: JSONBody[AccountPatch]
    ) -> Account:
        return await rt.admin.update_account(account_id, **changes(data))

    @post(
        "/accounts/{account_id:str}/users",
        status_code=201,
        summary="Add a user (host) to an account",
    )
    async def create_user(
        self, rt: RuntimeDep, account_id: PathStr, data: JSONBody[UserIn]
    ) -> User:
        return await rt.admin.create_user(account_id, **changes(data))

    @get("/accounts/{account_id:str}/users", summary="An account's users, a page at a time")
    async def list_users(
        self,
        rt: RuntimeDep,
        account_id: PathStr,
        page_size: PageSize = DEFAULT_PAGE_SIZE,
        next_page_token: PageToken = None,
    ) -> dict[str, Any]:
        return await _page(rt, "users", account_id, page_size, next_page_token)

    @get("/users/{user_id:str}", summary="A user")
    async def get_user(self, rt: RuntimeDep, user_id: PathStr) -> User:
        return await rt.admin.get_user(user_id)

    @patch(
        "/users/{user_id:str}",
        summary="Change a user's licence, standing or email (only the fields given)",
    )
    async def update_user(
        self, rt: RuntimeDep, user_id: PathStr, data: JSONBody[UserPatch]
    ) -> User:
        return await rt.admin.update_user(user_id, **changes(data))

    @post(
        "/accounts/{account_id:str}/apps",
        status_code=201,
        summary="Add a Server-to-Server OAuth app (its credentials and scopes)",
    )
    async def create_app(self, rt: RuntimeDep, account_id: PathStr, data: JSONBody[AppIn]) -> App:
        return await rt.admin.create_app(account_id, **msgspec.structs.asdict(data))

    @get("/accounts/{account_id:str}/apps", summary="An account's apps, a page at a time")
    async def list_apps(
        self,
        rt: RuntimeDep,
        account_id: PathStr,
        page_size: PageSize = DEFAULT_PAGE_SIZE,
        next_page_token: PageToken = None,
    ) -> dict[str, Any]:
        return await _page(rt, "apps", account_id, page_size, next_page_token)

    @patch(
        "/apps/{client_id:str}", summary="Change an app's scopes or name (only the fields given)"
    )
    async def update_app(self, rt: RuntimeDep, client_id: PathStr, data: JSONBody[AppPatch]) -> App:
        return await rt.admin.update_app(client_id, **changes(data))

    @get("/apps/{client_id:str}/tokens", summary="How many tokens this app was issued")
    async def app_tokens(self, rt: RuntimeDep, client_id: PathStr) -> dict[str, int]:
        return {"issued": await rt.admin.count_tokens(client_id)}

    @post("/tokens/expire", status_code=200, summary="Force every live token (of an app) to expire")
    async def expire_tokens(
        self, rt: RuntimeDep, data: JSONBody[ExpireIn | None] = None
    ) -> dict[str, int]:
        return {"expired": await rt.admin.expire_tokens(data.client_id if data else None)}


async def _page(
    rt: Runtime, what: str, account_id: str | None, page_size: int, token: str | None
) -> dict[str, Any]:
    def key(record: Any) -> str:
        return str(record.client_id if what == "apps" else record.id)

    return await paged(
        rt,
        what,
        account_id or "",
        lambda after, limit: rt.admin.page(what, after, limit, account_id),
        lambda: rt.admin.count(what, account_id),
        key,
        str,
        page_size,
        token,
    )

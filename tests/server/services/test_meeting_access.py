"""Account isolation and scopes on every meeting and webinar operation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api
from zoomlive.wire.meetings import MEETING_ROUTES, MeetingRoute, Op
from zoomlive.wire.paths import Kind


def _ids(api: Api) -> dict[str, Any]:
    rows = api.admin("GET", "/meetings").json()["meetings"]
    webinar = next(m for m in rows if m["kind"] == "webinar")
    return {"meeting": 68423085, "webinar": webinar["id"], "host": webinar["host_id"]}


def _call(api: Api, route: MeetingRoute, key: str | int, token: str) -> Any:
    body = {"action": "end"} if route.op is Op.STATUS else {"topic": "x"}
    kw = {"json": body} if route.method in ("POST", "PATCH", "PUT") else {}
    return api.call(route.method, route.path(key), token, **kw)


@pytest.mark.parametrize("route", MEETING_ROUTES, ids=lambda r: r.operation_id)
def test_another_accounts_token_finds_nothing(api: Api, route: MeetingRoute) -> None:
    ids = _ids(api)
    other = api.new_account()["token"]
    key = ids["host"] if route.op.on_user else ids[route.kind.value]
    r = _call(api, route, key, other)
    if route.op.on_user:
        # Zoom's documented answer for a userId the caller cannot see.
        text = "User {} does not exist." if route == MeetingRoute(Kind.WEBINAR, Op.CREATE) else (
            "User does not exist: {}.")  # fmt: skip
        assert (r.status_code, r.json()) == (404, {"code": 1001, "message": text.format(key)})
    else:
        label = route.kind.label
        expected = {"code": 3001, "message": f"{label} does not exist: {key}."}
        assert (r.status_code, r.json()) == (404, expected)
    # Nothing changed for the owner.
    assert api.admin("GET", f"/meetings/{ids['meeting']}").json()["status"] == "started"


@pytest.mark.parametrize("route", MEETING_ROUTES, ids=lambda r: r.operation_id)
def test_an_app_without_the_scope_gets_4711_naming_it(api: Api, route: MeetingRoute) -> None:
    ids = _ids(api)
    account = api.admin("GET", "/accounts").json()["accounts"][0]["id"]
    app = api.admin("POST", f"/accounts/{account}/apps",
                    {"scopes": ["meeting:read:livestream"]}).json()  # fmt: skip
    token = api.token(app["client_id"], app["client_secret"], account)
    key = "me" if route.op.on_user else ids[route.kind.value]
    r = _call(api, route, key, token)
    scopes = ", ".join(route.granular_scopes())
    assert r.status_code == 400
    message = f"Invalid access token, does not contain scopes:[{scopes}]."
    assert r.json() == {"code": 4711, "message": message}
    assert r.headers["X-RateLimit-Category"] == route.label.value


def test_classic_and_granular_scopes_are_both_honoured(api: Api) -> None:
    account = api.admin("GET", "/accounts").json()["accounts"][0]["id"]
    host = _ids(api)["host"]
    for scopes in (["meeting:write:admin"], ["meeting:write:meeting"]):
        app = api.admin("POST", f"/accounts/{account}/apps",
                        {"scopes": scopes, "owner_id": host}).json()  # fmt: skip
        token = api.token(app["client_id"], app["client_secret"], account)
        r = api.call("POST", "/users/me/meetings", token, json={"topic": "scoped"})
        assert r.status_code == 201, (scopes, r.text)
        # The write scope does not read.
        assert api.call("GET", f"/meetings/{r.json()['id']}", token).json()["code"] == 4711


def test_user_id_is_an_id_an_email_or_me(api: Api) -> None:
    token = api.token()
    host = _ids(api)["host"]
    email = api.admin("GET", f"/users/{host}").json()["email"]
    for key in (host, email, email.upper(), "me"):
        r = api.call("POST", f"/users/{key}/meetings", token, json={"topic": key})
        assert r.status_code == 201, (key, r.text)
        assert r.json()["host_id"] == host
    account = api.admin("GET", "/accounts").json()["accounts"][0]["id"]
    ownerless = api.admin("POST", f"/accounts/{account}/apps", {}).json()
    token = api.token(ownerless["client_id"], ownerless["client_secret"], account)
    r = api.call("GET", "/users/me/meetings", token)
    assert (r.status_code, r.json()["code"]) == (404, 1001)

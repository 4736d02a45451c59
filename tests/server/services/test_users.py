"""Zoom's user reads over real HTTP: ``GET /users/{userId}`` by id, email and ``me``,
404/1001 for anyone not of the caller's account (or deleted), 400/4711 naming the
scope a token lacks, and ``GET /users`` a page at a time, each user once, with Zoom's
``page_number``."""

from __future__ import annotations

from tests.support import Api


def test_a_user_by_id_email_and_me(api: Api) -> None:
    acct = api.new_account()
    host, token = acct["host"], acct["token"]
    by_id = api.call("GET", f"/users/{host['id']}", token)
    assert by_id.status_code == 200, by_id.text
    body = by_id.json()
    assert (body["id"], body["email"], body["type"], body["account_id"]) == (
        host["id"], host["email"], 2, acct["account"]["id"])  # fmt: skip
    by_email = api.call("GET", f"/users/{host['email'].upper()}", token)
    assert by_email.status_code == 200 and by_email.json()["id"] == host["id"]
    me = api.call("GET", "/users/me", api.token())  # the demo app's owner
    assert me.status_code == 200 and me.json()["email"] == "host@example.com"


def test_no_one_of_another_account_and_no_one_deleted(api: Api) -> None:
    mine, theirs = api.new_account(), api.new_account()
    for who in (theirs["host"]["id"], "nobody", "\u00e9" * 400):
        r = api.call("GET", f"/users/{who}", mine["token"])
        assert (r.status_code, r.json()["code"]) == (404, 1001), (who, r.text)
    api.admin("PATCH", f"/users/{mine['host']['id']}", {"deleted": True})
    r = api.call("GET", f"/users/{mine['host']['id']}", mine["token"])
    assert (r.status_code, r.json()["code"]) == (404, 1001)


def test_a_token_without_the_scope_is_refused_naming_it(api: Api) -> None:
    acct = api.new_account()
    account_id = acct["account"]["id"]
    app = api.admin("POST", f"/accounts/{account_id}/apps",
                    {"scopes": ["meeting:read:meeting"]}).json()  # fmt: skip
    token = api.token(app["client_id"], app["client_secret"], account_id)
    r = api.call("GET", f"/users/{acct['host']['id']}", token)
    assert (r.status_code, r.json()["code"]) == (400, 4711)
    assert "user:read:user" in r.json()["message"]
    r = api.call("GET", "/users", token)
    assert (r.status_code, r.json()["code"]) == (400, 4711)
    assert "user:read:list_users:admin" in r.json()["message"]


def test_the_users_of_an_account_a_page_at_a_time(api: Api) -> None:
    acct = api.new_account()
    account_id, token = acct["account"]["id"], acct["token"]
    made = {acct["host"]["id"]}
    for _ in range(4):
        made.add(api.admin("POST", f"/accounts/{account_id}/users", {}).json()["id"])
    seen: list[str] = []
    numbers: list[int] = []
    next_token = ""
    while True:
        query = "?page_size=2" + (f"&next_page_token={next_token}" if next_token else "")
        r = api.call("GET", f"/users{query}", token)
        assert r.status_code == 200, r.text
        page = r.json()
        assert (page["page_size"], page["total_records"], page["page_count"]) == (2, 5, 3)
        numbers.append(page["page_number"])
        seen.extend(u["id"] for u in page["users"])
        next_token = page["next_page_token"]
        if not next_token:
            break
    assert numbers == [1, 2, 3]
    assert sorted(seen) == sorted(made)  # each once, only this account's
    for query in ("page_size=abc", "page_size=0", "next_page_token=garbage"):
        r = api.call("GET", f"/users?{query}", token)
        assert (r.status_code, r.json()["code"]) == (400, 300), query

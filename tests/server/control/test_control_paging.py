"""The control API's lists page as Zoom's list APIs do (``page_size``, default 30 and
at most 300, and ``next_page_token``), and many meetings are created in one request."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.server.control.test_control_validation import bad_field, control, host_id
from tests.server.webhooks.receiver import Receiver
from tests.support import DEMO_ACCOUNT, DEMO_CLIENT, Api
from zoomlive.testing import Zoom

MEETINGS = 10_000


def test_paging_through_10000_meetings_gives_each_exactly_once(api: Api) -> None:
    host = host_id(api)
    created: list[int] = []
    for start in range(0, MEETINGS, 5000):  # two bulk requests of 5,000
        body = [{"host_id": host, "topic": f"bulk {i}"} for i in range(start, start + 5000)]
        r = control(api, "POST", "/meetings", body)
        assert r.status_code == 201, r.text
        assert r.json()["created"] == 5000
        created.extend(r.json()["ids"])
    assert len(set(created)) == MEETINGS

    seen: list[int] = []
    token = ""
    pages = 0
    while True:
        page = api.admin("GET", f"/meetings?page_size=300&next_page_token={token}").json()
        assert page["page_size"] == 300 and len(page["meetings"]) <= 300
        assert page["total_records"] == MEETINGS + 3  # and the demo's three
        seen.extend(m["id"] for m in page["meetings"])
        pages += 1
        token = page["next_page_token"]
        if not token:
            break
    assert len(seen) == len(set(seen)) == MEETINGS + 3
    assert set(created) <= set(seen)
    assert pages == -(-(MEETINGS + 3) // 300)


def test_a_list_defaults_to_30_and_refuses_page_sizes_out_of_range(api: Api) -> None:
    host = host_id(api)
    r = control(api, "POST", "/meetings", [{"host_id": host} for _ in range(40)])
    assert r.status_code == 201, r.text
    first = api.admin("GET", "/meetings").json()
    assert first["page_size"] == 30 and len(first["meetings"]) == 30 and first["next_page_token"]
    for bad in (0, 301, -1):
        bad_field(control(api, "GET", f"/meetings?page_size={bad}"), "page_size")
    r = control(api, "GET", "/meetings?next_page_token=bm90LWEtdG9rZW4")
    assert r.status_code == 400 and r.json()["code"] == 300, r.text


@pytest.mark.parametrize("path", ["/accounts", f"/accounts/{DEMO_ACCOUNT}/users",
                                  f"/accounts/{DEMO_ACCOUNT}/apps"])  # fmt: skip
def test_accounts_users_and_apps_page_the_same_way(api: Api, path: str) -> None:
    page = api.admin("GET", f"{path}?page_size=1").json()
    assert page["page_size"] == 1 and page["next_page_token"] == ""
    assert page["total_records"] == 1
    bad_field(control(api, "GET", f"{path}?page_size=301"), "page_size")


def test_a_bulk_create_with_an_unknown_host_creates_nothing(api: Api) -> None:
    before = api.admin("GET", "/meetings").json()["total_records"]
    body = [{"host_id": host_id(api)}, {"host_id": "nobody"}]
    r = control(api, "POST", "/meetings", body)
    assert r.status_code == 404, r.text
    assert api.admin("GET", "/meetings").json()["total_records"] == before


def _walk(api: Api, path: str, key: str, size: int, between: Any = None) -> list[dict[str, Any]]:
    """Every item of a paged list, page by page of ``size``; ``between()`` runs after
    the first page. Each page is checked against the list's shape."""
    items: list[dict[str, Any]] = []
    token = ""
    sep = "&" if "?" in path else "?"
    while True:
        page = api.admin("GET", f"{path}{sep}page_size={size}&next_page_token={token}").json()
        assert set(page) == {"page_size", "next_page_token", "total_records", key}, page
        assert page["page_size"] == size and len(page[key]) <= size
        items.extend(page[key])
        token = page["next_page_token"]
        if not token:
            return items
        assert len(page[key]) == size  # only the last page is short
        if between is not None and len(items) == size:
            between()


def test_the_journal_pages_each_entry_exactly_once_in_order(api: Api) -> None:
    token = api.token()
    api.admin("DELETE", "/journal")
    for _ in range(70):
        assert api.call("GET", "/users/me/meetings", token).status_code == 200
    first = api.admin("GET", "/journal?page_size=30").json()
    assert first["total_records"] == 70 and len(first["entries"]) == 30

    def one_more() -> None:  # recorded mid-walk: it comes at the end, once
        assert api.call("GET", "/users/me/webinars", token).status_code == 200

    seen = _walk(api, "/journal", "entries", 30, one_more)
    ids = [e["id"] for e in seen]
    assert len(ids) == 71 and ids == sorted(set(ids))
    assert [e["path"] for e in seen].count("/v2/users/me/meetings") == 70
    assert seen[-1]["path"] == "/v2/users/me/webinars"
    # The filters page too, and ``limit`` (the last N matches) is paged within.
    assert len(_walk(api, "/journal?path=/v2/users/me/meetings", "entries", 30)) == 70
    last = _walk(api, "/journal?limit=45", "entries", 30)
    assert [e["id"] for e in last] == ids[-45:]


def test_webhook_events_page_each_event_exactly_once(api: Api) -> None:
    receiver = Receiver("paging-secret")
    try:
        r = control(api, "PUT", f"/apps/{DEMO_CLIENT}/subscription",
                    {"url": receiver.url, "events": ["meeting.created"],
                     "secret_token": "paging-secret"})  # fmt: skip
        assert r.status_code == 200 and r.json()["enabled"] is True, r.text
        token = api.token()
        created = []
        for i in range(65):
            r = api.call("POST", "/users/me/meetings", token, json={"topic": f"paged {i}"})
            assert r.status_code == 201, r.text
            created.append(r.json()["id"])
        seen = _walk(api, "/webhooks/events", "events", 30)
    finally:
        receiver.close()
    ids = [e["id"] for e in seen]
    assert len(ids) == 65 and ids == sorted(set(ids))
    assert {e["event"] for e in seen} == {"meeting.created"}
    assert api.admin("GET", "/webhooks/events?page_size=1").json()["total_records"] == 65
    assert {json.loads(e["body"])["payload"]["object"]["id"] for e in seen} == set(created)


def _bad_token(r: Any) -> None:
    """What Zoom's meeting list answers a token it did not issue for that list."""
    assert (r.status_code, r.json()["code"]) == (400, 300), r.text
    assert r.json()["errors"] == [{"field": "next_page_token",
                                   "message": "Invalid parameter: next_page_token."}]  # fmt: skip


@pytest.mark.parametrize("path", ["/journal", "/webhooks/events"])
def test_the_journal_and_webhook_events_refuse_bad_pages_as_zoom_does(api: Api, path: str) -> None:
    for bad in (0, 301, -1):
        bad_field(control(api, "GET", f"{path}?page_size={bad}"), "page_size")
    _bad_token(control(api, "GET", f"{path}?next_page_token=bm90LWEtdG9rZW4"))
    # A token is bound to its list: the meetings list's does not page this one.
    control(api, "POST", "/meetings", [{"host_id": host_id(api)} for _ in range(2)])
    meetings_token = api.admin("GET", "/meetings?page_size=1").json()["next_page_token"]
    assert meetings_token
    _bad_token(control(api, "GET", f"{path}?next_page_token={meetings_token}"))


def test_the_kits_journal_reads_every_page(zoom: Zoom) -> None:
    """More entries than the largest page (300): ``Zoom.journal()`` walks them all."""
    zoom.clear_journal()
    with zoom.http() as http:
        for _ in range(310):
            assert http.get("/v2/users/me/meetings").status_code == 401  # journalled too
    entries = zoom.journal()
    assert len(entries) == 310 and len({e["id"] for e in entries}) == 310
    assert len(zoom.journal(limit=5)) == 5
    assert zoom.webhook_events() == []


def test_ids_with_dots_and_colons_page_each_account_exactly_once(api: Api) -> None:
    """String keys (accounts, users, apps) ride in the token too, whatever they hold."""
    made = {"a.b:c", "zz:9", "x.y.z", "plain"}
    for account_id in made:
        r = control(api, "POST", "/accounts", {"id": account_id})
        assert r.status_code == 201, r.text
    seen = [a["id"] for a in _walk(api, "/accounts", "accounts", 1)]
    assert len(seen) == len(set(seen)) == len(made) + 1  # and the demo's
    assert made <= set(seen)

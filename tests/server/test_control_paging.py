"""The control API's lists page as Zoom's list APIs do (``page_size``, default 30 and
at most 300, and ``next_page_token``), and many meetings are created in one request."""

from __future__ import annotations

import pytest

from tests.server.test_control_validation import bad_field, control, host_id
from tests.support import DEMO_ACCOUNT, Api

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

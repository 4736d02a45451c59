"""Zoom's list paging (``page_size``, ``next_page_token``) on a host's meetings."""

from __future__ import annotations

import concurrent.futures

from tests.support import Api


def _host(api: Api) -> str:
    return str(api.admin("GET", "/meetings/68423085").json()["host_id"])


def test_a_thousand_meetings_in_pages_of_300_each_once_over_4_pages(api: Api) -> None:
    host = _host(api)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        made = set(pool.map(lambda i: api.new_meeting(host, topic=f"m{i}")["id"], range(998)))
    # With the demo's two meetings: 1,000.
    expected = made | {m["id"] for m in api.admin_list("/meetings", "meetings")
                       if m["kind"] == "meeting"}  # fmt: skip
    assert len(expected) == 1000
    token = api.token()
    seen: list[int] = []
    pages = 0
    numbers: list[int] = []
    next_token = ""
    while True:
        query = "?page_size=300" + (f"&next_page_token={next_token}" if next_token else "")
        r = api.call("GET", f"/users/me/meetings{query}", token)
        assert r.status_code == 200, r.text
        page = r.json()
        pages += 1
        numbers.append(page["page_number"])
        assert page["page_size"] == 300 and page["total_records"] == 1000
        assert page["page_count"] == 4
        seen.extend(m["id"] for m in page["meetings"])
        next_token = page["next_page_token"]
        if not next_token:
            break
    assert pages == 4
    assert numbers == [1, 2, 3, 4]  # Zoom's page_number, carried by the token
    assert sorted(seen) == sorted(expected)  # each exactly once


def test_page_size_and_token_are_checked_as_zoom_does(api: Api) -> None:
    token = api.token()
    big = api.call("GET", "/users/me/meetings?page_size=5000", token).json()
    assert big["page_size"] == 300  # capped, not refused
    for query in ("page_size=0", "page_size=abc", "next_page_token=garbage"):
        r = api.call("GET", f"/users/me/meetings?{query}", token)
        assert (r.status_code, r.json()["code"]) == (400, 300), query
    first = api.call("GET", "/users/me/meetings?page_size=1", token).json()
    assert first["next_page_token"]
    # A token belongs to its list: the webinars' list refuses the meetings' token.
    r = api.call("GET", f"/users/me/webinars?next_page_token={first['next_page_token']}", token)
    assert r.status_code == 400
    assert r.json()["errors"] == [{"field": "next_page_token",
                                   "message": "Invalid parameter: next_page_token."}]  # fmt: skip
    # And it expires after 15 minutes of server time, as Zoom's does.
    api.admin("POST", "/clock", {"advance": 15 * 60 + 1})
    token = api.token()
    r = api.call("GET", f"/users/me/meetings?next_page_token={first['next_page_token']}", token)
    assert r.status_code == 400


def test_a_token_is_refused_before_it_is_read_when_too_long_or_tampered(api: Api) -> None:
    token = api.token()
    first = api.call("GET", "/users/me/meetings?page_size=1", token).json()
    good = first["next_page_token"]
    # A character inside the signature (the last one may carry only padding bits).
    tampered = good[:-6] + ("A" if good[-6] != "A" else "B") + good[-5:]
    for bad in (tampered, good + "x" * 2000, good.replace(".", "", 1)):
        r = api.call("GET", f"/users/me/meetings?next_page_token={bad}", token)
        assert (r.status_code, r.json()["code"]) == (400, 300), bad[:40]

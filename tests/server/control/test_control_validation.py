"""The control API validates like the public one: a value out of range, a clock outside
1970..9999, a fault that could not be sent as HTTP, all get 400/300 naming the field,
and nothing changes. (Before, such values gave 500s, broke the clock, or made the
fault drop the connection.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import ADMIN_TOKEN, DEMO_ACCOUNT, Api
from zoomlive.wire import errors as E

INT64_OVER = 2**63
HUGE = 10**30


def control(api: Api, method: str, path: str, body: Any = None) -> httpx.Response:
    return api.http.request(
        method,
        f"{api.base_url}/_zoomlive{path}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )


def bad_field(r: httpx.Response, field: str, leaf: str | None = None) -> str:
    """A Zoom-shaped 400/300 whose message and ``errors`` name the field."""
    assert r.status_code == 400, (r.status_code, r.text)
    assert r.headers["x-zm-trackingid"]
    body = r.json()
    assert body["code"] == 300, body
    message = str(body["message"])
    assert message.startswith(f"Invalid parameter: {leaf or field}."), body
    assert body["errors"] == [{"field": field, "message": message}], body
    return message


def host_id(api: Api) -> str:
    return str(api.admin("GET", "/meetings/68423085").json()["host_id"])


@pytest.mark.parametrize(
    ("path", "field", "values"),
    [
        ("/accounts", "rate_limit_qps", [HUGE, INT64_OVER, 2**31, -1, "x", 1.5, True]),
        ("/accounts", "rate_limit_daily", [HUGE, 2**31, -1]),
        ("/accounts", "id", ["", "a/b", "x" * 65, "a\x00b"]),
    ],
)
def test_account_numbers_and_ids_in_range(
    api: Api, path: str, field: str, values: list[Any]
) -> None:
    before = api.admin("GET", "/accounts").json()["accounts"]
    for value in values:
        bad_field(control(api, "POST", path, {field: value}), field)
        bad_field(control(api, "PATCH", f"/accounts/{DEMO_ACCOUNT}", {field: value}), field)
    assert api.admin("GET", "/accounts").json()["accounts"] == before
    # The largest value PostgreSQL's integer holds is taken, and stored as given.
    account = api.admin("POST", "/accounts", {"rate_limit_daily": 2**31 - 1}).json()
    assert api.admin("GET", f"/accounts/{account['id']}").json()["rate_limit_daily"] == 2**31 - 1


def test_user_type_and_meeting_numbers_in_range(api: Api) -> None:
    host = host_id(api)
    for value in (HUGE, INT64_OVER, 0, 3, "two", 1.5):
        bad_field(control(api, "POST", f"/accounts/{DEMO_ACCOUNT}/users", {"type": value}), "type")
        bad_field(control(api, "PATCH", f"/users/{host}", {"type": value}), "type")
    for value in (HUGE, INT64_OVER, 2**31, -1):
        r = control(api, "POST", "/meetings", {"host_id": host, "duration": value})
        bad_field(r, "duration")
        bad_field(control(api, "PATCH", "/meetings/68423085", {"duration": value}), "duration")
    for value in (HUGE, INT64_OVER, 0, -5):
        bad_field(control(api, "POST", "/webinars", {"host_id": host, "id": value}), "id")
    bad_field(control(api, "POST", "/meetings", {"host_id": host, "type": 7}), "type")
    bad_field(control(api, "POST", "/meetings", {"host_id": host, "topic": "t" * 201}), "topic")
    assert api.admin("GET", f"/users/{host}").json()["type"] == 2
    assert api.admin("GET", "/meetings/68423085").json()["duration"] == 60
    # Zoom's user type 99 ("None") is a valid type.
    user = api.admin("POST", f"/accounts/{DEMO_ACCOUNT}/users", {"type": 99}).json()
    assert user["type"] == 99


def test_bulk_create_keeps_to_its_documented_limit(api: Api) -> None:
    """README: a JSON array of up to 20,000 creates them all; more is a 400 naming the
    body, and none is created."""
    host = host_id(api)
    before = api.admin("GET", "/meetings?page_size=1").json()["total_records"]
    for path in ("/meetings", "/webinars"):
        for items in ([{"host_id": host}] * 20_001, []):
            r = control(api, "POST", path, items)
            message = bad_field(r, "meetings")
            assert "20000" in message, message
    assert api.admin("GET", "/meetings?page_size=1").json()["total_records"] == before
    # (An array of exactly 20,000 is created: the dashboard's tests load that many.)


def test_ids_in_paths_in_range(api: Api) -> None:
    for path in (f"/meetings/{INT64_OVER}", f"/meetings/{HUGE}/start", f"/meetings/{HUGE}/end"):
        method = "GET" if path.count("/") == 2 else "POST"
        bad_field(control(api, method, path), "meeting_id")
    bad_field(control(api, "PATCH", f"/meetings/{INT64_OVER}", {"topic": "x"}), "meeting_id")
    bad_field(control(api, "DELETE", f"/faults/{HUGE}"), "fault_id")
    bad_field(control(api, "GET", "/accounts/a%00b"), "account_id")
    bad_field(control(api, "GET", "/users/%0D%0A"), "user_id")
    # An id in range that does not exist is still a 404.
    assert control(api, "GET", f"/meetings/{2**63 - 1}").status_code == 404


def test_unknown_and_missing_fields_are_named(api: Api) -> None:
    r = control(api, "POST", "/accounts", {"plan": "pro", "colour": "red"})
    bad_field(r, "colour")
    r = control(api, "POST", "/meetings", {"topic": "no host"})
    assert r.status_code == 400
    assert r.json()["errors"] == [
        {"field": "host_id", "message": "Required field is missing: host_id."}
    ]
    r = control(api, "POST", f"/accounts/{DEMO_ACCOUNT}/apps", {"scopes": ["a", "b c"]})
    bad_field(r, "scopes[1]", "scopes")
    for raw in (b"{", b"[1]", b"1e400", b"[" * 5000 + b"]" * 5000):
        r = api.http.post(
            f"{api.base_url}/_zoomlive/accounts",
            content=raw,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
        )
        assert r.status_code == 400, (raw[:10], r.text)
        assert r.json() == {"code": 300, "message": "Request Body should be a valid JSON object."}


def test_clock_stays_within_1970_and_9999(api: Api) -> None:
    before = api.admin("POST", "/clock", {"freeze": True, "set": 1_700_000_000}).json()
    for body, field in [
        ({"set": 1e308}, "set"),
        ({"set": -1}, "set"),
        ({"set": 253402300800}, "set"),  # 10000-01-01
        ({"advance": 1e308}, "advance"),
        ({"advance": -1e308}, "advance"),
        ({"advance": 253402300799 - 1_700_000_000}, "advance"),  # would pass 9999-12-30
        ({"advance": -1_700_000_001}, "advance"),  # before 1970
        ({"set": 253402214399, "advance": 1}, "advance"),
        ({"freeze": False, "advance": 1e300}, "advance"),
    ]:
        bad_field(control(api, "POST", "/clock", body), field)
    # Refused requests changed nothing: still frozen at the same instant.
    assert api.admin("GET", "/clock").json() == before
    # The edges are accepted, and the clock keeps working there.
    end = api.admin("POST", "/clock", {"set": 253402214399}).json()
    assert end["iso"].startswith("9999-12-30T23:59:59")
    assert api.admin("POST", "/clock", {"set": 0}).json()["iso"].startswith("1970-01-01T00:00:00")
    token = api.token()
    r = api.call("GET", "/meetings/68423085/livestream", token)
    assert r.status_code == 200, r.text


def test_clock_set_1e308_no_longer_breaks_the_clock(api: Api) -> None:
    bad_field(control(api, "POST", "/clock", {"set": 1e308}), "set")
    r = control(api, "GET", "/clock")
    assert r.status_code == 200, r.text
    assert r.json()["frozen"] is False


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"status": 99}, "status"),
        ({"status": 100}, "status"),
        ({"status": 204}, "status"),
        ({"status": 304}, "status"),
        ({"status": 600}, "status"),
        ({"status": HUGE}, "status"),
        ({"code": HUGE}, "code"),
        ({"times": 0}, "times"),
        ({"times": HUGE}, "times"),
        ({"delay_ms": HUGE}, "delay_ms"),
        ({"rate": 1e308}, "rate"),
        ({"seed": HUGE}, "seed"),
        ({"method": "GET\r\n"}, "method"),
        ({"headers": {"X-Bad": "a\r\nInjected: yes"}}, "headers"),
        ({"headers": {"X-Bad": "snow ☃"}}, "headers"),
        ({"headers": {"X-Bad": "é"}}, "headers"),
        ({"headers": {"Bad Name": "x"}}, "headers"),
        ({"headers": {"X-Ü": "x"}}, "headers"),
        ({"headers": {"Content-Length": "5"}}, "headers"),
        ({"headers": {"transfer-encoding": "chunked"}}, "headers"),
    ],
)
def test_faults_that_could_not_be_sent_are_refused(
    api: Api, spec: dict[str, Any], field: str
) -> None:
    bad_field(control(api, "POST", "/faults", {"path": "/v2/*", **spec}), field)
    assert api.admin("GET", "/faults").json() == []


@pytest.mark.parametrize("status", [200, 302, 418, 429, 503, 599])
def test_faults_in_range_answer_over_http(api: Api, status: int) -> None:
    headers = {"Retry-After": "7", "X-Custom": "a\tb c"}
    spec = {"path": "/v2/meetings/*", "status": status, "code": 4242, "headers": headers}
    api.admin("POST", "/faults", spec)
    token = api.token()
    r = api.call("GET", "/meetings/68423085/livestream", token)
    assert r.status_code == status
    # No message given: Zoom's words for the status, else its HTTP reason phrase.
    expected = {200: "OK.", 302: "Found.", 418: "I'm a Teapot.", 429: E.RATE_LIMIT_QPS.message,
                503: E.SERVICE_UNAVAILABLE.message, 599: "Error."}[status]  # fmt: skip
    assert r.json() == {"code": 4242, "message": expected}
    assert (r.headers["retry-after"], r.headers["x-custom"]) == ("7", "a\tb c")
    # The connection survived: the next request on it answers normally.
    r = api.call("GET", "/meetings/68423085/livestream", token)
    assert r.status_code == 200, r.text

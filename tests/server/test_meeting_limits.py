"""Zoom's limits on the meeting operations: the host's 100 creates a day, the Medium
label's per-second limit (its own budget, beside the Light one), on a real server."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx

from tests.support import Api, start_of_second
from tests.testing.test_rate_limit_accuracy import accepted_spans
from zoomlive.wire.meetings import MEETING_ROUTES, Op

MEDIUM_PRO = 20
OFFERED = 60
SECONDS = 3
CAP_MESSAGE = (
    "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00."
)


def _account(api: Api) -> str:
    return str(api.admin("GET", "/accounts").json()["accounts"][0]["id"])


def test_the_101st_create_of_a_host_in_a_server_day_is_zooms_429(limited_api: Api) -> None:
    api = limited_api
    api.admin("POST", "/reset", {"demo": True})
    api.admin("PATCH", f"/accounts/{_account(api)}", {"rate_limit_qps": 100_000})
    api.admin("POST", "/clock", {"freeze": True, "set": 1_800_000_000.0})  # 2027-01-15T08:00Z
    token = api.token()
    with httpx.Client(timeout=30) as http:
        url = f"{api.base_url}/v2/users/me/meetings"
        headers = {"Authorization": f"Bearer {token}"}
        statuses = [http.post(url, json={"topic": f"m{i}"}, headers=headers).status_code
                    for i in range(100)]  # fmt: skip
        assert statuses == [201] * 100
        r = http.post(url, json={"topic": "one too many"}, headers=headers)
    assert r.status_code == 429
    assert r.json() == {"code": 429, "message": CAP_MESSAGE}
    assert r.headers["X-RateLimit-Type"] == "Daily-limit"
    retry = r.headers["Retry-After"]
    assert datetime.fromisoformat(retry.replace("Z", "+00:00")) == datetime(2027, 1, 16, tzinfo=UTC)
    assert r.headers["x-zm-trackingid"]
    # Another host of the account is not held back; the next UTC day starts over.
    other = api.admin("POST", f"/accounts/{_account(api)}/users", {"email": "b@example.com"}).json()
    ok = api.call("POST", f"/users/{other['id']}/meetings", token, json={})
    assert ok.status_code == 201, ok.text
    api.admin("POST", "/clock", {"advance": 86400})
    again = api.call("POST", "/users/me/meetings", api.token(), json={})
    assert again.status_code == 201, again.text


async def _offer(base: str, token: str) -> tuple[int, list[httpx.Response]]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        await asyncio.gather(*(http.get(f"{base}/_zoomlive/health") for _ in range(20)))
        start = int(time.time()) + 1
        await asyncio.sleep(start - time.time())
        results: list[httpx.Response] = []

        async def one(i: int) -> None:
            await asyncio.sleep(max(0.0, start + i / OFFERED - time.time()))  # pacing
            auth = {"Authorization": f"Bearer {token}"}
            results.append(await http.get(f"{base}/v2/users/me/meetings", headers=auth))

        await asyncio.gather(*(one(i) for i in range(OFFERED * SECONDS)))
        return start, results


def test_medium_operations_hold_the_medium_limit_within_ten_percent(limited_api: Api) -> None:
    """Three times Pro's Medium limit (20/s) offered to list meetings for 3 s: every
    refusal is Zoom's 429 in the Medium category, no server window holds more than 20
    accepted, and each window of the offer at least 18 (placed by the journal's spans,
    as the Light test does)."""
    api = limited_api
    api.admin("POST", "/reset", {"demo": True})
    token = api.token()
    api.admin("DELETE", "/journal")
    start, results = asyncio.run(_offer(api.base_url, token))
    rejected = [r for r in results if r.status_code != 200]
    for r in rejected:
        assert r.status_code == 429, r.text
        assert r.headers["X-RateLimit-Category"] == "Medium"
        assert r.headers["X-RateLimit-Type"] == "QPS"
        assert r.headers["X-RateLimit-Limit"] == str(MEDIUM_PRO)
    ok = [r for r in results if r.status_code == 200]
    assert all(r.headers["X-RateLimit-Category"] == "Medium" for r in ok)
    spans = accepted_spans([api])
    assert len(spans) == len(ok)
    surely = {k: sum(1 for a, b in spans if k <= a and b < k + 1)
              for k in range(start, start + SECONDS)}  # fmt: skip
    maybe = {k: sum(1 for a, b in spans if a < k + 1 and b >= k)
             for k in range(start, start + SECONDS)}  # fmt: skip
    assert all(n <= MEDIUM_PRO for n in surely.values()), surely
    assert all(n >= MEDIUM_PRO * 0.9 for n in maybe.values()), maybe
    print(f"\nMedium, Pro: accepted per window {[surely[k] for k in sorted(surely)]}, "
          f"rejected {len(rejected)} of {len(results)}")  # fmt: skip
    # The Light budget is its own: a Light call right after still passes.
    light = api.call("GET", "/meetings/68423085", token)
    assert light.status_code == 200 and light.headers["X-RateLimit-Category"] == "Light"


def test_every_operation_answers_zooms_429_with_its_label(limited_api: Api) -> None:
    """The documented 429 of each of the twelve operations: per-second, in the
    operation's category (one request a second allowed here)."""
    api = limited_api
    api.admin("POST", "/reset", {"demo": True})
    api.admin("PATCH", f"/accounts/{_account(api)}", {"rate_limit_qps": 1})
    token = api.token()
    rows = api.admin("GET", "/meetings").json()["meetings"]
    ids = {"meeting": 68423085, "webinar": next(m["id"] for m in rows if m["kind"] == "webinar")}
    for route in MEETING_ROUTES:
        key = "me" if route.op.on_user else ids[route.kind.value]
        body = {"action": "end"} if route.op is Op.STATUS else {"topic": "x"}
        kw = {"json": body} if route.method in ("POST", "PATCH", "PUT") else {}
        start_of_second()  # two calls in one real-time second: the second is refused
        answers = [api.call(route.method, route.path(key), token, **kw) for _ in range(2)]
        r = answers[1]
        assert r.status_code == 429, (route.operation_id, r.text)
        assert r.json()["code"] == 429
        assert r.headers["X-RateLimit-Type"] == "QPS", route.operation_id
        assert r.headers["X-RateLimit-Category"] == route.label.value, route.operation_id
        assert int(r.headers["Retry-After"]) >= 1

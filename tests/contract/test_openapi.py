"""Must-show 3: our responses held against Zoom's published OpenAPI (2025 copy),
for every status code it documents on the six live stream operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import jsonschema
import pytest

from tests.spec import documented_errors, operation, schema
from tests.support import Api, start_of_second

SEED = {"stream_url": "https://example.com/livestream", "stream_key": "contact-it@example.com",
        "page_url": "https://example.com/livestream/123", "resolution": "720p"}  # fmt: skip

OPS = [
    ("/meetings/{meetingId}/livestream", "get", "meeting"),
    ("/meetings/{meetingId}/livestream", "patch", "meeting"),
    ("/meetings/{meetingId}/livestream/status", "patch", "meeting"),
    ("/webinars/{webinarId}/livestream", "get", "webinar"),
    ("/webinars/{webinarId}/livestream", "patch", "webinar"),
    ("/webinars/{webinarId}/livestream/status", "patch", "webinar"),
]


def _target(api: Api, kind: str) -> int:
    if kind == "meeting":
        return 68423085
    return int(next(m["id"] for m in api.admin("GET", "/meetings").json() if m["kind"] == kind))


def _request(api: Api, token: str, path: str, method: str, object_id: int | str) -> httpx.Response:
    url = path.replace("{meetingId}", str(object_id)).replace("{webinarId}", str(object_id))
    if method == "get":
        return api.call("GET", url, token)
    body: dict[str, Any] = {"action": "start"} if url.endswith("/status") else SEED
    return api.call("PATCH", url, token, json=body)


# For each operation and documented error status: how to make the server answer it.
Scenario = Callable[[Api, str, int], int | str]


def _host(api: Api, object_id: int) -> str:
    return str(api.admin("GET", f"/meetings/{object_id}").json()["host_id"])


def _account(api: Api) -> str:
    return str(api.admin("GET", "/accounts").json()[0]["id"])


def bad_id(api: Api, kind: str, oid: int) -> int | str:
    return "not-an-id"


def unknown(api: Api, kind: str, oid: int) -> int | str:
    return 99999999999


def cannot_host(api: Api, kind: str, oid: int) -> int | str:
    api.admin("PATCH", f"/users/{_host(api, oid)}", {"can_host": False})
    return oid


def e2ee(api: Api, kind: str, oid: int) -> int | str:
    api.admin("PATCH", f"/meetings/{oid}", {"e2ee": True})
    return oid


def not_started(api: Api, kind: str, oid: int) -> int | str:
    api.admin("PATCH", f"/meetings/{oid}", {"status": "waiting"})
    return oid


def no_webinar_plan(api: Api, kind: str, oid: int) -> int | str:
    api.admin("PATCH", f"/accounts/{_account(api)}", {"webinar_plan": False})
    return oid


def streaming_off(api: Api, kind: str, oid: int) -> int | str:
    api.admin("PATCH", f"/accounts/{_account(api)}", {"live_streaming": False})
    return oid


def not_configured(api: Api, kind: str, oid: int) -> int | str:
    return oid


SCENARIOS: dict[tuple[str, str, str], list[Any]] = {
    ("/meetings/{meetingId}/livestream", "get", "400"): [cannot_host],
    ("/meetings/{meetingId}/livestream", "patch", "400"): [cannot_host],
    ("/meetings/{meetingId}/livestream/status", "patch", "400"): [bad_id, e2ee, not_started],
    ("/webinars/{webinarId}/livestream", "get", "400"): [bad_id, no_webinar_plan, streaming_off],
    ("/webinars/{webinarId}/livestream", "patch", "400"): [bad_id, no_webinar_plan, streaming_off],
    ("/webinars/{webinarId}/livestream/status", "patch", "400"): [
        bad_id, no_webinar_plan, not_started, not_configured,
    ],
}  # fmt: skip


@pytest.mark.parametrize(("path", "method", "kind"), OPS)
def test_every_documented_status(api: Api, path: str, method: str, kind: str) -> None:
    op = operation(path, method)
    statuses = sorted(op["responses"])
    assert statuses, "the spec documents responses"
    seen: set[str] = set()
    for status in statuses:
        if status == "429":
            continue  # its own test below, with rate limits on
        if status in ("200", "204"):
            api.admin("POST", "/reset", {"demo": True})
            token = api.token()
            oid = _target(api, kind)
            if method == "get":
                _request(api, token, path.replace("/status", ""), "patch", oid)
            elif path.endswith("/status"):
                _request(api, token, path.removesuffix("/status"), "patch", oid)
            r = _request(api, token, path, method, oid)
            assert str(r.status_code) == status, r.text
            content = op["responses"][status].get("content")
            if content:
                body = r.json()
                jsonschema.validate(body, schema(content["application/json"]["schema"]))
                assert body == SEED
            else:
                assert r.content == b""
            seen.add(status)
            continue
        documented = documented_errors(op, status)
        assert documented, f"{status} documents its error codes"
        scenarios = SCENARIOS.get((path, method, status), [unknown])
        for scenario in scenarios:
            api.admin("POST", "/reset", {"demo": True})
            token = api.token()
            oid = scenario(api, kind, _target(api, kind))
            if scenario not in (not_configured, bad_id, unknown) and path.endswith("/status"):
                _request(api, token, path.removesuffix("/status"), "patch", oid)
            r = _request(api, token, path, method, oid)
            assert str(r.status_code) == status, (scenario.__name__, r.text)
            body = r.json()
            assert set(body) <= {"code", "message", "errors"}
            assert any(
                code == body["code"] and pattern.fullmatch(body["message"])
                for code, pattern in documented
            ), (scenario.__name__, body, [(c, p.pattern) for c, p in documented])
        seen.add(status)
    assert seen == set(statuses) - {"429"}


@pytest.mark.parametrize(("path", "method", "kind"), OPS)
def test_429_is_documented_and_shaped(limited_api: Api, path: str, method: str, kind: str) -> None:
    limited = limited_api
    limited.admin("POST", "/reset", {"demo": True})
    op = operation(path, method)
    assert "429" in op["responses"]
    token = limited.token()
    account = _account(limited)
    limited.admin("PATCH", f"/accounts/{account}", {"rate_limit_qps": 1})
    oid = _target(limited, kind)
    start_of_second()  # three calls in one real-time second: the second is refused
    statuses = [_request(limited, token, path, method, oid) for _ in range(3)]
    r = next(x for x in statuses if x.status_code == 429)
    assert r.json() == {
        "code": 429,
        "message": "You have reached the maximum per-second rate limit for this API. "
        "Try again later.",
    }
    assert r.headers["X-RateLimit-Type"] == "QPS"
    assert r.headers["X-RateLimit-Category"] == "Light"
    assert r.headers["X-RateLimit-Limit"] == "1"
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert int(r.headers["Retry-After"]) >= 1


def test_request_bodies_we_accept_match_the_spec() -> None:
    """The bodies our tests send are valid per Zoom's request schemas."""
    update = operation("/meetings/{meetingId}/livestream", "patch")["requestBody"]
    jsonschema.validate(SEED, schema(update["content"]["application/json"]["schema"]))
    status = operation("/meetings/{meetingId}/livestream/status", "patch")["requestBody"]
    body = {"action": "start", "settings": {"layout": "gallery_view", "close_caption": "off",
            "display_name": "x", "active_speaker_name": True}}  # fmt: skip
    jsonschema.validate(body, schema(status["content"]["application/json"]["schema"]))

"""Request parsing that must be the same on every route, over raw sockets against
``zoomlive serve``: deep JSON, duplicate Authorization headers, ``access_token`` in
the query, ``Accept`` case, OPTIONS and HEAD, and which answers carry rate-limit
headers. Each case is tried with a JSON body and with the other media types (``+json``,
multipart), which took a second door until every operation went through one."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server.rawhttp import Reply, exchange, request, server
from tests.support import (
    ADMIN_TOKEN,
    DEMO_ACCOUNT,
    DEMO_CLIENT,
    DEMO_SECRET,
    Api,
    ServerProcess,
    running,
)

M = "/v2/meetings/68423085/livestream"
W = "/v2/webinars/{id}/livestream"
DEEP = b"[" * 1000 + b"]" * 1000  # 2,000 bytes, 1,000 levels
JSON = "Content-Type: application/json"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with server(str(tmp_path_factory.mktemp("semantics") / "zoomlive.db")) as s:
        yield s


@pytest.fixture(scope="module")
def token(srv: ServerProcess) -> str:
    with httpx.Client(timeout=10) as http:
        return Api(srv.base_url, http).token()


def multipart(fields: dict[str, str]) -> tuple[str, bytes]:
    boundary = "zoomlive-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return f"Content-Type: multipart/form-data; boundary={boundary}", body


def send(srv: ServerProcess, method: str, target: str, *headers: str, body: bytes = b"") -> Reply:
    return exchange(srv.port, request(method, target, *headers, body=body), head=method == "HEAD")


def test_deep_json_is_400_300_on_both_front_doors(srv: ServerProcess, token: str) -> None:
    auth = f"Authorization: Bearer {token}"
    invalid = "Request Body should be a valid JSON object."
    as_field = b'{"stream_url": ' + DEEP + b"}"
    for target in (M, M + "/status"):
        for body in (DEEP, as_field):
            # The fast path (application/json) and Litestar (+json media types).
            for ctype in (JSON, "Content-Type: application/merge-patch+json"):
                reply = send(srv, "PATCH", target, auth, ctype, body=body)
                assert reply.zoom_error(400, 300)["message"] == invalid, (target, ctype)
    # The control API's bodies, decoded by Litestar.
    admin = f"Authorization: Bearer {ADMIN_TOKEN}"
    for target in ("/_zoomlive/meetings", "/_zoomlive/faults", "/_zoomlive/clock"):
        reply = send(srv, "POST", target, admin, JSON, body=as_field)
        assert reply.zoom_error(400, 300)["message"] == invalid, target
    # Multipart: a ``settings`` field that is too deep is not JSON, so not valid settings.
    ctype, body = multipart({"action": "start", "settings": (DEEP.decode())})
    send(srv, "PATCH", M + "/status", auth, ctype, body=body).zoom_error(400, 300)
    assert send(srv, "GET", M, auth).status == 200


def test_two_authorization_headers_are_401_124_on_every_route(
    srv: ServerProcess, token: str
) -> None:
    good, bad = f"Authorization: Bearer {token}", "Authorization: Bearer not-a-token"
    ctype, form = multipart(
        {"stream_url": "rtmp://a/b", "stream_key": "k", "page_url": "https://p"}
    )
    for pair in ((good, bad), (bad, good), (good, good)):
        for method, target, extra, body in (
            ("GET", M, (), b""),  # fast path
            ("PATCH", M, (JSON,), b'{"stream_url": "rtmp://a/b"}'),  # fast path
            ("PATCH", M, (ctype,), form),  # Litestar
            ("PATCH", M + "/status", (ctype,), b""),  # Litestar
            ("GET", "/_zoomlive/meetings", (), b""),  # control API
        ):
            reply = send(srv, method, target, *pair, *extra, body=body)
            body_json = reply.zoom_error(401, 124)
            assert body_json["message"] == "Invalid access token.", (method, target)
    # The token endpoint answers in OAuth's shape, as for any bad Basic credential.
    basic = (
        "Authorization: Basic " + base64.b64encode(f"{DEMO_CLIENT}:{DEMO_SECRET}".encode()).decode()
    )
    query = f"/oauth/token?grant_type=account_credentials&account_id={DEMO_ACCOUNT}"
    assert send(srv, "POST", query, basic).status == 200
    reply = send(srv, "POST", query, basic, basic)
    assert reply.status == 401 and reply.headers["x-zm-trackingid"]
    assert reply.json() == {
        "reason": "Invalid client_id or client_secret",
        "error": "invalid_client",
    }


def test_access_token_counts_only_as_a_decoded_query_parameter(
    srv: ServerProcess, token: str
) -> None:
    auth = f"Authorization: Bearer {token}"
    message = "Invalid access token, this access token is not supported as query parameter string."
    fields = {"stream_url": "rtmp://a/b", "stream_key": "k", "page_url": "https://e.x/p"}
    ctype, form = multipart(fields)
    for query, refused in (
        ("?note=no_access_token_here", False),
        ("?access_token_hint=1", False),
        ("?x=%41", False),
        ("?access%5Ftoken=x", True),
        ("?access_token=x", True),
        ("?a=1&access_token", True),
        ("?%61ccess_token=x", True),
    ):
        for method, extra, body in (
            ("GET", (), b""),  # fast path
            ("PATCH", (JSON,), json.dumps(fields).encode()),  # fast path
            ("PATCH", (ctype,), form),  # Litestar
        ):
            reply = send(srv, method, M + query, auth, *extra, body=body)
            if refused:
                assert reply.zoom_error(401, 124)["message"] == message, (query, method)
            else:
                assert reply.status in (200, 204), (query, method, reply.body)


def test_accept_is_case_insensitive(srv: ServerProcess, token: str) -> None:
    auth = f"Authorization: Bearer {token}"
    for accept in ("application/xml", "APPLICATION/XML", "Application/Xml;Q=1"):
        for target in ("/v2/meetings/abc/livestream", "/v2/meetings/abc/livestream/status"):
            method = "GET" if target.endswith("livestream") else "PATCH"
            reply = send(srv, method, target, auth, f"Accept: {accept}", JSON, body=b"{}")
            assert reply.status == 400, (accept, reply.body)
            assert reply.headers["content-type"].startswith("application/xml"), accept
            assert b"<code>300</code><message>Invalid meeting ID.</message>" in reply.body
            assert reply.headers["x-zm-trackingid"]


def test_options_lists_every_method_and_head_is_get_without_body(
    srv: ServerProcess, token: str
) -> None:
    auth = f"Authorization: Bearer {token}"
    with httpx.Client(timeout=10) as http:
        webinar = Api(srv.base_url, http).admin("GET", "/meetings").json()["meetings"]
    webinar_id = next(m["id"] for m in webinar if m.get("kind") == "webinar")
    for target in (M, W.format(id=webinar_id)):
        reply = send(srv, "OPTIONS", target)
        assert reply.status in (200, 204)
        assert reply.headers["allow"] == "GET, HEAD, OPTIONS, PATCH"
        reply = send(srv, "OPTIONS", target + "/status")
        assert reply.headers["allow"] == "OPTIONS, PATCH"
        got = send(srv, "GET", target, auth)
        head = send(srv, "HEAD", target, auth)
        assert (head.status, head.headers["content-type"]) == (200, got.headers["content-type"])
        assert head.headers["content-length"] == str(len(got.body))
        assert head.headers["x-zm-trackingid"]
        assert head.body == b""
        # HEAD where GET is not allowed: 405, and Allow says what is.
        for method in ("HEAD", "GET"):
            reply = send(srv, method, target + "/status", auth)
            assert reply.status == 405
            assert reply.headers["allow"] == "OPTIONS, PATCH"
    # HEAD on a route with no body to send still ends the exchange (no hang).
    with_close = exchange(srv.port, request("HEAD", M, auth), head=True)
    assert with_close.body == b""
    # HEAD without a token: the GET's 401, headers only.
    head = send(srv, "HEAD", M)
    assert head.status == 401 and head.headers["x-zm-trackingid"]


def _rate_headers(reply: Reply) -> dict[str, Any]:
    return {k: v for k, v in reply.headers.items() if k.startswith("x-ratelimit-")}


def test_rate_limit_headers_are_on_the_answers_the_readme_lists(tmp_path: Any) -> None:
    """README (Decision 9): every answer to a call whose token was accepted carries
    X-RateLimit-*; answers given before an account is known (401, a path that is not
    an API operation, a method the path does not allow) carry none."""
    with running(str(tmp_path / "rl.db")) as srv:
        with httpx.Client(timeout=10) as http:
            token = Api(srv.base_url, http).token()
        auth = f"Authorization: Bearer {token}"
        for reply in (
            send(srv, "GET", M, auth),  # 200
            send(srv, "GET", "/v2/meetings/abc/livestream", auth),  # 400
            send(srv, "GET", "/v2/meetings/12345678901/livestream", auth),  # 404 no such meeting
            send(srv, "PATCH", M, auth, JSON, body=b"{"),  # 400 bad JSON
        ):
            assert set(_rate_headers(reply)) == {
                "x-ratelimit-category",
                "x-ratelimit-limit",
                "x-ratelimit-remaining",
            }, reply.status
        for reply in (
            send(srv, "GET", M),  # 401
            send(srv, "GET", "/v2/users/me/settings", auth),  # 404, not an API operation
            send(srv, "GET", M + "/status", auth),  # 405
        ):
            assert reply.status in (401, 404, 405)
            assert _rate_headers(reply) == {}, reply.status

"""Bad input never gets a 500. Random bodies, content types, ids, methods and headers
on every route get a Zoom-shaped 4xx (or, for a harmless request with a valid token,
its 2xx), and what is stored does not change."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from tests.support import Api
from zoomlive.wire.paths import Kind
from zoomlive.wire.validate import validate_status, validate_update

ROUTES = [
    ("GET", "/meetings/{id}/livestream"),
    ("PATCH", "/meetings/{id}/livestream"),
    ("PATCH", "/meetings/{id}/livestream/status"),
    ("GET", "/webinars/{id}/livestream"),
    ("PATCH", "/webinars/{id}/livestream"),
    ("PATCH", "/webinars/{id}/livestream/status"),
]

BAD_IDS = st.one_of(
    st.sampled_from(["-1", "0", str(2**63), str(2**64), "1e3", "0x10", " 1", "+5", "١٢٣"]),
    st.integers(max_value=0).map(str),
    st.integers(min_value=2**63).map(str),
    st.text(min_size=1, max_size=40).filter(lambda s: not s.isascii() or not s.isdigit()),
    st.just("9" * 10_000),
)
JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["stream_url", "stream_key", "page_url", "resolution", "action", "settings"]
)
BODY_DICTS = st.dictionaries(FIELDS | st.text(max_size=10), JSONISH, max_size=6)
HEADER_TEXT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60)
CONTENT_TYPES = st.one_of(
    st.sampled_from([
        "application/json", "multipart/form-data", "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded", "text/plain", "application/xml", "",
        "application/json; charset=latin-1",
    ]),
    HEADER_TEXT,
)  # fmt: skip


def snapshot(api: Api, token: str) -> Any:
    return (
        api.call("GET", "/meetings/68423085/livestream", token).json(),
        api.admin("GET", "/meetings").json()["meetings"],
    )


def assert_zoom_4xx(r: httpx.Response) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers.get("x-zm-trackingid")
    if "xml" in r.headers.get("content-type", ""):
        assert "<code>" in r.text and "<message>" in r.text
        return
    body = r.json()
    assert isinstance(body.get("code"), int) and isinstance(body.get("message"), str), body


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(route=st.sampled_from(ROUTES), raw_id=BAD_IDS, body=JSONISH, ctype=CONTENT_TYPES)
def test_bad_ids_any_body(
    api: Api, route: tuple[str, str], raw_id: str, body: Any, ctype: str
) -> None:
    token = api.token()
    before = snapshot(api, token)
    method, template = route
    path = template.replace("{id}", quote(raw_id, safe=""))
    headers = {"Content-Type": ctype} if ctype else {}
    r = api.call(method, path, token, content=json.dumps(body).encode(), headers=headers)
    assert_zoom_4xx(r)
    assert snapshot(api, token) == before


@FUZZ
@given(route=st.sampled_from(ROUTES[1:3] + ROUTES[4:]), body=BODY_DICTS, as_form=st.booleans())
def test_invalid_bodies_on_real_ids(
    api: Api, route: tuple[str, str], body: dict[str, Any], as_form: bool
) -> None:
    method, template = route
    kind = Kind.WEBINAR if "webinars" in template else Kind.MEETING
    check = validate_status(kind, body) if template.endswith("status") else validate_update(body)
    assume(isinstance(check, list))  # only bodies Zoom must refuse
    token = api.token()
    before = snapshot(api, token)
    oid = 68423085
    if kind is Kind.WEBINAR:
        oid = next(m["id"] for m in before[1] if m["kind"] == "webinar")
    path = template.replace("{id}", str(oid))
    if as_form:
        files = {
            k[:20] or "x": (None, json.dumps(v) if not isinstance(v, str) else v)
            for k, v in body.items()
        }
        assume(files)
        r = api.call(method, path, token, files=files)
        if r.status_code == 204:  # a form turned the body valid (all strings): fine, not a crash
            return
    else:
        r = api.call(method, path, token, json=body)
    assert_zoom_4xx(r)
    assert snapshot(api, token) == before


#: Most examples carry a valid token, so what lies behind authentication (Accept,
#: bodies, content types, methods and routing) is fuzzed too, not only the 401.
VALID = "valid token"
AUTH = st.sampled_from([VALID] * 4 + [""]).flatmap(lambda a: st.just(a) if a else HEADER_TEXT)
#: Mostly the route's own method and path (None: the route's method), sometimes not.
METHODS = st.sampled_from([None] * 6 + ["GET", "PATCH", "POST", "PUT", "DELETE"])
SUFFIXES = st.sampled_from([""] * 6 + ["/", "/x", "//", "?page_size=1", "/status/x", "%2F"])
BODY_TYPES = st.one_of(st.just("application/json"), CONTENT_TYPES)
RAW_BODIES = st.one_of(JSONISH.map(lambda v: json.dumps(v).encode()), st.binary(max_size=80))


def would_change_state(template: str, method: str, suffix: str, raw: bytes) -> bool:
    """Whether this request is a valid write (the fuzz keeps to requests that are not)."""
    if method != "PATCH" or suffix not in ("", "?page_size=1"):
        return False
    try:
        body = json.loads(raw)
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    kind = Kind.WEBINAR if "webinars" in template else Kind.MEETING
    check = validate_status(kind, body) if template.endswith("status") else validate_update(body)
    return not isinstance(check, list)


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    method=METHODS,
    suffix=SUFFIXES,
    auth=AUTH,
    accept=HEADER_TEXT,
    ctype=BODY_TYPES,
    raw=RAW_BODIES,
    extra=st.dictionaries(
        st.sampled_from(["X-Forwarded-For", "Cookie", "Content-Length-X", "Range"]),
        HEADER_TEXT,
        max_size=3,
    ),
)
def test_random_headers(
    api: Api, route: tuple[str, str], method: str | None, suffix: str, auth: str, accept: str,
    ctype: str, raw: bytes, extra: dict[str, str],
) -> None:  # fmt: skip
    own_method, template = route
    method = method or own_method
    assume(not would_change_state(template, method, suffix, raw))
    token = api.token()
    before = snapshot(api, token)
    headers = {"Authorization": f"Bearer {token}" if auth == VALID else auth, "Accept": accept}
    headers |= extra
    if ctype:
        headers["Content-Type"] = ctype
    path = template.replace("{id}", "68423085") + suffix
    r = api.call(method, path, None, headers=headers, content=raw)
    event(f"{r.status_code} {'token' if auth == VALID else 'random auth'}")
    if r.is_success:  # a valid token and a read (or a write that changes nothing)
        assert auth == VALID and r.status_code in (200, 204), (r.status_code, r.text[:300])
        if r.status_code == 200:
            assert set(r.json()) >= {"stream_url", "stream_key", "page_url"}
    else:
        assert_zoom_4xx(r)
    assert snapshot(api, token) == before


@FUZZ
@given(
    form=st.dictionaries(st.text(max_size=15), st.text(max_size=30), max_size=4), auth=HEADER_TEXT
)
def test_token_endpoint_fuzz(api: Api, form: dict[str, str], auth: str) -> None:
    r = api.http.post(f"{api.base_url}/oauth/token", data=form, headers={"Authorization": auth})
    assert 400 <= r.status_code < 500
    assert set(r.json()) in ({"reason", "error"}, {"code", "message"})

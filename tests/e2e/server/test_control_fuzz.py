"""No route answers 5xx, drops the connection or cuts a streamed answer.

hypothesis drives every route the app has: the control API and the dashboard under
``/_zoomlive`` (its live stream included), and Zoom's ``/v2`` routes and
``/oauth/token`` (read from its route table, so a new route is fuzzed without touching
this file), authenticated (the admin token; a Zoom token on ``/v2``), with every
method, random path parameters (known ids, huge and negative numbers, unicode,
control characters), random query parameters (numbers of thousands of digits, NUL,
``²``), random headers the routes read (``Last-Event-ID``, a session cookie; raw
bytes) and random bodies (field names the route's model knows, with
huge integers, 1e308, unicode, CR/LF, wrong types, nesting, and bodies that are not
JSON at all), over real HTTP against the session's real server on SQLite and on
PostgreSQL. The state is not reset between examples: whatever one example leaves
(a frozen clock, faults, a wiped database) the next must survive too.

Deterministic by default (``derandomize``). ``ZOOMLIVE_FUZZ_SEED=<n>`` runs with that
seed instead, and ``ZOOMLIVE_FUZZ_EXAMPLES=<n>`` changes the example count, for
longer local runs.
"""

from __future__ import annotations

import json
import os
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, event, example, given, seed, settings
from hypothesis import strategies as st

from tests.support import (
    ADMIN_TOKEN,
    DEMO_ACCOUNT,
    DEMO_CLIENT,
    DEMO_SECRET,
    Api,
    ServerProcess,
    basic,
)
from zoomlive.server import ServerSettings, create_app
from zoomlive.server.routes.door import TABLE

SEED_MEETING = 68423085
#: Stands for the seed meeting's host (its id changes with every reset), so bodies
#: that create meetings and webinars get past the host check.
HOST = "$HOST"
EXAMPLES = int(os.environ.get("ZOOMLIVE_FUZZ_EXAMPLES", "250"))
RANDOM_SEED = os.environ.get("ZOOMLIVE_FUZZ_SEED")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # Litestar's template, e.g. /_zoomlive/meetings/{meeting_id:int}
    params: dict[str, type]  # path parameter -> type
    query: tuple[str, ...]  # query parameter names the handler takes
    fields: tuple[str, ...]  # body fields its model knows (empty: no body)
    models: tuple[type[msgspec.Struct], ...] = ()


def _structs(annotation: Any) -> Iterator[type[msgspec.Struct]]:
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _structs(arg)


def zoom_routes() -> list[Route]:
    """Every method of every ``/v2`` path the Zoom API's door serves (its table), and
    OPTIONS on each, as Litestar's routes are listed below."""
    routes = []
    for methods in TABLE.values():
        templates = set()
        for method, zoom in methods.items():
            if zoom.kind is None:  # the user operations: /users/{userId} and /users
                param = "userId" if "{" in zoom.template() else ""
            elif getattr(zoom.op, "on_user", False):
                param = "userId"
            else:
                param = zoom.kind.id_param
            template = zoom.template(f"{param}:str") if param else zoom.template()
            params: dict[str, type] = {param: str} if param else {}
            templates.add((template, param))
            routes.append(Route(method, template, params, ZOOM_QUERY, ()))
        for template, param in templates:
            params = {param: str} if param else {}
            routes.append(Route("OPTIONS", template, params, ZOOM_QUERY, ()))
    return routes


def control_routes() -> list[Route]:
    """Every method of every route in the app's route table (``/`` only redirects), and
    the Zoom API door's."""
    app = create_app(ServerSettings(database_url="sqlite+aiosqlite:///unused.db"))
    routes = zoom_routes()
    for route in app.litestar.routes:
        if route.path == "/":
            continue
        params = {name: p.type for name, p in route.path_parameters.items()}
        for handler in getattr(route, "route_handlers", []):
            signature = handler.parsed_fn_signature.parameters
            models = tuple(_structs(signature["data"].annotation if "data" in signature else None))
            fields = tuple(name for struct in models for name in struct.__struct_fields__)
            injected = {"data", "scope", "request", *handler.resolve_dependencies()}
            query = tuple(n for n in signature if n not in params and n not in injected)
            if route.path.startswith("/v2"):  # raw handlers: the query Zoom documents
                query = ZOOM_QUERY
            for method in sorted(handler.http_methods):
                routes.append(Route(method, route.path, params, query, fields, models))
    return routes


#: The query parameters Zoom's meeting routes read (the handlers take the raw request).
ZOOM_QUERY = ("page_size", "next_page_token", "occurrence_id", "type")
LIVE = "/_zoomlive/ui/live"
ROUTES = control_routes()

LONG = "x" * 5000
#: Past Python's integer digit limit (4,300), and just past int64.
DIGITS = "9" * 5000
HUGE_INTS = st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63) - 1, -1, 0])
FLOATS = st.sampled_from([1e308, -1e308, 5e-324, 253402300800.0, -0.0, 0.5, 1.5])
NASTY_TEXT = st.sampled_from(
    ["", " ", "a\r\nb", "\x00", "\x7f", "é", "ü" * 70, "漢字", "🎥", "/", "..", "%00", LONG,
     "*", "GET", "pending", "http://127.0.0.1:1/hook", "https://127.0.0.1:65536/",
     "http://[::1", "http://[::1]:1/x", "http://%41/", "HTTP://127.0.0.1:1", "http://a b/",
     DEMO_ACCOUNT, DEMO_CLIENT, "Content-Length", "x-a", HOST, HOST, HOST, DIGITS, "²",
     str(2**63), str(2**63 - 1), "1,²,3", f"{SEED_MEETING},{2**63}", "me", "0", "301"]
)  # fmt: skip
TEXT = st.one_of(NASTY_TEXT, st.text(max_size=40))
SCALARS = st.one_of(
    st.none(), st.booleans(), HUGE_INTS, st.integers(), FLOATS,
    st.floats(allow_nan=False, allow_infinity=False), TEXT,
)  # fmt: skip
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=10,
)
RAW_BODIES = st.sampled_from(
    [b"", b"{", b"[1]", b"null", b"1e400", b'"x"', b"\xff\xfe", b"[" * 2000 + b"]" * 2000,
     b'{"a":' * 500 + b"1" + b"}" * 500, b'{"set": 1e400}', b'{"times": -0}']
)  # fmt: skip
KNOWN_IDS = st.sampled_from([SEED_MEETING, 1, 2, 3, 10_000_000_000])
INT_PARAMS = st.one_of(KNOWN_IDS, HUGE_INTS.map(int), st.integers()).map(str)
STR_PARAMS = st.one_of(
    st.sampled_from([DEMO_ACCOUNT, DEMO_CLIENT, HOST, "openapi.json", "me", str(SEED_MEETING)]),
    TEXT,
)
#: Header values as bytes on the wire (``\xb2`` is ``²`` read as latin-1).
HEADER_VALUES = st.one_of(
    st.sampled_from([b"1", b"0", DIGITS.encode(), b"\xb2", b"9" * 19, b"-1", b"", b"\xff\xfe"]),
    st.binary(max_size=20).filter(
        # what an HTTP client can send (RFC 9110 field-value): visible ASCII, obs-text,
        # and blanks only inside
        lambda b: all(c == 9 or 32 <= c != 127 for c in b) and b == b.strip(b" \t")
    ),
)
#: A session cookie the dashboard must read without trusting (shapes, digits, ``²``).
COOKIES = st.sampled_from(
    [b"1." + b"0" * 32 + b"." + b"0" * 64, DIGITS.encode() + b".x.y", b"\xb2.a.b", b"..", b"x"]
)


#: Fields whose valid values would make the server call out (URL validation): local
#: addresses only, so an example never waits on DNS.
LOCAL_URLS = st.sampled_from(
    [
        "http://127.0.0.1:1/hook",
        "http://127.0.0.1:9/x?y=1",
        "https://[::1]:1/",
        "http://localhost:1",
    ]
)


def _mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` nine times in ten, so a body of several fields is often wholly valid."""
    return st.integers(0, 9).flatmap(lambda i: bad if i == 0 else good)


def _near(t: msgspec.inspect.Type) -> st.SearchStrategy[Any]:
    """Values of the model's own type: in range, at its edges and just past them, so
    the fuzz reaches the handlers and the database, not only the validator."""
    mi = msgspec.inspect
    if isinstance(t, mi.IntType):
        lo = t.ge if t.ge is not None else -(2**63)
        hi = t.le if t.le is not None else 2**63 - 1
        return _mostly(st.integers(lo, hi), st.sampled_from([lo, hi, lo - 1, hi + 1]))
    if isinstance(t, mi.FloatType):
        lo_f = t.ge if t.ge is not None else -1e300
        hi_f = t.le if t.le is not None else 1e300
        return _mostly(st.floats(lo_f, hi_f), st.sampled_from([lo_f, hi_f, hi_f * 1.0001 + 1]))
    if isinstance(t, mi.StrType):
        top = t.max_length if t.max_length is not None else 64
        text = st.from_regex(t.pattern, fullmatch=True) if t.pattern else st.text(max_size=top)
        edge = st.just("y" * (top + 1))
        return _mostly(text.filter(lambda v: (t.min_length or 0) <= len(v) <= top), edge)
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.LiteralType):
        return st.sampled_from(list(t.values))
    if isinstance(t, mi.UnionType):
        return st.one_of([_near(u) for u in t.types])
    if isinstance(t, mi.ListType):
        return st.lists(_near(t.item_type), max_size=3)
    if isinstance(t, mi.DictType):
        return st.dictionaries(_near(t.key_type), _near(t.value_type), max_size=3)
    return JSON_VALUES


def _model_bodies(model: type[msgspec.Struct]) -> st.SearchStrategy[dict[str, Any]]:
    info = msgspec.inspect.type_info(model)
    assert isinstance(info, msgspec.inspect.StructType)
    fields = {}
    for f in info.fields:
        near = _near(f.type)
        if f.name == "url":
            near = _mostly(LOCAL_URLS, near.filter(lambda v: not isinstance(v, str)) | TEXT)
        elif f.name == "host_id":
            near = _mostly(st.just(HOST), near)
        fields[f.name] = _mostly(near, JSON_VALUES)
    required = [f.name for f in info.fields if f.required]
    optional = [n for n in fields if n not in required]
    return st.builds(
        lambda keep, values: {k: v for k, v in values.items() if k in required or k in keep},
        st.sets(st.sampled_from(optional)) if optional else st.just(set()),
        st.fixed_dictionaries(fields),
    )


def _body(route: Route) -> st.SearchStrategy[bytes | None]:
    names = st.sampled_from(route.fields) | TEXT if route.fields else TEXT
    objects = st.dictionaries(names, JSON_VALUES, max_size=6)
    near = [_model_bodies(m) for m in route.models]
    encoded = st.one_of(objects, *near, *near, *near).map(lambda d: json.dumps(d).encode())
    return st.one_of(
        st.none(), encoded, JSON_VALUES.map(lambda v: json.dumps(v).encode()), RAW_BODIES
    )


Request = tuple[str, str, dict[str, str], bytes | None, dict[str, Any]]


@st.composite
def requests(draw: st.DrawFn) -> Request:
    # OPTIONS is a third of the table but one code path: visit it less.
    options = [r for r in ROUTES if r.method == "OPTIONS"]
    others = [r for r in ROUTES if r.method != "OPTIONS"]
    route = draw(st.sampled_from(options if draw(st.integers(0, 9)) == 0 else others))
    path = route.path
    for name, kind in route.params.items():
        value = draw(INT_PARAMS if kind is int else STR_PARAMS)
        path = path.replace(f"{{{name}:{kind.__name__}}}", quote(value, safe="") or "x")
    names = st.sampled_from(route.query) | TEXT if route.query else TEXT
    query = draw(st.dictionaries(names, TEXT, max_size=3))
    body = draw(_body(route))
    auth = draw(
        st.sampled_from(
            [f"Bearer {ADMIN_TOKEN}"] * 8 + ["", "Bearer nope", f"bearer {ADMIN_TOKEN} x"]
        )
    )
    headers: dict[str, Any] = {"Content-Type": "application/json"} if body is not None else {}
    if auth:
        headers["Authorization"] = auth
    if draw(st.integers(0, 2)) == 0:
        headers["Last-Event-ID"] = draw(HEADER_VALUES)
    if draw(st.integers(0, 3)) == 0:
        headers["Cookie"] = b"zoomlive_session=" + draw(COOKIES)
    return route.method, path, {k: v for k, v in query.items() if "\x00" not in k}, body, headers


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=RANDOM_SEED is None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
def fuzz_api(api: Api, server: ServerProcess) -> Iterator[Api]:
    mark = len(server.output())
    yield api
    # A failure the server swallowed (a background task's traceback) counts too.
    assert "Traceback" not in server.output()[mark:], server.output()[mark:][-3000:]
    api.admin("POST", "/reset", {"demo": True})


def test_every_control_route_is_fuzzed() -> None:
    paths = {r.path for r in ROUTES}
    for expected in (
        "/_zoomlive/clock",
        "/_zoomlive/faults",
        "/_zoomlive/meetings/{meeting_id:int}",
        LIVE,
        "/_zoomlive/ui/meetings",
        "/v2/users/{userId:str}/meetings",
        "/v2/meetings/{meetingId:str}/livestream",
        "/oauth/token",
    ):
        assert expected in paths
    assert {r.method for r in ROUTES} >= {"GET", "POST", "PATCH", "PUT", "DELETE"}
    assert next(r for r in ROUTES if r.path == "/_zoomlive/faults" and r.method == "POST").fields


def _zoom_token(api: Api) -> str:
    """A token of the demo app (gone after an example wiped the server: then none)."""
    r = api.http.post(
        f"{api.base_url}/oauth/token",
        data={"grant_type": "account_credentials", "account_id": DEMO_ACCOUNT},
        headers={"Authorization": basic(DEMO_CLIENT, DEMO_SECRET)},
    )
    return str(r.json()["access_token"]) if r.status_code == 200 else "none"


def _send(api: Api, method: str, path: str, **kw: Any) -> httpx.Response:
    """The answer, read to its end. The dashboard's live stream never ends by itself
    (it lasts a while, then the browser reconnects): it is read up to its first
    ``clock`` event, which follows the first look at the database for the page's
    meetings, so an answer cut mid-look shows as a transport error."""
    if not path.startswith(LIVE) or method != "GET":
        return api.http.request(method, api.base_url + path, timeout=30, **kw)
    with api.http.stream(method, api.base_url + path, timeout=30, **kw) as r:
        if r.status_code == 200:
            assert r.headers["content-type"].startswith("text/event-stream"), r.headers
            assert any(line == "event: clock" for line in r.iter_lines()), path
        else:
            r.read()
        return r


def _fuzz(api: Api, request: Request) -> None:
    method, path, query, body, headers = request
    if HOST in path or (body and HOST.encode() in body):
        seed = api.http.get(
            f"{api.base_url}/_zoomlive/meetings/{SEED_MEETING}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        host = seed.json()["host_id"] if seed.status_code == 200 else "gone"
        path = path.replace(quote(HOST, safe=""), host)
        body = body.replace(HOST.encode(), host.encode()) if body else body
    if path.startswith(("/v2", "/oauth")):
        # A fault an earlier example set answers Zoom's routes with the 5xx (or the
        # dropped connection) it was told to: that is the fault working, not a crash.
        # Faults never touch the control API or the dashboard, which keep every state.
        api.http.delete(
            f"{api.base_url}/_zoomlive/faults", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
    if path.startswith("/v2") and headers.get("Authorization") == f"Bearer {ADMIN_TOKEN}":
        headers = {**headers, "Authorization": f"Bearer {_zoom_token(api)}"}
    try:
        r = _send(api, method, path, params=query, content=body, headers=headers)
    except httpx.TransportError as exc:  # a dropped connection, a cut stream or a hang
        raise AssertionError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
    event(f"status {r.status_code}")  # --hypothesis-show-statistics: how deep the fuzz got
    assert r.status_code < 500, (method, path, query, body, r.status_code, r.text[:500])
    assert r.headers.get("x-zm-trackingid"), (method, path)
    # The OpenAPI pages are Litestar's own (HTML, also its 404 for an unknown page), the
    # manual is the built site's (its own 404 page too); the
    # dashboard's refusals are pages too.
    html = path.startswith(("/_zoomlive/docs", "/_zoomlive/ui", "/_zoomlive/manual"))
    if r.status_code >= 400 and not html:
        err = r.json()
        if path.startswith("/oauth/token") and "reason" in err:  # OAuth's own shape
            assert isinstance(err["reason"], str) and isinstance(err["error"], str), err
            return
        assert isinstance(err.get("code"), int) and isinstance(err.get("message"), str), err
        for item in err.get("errors", []):
            assert isinstance(item["field"], str) and item["message"], err


_ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
#: Answers that were 500s or cut streams once: always tried, whatever the seed.
KNOWN: list[Request] = [
    ("GET", "/v2/users/me/meetings", {"page_size": DIGITS}, None, _ADMIN),
    ("GET", "/v2/users/me/meetings", {"page_size": str(2**64)}, None, _ADMIN),
    ("GET", "/v2/users/a%00b/meetings", {}, None, _ADMIN),
    ("GET", f"/v2/users/{'u' * 400}/webinars", {}, None, _ADMIN),
    ("GET", LIVE, {"ids": "²"}, None, _ADMIN),
    ("GET", LIVE, {"ids": str(2**63)}, None, _ADMIN),
    ("GET", LIVE, {"after": DIGITS, "journal": "1"}, None, _ADMIN),
    ("GET", LIVE, {}, None, {**_ADMIN, "Last-Event-ID": DIGITS}),
    ("GET", LIVE, {}, None, {**_ADMIN, "Last-Event-ID": b"\xb2"}),
    ("GET", "/_zoomlive/ui/meetings", {"q": "a\x00b"}, None, _ADMIN),
    ("GET", "/_zoomlive/ui/meetings", {"q": DIGITS[:200]}, None, _ADMIN),
    ("GET", "/_zoomlive/ui", {}, None, {"Cookie": b"zoomlive_session=\xb2.a.b"}),
    ("GET", "/_zoomlive/ui", {}, None, {"Cookie": "zoomlive_session=" + DIGITS + ".a"}),
    ("POST", "/oauth/token", {}, b"grant_type=account_credentials",
     {"Authorization": basic("a\x00b", "c"), "Content-Type": "application/x-www-form-urlencoded"}),
]  # fmt: skip


def _fuzz_test(f: Any) -> Any:
    wrapped = FUZZ(given(request=requests())(f))
    for known in KNOWN:
        wrapped = example(request=known)(wrapped)
    return seed(int(RANDOM_SEED))(wrapped) if RANDOM_SEED is not None else wrapped


@_fuzz_test
def test_control_api_fuzz(fuzz_api: Api, request: Request) -> None:
    _fuzz(fuzz_api, request)

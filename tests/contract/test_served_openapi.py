"""The OpenAPI document the server serves, held against the server itself: every Zoom
operation it documents is called over real HTTP with a valid request and with invalid
ones (no token, a bad id, a bad body); each status answered is one the document lists
for that operation, and each JSON body validates against the schema it documents for
that status. So the document cannot say 200 where the server answers 201 or 204."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema

from tests.support import ADMIN_TOKEN, Api

#: What each call sends: (path params, body), valid and invalid.
Call = tuple[dict[str, str], Any, str | None]


def _doc(api: Api) -> dict[str, Any]:
    r = api.http.get(f"{api.base_url}/_zoomlive/docs/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def _zoom_operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted(
        (path, method)
        for path, item in doc["paths"].items()
        if path.startswith("/v2/")
        for method in item
        if method in ("get", "post", "patch", "put", "delete")
    )


def _webinar(api: Api) -> str:
    found = next(m for m in api.admin_list("/meetings", "meetings") if m["kind"] == "webinar")
    return str(found["id"])


def _fresh(api: Api, kind: str) -> str:
    """A meeting (or webinar) of the demo host of its own, for calls that change it."""
    host = api.admin("GET", "/meetings/68423085").json()["host_id"]
    if kind == "webinar":
        host = next(m for m in api.admin_list("/meetings", "meetings")
                    if m["kind"] == "webinar")["host_id"]  # fmt: skip
    return str(api.new_meeting(host, kind)["id"])


STREAM = {"stream_url": "rtmp://live.example.com/app", "stream_key": "k-1",
          "page_url": "https://example.com/watch"}  # fmt: skip


def _calls(api: Api, path: str, method: str) -> list[tuple[str, Call]]:
    """The valid call first, then the invalid ones."""
    kind = "webinar" if "webinar" in path else "meeting"  # a user operation: the host's
    target = _fresh(api, kind)
    if path.endswith("/livestream/status"):
        api.call("PATCH", f"/{kind}s/{target}/livestream", api.token(), json=STREAM)
        api.admin("POST", f"/meetings/{target}/start")
    params = {"userId": "me" if kind == "meeting" else _host_of(api, target),
              "meetingId": target, "webinarId": target}  # fmt: skip
    valid: Any = None
    invalid: Any = None
    if path.endswith("/livestream") and method == "patch":
        valid, invalid = STREAM, {"stream_url": "ftp://x", "stream_key": "k", "page_url": "x"}
    elif path.endswith("/livestream/status"):
        valid, invalid = {"action": "start"}, {"action": "sideways"}
    elif path.endswith("/status"):
        valid, invalid = {"action": "end"}, {"action": "sideways"}
    elif method in ("post", "patch"):
        valid, invalid = {"topic": "documented"}, {"type": "not a type"}
    bad_id = {**params, "meetingId": "not-an-id", "webinarId": "not-an-id", "userId": "nobody"}
    out: list[tuple[str, Call]] = [
        ("valid", (params, valid, "token")),
        ("no token", (params, valid, None)),
    ]
    if "{" in path:
        out.append(("bad id", (bad_id, valid, "token")))
    else:  # the users list names no one: a bad page size instead
        out.append(("bad query", ({"?": "?page_size=abc"}, valid, "token")))
    if invalid is not None:
        out.append(("bad body", (params, invalid, "token")))
    return out


def _host_of(api: Api, meeting_id: str) -> str:
    return str(api.admin("GET", f"/meetings/{meeting_id}").json()["host_id"])


def _schema(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    return {**node, "components": doc["components"]}


def test_every_documented_zoom_operation_answers_only_what_it_documents(api: Api) -> None:
    doc = _doc(api)
    ops = _zoom_operations(doc)
    assert len(ops) == 20  # 6 live stream, 12 meeting and webinar, 2 user operations
    token = api.token()
    problems: list[str] = []
    answered = 0
    for path, method in ops:
        documented = doc["paths"][path][method]["responses"]
        for label, (params, body, auth) in _calls(api, path, method):
            url = path.removeprefix("/v2") + params.get("?", "")
            for name, value in params.items():
                url = url.replace("{" + name + "}", value)
            r = api.call(method.upper(), url, token if auth else None,
                         **({} if body is None else {"json": body}))  # fmt: skip
            answered += 1
            where = f"{method.upper()} {path} ({label}) -> {r.status_code}"
            if str(r.status_code) not in documented:
                problems.append(f"{where}: not documented ({sorted(documented)})")
                continue
            if label == "valid" and r.status_code >= 300:
                problems.append(f"{where}: the valid call failed: {r.text[:200]}")
            if label != "valid" and r.status_code < 400:
                problems.append(f"{where}: the invalid call succeeded")
            content = documented[str(r.status_code)].get("content", {})
            if not content:
                if r.content:
                    problems.append(f"{where}: a body where none is documented")
                continue
            node = content["application/json"]["schema"]
            try:
                jsonschema.validate(r.json(), _schema(doc, node))
            except jsonschema.ValidationError as exc:
                problems.append(f"{where}: {exc.message[:200]}")
    assert problems == []
    assert answered >= 20 * 3


def test_the_token_endpoint_answers_only_what_it_documents(api: Api) -> None:
    doc = _doc(api)
    documented = doc["paths"]["/oauth/token"]["post"]["responses"]
    form = {"grant_type": "account_credentials", "account_id": "x"}
    wrong = httpx.BasicAuth("nope", "nope")
    for r in (
        api.http.post(f"{api.base_url}/oauth/token", auth=wrong, data=form),
        api.http.post(f"{api.base_url}/oauth/token", data=form),  # no credentials
    ):
        assert str(r.status_code) in documented, r.status_code
        node = documented[str(r.status_code)]["content"]["application/json"]["schema"]
        jsonschema.validate(r.json(), _schema(doc, node))


def test_the_control_api_documents_its_errors_and_speaks_to_people(api: Api) -> None:
    """Each control operation has a summary in words, and its errors are documented in
    the shape it answers them: a bad value (400), no admin token (401), an unknown
    record (404) and one that exists (409), each validating against the document."""
    doc = _doc(api)
    ops = {
        (path, method): op
        for path, item in doc["paths"].items()
        if path.startswith("/_zoomlive/") and not path.startswith("/_zoomlive/docs")
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    }
    assert len(ops) >= 35
    for (path, method), op in ops.items():
        assert " " in op.get("summary", ""), (method, path, op.get("summary"))
        for status, answer in op["responses"].items():
            if status.startswith("4"):
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ZoomError"), (method, path, status)
    account = api.admin("POST", "/accounts", {"plan": "pro"}).json()
    calls = [
        ("POST", "/accounts", {"plan": 5}, True, 400),
        ("POST", "/accounts", {"plan": "pro"}, False, 401),
        ("GET", "/accounts/no-such-account", None, True, 404),
        ("POST", "/accounts", {"id": account["id"], "plan": "pro"}, True, 409),
    ]
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for method, path, body, auth, status in calls:
        r = api.http.request(method, f"{api.base_url}/_zoomlive{path}", json=body,
                             headers=admin if auth else {})  # fmt: skip
        assert r.status_code == status, (method, path, r.text)
        template = (
            "/_zoomlive/accounts/{account_id}" if "no-such" in path else "/_zoomlive/accounts"
        )
        documented = doc["paths"][template][method.lower()]["responses"]
        node = documented[str(status)]["content"]["application/json"]["schema"]
        jsonschema.validate(r.json(), _schema(doc, node))

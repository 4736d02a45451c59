"""The meeting and webinar object and bodies as Zoom's 2025 schema has them, over real
HTTP against the real server:

- a create or update sent as multipart form text (as Zoom's Postman collection and
  generated clients send it) lands: ``type``, ``duration``, booleans and the JSON
  ``settings`` field are read by the schema's types;
- every 200/201 body validates against Zoom's schema and carries every field it lists
  (``recurrence`` only on the types that recur), ``creation_source`` included;
- every enum of ``settings`` is checked against Zoom's list (one table);
- ``PUT …/status`` takes the field of Zoom's earlier docs, ``status``, as ``action``.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tests.server.routes.test_errors import zoom_error
from tests.spec import answer_schema, missing_fields
from tests.support import Api
from zoomlive.wire import zoom_fields as zf

ANSWERS = {
    ("meetings", "create"): ("/users/{userId}/meetings", "post", "201"),
    ("meetings", "get"): ("/meetings/{meetingId}", "get", "200"),
    ("webinars", "create"): ("/users/{userId}/webinars", "post", "201"),
    ("webinars", "get"): ("/webinars/{webinarId}", "get", "200"),
}


def _webinar_host(api: Api) -> str:
    found = next(m for m in api.admin_list("/meetings", "meetings") if m["kind"] == "webinar")
    return str(found["host_id"])


def _user(api: Api, kind: str) -> str:
    return "me" if kind == "meetings" else _webinar_host(api)


def _form(fields: dict[str, Any]) -> dict[str, tuple[None, str]]:
    return {k: (None, v if isinstance(v, str) else json.dumps(v)) for k, v in fields.items()}


def _check_answer(kind: str, op: str, body: dict[str, Any], recurring: bool) -> None:
    full = answer_schema(*ANSWERS[(kind, op)])
    jsonschema.validate(body, full)
    missing = missing_fields(body, full, full["components"])
    assert missing == ([] if recurring else ["recurrence"]), missing
    assert body["creation_source"] == "open_api"


@pytest.mark.parametrize(
    ("kind", "kind_type"), [("meetings", 2), ("meetings", 8), ("webinars", 5), ("webinars", 9)]
)
def test_every_answer_carries_every_field_of_zoom_schema(
    api: Api, kind: str, kind_type: int
) -> None:
    token = api.token()
    r = api.call("POST", f"/users/{_user(api, kind)}/{kind}", token, json={"type": kind_type})
    assert r.status_code == 201, r.text
    created = r.json()
    recurring = kind_type in (8, 9)
    _check_answer(kind, "create", created, recurring)
    got = api.call("GET", f"/{kind}/{created['id']}", token)
    assert got.status_code == 200, got.text
    body = got.json()
    _check_answer(kind, "get", body, recurring)
    # Zoom's defaults where zoomlive holds no state.
    assert body["occurrences"] == [] and body["tracking_fields"] == []
    if kind == "meetings":
        assert body["settings"]["global_dial_in_numbers"] == []
        assert body["settings"]["breakout_room"] == {"enable": False, "rooms": []}
        assert body["settings"]["encryption_type"] == "enhanced_encryption"


FORMS = [
    # kind, create form, what lands
    (
        "meetings",
        {
            "topic": "Form", "type": "3", "duration": "45", "pre_schedule": "false",
            "settings": {"join_before_host": True, "jbh_time": 10, "encryption_type": "e2ee"},
        },
        {"type": 3, "duration": 45, "pre_schedule": False},
    ),
    (
        "webinars",
        {"topic": "Form", "type": "9", "duration": "90", "settings": {"practice_session": True}},
        {"type": 9, "duration": 90},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "form", "lands"), FORMS, ids=["meeting", "webinar"])
def test_form_text_fields_land_by_the_schema_types(
    api: Api, kind: str, form: dict[str, Any], lands: dict[str, Any]
) -> None:
    token = api.token()
    r = api.call("POST", f"/users/{_user(api, kind)}/{kind}", token, files=_form(form))
    assert r.status_code == 201, r.text
    created = r.json()
    oid = created["id"]
    body = api.call("GET", f"/{kind}/{oid}", token).json()
    for answer in (created, body):
        assert {k: answer[k] for k in lands} == lands
        assert {k: answer["settings"][k] for k in form["settings"]} == form["settings"]
    # An update by form lands the same way, a boolean and a number included.
    update = {"duration": "30", "settings": {"host_video": True}}
    if kind == "meetings":
        update["pre_schedule"] = "true"
    r = api.call("PATCH", f"/{kind}/{oid}", token, files=_form(update))
    assert r.status_code == 204, r.text
    body = api.call("GET", f"/{kind}/{oid}", token).json()
    assert body["duration"] == 30 and body["settings"]["host_video"] is True
    assert body.get("pre_schedule", True) is True
    # Text that is not its type is still refused, naming the field.
    bad = {"type": "two", "duration": "4.5", "settings": "{not json"}
    r = api.call("PATCH", f"/{kind}/{oid}", token, files=_form(bad))
    err = zoom_error(r, 400, 300, "Validation Failed.")
    assert sorted(e["field"] for e in err["errors"]) == ["duration", "settings", "type"]


@pytest.mark.parametrize("kind", ["meetings", "webinars"])
def test_every_settings_enum_is_checked_against_zoom_list(api: Api, kind: str) -> None:
    token = api.token()
    enums = zf.MEETING_SETTINGS_ENUMS if kind == "meetings" else zf.WEBINAR_SETTINGS_ENUMS
    r = api.call("POST", f"/users/{_user(api, kind)}/{kind}", token, json={})
    oid = r.json()["id"]
    bad = {name: "AAA" if isinstance(values[0], str) else 99 for name, values in enums.items()}
    for body in ({"settings": bad}, {"settings": {"encryption_type": "AAA"}}):
        r = api.call("PATCH", f"/{kind}/{oid}", token, json=body)
        if kind == "webinars" and body["settings"] == {"encryption_type": "AAA"}:
            assert r.status_code == 204, r.text  # not a webinar setting: ignored
            continue
        err = zoom_error(r, 400, 300, "Validation Failed.")
        assert sorted(e["field"] for e in err["errors"]) == sorted(
            f"settings.{name}" for name in body["settings"]
        )
    stored = api.call("GET", f"/{kind}/{oid}", token).json()["settings"]
    assert all(stored[name] in values for name, values in enums.items())
    if kind == "meetings":
        assert stored["encryption_type"] == "enhanced_encryption"


@pytest.mark.parametrize("kind", ["meetings", "webinars"])
def test_status_end_by_the_earlier_field_name(api: Api, kind: str) -> None:
    """zoomus ends a webinar with ``{"status": "end"}``: it ends (Decision 17)."""
    token = api.token()
    r = api.call("POST", f"/users/{_user(api, kind)}/{kind}", token, json={})
    oid = r.json()["id"]
    api.admin("POST", f"/meetings/{oid}/start")
    r = api.call("PUT", f"/{kind}/{oid}/status", token, json={"status": "end"})
    assert r.status_code == 204, r.text
    assert api.admin("GET", f"/meetings/{oid}").json()["status"] == "ended"
    r = api.call("PUT", f"/{kind}/{oid}/status", token, json={"status": "stop"})
    err = zoom_error(r, 400, 300, "Validation Failed.")
    assert err["errors"] == [{"field": "status", "message": "Invalid parameter: status."}]
    r = api.call("PUT", f"/{kind}/{oid}/status", token, json={})
    err = zoom_error(r, 400, 300, "Validation Failed.")
    assert err["errors"] == [{"field": "action", "message": "Required field is missing: action."}]

"""Fidelity: where zoomlive follows Zoom more closely than the obvious reading.

- A webinar whose host was deleted: 400/1001 ``User does not exist: {userId}.`` (Zoom's
  2025 webinar spec); a meeting keeps 404/1001 ``User {userId} does not exist.``
  (Decision 4).
- A bad nested field: ``field`` is the full path, the message names the leaf, as in
  Zoom's own example ``{"field":"settings.jbh_time","message":"Invalid parameter:
  jbh_time."}``; on meetings and webinars, in JSON and multipart bodies.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.server.routes.test_errors import SEED, zoom_error
from tests.support import Api


def _webinar(api: Api) -> dict[str, Any]:
    return dict(
        next(m for m in api.admin("GET", "/meetings").json()["meetings"] if m["kind"] == "webinar")
    )


def test_webinar_with_deleted_host_is_400_1001(api: Api) -> None:
    token = api.token()
    webinar = _webinar(api)
    host, path = webinar["host_id"], f"/webinars/{webinar['id']}/livestream"
    api.admin("PATCH", f"/users/{host}", {"deleted": True})
    message = f"User does not exist: {host}."
    zoom_error(api.call("GET", path, token), 400, 1001, message)
    zoom_error(api.call("PATCH", path, token, json=SEED), 400, 1001, message)
    r = api.call("PATCH", path + "/status", token, json={"action": "start"})
    zoom_error(r, 400, 1001, message)
    # The multipart route answers the same.
    r = api.call("PATCH", path, token, files={k: (None, v) for k, v in SEED.items()})
    zoom_error(r, 400, 1001, message)


def test_meeting_with_deleted_host_keeps_404_1001(api: Api) -> None:
    token = api.token()
    host = api.admin("GET", "/meetings/68423085").json()["host_id"]
    api.admin("PATCH", f"/users/{host}", {"deleted": True})
    r = api.call("PATCH", "/meetings/68423085/livestream/status", token, json={"action": "start"})
    zoom_error(r, 404, 1001, f"User {host} does not exist.")


NESTED = [
    # kind, settings, the bad leaf
    ("meetings", {"display_name": ""}, "display_name"),
    ("meetings", {"layout": "mosaic"}, "layout"),
    ("meetings", {"active_speaker_name": "yes"}, "active_speaker_name"),
    ("webinars", {"display_name": "x" * 51}, "display_name"),
    ("webinars", {"close_caption": "loud"}, "close_caption"),
]


@pytest.mark.parametrize("multipart", [False, True], ids=["json", "multipart"])
@pytest.mark.parametrize(("kind", "settings", "leaf"), NESTED)
def test_nested_field_is_a_path_and_the_message_names_the_leaf(
    api: Api, kind: str, settings: dict[str, Any], leaf: str, multipart: bool
) -> None:
    token = api.token()
    oid = 68423085 if kind == "meetings" else _webinar(api)["id"]
    path = f"/{kind}/{oid}/livestream/status"
    if multipart:  # Decision 1: settings as a JSON-encoded string field
        form = {"action": (None, "start"), "settings": (None, json.dumps(settings))}
        r = api.call("PATCH", path, token, files=form)
    else:
        r = api.call("PATCH", path, token, json={"action": "start", "settings": settings})
    err = zoom_error(r, 400, 300, "Validation Failed.")
    assert err["errors"] == [
        {"field": f"settings.{leaf}", "message": f"Invalid parameter: {leaf}."}
    ]


def test_several_bad_fields_top_level_and_nested(api: Api) -> None:
    token = api.token()
    body = {"action": "fly", "settings": {"display_name": "", "layout": "x"}}
    r = api.call("PATCH", "/meetings/68423085/livestream/status", token, json=body)
    err = zoom_error(r, 400, 300, "Validation Failed.")
    assert err["errors"] == [
        {"field": "action", "message": "Invalid parameter: action."},
        {"field": "settings.display_name", "message": "Invalid parameter: display_name."},
        {"field": "settings.layout", "message": "Invalid parameter: layout."},
    ]

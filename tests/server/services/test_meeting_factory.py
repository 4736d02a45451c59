"""One meeting factory: a meeting made by any door (Zoom's create, the control API's
create and bulk create, a seed file, the demo) has Zoom's defaults for what it was not
given, read back the same way through ``/v2``."""

from __future__ import annotations

import re
from typing import Any

from tests.support import Api

PASSCODE = re.compile(r"[0-9]{6}")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _shape(api: Api, token: str, meeting_id: int) -> dict[str, Any]:
    r = api.call("GET", f"/meetings/{meeting_id}", token)
    assert r.status_code == 200, r.text
    body = r.json()
    return {
        "topic": body["topic"],
        "type": body["type"],
        "passcode": bool(PASSCODE.fullmatch(body["password"])),
        "pwd_in_join_url": "?pwd=" in body["join_url"],
        "created_at": bool(STAMP.fullmatch(body["created_at"])),
        "start_time": bool(STAMP.fullmatch(body["start_time"])),
        "uuid": len(body["uuid"]) == 24 and body["uuid"].endswith("=="),
        "id_digits": len(str(body["id"])),
    }


def test_every_door_makes_the_same_meeting(api: Api) -> None:
    acct = api.new_account()
    host, token = acct["host"]["id"], acct["token"]
    made: dict[str, int] = {}

    r = api.call("POST", f"/users/{host}/meetings", token, json={})
    assert r.status_code == 201, r.text
    made["zoom create"] = int(r.json()["id"])
    made["control create"] = int(api.new_meeting(host)["id"])
    bulk = api.admin("POST", "/meetings", [{"host_id": host}, {"host_id": host}]).json()
    made["control bulk"] = int(bulk["ids"][0])
    seeded = 70_123_456_789
    seed = {
        "accounts": [{"id": "acct-seed", "users": [{"id": "host-seed"}],
                      "apps": [{"client_id": "app-seed", "client_secret": "secret-seed"}]}],
        "meetings": [{"id": seeded, "host_id": "host-seed"}],
    }  # fmt: skip
    api.admin("POST", "/seed", seed)
    seed_token = api.token("app-seed", "secret-seed", "acct-seed")

    shapes = {door: _shape(api, token, mid) for door, mid in made.items()}
    shapes["seed file"] = _shape(api, seed_token, seeded)
    made["seed file"] = seeded
    zoom = {
        "topic": "Zoom Meeting",
        "type": 2,
        "passcode": True,
        "pwd_in_join_url": True,
        "created_at": True,
        "start_time": True,
        "uuid": True,
        "id_digits": 11,
    }
    assert shapes == dict.fromkeys(made, zoom)


def test_the_demo_meetings_come_from_the_same_factory(api: Api) -> None:
    """The demo's meetings carry their own topics and states, and the factory's
    passcode and timestamps."""
    token = api.token()
    seed = api.call("GET", "/meetings/68423085", token).json()
    assert seed["topic"] == "Seed meeting"
    assert PASSCODE.fullmatch(seed["password"])
    assert STAMP.fullmatch(seed["created_at"])

"""The seed's own curl call, with an RTMP ``stream_url``, gets 204, and GET returns what
it set; verbatim (``stream_url=aute``, not an RTMP URL) it gets Zoom's validation error
(README Decision "Stream URLs")."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.support import Api

#: The seed's ``stream_url`` is ``aute``; an ingest URL in its place (README Decision
#: "Stream URLs").
SEED = {
    "stream_url": "rtmp://live.example.com/aute",
    "stream_key": "auteofficia",
    "page_url": "auteofficiahttps://IBrRnEbZoeJwPd.ixq+PqOQQZC-z42EWi",
}


def _curl(api: Api, token: str, stream_url: str) -> str:
    # The seed's curl line, verbatim but for host, id, token and stream_url.
    out = subprocess.run(
        [
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
            "-X", "PATCH",
            "-H", f"Authorization: Bearer {token}",
            "-H", "Content-Type: multipart/form-data",
            "--form", f"stream_url={stream_url}",
            "--form", f"stream_key={SEED['stream_key']}",
            "--form", f"page_url={SEED['page_url']}",
            f"{api.base_url}/v2/meetings/68423085/livestream",
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_seed_curl_multipart_then_get(api: Api) -> None:
    token = api.token()
    assert _curl(api, token, "aute") == "400"
    assert api.call("GET", "/meetings/68423085/livestream", token).json()["stream_url"] == ""
    assert _curl(api, token, SEED["stream_url"]) == "204"
    r = api.call("GET", "/meetings/68423085/livestream", token)
    assert r.status_code == 200
    assert r.json() == SEED
    assert r.headers["x-zm-trackingid"]


def test_json_body_then_get(api: Api) -> None:
    token = api.token()
    body = {**SEED, "stream_key": "json-key", "resolution": "1080p", "meeting_id": 1}
    r = api.call("PATCH", "/meetings/68423085/livestream", token, json=body)
    assert r.status_code == 204, r.text
    assert r.content == b""
    got = api.call("GET", "/meetings/68423085/livestream", token).json()
    assert got == {k: v for k, v in body.items() if k != "meeting_id"}


def test_get_before_configuration_is_empty_strings(api: Api) -> None:
    token = api.token()
    demo = api.admin("GET", "/meetings").json()["meetings"]
    scheduled = next(m for m in demo if m["kind"] == "meeting" and m["id"] != 68423085)
    r = api.call("GET", f"/meetings/{scheduled['id']}/livestream", token)
    assert r.status_code == 200
    assert r.json() == {"stream_url": "", "stream_key": "", "page_url": ""}


def test_webinar_update_get_start_stop(api: Api) -> None:
    token = api.token()
    webinar = next(
        m for m in api.admin("GET", "/meetings").json()["meetings"] if m["kind"] == "webinar"
    )
    path = f"/webinars/{webinar['id']}/livestream"
    assert api.call("PATCH", path, token, json=SEED).status_code == 204
    assert api.call("GET", path, token).json() == SEED
    r = api.call("PATCH", path + "/status", token, json={"action": "start"})
    assert r.status_code == 204, r.text
    assert api.admin("GET", f"/meetings/{webinar['id']}").json()["stream_live"] is True
    r = api.call("PATCH", path + "/status", token, json={"action": "stop"})
    assert r.status_code == 204
    assert api.admin("GET", f"/meetings/{webinar['id']}").json()["stream_live"] is False


def test_start_stop_meeting_with_settings_and_idempotence(api: Api) -> None:
    token = api.token()
    path = "/meetings/68423085/livestream"
    assert api.call("PATCH", path, token, json=SEED).status_code == 204
    settings = {
        "active_speaker_name": True,
        "display_name": "Town hall",
        "layout": "gallery_view",
        "close_caption": "embedded",
    }
    r = api.call("PATCH", path + "/status", token, json={"action": "start", "settings": settings})
    assert r.status_code == 204, r.text
    state = api.admin("GET", "/meetings/68423085").json()
    assert state["stream_live"] is True
    assert {k: state[k] for k in settings} == settings
    changed_at = state["stream_changed_at"]
    # start on a live stream: 204, nothing changes
    assert api.call("PATCH", path + "/status", token, json={"action": "start"}).status_code == 204
    assert api.admin("GET", "/meetings/68423085").json()["stream_changed_at"] == changed_at
    assert api.call("PATCH", path + "/status", token, json={"action": "stop"}).status_code == 204
    assert api.call("PATCH", path + "/status", token, json={"action": "stop"}).status_code == 204
    assert api.admin("GET", "/meetings/68423085").json()["stream_live"] is False


def test_status_with_multipart_settings_string(api: Api) -> None:
    token = api.token()
    path = "/meetings/68423085/livestream"
    assert api.call("PATCH", path, token, json=SEED).status_code == 204
    r = api.call(
        "PATCH",
        path + "/status",
        token,
        files={"action": (None, "start"), "settings": (None, '{"display_name":"From form"}')},
    )
    assert r.status_code == 204, r.text
    assert api.admin("GET", "/meetings/68423085").json()["display_name"] == "From form"


def test_token_in_form_body_and_query(api: Api) -> None:
    from tests.support import DEMO_ACCOUNT, DEMO_CLIENT, DEMO_SECRET, basic

    r = api.http.post(
        f"{api.base_url}/oauth/token",
        params={"grant_type": "account_credentials", "account_id": DEMO_ACCOUNT},
        headers={"Authorization": basic(DEMO_CLIENT, DEMO_SECRET)},
    )
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "api_url"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert "meeting:update:livestream" in body["scope"].split()
    # Several tokens of one app stay valid at once.
    second = api.token()
    for tok in (body["access_token"], second):
        assert api.call("GET", "/meetings/68423085/livestream", tok).status_code == 200

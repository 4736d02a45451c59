"""Every error the Decisions select, with its exact status, code and message."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import Api

SEED = {"stream_url": "rtmp://live.example.com/app", "stream_key": "k", "page_url": "https://e.x/p"}
M = "/meetings/68423085/livestream"


def zoom_error(r: httpx.Response, status: int, code: int, message: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["x-zm-trackingid"]
    body: dict[str, Any] = r.json()
    assert body["code"] == code
    assert body["message"] == message
    return body


def test_300_invalid_meeting_id(api: Api) -> None:
    token = api.token()
    for bad in ("abc", "0", "-5", str(2**63), "1.5", "%E2%91%A0"):
        r = api.call("GET", f"/meetings/{bad}/livestream", token)
        zoom_error(r, 400, 300, "Invalid meeting ID.")
    r = api.call("PATCH", f"/webinars/{2**64}/livestream/status", token, json={"action": "start"})
    zoom_error(r, 400, 300, "Invalid webinar ID.")


def test_300_validation_failed_lists_every_field(api: Api) -> None:
    token = api.token()
    body = {"stream_url": "x" * 1025, "page_url": "not a uri", "resolution": "4k"}
    r = api.call("PATCH", M, token, json=body)
    err = zoom_error(r, 400, 300, "Validation Failed.")
    assert {e["field"] for e in err["errors"]} == {
        "stream_url",
        "stream_key",
        "page_url",
        "resolution",
    }
    r = api.call("PATCH", M + "/status", token, json={"action": "Start"})
    err = zoom_error(r, 400, 300, "Validation Failed.")
    assert err["errors"] == [{"field": "action", "message": "Invalid parameter: action."}]
    # Nothing was stored by the failed calls.
    assert api.call("GET", M, token).json()["stream_url"] == ""


def test_3001_unknown_and_foreign_ids(api: Api) -> None:
    token = api.token()
    r = api.call("GET", "/meetings/12345678901/livestream", token)
    zoom_error(r, 404, 3001, "Meeting does not exist: 12345678901.")
    r = api.call("PATCH", "/webinars/12345678901/livestream", token, json=SEED)
    zoom_error(r, 404, 3001, "Webinar does not exist: 12345678901.")
    other = api.new_account()
    foreign = api.new_meeting(other["host"]["id"], status="started")
    r = api.call("GET", f"/meetings/{foreign['id']}/livestream", token)
    zoom_error(r, 404, 3001, f"Meeting does not exist: {foreign['id']}.")
    # A meeting id asked for as a webinar does not exist as a webinar.
    r = api.call("GET", "/webinars/68423085/livestream", token)
    zoom_error(r, 404, 3001, "Webinar does not exist: 68423085.")


def _host_of_seed(api: Api) -> str:
    return str(api.admin("GET", "/meetings/68423085").json()["host_id"])


def test_1001_deleted_host(api: Api) -> None:
    token = api.token()
    host = _host_of_seed(api)
    api.admin("PATCH", f"/users/{host}", {"deleted": True})
    zoom_error(api.call("GET", M, token), 404, 1001, f"User {host} does not exist.")


def test_1010_host_left_account(api: Api) -> None:
    token = api.token()
    host = _host_of_seed(api)
    api.admin("PATCH", f"/users/{host}", {"in_account": False})
    account = api.admin("GET", "/accounts").json()["accounts"][0]["id"]
    r = api.call("PATCH", M, token, json=SEED)
    zoom_error(r, 400, 1010, f"User does not belong to this account: {account}.")


def test_200_paid_user_only(api: Api) -> None:
    token = api.token()
    host = _host_of_seed(api)
    api.admin("PATCH", f"/users/{host}", {"type": 1})
    r = api.call("PATCH", M, token, json=SEED)
    zoom_error(r, 400, 200, f"Only available for Paid user: {host}.")


def test_200_webinar_plan_missing(api: Api) -> None:
    token = api.token()
    account = api.admin("GET", "/accounts").json()["accounts"][0]["id"]
    api.admin("PATCH", f"/accounts/{account}", {"webinar_plan": False})
    webinar = next(
        m for m in api.admin("GET", "/meetings").json()["meetings"] if m["kind"] == "webinar"
    )
    r = api.call("GET", f"/webinars/{webinar['id']}/livestream", token)
    zoom_error(
        r,
        400,
        200,
        "Webinar plan is missing. You must subscribe to the webinar plan and enable webinars "
        "for this user in order to perform this action.",
    )


def test_200_live_streaming_disabled(api: Api) -> None:
    token = api.token()
    account = api.admin("GET", "/accounts").json()["accounts"][0]["id"]
    api.admin("PATCH", f"/accounts/{account}", {"live_streaming": False})
    r = api.call("PATCH", M, token, json=SEED)
    zoom_error(
        r,
        400,
        200,
        "The current user has not enabled the custom live streaming feature of the meeting.",
    )
    webinar = next(
        m for m in api.admin("GET", "/meetings").json()["meetings"] if m["kind"] == "webinar"
    )
    r = api.call("GET", f"/webinars/{webinar['id']}/livestream", token)
    zoom_error(
        r,
        400,
        200,
        "The current user has not enabled the custom live streaming feature of the webinar.",
    )


def test_3000_start_without_stream_configured(api: Api) -> None:
    token = api.token()
    r = api.call("PATCH", M + "/status", token, json={"action": "start"})
    zoom_error(
        r, 400, 3000, "The current meeting is not configured with a custom streaming service."
    )


def test_3161_host_may_not_host(api: Api) -> None:
    token = api.token()
    api.admin("PATCH", f"/users/{_host_of_seed(api)}", {"can_host": False})
    r = api.call("GET", M, token)
    zoom_error(
        r,
        400,
        3161,
        "Meeting hosting and scheduling capabilities are not allowed for your user account.",
    )


def test_4400_end_to_end_encrypted(api: Api) -> None:
    token = api.token()
    assert api.call("PATCH", M, token, json=SEED).status_code == 204
    api.admin("PATCH", "/meetings/68423085", {"e2ee": True})
    r = api.call("PATCH", M + "/status", token, json={"action": "start"})
    zoom_error(
        r,
        400,
        4400,
        "End-to-end encrypted meetings currently do not support the livestreaming feature.",
    )


def test_4927_meeting_not_started_or_ended(api: Api) -> None:
    token = api.token()
    host = _host_of_seed(api)
    waiting = api.new_meeting(host)
    path = f"/meetings/{waiting['id']}/livestream"
    assert api.call("PATCH", path, token, json=SEED).status_code == 204
    r = api.call("PATCH", path + "/status", token, json={"action": "start"})
    zoom_error(r, 400, 4927, f"Meeting {waiting['id']} has not started.")
    api.admin("POST", f"/meetings/{waiting['id']}/start")
    assert api.call("PATCH", path + "/status", token, json={"action": "start"}).status_code == 204
    api.admin("POST", f"/meetings/{waiting['id']}/end")
    assert api.admin("GET", f"/meetings/{waiting['id']}").json()["stream_live"] is False
    r = api.call("PATCH", path + "/status", token, json={"action": "start"})
    zoom_error(r, 400, 4927, f"Meeting {waiting['id']} has not started.")


def test_124_missing_token(api: Api) -> None:
    zoom_error(api.call("GET", M), 401, 124, "Invalid access token.")
    r = api.call("GET", M, headers={"Authorization": "Basic abc"})
    zoom_error(r, 401, 124, "Invalid access token.")


def test_124_unknown_token(api: Api) -> None:
    zoom_error(api.call("GET", M, "not-a-token"), 401, 124, "Invalid access token.")


def test_124_expired_token(api: Api) -> None:
    token = api.token()
    assert api.call("GET", M, token).status_code == 200
    api.admin("POST", "/clock", {"advance": 3601})
    zoom_error(api.call("GET", M, token), 401, 124, "Access token is expired.")


def test_124_token_in_query_string(api: Api) -> None:
    token = api.token()
    r = api.call("GET", M, params={"access_token": token})
    zoom_error(
        r,
        401,
        124,
        "Invalid access token, this access token is not supported as query parameter string.",
    )


def test_4711_missing_scope(api: Api) -> None:
    setup = api.new_account()
    app = api.admin(
        "POST",
        f"/accounts/{setup['account']['id']}/apps",
        {"scopes": ["meeting:read:livestream"]},
    ).json()
    token = api.token(app["client_id"], app["client_secret"], setup["account"]["id"])
    meeting = api.new_meeting(setup["host"]["id"], status="started")
    path = f"/meetings/{meeting['id']}/livestream"
    assert api.call("GET", path, token).status_code == 200
    r = api.call("PATCH", path, token, json=SEED)
    zoom_error(
        r,
        400,
        4711,
        "Invalid access token, does not contain scopes:"
        "[meeting:update:livestream, meeting:update:livestream:admin].",
    )
    # Classic scopes are honoured too.
    classic = api.admin(
        "POST", f"/accounts/{setup['account']['id']}/apps", {"scopes": ["meeting:write:admin"]}
    ).json()
    token = api.token(classic["client_id"], classic["client_secret"], setup["account"]["id"])
    assert api.call("PATCH", path, token, json=SEED).status_code == 204


def test_415_unsupported_content_type(api: Api) -> None:
    token = api.token()
    r = api.call("PATCH", M, token, data=SEED)  # x-www-form-urlencoded
    zoom_error(r, 415, 300, "Unsupported Content Type")
    r = api.call("PATCH", M, token, content=b'{"a":1}')  # no Content-Type
    zoom_error(r, 415, 300, "Unsupported Content Type")


def test_malformed_json(api: Api) -> None:
    token = api.token()
    for raw in (b"{", b"", b"[1,2]", b'"text"', b"\xff\xfe"):
        r = api.call("PATCH", M, token, content=raw, headers={"Content-Type": "application/json"})
        zoom_error(r, 400, 300, "Request Body should be a valid JSON object.")


def test_errors_as_xml_when_asked(api: Api) -> None:
    r = api.call("GET", M, headers={"Accept": "application/xml"})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/xml;charset=UTF-8"
    assert r.text == (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        "<error><code>124</code><message>Invalid access token.</message></error>"
    )
    for accept in ("*/*", "application/json", "application/json, application/xml;q=0.5"):
        r = api.call("GET", M, headers={"Accept": accept})
        assert r.headers["content-type"].startswith("application/json")


def test_413_body_too_large(api: Api) -> None:
    token = api.token()
    big = b'{"stream_url":"' + b"x" * 70_000 + b'"}'
    r = api.call("PATCH", M, token, content=big, headers={"Content-Type": "application/json"})
    zoom_error(r, 413, 300, "Request Entity Too Large.")


def test_unknown_route_and_method_are_zoom_shaped(api: Api) -> None:
    token = api.token()
    r = api.call("GET", "/meetings/68423085/nothing", token)
    assert r.status_code == 404 and set(r.json()) == {"code", "message"}
    r = api.call("DELETE", M, token)
    assert r.status_code == 405 and set(r.json()) == {"code", "message"}


def test_token_endpoint_errors(api: Api) -> None:
    from tests.support import DEMO_ACCOUNT, DEMO_CLIENT, basic

    url = f"{api.base_url}/oauth/token"
    form = {"grant_type": "account_credentials", "account_id": DEMO_ACCOUNT}
    r = api.http.post(url, data=form, headers={"Authorization": basic(DEMO_CLIENT, "wrong")})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = api.http.post(url, data=form)
    assert r.status_code == 401
    r = api.http.post(
        url,
        data={**form, "grant_type": "client_credentials"},
        headers={"Authorization": basic(DEMO_CLIENT, "demo-client-secret-value-42")},
    )
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"

"""``POST /_zoomlive/reset`` (``Runtime.reset``): every component back to its first
state, as the test kit's fresh-emulator-per-test promises (README, "Testing")."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.support import basic
from zoomlive.testing import Zoom

ACCOUNT, CLIENT, SECRET = "reset-account", "reset-app", "reset-secret"


def _account_with_one_call_a_day(zoom: Zoom) -> int:
    """An account allowed one API call a day (fixed ids, so a reset can rebuild it)."""
    zoom.create_account(id=ACCOUNT, rate_limit_daily=1)
    host = zoom.create_user(ACCOUNT)
    zoom.create_app(ACCOUNT, client_id=CLIENT, client_secret=SECRET)
    return int(zoom.create_meeting(host["id"])["id"])


def _get_livestream(http: httpx.Client, meeting_id: int) -> int:
    r = http.post(
        "/oauth/token",
        data={"grant_type": "account_credentials", "account_id": ACCOUNT},
        headers={"Authorization": basic(CLIENT, SECRET)},
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    answer = http.get(
        f"/v2/meetings/{meeting_id}/livestream", headers={"Authorization": f"Bearer {token}"}
    )
    return answer.status_code


def test_reset_returns_every_component_to_its_first_state(zoom: Zoom) -> None:
    meeting_id = _account_with_one_call_a_day(zoom)
    with zoom.http() as http:
        assert [_get_livestream(http, meeting_id) for _ in range(2)] == [200, 429]
    zoom.fail("/v2/*", times=None)
    zoom.freeze_clock(at=2_000_000_000.0)
    assert zoom.faults() and zoom.journal()

    zoom.reset()

    assert zoom.faults() == []
    assert zoom.journal() == []
    clock = zoom.admin("GET", "/clock")
    assert clock["frozen"] is False
    assert clock["now"] == pytest.approx(time.time(), abs=60)
    with pytest.raises(RuntimeError, match=f"404 .*Account not found: {ACCOUNT}"):
        zoom.admin("GET", f"/accounts/{ACCOUNT}")
    assert [a["id"] for a in zoom.admin("GET", "/accounts")["accounts"]] == [zoom.account_id]
    # The rate counters went too: the same account gets its one call of the day again.
    meeting_id = _account_with_one_call_a_day(zoom)
    with zoom.http() as http:
        assert _get_livestream(http, meeting_id) == 200


def test_missing_records_answer_from_the_error_catalogue(zoom: Zoom) -> None:
    for method, path, message in [
        ("GET", "/users/nobody", "User not found: nobody."),
        ("GET", f"/apps/{zoom.client_id}/subscription",
         f"Subscription not found: {zoom.client_id}."),
        ("DELETE", "/faults/99", "Fault not found: 99."),
    ]:  # fmt: skip
        answer = re.escape(f'404 {{"code":404,"message":"{message}"}}')
        with pytest.raises(RuntimeError, match=f"{method} {re.escape(path)}: {answer}$"):
            zoom.admin(method, path)

"""The front door's journal: each error's Zoom code is the one in the answer, on
every path that renders errors (fast path, Litestar handlers, the front door itself,
faults), whatever the answer's media type."""

from __future__ import annotations

import re

import httpx

from zoomlive.testing import Zoom

LIVE = "/v2/meetings/{}/livestream"


def _code_in(resp: httpx.Response) -> int | None:
    if resp.headers.get("content-type", "").startswith("application/xml"):
        m = re.search(r"<code>(\d+)</code>", resp.text)
        return int(m.group(1)) if m else None
    code = resp.json().get("code")
    return code if isinstance(code, int) else None


def test_the_journal_records_the_code_each_error_answered(zoom: Zoom) -> None:
    with zoom.client() as client:
        token = client.fetch_token().access_token
    auth = {"Authorization": f"Bearer {token}"}
    path = LIVE.format(zoom.meeting_id)
    bad = {"stream_url": "rtmp://x/app", "stream_key": "k", "page_url": "https://e.x/",
           "resolution": "4k"}  # fmt: skip
    zoom.fail("/v2/webinars/*", status=503, code=9999, message="Injected.")
    with zoom.http() as http:
        answers = [
            http.patch(path, json=bad, headers=auth),  # the fast path
            http.patch(path, files={k: (None, v) for k, v in bad.items()}, headers=auth),
            http.get(LIVE.format(1), headers={**auth, "Accept": "application/xml"}),
            http.get(path, headers=[("Authorization", "Bearer a"), ("Authorization", "Bearer b")]),
            http.get("/v2/no/such/route", headers=auth),
            http.get(LIVE.format(zoom.webinar_id).replace("meetings", "webinars"), headers=auth),
            http.post(
                "/oauth/token?grant_type=account_credentials&account_id=x",
                auth=("nobody", "nothing"),
            ),
        ]
    statuses = [r.status_code for r in answers]
    assert all(s >= 400 for s in statuses), statuses
    expected = [(r.status_code, _code_in(r)) for r in answers]
    assert expected[-1] == (expected[-1][0], None)  # OAuth errors carry no code
    assert expected[5] == (503, 9999)
    assert all(code is not None for _, code in expected[:-1]), expected
    recorded = [(e["status"], e["code"]) for e in zoom.journal()][-len(answers) :]
    assert recorded == expected

"""A crash is a Zoom-shaped 500 with a tracking id, journalled as 500, its traceback
logged once without secrets, whichever front door it happened behind.

The crash is a real one: a token row that the database holds in a shape the server
cannot read (its expiry is text), so checking the token raises ``TypeError``. Reads
go to the database (``ZOOMLIVE_CACHE_READS=0``) so the corrupt row is what the
server sees.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from tests.server.rawhttp import exchange, request, server
from tests.support import Api

M = "/v2/meetings/68423085/livestream"


def test_a_crash_is_a_zoom_500_journalled_and_logged_once(tmp_path: Path) -> None:
    db = tmp_path / "zoomlive.db"
    with server(str(db), ZOOMLIVE_CACHE_READS="0") as srv:
        with httpx.Client(timeout=10) as http:
            token = Api(srv.base_url, http).token()
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE zl_tokens SET expires_at = 'tomorrow'")
        auth = f"Authorization: Bearer {token}"
        boundary = "b0undary"
        form = f'--{boundary}\r\nContent-Disposition: form-data; name="stream_key"\r\n\r\nk\r\n'
        form += f"--{boundary}--\r\n"
        replies = {
            "fast path GET": exchange(srv.port, request("GET", M, auth)),
            "fast path PATCH": exchange(
                srv.port,
                request("PATCH", M, auth, "Content-Type: application/json", body=b"{}"),
            ),
            "Litestar PATCH": exchange(
                srv.port,
                request(
                    "PATCH",
                    M + "?stream_key=sk-live-0123456789",
                    auth,
                    f"Content-Type: multipart/form-data; boundary={boundary}",
                    body=form.encode(),
                ),
            ),
        }
        tracking = {}
        for name, reply in replies.items():
            body = reply.zoom_error(500, 500)
            assert body["message"] == "Internal server error.", name
            tracking[name] = reply.headers["x-zm-trackingid"]
        with httpx.Client(timeout=10) as http:
            journal = Api(srv.base_url, http).admin_list(f"/journal?path={M}", "entries")
        by_id = {e["tracking_id"]: e for e in journal}
        for name, tid in tracking.items():
            assert (by_id[tid]["status"], by_id[tid]["code"]) == (500, 500), name
        srv.stop()
        log = srv.output()
    for name, tid in tracking.items():
        assert log.count(tid) == 1, name
    assert log.count("Traceback (most recent call last)") == len(tracking)
    assert "TypeError" in log
    assert token not in log
    assert "sk-live-0123456789" not in log
    assert "Internal Server Error" not in log  # uvicorn's own 500 never ran

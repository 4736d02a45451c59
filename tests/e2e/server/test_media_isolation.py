"""Media streams do not hold each other, and no feed outlives its meeting: an ingest
that accepts TCP and never answers stalls only its own stream (the others keep real
time at nginx, a new one publishes, its own ``stop`` stops it); deleting a meeting that
is live streaming closes its RTMP session at once."""

from __future__ import annotations

import socket
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server.test_media import configure, media, status
from tests.server.rtmp import Nginx
from tests.support import Api, ServerProcess

pytest.importorskip("av")

FPS = 30


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(str(Path(tmp) / "iso.db"), env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
        try:
            yield srv
        finally:
            srv.stop()


@pytest.fixture
def api(server: ServerProcess) -> Iterator[Api]:
    with httpx.Client(timeout=10) as http:
        yield Api(server.base_url, http)


@pytest.fixture
def silent_ingest() -> Iterator[str]:
    """An RTMP URL whose port completes TCP connects (the kernel's backlog) and never
    reads or answers a byte."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"rtmp://127.0.0.1:{sock.getsockname()[1]}/live"


def video_tags(path: Path) -> int:
    """Complete FLV video tags in nginx's recording as far as it is written."""
    data = path.read_bytes()
    count, pos = 0, 13  # FLV header and the first PreviousTagSize
    while pos + 11 <= len(data):
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        if pos + 11 + size + 4 > len(data):
            break
        count += data[pos] == 9
        pos += 11 + size + 4
    return count


def live(api: Api, nginx: Nginx, key: str) -> tuple[int, str]:
    meeting_id, token = configure(api, nginx.url, key)
    status(api, meeting_id, "start", token)
    nginx.wait_for(lambda: ("live", key) in nginx.publishers(), 20, f"{key} did not publish")
    return meeting_id, token


def test_a_silent_ingest_holds_only_its_own_stream(
    api: Api, nginx: Nginx, silent_ingest: str
) -> None:
    live(api, nginx, "steady")  # also starts the worker
    (recording,) = nginx.recording("steady")
    nginx.wait_for(lambda: video_tags(recording) > FPS, 10, "steady sends no frames")
    stalled, token = configure(api, silent_ingest, "stalled")
    t0, frames0 = time.monotonic(), video_tags(recording)
    status(api, stalled, "start", token)
    # The stalled stream's first attempt gives up on its own deadline.
    Nginx.wait_for(lambda: media(api, stalled)["last_error"], 10, "the connect has no deadline")
    assert media(api, stalled)["state"] in ("connecting", "failed")
    # Meanwhile a new stream publishes...
    started = time.monotonic()
    live(api, nginx, "newcomer")
    print(f"newcomer published after {time.monotonic() - started:.2f} s")
    # ... and the live one kept real time at the receiver.
    t1, frames1 = time.monotonic(), video_tags(recording)
    rate = (frames1 - frames0) / (t1 - t0)
    print(f"steady: {frames1 - frames0} frames in {t1 - t0:.2f} s = {rate:.1f}/s")
    assert rate >= 0.95 * FPS
    assert media(api, stalled)["state"] != "live"
    status(api, stalled, "stop", token)
    Nginx.wait_for(lambda: media(api, stalled)["state"] in ("stopped", "failed"), 2, "stuck")


def test_deleting_a_live_meeting_closes_its_feed(api: Api, nginx: Nginx) -> None:
    meeting_id, token = live(api, nginx, "deleted")
    r = api.call("DELETE", f"/meetings/{meeting_id}", token)
    assert r.status_code == 204, r.text
    took = nginx.wait_for(lambda: ("live", "deleted") not in nginx.publishers(), 1, "still live")
    print(f"the publisher left {took:.2f} s after the delete")
    r = api.call("PATCH", f"/meetings/{meeting_id}/livestream/status", token,
                 json={"action": "stop"})  # fmt: skip
    assert r.status_code == 404


def test_a_non_rtmp_url_in_an_old_database_is_not_opened(tmp_path: Path) -> None:
    """A database written before stream URLs were checked may hold any scheme: the
    media worker publishes by RTMP only, so such a URL reaches no socket and the
    stream's media state says why (README Decision "Stream URLs")."""
    srv = ServerProcess(str(tmp_path / "old.db"), env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
    with socket.socket() as peer, httpx.Client(timeout=10) as http:
        peer.bind(("127.0.0.1", 0))
        peer.listen(8)
        peer.settimeout(0.2)
        try:
            api = Api(srv.base_url, http)
            meeting_id, token = configure(api, "rtmp://127.0.0.1:9/live", "old-row")
            srv.stop()
            bad = f"http://127.0.0.1:{peer.getsockname()[1]}/ingest?q=1"
            with sqlite3.connect(srv.db) as db:  # as a row from before the rule
                db.execute("UPDATE zl_meetings SET stream_url = ? WHERE id = ?", (bad, meeting_id))
            srv.start()
            got = api.call("GET", f"/meetings/{meeting_id}/livestream", token).json()
            assert got["stream_url"] == bad
            status(api, meeting_id, "start", token)
            Nginx.wait_for(lambda: media(api, meeting_id)["state"] == "failed", 30, "not failed")
            assert "rtmp" in media(api, meeting_id)["reason"]
            with pytest.raises(TimeoutError):
                peer.accept()
        finally:
            srv.stop()

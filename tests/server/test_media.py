"""Real media against a real RTMP receiver (nginx with the RTMP module, recording on):
the publish matches the request, the recording is right, stop / meeting end /
shutdown close the session within 1 s, an unreachable ingest fails within 5 s, a
dropped connection reconnects, and without PyAV media is ``off`` with the reason."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.media_check import Recording, analyse
from tests.server.rtmp import Nginx, require_nginx
from tests.support import Api, ServerProcess, free_port

pytest.importorskip("av")


@pytest.fixture(scope="module")
def tmp_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


@pytest.fixture(scope="module")
def nginx(tmp_dir: Path) -> Iterator[Nginx]:
    require_nginx()
    ng = Nginx(tmp_dir / "nginx").start()
    try:
        yield ng
    finally:
        ng.stop()


@pytest.fixture(scope="module")
def media_server(tmp_dir: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(str(tmp_dir / "media.db"), env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def api(media_server: ServerProcess) -> Iterator[Api]:
    with httpx.Client(timeout=10) as http:
        yield Api(media_server.base_url, http)


def configure(
    api: Api, stream_url: str, key: str, resolution: str | None = None
) -> tuple[int, str]:
    """A started meeting on a new account, its stream configured; (id, token)."""
    acct = api.new_account()
    meeting = api.new_meeting(acct["host"]["id"], status="started", topic=f"Media {key}")
    body: dict[str, Any] = {
        "stream_url": stream_url,
        "stream_key": key,
        "page_url": "https://e.x/p",
    }
    if resolution:
        body["resolution"] = resolution
    r = api.call("PATCH", f"/meetings/{meeting['id']}/livestream", acct["token"], json=body)
    assert r.status_code == 204, r.text
    return int(meeting["id"]), str(acct["token"])


def status(api: Api, meeting_id: int, action: str, token: str, **settings: Any) -> None:
    body: dict[str, Any] = {"action": action}
    if settings:
        body["settings"] = settings
    r = api.call("PATCH", f"/meetings/{meeting_id}/livestream/status", token, json=body)
    assert r.status_code == 204, r.text


def media(api: Api, meeting_id: int) -> dict[str, Any]:
    return dict(api.admin("GET", f"/meetings/{meeting_id}").json()["media"])


def warmed(api: Api, count: int) -> None:
    """Wait until the worker has encoded ``count`` variants ahead (PATCH warms them)."""
    Nginx.wait_for(
        lambda: api.admin("GET", "/stats").json()["media_variants_warmed"] >= count,
        60,
        "the media worker did not encode the variants",
    )


def test_a_started_stream_publishes_its_key_and_records_right(api: Api, nginx: Nginx) -> None:
    before = api.admin("GET", "/stats").json()["media_variants_warmed"]
    m720, t720 = configure(api, nginx.url, "key-720")
    m1080, t1080 = configure(api, nginx.url + "/", "key-1080", resolution="1080p")
    warmed(api, before + 2)

    started = time.monotonic()
    status(api, m720, "start", t720)
    status(api, m1080, "start", t1080)
    seen_720 = nginx.wait_for(lambda: ("live", "key-720") in nginx.publishers(), 10, "no 720p")
    seen_1080 = nginx.wait_for(lambda: ("live", "key-1080") in nginx.publishers(), 10, "no 1080p")
    assert seen_720 < 2.0 and seen_1080 < 2.0, (seen_720, seen_1080)
    live_at = time.monotonic()
    assert media(api, m720)["state"] == "live"
    print(f"publish seen by nginx after {seen_720:.2f} s (720p), {seen_1080:.2f} s (1080p)")

    # 10 s of media, then stop one stream and end the other's meeting
    Nginx.wait_for(lambda: time.monotonic() - live_at >= 10.5, 12, "clock")
    stopping = time.monotonic()
    status(api, m720, "stop", t720)
    api.admin("POST", f"/meetings/{m1080}/end")
    streamed = stopping - started
    gone_720 = nginx.wait_for(lambda: ("live", "key-720") not in nginx.publishers(), 5, "720p")
    gone_1080 = nginx.wait_for(lambda: ("live", "key-1080") not in nginx.publishers(), 5, "1080p")
    print(f"publisher gone after stop {gone_720:.2f} s, after meeting end {gone_1080:.2f} s")
    assert gone_720 < 1.0 and gone_1080 < 1.0

    for key, size, meeting_id in (
        ("key-720", (1280, 720), m720),
        ("key-1080", (1920, 1080), m1080),
    ):
        files = nginx.recording(key)
        assert len(files) == 1, files
        rec: Recording = analyse(files[0])
        print(key, rec.summary())
        assert (rec.video_codec, rec.audio_codec) == ("h264", "aac")
        assert (rec.width, rec.height) == size
        assert rec.duration >= 10.0
        assert rec.frames >= 0.95 * 30 * rec.duration
        assert rec.frames >= 0.95 * 30 * (streamed - 2.0)  # real time, start-up allowed
        assert rec.monotonic
        assert rec.keyframe_interval == pytest.approx(2.0, abs=0.05)
        assert rec.sample_rate == 48000 and rec.channels == 2
        assert rec.beeps >= 9
        assert rec.av_drift < 0.1, rec.av_drift
        state = media(api, meeting_id)
        assert state["state"] == "stopped"
        assert state["frames_sent"] >= rec.frames
        assert state["bytes_sent"] > 0 and state["started_at"] is not None

    journal = [e for e in api.admin_list("/journal", "entries") if e["method"] == "MEDIA"]
    states = [e["media_state"] for e in journal if e["path"].endswith(f"/{m720}/media")]
    assert states == ["connecting", "live", "stopped"]
    stats = api.admin("GET", "/stats").json()
    assert stats["media_starts"] >= 2 and stats["media_frames_sent"] > 0


def test_an_unreachable_ingest_fails_with_a_reason(api: Api) -> None:
    meeting_id, token = configure(api, f"rtmp://127.0.0.1:{free_port()}/live", "nobody")
    started = time.monotonic()
    status(api, meeting_id, "start", token)  # 204: Zoom starts the stream asynchronously
    took = Nginx.wait_for(lambda: media(api, meeting_id)["state"] == "failed", 10, "not failed")
    state = media(api, meeting_id)
    print(f"failed after {took:.2f} s: {state['reason']}")
    assert time.monotonic() - started < 5.0
    assert "unreachable after 3 attempts" in state["reason"]
    assert "nobody" not in state["reason"] and "nobody" not in (state["last_error"] or "")


def test_a_dropped_connection_reconnects_and_shutdown_closes(tmp_dir: Path) -> None:
    require_nginx()
    ng = Nginx(tmp_dir / "nginx-drop").start()
    srv = ServerProcess(str(tmp_dir / "drop.db"), env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
    try:
        with httpx.Client(timeout=10) as http:
            api = Api(srv.base_url, http)
            meeting_id, token = configure(api, ng.url, "drop-key")
            warmed(api, 1)
            status(api, meeting_id, "start", token)
            ng.wait_for(lambda: ("live", "drop-key") in ng.publishers(), 5, "no publish")

            ng.kill()
            ng.wait_for(lambda: media(api, meeting_id)["state"] == "connecting", 5, "no drop")
            ng.proc = None
            restarted = time.monotonic()
            ng.start()  # the same ports
            again = ng.wait_for(lambda: ("live", "drop-key") in ng.publishers(), 10, "no retry")
            state = media(api, meeting_id)
            print(f"republished {time.monotonic() - restarted:.2f} s after nginx restarted")
            assert state["state"] == "live" and state["connects"] == 2, state
            assert again < 8.0

            closing = time.monotonic()
            srv.stop()  # SIGTERM: the server shuts down
            gone = ng.wait_for(lambda: ("live", "drop-key") not in ng.publishers(), 5, "stuck")
            print(f"publisher gone {time.monotonic() - closing:.2f} s after SIGTERM ({gone:.2f})")
            assert gone < 1.0
    finally:
        srv.stop()
        ng.stop()


def test_without_pyav_the_server_runs_and_media_is_off(tmp_dir: Path) -> None:
    """PyAV made unimportable the way a missing package is (no module found)."""
    shim = tmp_dir / "no-pyav"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(
        "import sys\n"
        "class _NoPyAV:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'av' or name.startswith('av.'):\n"
        "            raise ModuleNotFoundError(f\"No module named '{name}'\")\n"
        "        return None\n"
        "sys.meta_path.insert(0, _NoPyAV())\n"
    )
    srv = ServerProcess(str(tmp_dir / "nopyav.db"), env={"PYTHONPATH": str(shim)}).start()
    try:
        assert "media is off: PyAV is not installed" in srv.output()
        with httpx.Client(timeout=10) as http:
            api = Api(srv.base_url, http)
            health = http.get(f"{srv.base_url}/_zoomlive/health").json()
            assert health["status"] == "ok"
            assert health["media"]["enabled"] is False
            assert "pip install 'zoomlive[media]'" in health["media"]["detail"]
            meeting_id, token = configure(api, "rtmp://127.0.0.1:1/live", "k")
            status(api, meeting_id, "start", token)
            assert api.admin("GET", f"/meetings/{meeting_id}").json()["stream_live"] is True
            state = media(api, meeting_id)
            assert state["state"] == "off" and "PyAV is not installed" in state["reason"]
    finally:
        srv.stop()

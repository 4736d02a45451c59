"""Real media against real RTMP receivers: nginx with the RTMP module (recording on)
and the test kit's ``rtmp_sink``. The publish matches the request, what arrives is
right, stop / meeting end / shutdown close the session within 1 s, an unreachable
ingest fails within 5 s, a dropped connection reconnects, configuring and starting
streams loads no media code into the API process, and without PyAV media is ``off``
with the reason."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import psutil  # type: ignore[import-untyped]
import pytest

from tests.server.media_check import Recording, analyse
from tests.server.rtmp import Nginx, require_nginx
from tests.support import Api, ServerProcess, free_port
from zoomlive.testing.rtmp_sink import RtmpSink
from zoomlive.wire.dist import install_hint

pytest.importorskip("av")


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


@dataclass
class Received:
    """What a receiver got of one publish: what both receivers can report."""

    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    frames: int
    duration: float
    #: nginx's recording, decoded (keyframes, timestamps, audio): the sink has none.
    recording: Recording | None = None


class Receiver(Protocol):
    """An RTMP ingest the tests publish to, and what it says of each stream key."""

    def url(self, key: str) -> str: ...

    def publishing(self, key: str) -> bool: ...

    def received(self, key: str) -> Received: ...


@dataclass
class NginxReceiver:
    """nginx-rtmp: one application for every key; ``rtmp_stat`` says who publishes,
    and the recording is decoded whole (``media_check.analyse``)."""

    nginx: Nginx
    #: Each ``url`` call is one more publish to record.
    sessions: dict[str, int] = field(default_factory=dict)

    def url(self, key: str) -> str:
        self.sessions[key] = self.sessions.get(key, 0) + 1
        return self.nginx.url

    def publishing(self, key: str) -> bool:
        return ("live", key) in self.nginx.publishers()

    def received(self, key: str) -> Received:
        """The latest publish's recording."""
        files = sorted(self.nginx.recording(key), key=lambda f: f.stat().st_mtime)
        assert len(files) == self.sessions[key], files
        rec = analyse(files[-1])
        print(key, rec.summary())
        return Received(rec.video_codec, rec.audio_codec, rec.width, rec.height,
                        rec.frames, rec.duration, rec)  # fmt: skip


@dataclass
class SinkReceiver:
    """The test kit's ``rtmp_sink`` (one publish per sink, so one sink per key): the
    publish's app and stream name as they pass, the codecs and size FFmpeg reads, and
    the video frames and their span. It decodes nothing, so it cannot check the
    keyframe interval, timestamp order, the audio's rate and channels, the beeps or
    A/V sync; those are checked on nginx's recording only."""

    #: Each key's latest sink (a new one for each publish).
    sinks: dict[str, RtmpSink] = field(default_factory=dict)
    every: list[RtmpSink] = field(default_factory=list)

    def url(self, key: str) -> str:
        self.sinks[key] = RtmpSink()
        self.every.append(self.sinks[key])
        return self.sinks[key].url

    def publishing(self, key: str) -> bool:
        a = self.sinks[key].arrival
        return a.app == "live" and a.stream_name == key and not a.closed

    def received(self, key: str) -> Received:
        a = self.sinks[key].wait_closed(5)
        print(key, a)
        assert a.error is None, a.error
        return Received(a.video_codec, a.audio_codec, a.width, a.height, a.frames, a.duration)

    def close(self) -> None:
        for sink in self.every:
            sink.close()


@pytest.fixture(params=["nginx", "rtmp_sink"])
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    if request.param == "nginx":
        yield NginxReceiver(request.getfixturevalue("nginx"))
        return
    sinks = SinkReceiver()
    try:
        yield sinks
    finally:
        sinks.close()


@pytest.fixture
def worker_running(api: Api) -> None:
    """The module server's media worker is running. Only a ``start`` starts it (a
    server's first start pays for that: ``test_the_first_start_starts_the_worker``
    measures it); a start to a closed port does, and fails at once."""
    if api.admin("GET", "/stats").json()["media_worker_ready"]:
        return
    meeting_id, token = configure(api, f"rtmp://127.0.0.1:{free_port()}/live", "boot")
    status(api, meeting_id, "start", token)
    Nginx.wait_for(lambda: api.admin("GET", "/stats").json()["media_worker_ready"], 60, "no worker")


def test_the_first_start_starts_the_worker(tmp_dir: Path, nginx: Nginx) -> None:
    """A fresh server's first start starts the worker process, which loads PyAV and
    encodes the audio and the stream's variant before it publishes. Bound: 5 s, the
    time a start has to fail in (Decision 24), not the 2 s a start has once the worker
    runs: on a quiet machine this takes about 0.7-1 s, but it is CPU work (about 1 s of
    one core) and grows with the machine's load. Started again, the stream publishes
    without encoding (the worker kept its variant)."""
    srv = ServerProcess(str(tmp_dir / "first.db"), env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
    try:
        with httpx.Client(timeout=10) as http:
            api = Api(srv.base_url, http)
            assert api.admin("GET", "/stats").json()["media_worker_ready"] == 0
            meeting_id, token = configure(api, nginx.url, "first-key")
            status(api, meeting_id, "start", token)
            first = nginx.wait_for(lambda: ("live", "first-key") in nginx.publishers(), 10, "no")
            status(api, meeting_id, "stop", token)
            nginx.wait_for(lambda: ("live", "first-key") not in nginx.publishers(), 5, "stop")
            status(api, meeting_id, "start", token)
            again = nginx.wait_for(lambda: ("live", "first-key") in nginx.publishers(), 10, "no")
            print(f"first start published after {first:.2f} s, started again {again:.2f} s")
            assert first < 5.0
            assert again < 2.0
            stats = api.admin("GET", "/stats").json()
            assert (stats["media_starts"], stats["media_variants_encoded"]) == (2, 1)
            status(api, meeting_id, "stop", token)
    finally:
        srv.stop()


def start_both(
    api: Api, receiver: Receiver, streams: list[tuple[int, str, str]]
) -> tuple[float, list[float]]:
    """Start each (meeting, token, key); when, and each publish's delay from then."""
    started = time.monotonic()
    for meeting_id, token, _ in streams:
        status(api, meeting_id, "start", token)
    seen = []
    for _, _, key in streams:  # each from the starts, not one after the other
        Nginx.wait_for(functools.partial(receiver.publishing, key), 10, f"no publish of {key}")
        seen.append(time.monotonic() - started)
    return started, seen


@pytest.mark.usefixtures("worker_running")
def test_a_started_stream_publishes_its_key_and_arrives_right(api: Api, receiver: Receiver) -> None:
    """Configured and started, with the server's worker running. The first start of a
    stream encodes its variant (a new card) before it publishes: bound 5 s (the time a
    start has to fail in, Decision 24), since that is CPU work that grows with the
    machine's load (about 0.5 s on a quiet machine). Stopped, configured again (a
    new receiver session) and started again, the variant is encoded: the publish is
    seen within 2 s."""
    run = f"{type(receiver).__name__}-{time.monotonic_ns()}"
    k720, k1080 = f"{run}-720", f"{run}-1080"
    m720, t720 = configure(api, receiver.url(k720), k720)
    m1080, t1080 = configure(api, receiver.url(k1080) + "/", k1080, resolution="1080p")
    streams = [(m720, t720, k720), (m1080, t1080, k1080)]

    _, first = start_both(api, receiver, streams)
    print(f"first publish seen after {first[0]:.2f} s (720p), {first[1]:.2f} s (1080p)")
    assert max(first) < 5.0, first
    status(api, m720, "stop", t720)
    status(api, m1080, "stop", t1080)
    Nginx.wait_for(lambda: not receiver.publishing(k720), 5, "720p did not stop")
    Nginx.wait_for(lambda: not receiver.publishing(k1080), 5, "1080p did not stop")
    # A new key for the second session: nginx names recordings by key and second, so
    # the same key published twice within a second would share one file.
    k720, k1080 = f"{k720}-again", f"{k1080}-again"
    again = {"stream_url": receiver.url(k720), "stream_key": k720, "page_url": "https://e.x/p"}
    r = api.call("PATCH", f"/meetings/{m720}/livestream", t720, json=again)
    assert r.status_code == 204, r.text
    again = {"stream_url": receiver.url(k1080) + "/", "stream_key": k1080,
             "page_url": "https://e.x/p", "resolution": "1080p"}  # fmt: skip
    r = api.call("PATCH", f"/meetings/{m1080}/livestream", t1080, json=again)
    assert r.status_code == 204, r.text
    encoded = api.admin("GET", "/stats").json()["media_variants_encoded"]

    streams = [(m720, t720, k720), (m1080, t1080, k1080)]
    started, (seen_720, seen_1080) = start_both(api, receiver, streams)
    assert seen_720 < 2.0 and seen_1080 < 2.0, (seen_720, seen_1080)
    live_at = time.monotonic()
    # The receiver sees the publish command before the worker's report of it reaches
    # the API process: the state follows within a second.
    Nginx.wait_for(lambda: media(api, m720)["state"] == "live", 1.0, "720p not live")
    assert api.admin("GET", "/stats").json()["media_variants_encoded"] == encoded
    print(f"publish seen after {seen_720:.2f} s (720p), {seen_1080:.2f} s (1080p)")

    # 10 s of media, then stop one stream and end the other's meeting
    Nginx.wait_for(lambda: time.monotonic() - live_at >= 10.5, 12, "clock")
    stopping = time.monotonic()
    status(api, m720, "stop", t720)
    api.admin("POST", f"/meetings/{m1080}/end")
    streamed = stopping - started
    gone_720 = Nginx.wait_for(lambda: not receiver.publishing(k720), 5, "720p")
    gone_1080 = Nginx.wait_for(lambda: not receiver.publishing(k1080), 5, "1080p")
    print(f"publisher gone after stop {gone_720:.2f} s, after meeting end {gone_1080:.2f} s")
    assert gone_720 < 1.0 and gone_1080 < 1.0

    for key, size, meeting_id in ((k720, (1280, 720), m720), (k1080, (1920, 1080), m1080)):
        got = receiver.received(key)
        assert (got.video_codec, got.audio_codec) == ("h264", "aac")
        assert (got.width, got.height) == size
        assert got.duration >= 10.0
        assert got.frames >= 0.95 * 30 * got.duration
        assert got.frames >= 0.95 * 30 * (streamed - 2.0)  # real time, start-up allowed
        rec = got.recording
        if rec is not None:  # nginx's recording, decoded
            assert rec.monotonic
            assert rec.keyframe_interval == pytest.approx(2.0, abs=0.05)
            assert rec.sample_rate == 48000 and rec.channels == 2
            assert rec.beeps >= 9
            assert rec.av_drift < 0.1, rec.av_drift
        state = media(api, meeting_id)
        assert state["state"] == "stopped"
        assert state["frames_sent"] >= got.frames
        assert state["bytes_sent"] > 0 and state["started_at"] is not None

    journal = [e for e in api.admin_list("/journal", "entries") if e["method"] == "MEDIA"]
    states = [e["media_state"] for e in journal if e["path"].endswith(f"/{m720}/media")]
    assert states == ["connecting", "live", "stopped"] * 2
    stats = api.admin("GET", "/stats").json()
    assert stats["media_starts"] >= 4 and stats["media_frames_sent"] > 0
    assert stats["media_worker_ready"] == 1 and stats["media_variants_encoded"] >= 2


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


def media_code_mapped(pid: int) -> list[str]:
    """The files of PyAV's FFmpeg and of numpy that the process has mapped: any
    import of either maps its shared libraries."""
    found = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        parts = line.split(maxsplit=5)
        path = parts[5] if len(parts) == 6 else ""
        if "/numpy" in path or "/av/" in path or "/av.libs/" in path or "libav" in path:
            found.add(path)
    return sorted(found)


def test_configuring_and_starting_streams_loads_no_media_code_in_the_api(tmp_dir: Path) -> None:
    """Media costs the API process nothing: a PATCH with an RTMP URL does no media work
    (no worker, nothing imported); the first start starts the worker process, and the
    API process still maps neither FFmpeg nor numpy."""
    srv = ServerProcess(str(tmp_dir / "lean.db"), env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
    try:
        assert srv.proc is not None
        pid = srv.proc.pid
        assert "media is on (PyAV" in srv.output()
        with httpx.Client(timeout=10) as http:
            api = Api(srv.base_url, http)
            url = f"rtmp://127.0.0.1:{free_port()}/live"
            ids = [configure(api, url, f"lean-{i}") for i in range(20)]
            assert psutil.Process(pid).children() == []
            assert media_code_mapped(pid) == []
            stats = api.admin("GET", "/stats").json()
            assert (stats["media_starts"], stats["media_variants_encoded"]) == (0, 0)

            meeting_id, token = ids[0]
            status(api, meeting_id, "start", token)
            Nginx.wait_for(lambda: media(api, meeting_id)["state"] == "failed", 10, "no fail")
            children = psutil.Process(pid).children()
            assert len(children) == 1, children
            worker = children[0]
            assert "zoomlive.server.media.worker" in " ".join(worker.cmdline())
            assert api.admin("GET", "/stats").json()["media_variants_encoded"] == 1
            assert media_code_mapped(worker.pid) != []  # what the API's check would see
            assert media_code_mapped(pid) == []
    finally:
        srv.stop()


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
            detail = health["media"]["detail"]
            assert install_hint("media") in detail and "not on PyPI yet" in detail, detail
            meeting_id, token = configure(api, "rtmp://127.0.0.1:1/live", "k")
            status(api, meeting_id, "start", token)
            assert api.admin("GET", f"/meetings/{meeting_id}").json()["stream_live"] is True
            state = media(api, meeting_id)
            assert state["state"] == "off" and "PyAV is not installed" in state["reason"]
    finally:
        srv.stop()

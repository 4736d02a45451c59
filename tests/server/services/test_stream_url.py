"""A stream URL is an RTMP ingest URL (README Decision "Stream URLs"): any other scheme
is refused with Zoom's validation error by every door that stores one (the API's JSON
and form bodies, the control API's seed, seed files share one validation), nothing is
stored and nothing is connected to; and the media worker, which speaks only RTMP,
opens no other scheme even if a stored URL held one."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.support import ADMIN_TOKEN, Api

INVALID = {"field": "stream_url", "message": "Invalid parameter: stream_url."}


@pytest.fixture
def peer() -> Iterator[socket.socket]:
    """A port that would see any connection made to it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.settimeout(0.2)
        yield sock


def _bad_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/ingest?q=1",
        f"https://127.0.0.1:{port}/ingest",
        f"tcp://127.0.0.1:{port}",
        f"udp://127.0.0.1:{port}",
        f"ftp://127.0.0.1:{port}/x",
        f"icecast://u:p@127.0.0.1:{port}/x",
        f"rtmpt://127.0.0.1:{port}/live",
        "file:///etc/passwd",
        "aute",
        "rtmp://",
        "rtmp:///live",
        "rtmp://127.0.0.1:port/live",
        " rtmp://127.0.0.1/live",
    ]


def _no_connection(peer: socket.socket) -> None:
    with pytest.raises(TimeoutError):
        peer.accept()


def test_a_non_rtmp_stream_url_is_refused_at_patch(api: Api, peer: socket.socket) -> None:
    acct = api.new_account()
    meeting = api.new_meeting(acct["host"]["id"], status="started")
    path = f"/meetings/{meeting['id']}/livestream"
    token = acct["token"]
    others = {"stream_key": "k", "page_url": "https://e.x/p"}
    for url in _bad_urls(peer.getsockname()[1]):
        for how in ("json", "form"):
            if how == "json":
                r = api.call("PATCH", path, token, json={"stream_url": url, **others})
            else:
                fields = {"stream_url": url, **others}
                r = api.call("PATCH", path, token, files={k: (None, v) for k, v in fields.items()})
            assert r.status_code == 400, (url, how, r.text)
            assert r.json() == {"code": 300, "message": "Validation Failed.", "errors": [INVALID]}
            assert r.headers["x-zm-trackingid"]
    assert api.call("GET", path, token).json()["stream_url"] == ""
    r = api.call("PATCH", path + "/status", token, json={"action": "start"})
    assert r.status_code == 400 and r.json()["code"] == 3000, r.text  # nothing configured
    _no_connection(peer)
    for url in ("rtmp://live.example.com/app", "rtmps://live.example.com:443/app",
                "RTMP://live.example.com/app"):  # fmt: skip
        r = api.call("PATCH", path, token, json={"stream_url": url, **others})
        assert r.status_code == 204, (url, r.text)


def test_the_seed_refuses_a_non_rtmp_stream_url(api: Api) -> None:
    seed = {
        "accounts": [{"id": "url-acct", "users": [{"id": "url-host"}]}],
        "meetings": [{"id": 71000000001, "host_id": "url-host", "status": "started",
                      "stream": {"stream_url": "http://127.0.0.1:9/ingest", "stream_key": "k",
                                 "page_url": "https://e.x/p", "live": True}}],
    }  # fmt: skip
    r = api.http.post(f"{api.base_url}/_zoomlive/seed", content=json.dumps(seed).encode(),
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
    assert r.status_code == 400, r.text
    assert r.json()["code"] == 300
    assert "stream: Invalid parameter: stream_url." in r.json()["message"], r.text
    found = api.http.get(f"{api.base_url}/_zoomlive/meetings/71000000001",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
    assert found.status_code == 404


def test_the_media_publisher_opens_no_other_scheme(peer: socket.socket) -> None:
    """What the media worker is handed is opened only as RTMP(S): a URL that got into
    the database before the rule (an old database) reaches no socket."""
    pytest.importorskip("av")
    from zoomlive.server.media.rtmp import Publisher, RtmpError

    port = peer.getsockname()[1]
    for url in _bad_urls(port):
        with pytest.raises(RtmpError):
            Publisher(url, "k", threading.Event()).connect(1.0, 1.0)
    _no_connection(peer)

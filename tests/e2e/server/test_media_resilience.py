"""Media follows the database (media/reconcile.py), with nginx-rtmp as the receiver:
after a SIGKILL of the server or of its media worker every live stream is published
again, the dead worker is reaped; on PostgreSQL each live stream has one publisher,
the holder of its lease, and another process takes its streams over when it dies;
and the worker's memory does not grow with the distinct streams it has run."""

from __future__ import annotations

import signal
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]
import pytest

from tests.e2e.server.test_media import configure, media, status
from tests.server.rtmp import Nginx
from tests.support import Api, ServerProcess, fresh_pg_database, service_url

pytest.importorskip("av")

ENV = {"ZOOMLIVE_RATE_LIMITS": "0"}


def publishing(ng: Nginx, keys: list[str]) -> set[str]:
    return {name for app, name in ng.publishers() if app == "live" and name in keys}


def until_published(ng: Nginx, keys: list[str], published: bool) -> None:
    want = set(keys) if published else set()
    ng.wait_for(lambda: publishing(ng, keys) == want, 30, f"published is not {published}")


def start_streams(api: Api, ng: Nginx, prefix: str, n: int) -> tuple[list[int], list[str]]:
    """``n`` started meetings, each streaming to nginx under its own key, all published."""
    keys = [f"{prefix}-{i}" for i in range(n)]
    ids = []
    for key in keys:
        meeting_id, token = configure(api, ng.url, key)
        status(api, meeting_id, "start", token)
        ids.append(meeting_id)
    ng.wait_for(lambda: publishing(ng, keys) == set(keys), 30, "not all published")
    return ids, keys


def worker_of(srv: ServerProcess) -> psutil.Process:
    assert srv.proc is not None
    (worker,) = [
        c
        for c in psutil.Process(srv.proc.pid).children()
        if "zoomlive.server.media.worker" in " ".join(c.cmdline())
    ]
    return worker


def test_a_killed_server_publishes_every_live_stream_again_at_start(
    tmp_dir: Path, nginx: Nginx
) -> None:
    """SIGKILL of the server: its worker sees the pipe close and ends its publishes;
    the server started again on the same database publishes the 5 streams that are
    still live in it, within 5 s of answering, and media says ``live``."""
    db = str(tmp_dir / "restart.db")
    srv = ServerProcess(db, env=ENV).start()
    try:
        with httpx.Client(timeout=10) as http:
            ids, keys = start_streams(Api(srv.base_url, http), nginx, "restart", 5)
        srv.kill()
        nginx.wait_for(lambda: not publishing(nginx, keys), 10, "the old publishes stayed")
    finally:
        srv.stop()
    again = ServerProcess(db, env=ENV).start()
    try:
        ready = time.monotonic()
        took = nginx.wait_for(lambda: publishing(nginx, keys) == set(keys), 10, "not again")
        print(f"5 of 5 published again {took:.2f} s after the restarted server answered")
        assert took < 5.0
        with httpx.Client(timeout=10) as http:
            api = Api(again.base_url, http)
            nginx.wait_for(
                lambda: all(media(api, m)["state"] == "live" for m in ids), 5, "media not live"
            )
        assert time.monotonic() - ready < 10.0
    finally:
        again.stop()


def test_a_killed_worker_is_reaped_and_its_streams_published_again(
    tmp_dir: Path, nginx: Nginx
) -> None:
    """SIGKILL of the media worker: the server reaps it (no zombie), starts another,
    and publishes the 5 live streams again within 5 s; media says ``live``."""
    srv = ServerProcess(str(tmp_dir / "worker.db"), env=ENV).start()
    try:
        with httpx.Client(timeout=10) as http:
            api = Api(srv.base_url, http)
            ids, keys = start_streams(api, nginx, "reap", 5)
            old = worker_of(srv)
            killed = time.monotonic()
            old.send_signal(signal.SIGKILL)
            nginx.wait_for(lambda: not old.is_running(), 5, "the killed worker is a zombie")
            nginx.wait_for(
                lambda: publishing(nginx, keys) == set(keys) and worker_of(srv).pid != old.pid,
                10,
                "not published again",
            )
            took = time.monotonic() - killed
            print(f"5 of 5 published again {took:.2f} s after the worker was killed")
            assert took < 5.0
            assert srv.proc is not None
            children = psutil.Process(srv.proc.pid).children()
            assert [c.pid for c in children] == [worker_of(srv).pid]
            assert all(c.status() != psutil.STATUS_ZOMBIE for c in children)
            nginx.wait_for(
                lambda: all(media(api, m)["state"] == "live" for m in ids), 5, "media not live"
            )
            assert api.admin("GET", "/stats").json()["media_worker_exits"] == 1
    finally:
        srv.stop()


class PublisherWatch(threading.Thread):
    """Reads nginx's stat page over and over: the most publishing clients any one
    stream name had at once."""

    def __init__(self, ng: Nginx) -> None:
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{ng.stat_port}/stat"
        self.most = 0
        self.looks = 0
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=2) as http:
            while not self.done.is_set():
                try:
                    root = ET.fromstring(http.get(self.url).content)
                except (httpx.HTTPError, ET.ParseError):
                    continue
                for stream in root.iter("stream"):
                    n = sum(c.find("publishing") is not None for c in stream.iter("client"))
                    self.most = max(self.most, n)
                self.looks += 1


def test_on_postgresql_each_live_stream_has_one_publisher_taken_over_when_it_dies(
    nginx: Nginx,
) -> None:
    """Two processes on one PostgreSQL database. A publishes 5 streams (it holds their
    leases); B, started next, publishes none of them while A lives; nginx never lists
    two publishers for one key; A is killed and B publishes all 5 within 5 s."""
    with fresh_pg_database(service_url("ZOOMLIVE_TEST_POSTGRES_URL")) as db:
        a = ServerProcess(db, env=ENV).start(120)
        b = ServerProcess(db, env=ENV)
        watch = PublisherWatch(nginx)
        try:
            watch.start()
            with httpx.Client(timeout=10) as http:
                api_a = Api(a.base_url, http)
                _, keys = start_streams(api_a, nginx, "lease", 5)
                b.start(120)
                api_b = Api(b.base_url, http)
                # B's loop has run several turns over the 5 live streams (a turn
                # each 0.5 s, and at start): it started none of them.
                looks = watch.looks
                nginx.wait_for(lambda: watch.looks >= looks + 20, 10, "nginx not read")
                assert api_b.admin("GET", "/stats").json()["media_starts"] == 0
                assert publishing(nginx, keys) == set(keys)

                killed = time.monotonic()
                a.kill()
                took = nginx.wait_for(
                    lambda: (
                        publishing(nginx, keys) == set(keys)
                        and api_b.admin("GET", "/stats").json()["media_live"] == 5
                    ),
                    10,
                    "B did not take the streams over",
                )
                print(f"B published all 5 {took:.2f} s after A was killed")
                assert time.monotonic() - killed < 5.0
            watch.done.set()
            watch.join(5)
            print(f"nginx read {watch.looks} times")
            assert watch.looks > 0 and watch.most == 1
        finally:
            watch.done.set()
            a.stop()
            b.stop()


@pytest.mark.slow
def test_the_workers_memory_does_not_grow_with_distinct_streams(
    tmp_dir: Path, nginx: Nginx
) -> None:
    """200 distinct streams (each its own card, so its own variant) started and
    stopped, a few at a time: the worker's RSS ends within 100 MiB of where it was
    after the first; and once the meetings are deleted, the server holds no media
    state for them."""
    srv = ServerProcess(str(tmp_dir / "memory.db"), env=ENV).start()
    try:
        with httpx.Client(timeout=30) as http:
            api = Api(srv.base_url, http)
            base: float | None = None
            done: list[tuple[int, str]] = []
            total, batch = 200, 10
            for first in range(0, total, batch):
                streams = [
                    configure(api, nginx.url, f"mem-{i}") for i in range(first, first + batch)
                ]
                keys = [f"mem-{i}" for i in range(first, first + batch)]
                for meeting_id, token in streams:
                    status(api, meeting_id, "start", token)
                until_published(nginx, keys, True)
                for meeting_id, token in streams:
                    status(api, meeting_id, "stop", token)
                until_published(nginx, keys, False)
                done.extend(streams)
                if base is None:
                    base = worker_of(srv).memory_info().rss / 2**20
            assert base is not None
            end = worker_of(srv).memory_info().rss / 2**20
            print(f"worker RSS {base:.0f} MiB after the first streams, {end:.0f} after {total}")
            assert end - base < 100

            assert api.admin("GET", "/stats").json()["media_states"] == total
            for meeting_id, token in done:
                r = api.call("DELETE", f"/meetings/{meeting_id}", token)
                assert r.status_code == 204, r.text
            nginx.wait_for(
                lambda: api.admin("GET", "/stats").json()["media_states"] == 0,
                20,
                "media states of deleted meetings kept",
            )
    finally:
        srv.stop()

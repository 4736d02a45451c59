"""Several processes on one PostgreSQL database: ``serve --workers N``, and reads
that see every acknowledged write whichever process serves them (README, "Deployment")."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import psutil  # type: ignore[import-untyped]
import pytest

from tests.support import (
    ADMIN_TOKEN,
    ZOOMLIVE,
    Api,
    ServerProcess,
    free_port,
    fresh_pg_database,
    service_url,
)

MEETING = 68423085


@pytest.fixture(scope="module")
def pg() -> Iterator[str]:
    with fresh_pg_database(service_url("ZOOMLIVE_TEST_POSTGRES_URL")) as url:
        yield url


def test_workers_on_sqlite_are_refused_in_one_line_pointing_to_postgresql(tmp_path: object) -> None:
    r = subprocess.run(
        [ZOOMLIVE, "serve", "--workers", "2", "--db", f"{tmp_path}/w.db", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "PostgreSQL" in r.stderr and "--workers" in r.stderr


def test_every_get_sees_the_patch_acknowledged_before_it_on_another_process(pg: str) -> None:
    env = {"ZOOMLIVE_RATE_LIMITS": "0"}
    servers = [ServerProcess(pg, env=env).launch() for _ in range(2)]
    try:
        for s in servers:
            s.wait_ready(120)
        with httpx.Client(timeout=30) as http:
            a, b = (Api(s.base_url, http) for s in servers)
            token = a.token()
            apis = (a, b)
            for i in range(1000):
                # PATCH on one process; once its 204 is back, GET on the other.
                writer, reader = apis[i % 2], apis[(i + 1) % 2]
                body = {
                    "stream_url": "rtmp://live.example.com/app",
                    "stream_key": f"key-{i}",
                    "page_url": f"https://example.com/live/{i}",
                }
                r = writer.call("PATCH", f"/meetings/{MEETING}/livestream", token, json=body)
                assert r.status_code == 204, r.text
                got = reader.call("GET", f"/meetings/{MEETING}/livestream", token).json()
                assert (got["stream_key"], got["page_url"]) == (
                    body["stream_key"],
                    body["page_url"],
                )
    finally:
        for s in servers:
            s.stop()


def test_workers_serve_one_port_and_stop_together(pg: str) -> None:
    port = free_port()
    env = {**os.environ, "ZOOMLIVE_ADMIN_TOKEN": ADMIN_TOKEN, "ZOOMLIVE_RATE_LIMITS": "0"}
    cmd = [ZOOMLIVE, "serve", "--workers", "2", "--port", str(port), "--db", pg]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        ServerProcess.wait_http(base, proc, 120)
        workers = psutil.Process(proc.pid).children()
        assert len(workers) == 2
        with httpx.Client(timeout=30) as http:
            r = http.get(f"{base}/_zoomlive/health")
            assert r.json()["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)


def _gone(p: psutil.Process) -> bool:
    try:
        return not p.is_running() or p.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_killed_supervisor_takes_its_workers_down_and_a_held_port_is_named(pg: str) -> None:
    """A second supervisor on the port says which processes hold it; SIGKILL of the
    first supervisor (it cannot stop anything itself) leaves no worker within 2 s,
    and the port is free again."""
    port = free_port()
    env = {**os.environ, "ZOOMLIVE_ADMIN_TOKEN": ADMIN_TOKEN, "ZOOMLIVE_RATE_LIMITS": "0"}
    cmd = [ZOOMLIVE, "serve", "--workers", "2", "--port", str(port), "--db", pg]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[psutil.Process] = []
    try:
        ServerProcess.wait_http(f"http://127.0.0.1:{port}", proc, 120)
        workers = psutil.Process(proc.pid).children()
        assert len(workers) == 2
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 1
        line = second.stderr.strip()
        assert len(line.splitlines()) == 1, line
        assert f"port {port} is in use by pid {proc.pid} (zoomlive serve)" in line, line
        for w in workers:
            assert f"pid {w.pid} (a zoomlive --workers worker)" in line, line
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed = time.monotonic()
        while not all(_gone(w) for w in workers) and time.monotonic() - killed < 2.0:
            time.sleep(0.02)
        left = [w.pid for w in workers if not _gone(w)]
        print(f"\n{2 - len(left)} of 2 workers gone {time.monotonic() - killed:.2f} s "
              "after their supervisor's SIGKILL")  # fmt: skip
        assert not left, left
        with socket.create_server(("127.0.0.1", port)):
            pass  # free: a new supervisor can bind it
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for w in workers:
            if not _gone(w):
                w.kill()

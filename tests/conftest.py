from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import ADMIN_TOKEN, DEMO_SECRET, Api, CliRecorder, ServerProcess, service_url

#: Servers started for the session; the secret scan reads their logs.
server_logs: list[ServerProcess] = []


def _backends() -> list[str]:
    return ["sqlite", "postgres"]


@pytest.fixture(scope="session", params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    name = str(request.param)
    if name == "postgres":
        service_url("ZOOMLIVE_TEST_POSTGRES_URL")
    return name


@pytest.fixture(scope="session")
def server(backend: str) -> Iterator[ServerProcess]:
    """One real server per backend for the session; tests reset its state."""
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "postgres":
            db = os.environ["ZOOMLIVE_TEST_POSTGRES_URL"]
        else:
            db = str(Path(tmp) / "zoomlive.db")
        srv = ServerProcess(db, env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
        server_logs.append(srv)
        try:
            yield srv
        finally:
            srv.stop()


@pytest.fixture
def api(server: ServerProcess) -> Iterator[Api]:
    """Fresh state (the demo seeded again) and an HTTP helper."""
    with httpx.Client(timeout=10) as http:
        a = Api(server.base_url, http)
        a.admin("POST", "/reset", {"demo": True})
        yield a


@pytest.fixture(scope="session")
def limited_api() -> Iterator[Api]:
    """A server with Zoom's rate limits on (the shared session server has them off)."""
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(str(Path(tmp) / "rl.db")).start()
        server_logs.append(srv)
        try:
            with httpx.Client(timeout=10) as http:
                yield Api(srv.base_url, http)
        finally:
            srv.stop()


@pytest.fixture(scope="session")
def cli() -> Iterator[CliRecorder]:
    """Every CLI run of the session; at its end, none may have printed a secret."""
    recorder = CliRecorder()
    recorder.secret(DEMO_SECRET, ADMIN_TOKEN)
    yield recorder
    recorder.server_logs.extend(s.log for s in server_logs if s.log is not None)
    leaks = recorder.leaks()
    assert not leaks, leaks
    assert recorder.outputs, "the session ran CLI commands to scan"

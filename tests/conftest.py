from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import (
    ADMIN_TOKEN,
    DEMO_SECRET,
    ROOT,
    SERVICES,
    Api,
    CliRecorder,
    ServerProcess,
    fresh_pg_database,
    probe,
    service_url,
)

#: Servers started for the session; the secret scan reads their logs.
server_logs: list[ServerProcess] = []
#: Services neither configured nor found at their default address.
missing_services: list[str] = []

E2E = ROOT / "tests" / "e2e"
#: Fixtures that start processes of their own (the CLI, a server with rate limits on,
#: the kit's threaded server): a test using one is end-to-end wherever it lives.
_E2E_FIXTURES = {"limited_api", "cli", "zoom_server"}
#: What ``--quick`` leaves out, by marker.
QUICK_SKIPS = ("e2e", "postgres", "slow")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--quick",
        action="store_true",
        help="Only tests with no server process and no bulk timing (inner loop; CI runs all).",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Find PostgreSQL and Redis at their default addresses when no variable names them,
    so a clone on a machine running both runs every test."""
    if config.getoption("--quick"):
        return
    for name, (_what, default, _how) in SERVICES.items():
        if os.environ.get(name):
            continue
        if probe(name, default):
            os.environ[name] = default
        else:
            missing_services.append(name)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by what it needs: ``e2e`` (under ``tests/e2e/``, or using a fixture
    that starts processes of its own), ``postgres`` (run on PostgreSQL). ``--quick``
    runs what carries none of ``QUICK_SKIPS``: unit tests, in-process tests and the
    tests against the session's one SQLite server."""
    for item in items:
        path = Path(str(item.path))
        if path.is_relative_to(E2E) or _E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgres":
            item.add_marker(pytest.mark.postgres)
    if not config.getoption("--quick"):
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        quick = not any(item.get_closest_marker(name) for name in QUICK_SKIPS)
        (keep if quick else drop).append(item)
    items[:] = keep
    config.hook.pytest_deselected(items=drop)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say plainly what did not run and how to make it run."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped and not missing_services:
        return
    tr = terminalreporter
    tr.section("what did not run", sep="=", yellow=True, bold=True)
    tr.write_line(f"{len(skipped)} tests skipped.")
    for name in missing_services:
        what, default, how = SERVICES[name]
        tr.write_line(f"- {what}: nothing answers at {default} and {name} is not set.")
        tr.write_line(f"    start one: {how}")
        tr.write_line(f"    or point at yours: export {name}=...")
    if config.getoption("--quick"):
        tr.write_line(
            "- --quick: server processes and bulk timings left out (./scripts/test runs all)."
        )
    tr.write_line(f"(details: pytest -rs; project root {ROOT})")


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
    with contextlib.ExitStack() as stack:
        if backend == "postgres":
            # A database of the run's own: the configured one may hold another
            # checkout's schema (another revision), which the server would refuse.
            db = stack.enter_context(fresh_pg_database(os.environ["ZOOMLIVE_TEST_POSTGRES_URL"]))
        else:
            db = str(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "zoomlive.db")
        srv = ServerProcess(db, env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
        server_logs.append(srv)
        stack.callback(srv.stop)
        yield srv


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

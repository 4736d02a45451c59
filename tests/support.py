"""Helpers shared by the tests: real server processes on 127.0.0.1, and HTTP helpers."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
ZOOMLIVE = str(Path(sys.executable).with_name("zoomlive"))
ADMIN_TOKEN = "test-admin-token-0123456789"
DEMO_ACCOUNT = "DemoAccount0000000000A"
DEMO_CLIENT = "demo-client-id"
DEMO_SECRET = "demo-client-secret-value-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_of_second() -> None:
    """Wait for the next whole second of real time: the server's per-second rate
    windows are whole seconds of real time (Decision 9), so requests sent right after
    this share one window unless they take most of a second."""
    time.sleep(1.0 - time.time() % 1.0)


#: Where a service is looked for when its variable is not set (a quick probe at the
#: start of the session; ``tests/conftest.py``), and how to start one.
SERVICES = {
    "ZOOMLIVE_TEST_POSTGRES_URL": (
        "PostgreSQL",
        "postgresql://postgres@127.0.0.1:5432/test",
        "docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test "
        "postgres:16",
    ),
    "ZOOMLIVE_TEST_REDIS_URL": (
        "Redis",
        "redis://127.0.0.1:6379",
        "docker run -d -p 6379:6379 redis:7",
    ),
}


def probe(name: str, url: str) -> bool:
    """Does the service at ``url`` answer (within a second or two)?"""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    default_port = 5432 if name == "ZOOMLIVE_TEST_POSTGRES_URL" else 6379
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            pass
    except OSError:
        return False
    if name == "ZOOMLIVE_TEST_REDIS_URL":
        import redis

        try:
            return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
        except redis.RedisError:
            return False
    try:
        pg_execute(url, "SELECT 1")
    except Exception:
        return False
    return True


def service_url(name: str) -> str:
    """The URL of a backing service for tests, or skip (fail under CI) without it."""
    url = os.environ.get(name, "")
    if not url:
        what, default, _how = SERVICES[name]
        if os.environ.get("ZOOMLIVE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{name} is required here but not set")
        pytest.skip(f"{what} not found: {name} not set and nothing answers at {default}")
    return url


@dataclass
class ServerProcess:
    """``zoomlive serve`` in a subprocess, on a free port, on a given database."""

    db: str
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    #: More ``zoomlive serve`` arguments (``--access-log``, …).
    args: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        return self.launch().wait_ready(timeout)

    def launch(self) -> ServerProcess:
        """Start the process; do not wait for it to serve (see ``wait_ready``)."""
        env = {
            **os.environ,
            "ZOOMLIVE_ADMIN_TOKEN": ADMIN_TOKEN,
            "ZOOMLIVE_DEMO_ACCOUNT_ID": DEMO_ACCOUNT,
            "ZOOMLIVE_DEMO_CLIENT_ID": DEMO_CLIENT,
            "ZOOMLIVE_DEMO_CLIENT_SECRET": DEMO_SECRET,
            **self.env,
        }
        fd, name = tempfile.mkstemp(prefix="zoomlive-server-", suffix=".log")
        os.close(fd)
        self.log = Path(name)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [ZOOMLIVE, "serve", "--port", str(self.port), "--db", self.db, *self.args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        return self

    def wait_ready(self, timeout: float = 60.0) -> ServerProcess:
        """Wait until the launched process answers its health check."""
        assert self.proc is not None, "launch() first"
        try:
            self.wait_http(self.base_url, self.proc, timeout)
        except RuntimeError:
            self.kill()  # not left running behind a failed test
            raise RuntimeError(f"server did not start: {self.output()}") from None
        return self

    @staticmethod
    def wait_http(base_url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
        """Wait until ``proc`` answers ``base_url``'s health check; RuntimeError if it
        exits or the time runs out first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/_zoomlive/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{base_url} did not answer in {timeout:.0f} s")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush. What a crash looks like."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@dataclass
class Api:
    """A thin raw-HTTP helper for server tests (no zoomlive client involved)."""

    base_url: str
    http: httpx.Client

    def admin(self, method: str, path: str, json: Any = None) -> httpx.Response:
        r = self.http.request(
            method,
            f"{self.base_url}/_zoomlive{path}",
            json=json,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert r.status_code < 300, r.text
        return r

    def admin_list(self, path: str, key: str) -> list[Any]:
        """Every item of a paged control-API list (``key``: ``meetings``, ``accounts``,
        …), walking ``next_page_token`` with the largest page."""
        items: list[Any] = []
        token = ""
        while True:
            sep = "&" if "?" in path else "?"
            page = self.admin("GET", f"{path}{sep}page_size=300&next_page_token={token}").json()
            items.extend(page[key])
            token = page["next_page_token"]
            if not token:
                return items

    def token(
        self,
        client_id: str = DEMO_CLIENT,
        secret: str = DEMO_SECRET,
        account_id: str = DEMO_ACCOUNT,
    ) -> str:
        r = self.http.post(
            f"{self.base_url}/oauth/token",
            data={"grant_type": "account_credentials", "account_id": account_id},
            headers={"Authorization": basic(client_id, secret)},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        return self.http.request(method, f"{self.base_url}/v2{path}", headers=headers, **kw)

    def new_account(self, **fields: Any) -> dict[str, Any]:
        """An account with a licensed host and an app holding every live stream scope."""
        account = self.admin("POST", "/accounts", {"plan": "pro", **fields}).json()
        host = self.admin("POST", f"/accounts/{account['id']}/users", {}).json()
        app = self.admin("POST", f"/accounts/{account['id']}/apps", {}).json()
        token = self.token(app["client_id"], app["client_secret"], account["id"])
        return {"account": account, "host": host, "app": app, "token": token}

    def new_meeting(self, host_id: str, kind: str = "meeting", **fields: Any) -> dict[str, Any]:
        return dict(self.admin("POST", f"/{kind}s", {"host_id": host_id, **fields}).json())


@contextlib.contextmanager
def running(db: str, **env: str) -> Iterator[ServerProcess]:
    srv = ServerProcess(db, env=env).start()
    try:
        yield srv
    finally:
        srv.stop()


@dataclass
class CliRecorder:
    """Runs ``zoomlive`` as a user would (a subprocess) and keeps every output, so
    the session can scan all of it for secrets at the end."""

    outputs: list[tuple[list[str], str]] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    server_logs: list[Path] = field(default_factory=list)

    def secret(self, *values: str) -> None:
        self.secrets.update(v for v in values if v)

    def run(
        self, api: Api, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = {
            **os.environ,
            "ZOOM_ACCOUNT_ID": DEMO_ACCOUNT,
            "ZOOM_CLIENT_ID": DEMO_CLIENT,
            "ZOOM_CLIENT_SECRET": DEMO_SECRET,
            "ZOOM_API_BASE_URL": f"{api.base_url}/v2",
            "ZOOM_OAUTH_URL": f"{api.base_url}/oauth/token",
            **(env or {}),
        }
        r = subprocess.run(
            [ZOOMLIVE, *args], capture_output=True, text=True, env=full_env, timeout=300
        )
        self.outputs.append((list(args), r.stdout + r.stderr))
        return r

    def leaks(self) -> list[str]:
        found = []
        for args, text in self.outputs:
            explicit = "--show-secrets" in args or "--show-token" in args
            for s in self.secrets:
                if _shows(s, text) and not explicit:
                    found.append(f"{args[:2]} printed a secret ({len(s)} chars)")
        for log in self.server_logs:
            text = log.read_text(errors="replace") if log.exists() else ""
            body = text.split("68423085/livestream\n", 1)[-1]  # after the start banner
            for s in self.secrets - {DEMO_SECRET, ADMIN_TOKEN}:
                if _shows(s, body):
                    found.append(f"server log {log.name} holds a secret")
        return found


#: Secrets this short are looked for as whole words only.
SHORT_SECRET = 8


def _shows(secret: str, text: str) -> bool:
    """Whether ``text`` shows ``secret``. A short one (a meeting's 6-digit passcode)
    also occurs by chance inside a longer word, such as one of the 11-digit meeting
    ids a bulk report lists (seen once in a fresh-clone run), so it counts only with
    no letter or digit either side of it; a longer one counts anywhere."""
    if len(secret) > SHORT_SECRET:
        return secret in text
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", text) is not None


def pg_execute(url: str, *statements: str) -> list[list[Any]]:
    """Run SQL statements on PostgreSQL (autocommit); the rows of each."""
    import asyncio

    import asyncpg

    async def run() -> list[list[Any]]:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return [list(await conn.fetch(s)) for s in statements]
        finally:
            await conn.close()

    return asyncio.run(run())


@contextlib.contextmanager
def fresh_pg_database(base_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database beside ``base_url``'s, dropped afterwards."""
    name = f"zl_test_{os.getpid()}_{time.monotonic_ns()}"
    pg_execute(base_url, f"CREATE DATABASE {name}")
    try:
        yield base_url.rsplit("/", 1)[0] + "/" + name
    finally:
        pg_execute(base_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

"""Dependencies fail soft and visibly: Redis down or hung, PostgreSQL connections lost.

Real ``zoomlive serve`` processes over real HTTP. Redis and PostgreSQL are real; the
failures come from a closed port, a socket that never answers, a TCP proxy the test
breaks, and ``pg_terminate_backend`` on the real database.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from tests.server.proxy import TcpProxy, proxy_to, silent_listener
from tests.support import (
    DEMO_ACCOUNT,
    DEMO_CLIENT,
    DEMO_SECRET,
    Api,
    ServerProcess,
    basic,
    free_port,
    service_url,
)

LOCAL_HEADER = "X-Zoomlive-RateLimit"
CALLS = 1000


def _log_lines(srv: ServerProcess) -> list[str]:
    return srv.output().splitlines()


def _health(base: str) -> dict[str, Any]:
    r = httpx.get(f"{base}/_zoomlive/health", timeout=5)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _wait_health(base: str, status: str, poke: Any = None, within: float = 15.0) -> dict[str, Any]:
    """Poll health until it reports ``status`` (each poll may also make a call)."""
    deadline = time.monotonic() + within
    while True:
        if poke is not None:
            poke()
        body = _health(base)
        if body["status"] == status or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


async def _calls(
    base: str, token: str, n: int, concurrency: int = 20
) -> list[httpx.Response | str]:
    """``n`` GET livestream calls; a transport error or timeout is kept as its name."""
    out: list[httpx.Response | str] = []
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=3) as http:

        async def one() -> None:
            async with sem:
                try:
                    out.append(
                        await http.get(
                            "/v2/meetings/68423085/livestream",
                            headers={"Authorization": f"Bearer {token}"},
                        )
                    )
                except httpx.HTTPError as exc:
                    out.append(type(exc).__name__)

        await asyncio.gather(*(one() for _ in range(n)))
    return out


def _tally(results: list[httpx.Response | str]) -> Counter[str]:
    return Counter(r if isinstance(r, str) else str(r.status_code) for r in results)


# -- Redis ------------------------------------------------------------------------------


@contextlib.contextmanager
def _dead_redis(kind: str) -> Iterator[tuple[str, TcpProxy | None]]:
    if kind == "closed":
        yield f"redis://127.0.0.1:{free_port()}/0", None
        return
    with silent_listener() as p:
        yield f"redis://127.0.0.1:{p.port}/0", p


@contextlib.contextmanager
def _server(db: str, **env: str) -> Iterator[tuple[ServerProcess, Api]]:
    srv = ServerProcess(db, env=env).start()
    try:
        with httpx.Client(timeout=10) as http:
            yield srv, Api(srv.base_url, http)
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", ["closed", "silent"])
def test_unreachable_redis_api_keeps_answering(kind: str) -> None:
    """1,000 calls with Redis refused or hung: no 5xx, no hang, rate limits counted
    in the process and the answers say so, health degraded, a few log lines."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        _dead_redis(kind) as (url, hung),
        _server(str(Path(tmp) / "r.db"), ZOOMLIVE_REDIS_URL=url) as (srv, api),
    ):
        api.admin("PATCH", f"/accounts/{DEMO_ACCOUNT}", {"rate_limit_qps": 1_000_000})
        token = api.token()
        before = len(_log_lines(srv))
        started = time.perf_counter()
        results = asyncio.run(_calls(srv.base_url, token, CALLS))
        elapsed = time.perf_counter() - started
        health = _health(srv.base_url)
        new_lines = _log_lines(srv)[before:]
        tally = _tally(results)
        print(f"\nredis {kind}: {dict(tally)} in {elapsed:.1f}s; health {health}; "
                  f"{len(new_lines)} log lines: {new_lines[:5]}")  # fmt: skip
        assert tally == {"200": CALLS}
        ok = [r for r in results if isinstance(r, httpx.Response)]
        assert all(r.headers.get(LOCAL_HEADER) == "local" for r in ok)
        assert all(r.headers.get("X-RateLimit-Limit") == "1000000" for r in ok)
        assert health["status"] == "degraded", health
        assert "redis" in health["dependencies"]["redis"].lower(), health
        assert health["dependencies"]["database"] == "ok", health
        assert len(new_lines) <= 3, new_lines
        assert not any("Traceback" in line for line in new_lines)
        if hung is not None:
            # Not a try per request: the calls in flight when it hung (up to 20),
            # then at most one a second.
            print(f"connections to the hung Redis: {hung.accepted}")
            assert hung.accepted <= 20 + elapsed + 2, hung.accepted


def test_redis_comes_back() -> None:
    """Shared counters again, and health ok, once Redis answers again: after a hang
    and after dropped connections."""
    real = urlsplit(service_url("ZOOMLIVE_TEST_REDIS_URL"))
    with (
        tempfile.TemporaryDirectory() as tmp,
        proxy_to(real.hostname or "", real.port or 6379) as p,
    ):
        url = urlunsplit(real._replace(netloc=f"127.0.0.1:{p.port}"))
        with _server(str(Path(tmp) / "r.db"), ZOOMLIVE_REDIS_URL=url) as (srv, api):
            api.admin("PATCH", f"/accounts/{DEMO_ACCOUNT}", {"rate_limit_qps": 1_000_000})
            token = api.token()

            def call() -> httpx.Response:
                r = api.call("GET", "/meetings/68423085/livestream", token)
                assert r.status_code == 200, r.text
                return r

            assert LOCAL_HEADER not in call().headers
            health = _health(srv.base_url)
            assert (health["status"], health["dependencies"]) == (
                "ok",
                {"database": "ok", "redis": "ok"},
            )
            before = len(_log_lines(srv))
            for broken in ("silent", "drop"):
                p.set_mode(broken)
                assert _wait_health(srv.base_url, "degraded", call)["status"] == "degraded"
                assert call().headers[LOCAL_HEADER] == "local"
                p.set_mode("forward")
                assert _wait_health(srv.base_url, "ok", call)["status"] == "ok"
                assert LOCAL_HEADER not in call().headers
            new_lines = _log_lines(srv)[before:]
            print(f"\nredis back twice; {len(new_lines)} log lines: {new_lines[:6]}")
            # One line when it fails and one when it is back, per episode.
            assert len(new_lines) <= 4, new_lines


HUNG_LIMIT = 20
HUNG_OFFERED = 60
HUNG_SECONDS = 4
#: How long after its count a request is answered, at most (the journal's ``at``): a
#: handler's few reads, far less on a loaded machine than this.
COUNTED_WITHIN = 0.3


async def _offer_then_hang(base: str, token: str, p: TcpProxy) -> tuple[int, Counter[str]]:
    """HUNG_OFFERED livestream GETs a second for HUNG_SECONDS from a second boundary;
    Redis hangs (the proxy goes silent) one second in. Returns the first second and
    the answers counted locally, by status."""
    local: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        await asyncio.gather(*(http.get("/_zoomlive/health") for _ in range(20)))
        start = int(time.time()) + 1

        async def hang() -> None:
            await asyncio.sleep(start + 1 - time.time())
            p.set_mode("silent")

        async def one(i: int) -> None:
            await asyncio.sleep(max(0.0, start + i / HUNG_OFFERED - time.time()))  # pacing
            r = await http.get(
                "/v2/meetings/68423085/livestream", headers={"Authorization": f"Bearer {token}"}
            )
            assert r.status_code in (200, 429), r.text
            if r.headers.get(LOCAL_HEADER) == "local":
                local[str(r.status_code)] += 1

        await asyncio.gather(hang(), *(one(i) for i in range(HUNG_OFFERED * HUNG_SECONDS)))
        return start, local


def test_hung_redis_admits_no_more_than_the_limit_in_any_second() -> None:
    """Three times a 20/s limit offered while Redis hangs: each second of real time
    admits at most 20 (README: each process counts Zoom's limits alone). A request
    that waited on the hung Redis counts in the second it is answered in, not the one
    it arrived in, so it cannot start the current window over.

    The server's journal places each admitted request: it was counted after it
    arrived and at most COUNTED_WITHIN before it was answered (the wait on Redis comes
    before the count). A request counts in a second only when that whole interval lies
    in it, so the figures are lower bounds of what each second admitted."""
    from tests.e2e.testing.test_rate_limit_accuracy import journal_spans

    real = urlsplit(service_url("ZOOMLIVE_TEST_REDIS_URL"))
    with (
        tempfile.TemporaryDirectory() as tmp,
        proxy_to(real.hostname or "", real.port or 6379) as p,
    ):
        url = urlunsplit(real._replace(netloc=f"127.0.0.1:{p.port}"))
        with _server(str(Path(tmp) / "r.db"), ZOOMLIVE_REDIS_URL=url) as (srv, api):
            api.admin("PATCH", f"/accounts/{DEMO_ACCOUNT}", {"rate_limit_qps": HUNG_LIMIT})
            token = api.token()
            first = api.call("GET", "/meetings/68423085/livestream", token)
            assert LOCAL_HEADER not in first.headers
            api.admin("DELETE", "/journal")
            start, local = asyncio.run(_offer_then_hang(srv.base_url, token, p))
            assert _health(srv.base_url)["status"] == "degraded"
            spans = journal_spans([api], 200)
    admitted: Counter[int] = Counter()
    for arrived, answered in spans:
        earliest = max(arrived, answered - COUNTED_WITHIN)
        if int(earliest) == int(answered):
            admitted[int(answered) - start] += 1
    print(f"\nadmitted per second (the hang from second 1): {sorted(admitted.items())}; "
          f"answered locally: {dict(local)}")  # fmt: skip
    assert all(n <= HUNG_LIMIT for n in admitted.values()), sorted(admitted.items())
    # The offer did press on the local counters, and the measure placed their admits.
    assert local["200"] and local["429"], local
    assert sum(n for k, n in admitted.items() if k >= 2) >= HUNG_LIMIT, admitted


# -- PostgreSQL -------------------------------------------------------------------------

TERMINATE = (
    "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t"
)


def _zoom_503(r: httpx.Response) -> bool:
    if r.status_code != 503 or not r.headers.get("x-zm-trackingid"):
        return False
    try:
        body = r.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and set(body) == {"code", "message"}
        and isinstance(body["code"], int)
        and isinstance(body["message"], str)
    )


@dataclass
class Writer:
    """One client, owning one meeting: it writes unique keys and reads them back."""

    meeting: int
    seq: int = 0
    acks: int = 0
    #: The last key answered 204, and the keys written after it whose outcome the
    #: client cannot know (a 503): the meeting must hold one of these.
    acked: str | None = None
    unknown: list[str] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def allowed(self) -> set[str] | None:
        return None if self.acked is None else {self.acked, *self.unknown}

    def check(self, what: str, r: httpx.Response) -> None:
        self.answers[f"{what} {r.status_code}"] += 1
        if not (200 <= r.status_code < 300 or _zoom_503(r)):
            self.bad.append(f"{what} {r.status_code} {r.headers.get('content-type')} {r.text!r}")

    def read_back(self, r: httpx.Response, when: str) -> None:
        allowed = self.allowed()
        if r.status_code == 200 and allowed is not None:
            key = r.json()["stream_key"]
            if key not in allowed:
                self.lost.append(f"{when}: meeting {self.meeting} holds {key}, not {allowed}")

    async def run(self, http: httpx.AsyncClient, stop: asyncio.Event) -> None:
        path = f"/v2/meetings/{self.meeting}/livestream"
        while not stop.is_set():
            self.seq += 1
            key = f"k{self.meeting}-{self.seq}"
            body = {"stream_url": "rtmp://x/app", "stream_key": key, "page_url": "https://p/x"}
            try:
                r = await http.patch(path, json=body)
            except httpx.HTTPError as exc:
                self.bad.append(f"PATCH {type(exc).__name__}")
                self.unknown.append(key)
            else:
                self.check("PATCH", r)
                if r.status_code == 204:
                    self.acked, self.unknown, self.acks = key, [], self.acks + 1
                else:
                    self.unknown.append(key)
            try:
                r = await http.get(path)
            except httpx.HTTPError as exc:
                self.bad.append(f"GET {type(exc).__name__}")
                continue
            self.check("GET", r)
            self.read_back(r, "during")


async def _until(cond: Any, within: float) -> bool:
    deadline = time.monotonic() + within
    while not cond():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def _storm(base: str, token: str, meetings: list[int], pg: str) -> dict[str, Any]:
    clients = [Writer(m) for m in meetings]
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    headers = {"Authorization": f"Bearer {token}"}
    terminated: list[int] = []
    progressed: list[bool] = []
    # 30 s: an answer slower than that is a hang (it was 10 s, which a loaded 2-core
    # machine can take for a request queued behind 32 clients' reconnections).
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits, headers=headers) as http:
        tasks = [asyncio.create_task(c.run(http, stop)) for c in clients]
        admin = await asyncpg.connect(pg)
        try:
            for _ in range(3):
                # Each round waits until every client has had 5 more writes acknowledged.
                base_acks = [c.acks for c in clients]
                progressed.append(
                    await _until(
                        lambda b=base_acks: all(
                            c.acks >= n + 5 for c, n in zip(clients, b, strict=True)
                        ),
                        90,  # the deadline of a stall, not a pace (it was 30 s)
                    )
                )
                if len(terminated) < 2:
                    terminated.append(int(await admin.fetchval(TERMINATE)))
        finally:
            stop.set()
            await asyncio.gather(*tasks)
            await admin.close()
        for c in clients:  # after the storm: the last acknowledged key reads back
            r = await http.get(f"/v2/meetings/{c.meeting}/livestream")
            c.check("GET", r)
            c.read_back(r, "after")
    answers: Counter[str] = Counter()
    for c in clients:
        answers.update(c.answers)
    return {
        "terminated": terminated,
        "progressed": progressed,
        "answers": dict(answers),
        "acks": sum(c.acks for c in clients),
        "bad": [b for c in clients for b in c.bad],
        "lost": [lost for c in clients for lost in c.lost],
        "checked": sum(1 for c in clients if c.acked is not None),
    }


def test_postgres_connections_terminated_under_load() -> None:
    """2 rounds of pg_terminate_backend under 32 clients: every answer is 2xx or a
    Zoom-shaped 503, and every acknowledged write reads back."""
    pg = service_url("ZOOMLIVE_TEST_POSTGRES_URL")
    with _server(pg, ZOOMLIVE_RATE_LIMITS="0") as (srv, api):
        api.admin("POST", "/reset", {"demo": True})
        host = api.admin("GET", "/meetings/68423085").json()["host_id"]
        meetings = [int(api.new_meeting(host)["id"]) for _ in range(32)]
        token = api.token()
        before = len(_log_lines(srv))
        report = asyncio.run(_storm(srv.base_url, token, meetings, pg))
        new_lines = _log_lines(srv)[before:]
        print(f"\npg storm: { {k: v for k, v in report.items() if k not in ('bad', 'lost')} }; "
              f"bad {len(report['bad'])} {report['bad'][:5]}; lost {report['lost'][:5]}; "
              f"{len(new_lines)} log lines: {new_lines[:5]}")  # fmt: skip
        assert all(n > 0 for n in report["terminated"]), report["terminated"]
        assert report["bad"] == []
        assert report["lost"] == []
        assert report["checked"] == len(meetings)
        assert report["progressed"] == [True, True, True]
        assert not any("Traceback" in line for line in new_lines)


def test_postgres_unreachable_then_back() -> None:
    """PostgreSQL gone (every connection dropped): Zoom-shaped 503s, health degraded
    naming the database; back: 200s and health ok, with no restart."""
    real = urlsplit(service_url("ZOOMLIVE_TEST_POSTGRES_URL"))
    with proxy_to(real.hostname or "", real.port or 5432) as p:
        netloc = f"{real.username}@127.0.0.1:{p.port}" if real.username else f"127.0.0.1:{p.port}"
        url = urlunsplit(real._replace(netloc=netloc))
        with _server(url, ZOOMLIVE_RATE_LIMITS="0") as (srv, api):
            api.admin("POST", "/reset", {"demo": True})
            token = api.token()
            path = "/meetings/68423085/livestream"
            assert api.call("GET", path, token).status_code == 200
            before = len(_log_lines(srv))
            p.set_mode("drop")
            answers = [api.call("GET", path, token) for _ in range(50)]
            # Litestar's routes too (the token endpoint), not only the fast path.
            answers.append(
                api.http.post(
                    f"{api.base_url}/oauth/token",
                    data={"grant_type": "account_credentials", "account_id": DEMO_ACCOUNT},
                    headers={"Authorization": basic(DEMO_CLIENT, DEMO_SECRET)},
                )
            )
            assert all(_zoom_503(r) for r in answers), [(r.status_code, r.text) for r in answers]
            health = _health(srv.base_url)
            assert health["status"] == "degraded", health
            assert "database" in health["dependencies"]["database"].lower(), health
            p.set_mode("forward")
            assert _wait_health(srv.base_url, "ok")["status"] == "ok"
            assert api.call("GET", path, token).status_code == 200
            new_lines = _log_lines(srv)[before:]
            print(f"\npg unreachable: {len(new_lines)} log lines: {new_lines[:6]}")
            assert len(new_lines) <= 4, new_lines

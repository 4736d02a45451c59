"""The client against the real server over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import tomllib
from typing import TypedDict

import pytest

from tests.support import DEMO_ACCOUNT, DEMO_CLIENT, DEMO_SECRET, ROOT, Api, start_of_second
from zoomlive.client import (
    AsyncClient,
    AuthenticationError,
    Client,
    NotFound,
    PermissionDenied,
    RateLimitExceeded,
    RetryPolicy,
    TransportError,
    ValidationError,
)


class Seed(TypedDict):
    stream_url: str
    stream_key: str
    page_url: str


SEED: Seed = {
    "stream_url": "rtmp://live.example.com/app",
    "stream_key": "secret-key-1",
    "page_url": "https://e.x/p",
}


def make_client(api: Api, **kw: object) -> Client:
    return Client(
        account_id=DEMO_ACCOUNT, client_id=DEMO_CLIENT, client_secret=DEMO_SECRET,
        base_url=f"{api.base_url}/v2", oauth_url=f"{api.base_url}/oauth/token", **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def make_async(api: Api, **kw: object) -> AsyncClient:
    return AsyncClient(
        account_id=DEMO_ACCOUNT, client_id=DEMO_CLIENT, client_secret=DEMO_SECRET,
        base_url=f"{api.base_url}/v2", oauth_url=f"{api.base_url}/oauth/token", **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def webinar_id(api: Api) -> int:
    return int(
        next(
            m["id"]
            for m in api.admin("GET", "/meetings").json()["meetings"]
            if m["kind"] == "webinar"
        )
    )


def test_every_operation_sync(api: Api) -> None:
    with make_client(api) as client:
        for ns, oid in ((client.meetings, 68423085), (client.webinars, webinar_id(api))):
            ns.livestream.update(oid, **SEED, resolution="1080p")
            got = ns.livestream.get(oid)
            assert (got.stream_url, got.stream_key, got.page_url, got.resolution) == (
                SEED["stream_url"], SEED["stream_key"], SEED["page_url"], "1080p",
            )  # fmt: skip
            assert "secret-key-1" not in repr(got)
            ns.livestream.start(oid, display_name="Live", active_speaker_name=True)
            assert api.admin("GET", f"/meetings/{oid}").json()["stream_live"] is True
            ns.livestream.stop(oid)
            assert api.admin("GET", f"/meetings/{oid}").json()["stream_live"] is False


def test_every_operation_async(api: Api) -> None:
    wid = webinar_id(api)

    async def run() -> None:
        async with make_async(api) as client:
            for ns, oid in ((client.meetings, 68423085), (client.webinars, wid)):
                await ns.livestream.update(oid, **SEED)
                assert (await ns.livestream.get(oid)).stream_key == SEED["stream_key"]
                await ns.livestream.start(
                    oid, layout="speaker_view"
                ) if ns is client.meetings else await ns.livestream.start(oid)
                assert api.admin("GET", f"/meetings/{oid}").json()["stream_live"] is True
                await ns.livestream.stop(oid)
                assert api.admin("GET", f"/meetings/{oid}").json()["stream_live"] is False

    asyncio.run(run())


def test_errors_raise_typed_exceptions(api: Api) -> None:
    with make_client(api) as client:
        with pytest.raises(NotFound) as nf:
            client.meetings.livestream.get(12345678901)
        assert (nf.value.status, nf.value.code) == (404, 3001)
        assert nf.value.message == "Meeting does not exist: 12345678901."
        assert nf.value.tracking_id
        with pytest.raises(ValidationError) as ve:
            client.meetings.livestream.start(68423085)
        assert (ve.value.status, ve.value.code) == (400, 3000)
        with pytest.raises(ValueError):
            client.meetings.livestream.get(-1)
        with pytest.raises(ValueError):
            client.meetings.livestream.update(
                68423085, stream_url="u", stream_key="k", page_url="no uri"
            )
    with Client(access_token="bogus", base_url=f"{api.base_url}/v2") as bad:
        with pytest.raises(AuthenticationError) as ae:
            bad.meetings.livestream.get(68423085)
        assert (ae.value.status, ae.value.code, ae.value.message) == (
            401,
            124,
            "Invalid access token.",
        )
    account = api.admin("GET", "/accounts").json()["accounts"][0]["id"]
    app = api.admin(
        "POST", f"/accounts/{account}/apps", {"scopes": ["meeting:read:livestream"]}
    ).json()
    with Client(
        account_id=account, client_id=app["client_id"], client_secret=app["client_secret"],
        base_url=f"{api.base_url}/v2", oauth_url=f"{api.base_url}/oauth/token",
    ) as limited:  # fmt: skip
        with pytest.raises(PermissionDenied) as pd:
            limited.meetings.livestream.update(68423085, **SEED)
        assert (pd.value.status, pd.value.code) == (400, 4711)


def test_50_concurrent_calls_on_a_cold_client_fetch_one_token(api: Api) -> None:
    before = api.admin("GET", f"/apps/{DEMO_CLIENT}/tokens").json()["issued"]

    async def run() -> None:
        async with make_async(api) as client:
            await asyncio.gather(*(client.meetings.livestream.get(68423085) for _ in range(50)))

    asyncio.run(run())
    assert api.admin("GET", f"/apps/{DEMO_CLIENT}/tokens").json()["issued"] == before + 1

    import concurrent.futures

    before = api.admin("GET", f"/apps/{DEMO_CLIENT}/tokens").json()["issued"]
    with make_client(api) as client, concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: client.meetings.livestream.get(68423085), range(50)))
    assert api.admin("GET", f"/apps/{DEMO_CLIENT}/tokens").json()["issued"] == before + 1


def test_expired_token_is_refreshed_once(api: Api) -> None:
    with make_client(api) as client:
        client.meetings.livestream.get(68423085)
        issued = api.admin("GET", f"/apps/{DEMO_CLIENT}/tokens").json()["issued"]
        api.admin("POST", "/tokens/expire", {"client_id": DEMO_CLIENT})
        assert client.meetings.livestream.get(68423085).stream_url == ""
        assert api.admin("GET", f"/apps/{DEMO_CLIENT}/tokens").json()["issued"] == issued + 1


def test_qps_429_waits_retry_after_then_succeeds(limited_api: Api) -> None:
    api = limited_api
    api.admin("POST", "/reset", {"demo": True})
    account = api.admin("GET", "/accounts").json()["accounts"][0]["id"]
    api.admin("PATCH", f"/accounts/{account}", {"rate_limit_qps": 2})
    before = api.admin("GET", "/stats").json()["rate_limited"]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)  # really wait: the retry must land in a later window

    with make_client(api, sleep=sleep) as client:
        client.fetch_token()  # outside the timed calls
        start_of_second()  # five calls from a window's start: the third meets a 429
        for _ in range(5):
            client.meetings.livestream.get(68423085)
    rejected = api.admin("GET", "/stats").json()["rate_limited"] - before
    assert rejected >= 1, "5 calls at 2/s met a 429"
    # One wait per 429, each what Retry-After said (whole seconds, at least 1).
    assert waits == [1.0] * rejected


def test_daily_limit_raises_without_retry(limited_api: Api) -> None:
    api = limited_api
    api.admin("POST", "/reset", {"demo": True})
    account = api.admin("GET", "/accounts").json()["accounts"][0]["id"]
    api.admin("PATCH", f"/accounts/{account}", {"plan": "free", "rate_limit_daily": 2})
    slept: list[float] = []
    with make_client(api, sleep=slept.append, retry=RetryPolicy(max_attempts=5)) as client:
        client.meetings.livestream.get(68423085)
        client.meetings.livestream.get(68423085)
        with pytest.raises(RateLimitExceeded) as rl:
            client.meetings.livestream.get(68423085)
    assert slept == []
    assert rl.value.limit_type == "Daily-limit"
    assert rl.value.retry_after is not None and 0 < rl.value.retry_after <= 86400


def test_server_errors_and_transport_errors_retry_with_backoff(api: Api) -> None:
    """A 503 and a dropped connection (the real server's faults) are retried after the
    policy's backoff; drops that persist raise ``TransportError`` after the last try."""
    live = "/v2/meetings/*/livestream"
    api.admin("POST", "/faults", {"action": "error", "path": live, "status": 503, "times": 1})
    api.admin("POST", "/faults", {"action": "drop", "path": live, "times": 1})
    slept: list[float] = []
    policy = RetryPolicy(rng=lambda: 1.0)  # the top of each jitter range: exact figures
    with make_client(api, sleep=slept.append, retry=policy) as client:
        assert client.meetings.livestream.get(68423085).stream_url == ""
    assert slept == [policy.backoff_base, policy.backoff_base * 2]
    entries = api.admin_list(f"/journal?path={live}", "entries")
    assert [(e["status"], e["fault_id"] is not None) for e in entries] == [
        (503, True),
        (200, True),
        (200, False),
    ]  # fmt: skip  (a drop is journaled with the 200 it promised, then never sent)

    api.admin("POST", "/faults", {"action": "drop", "path": live, "times": None})
    slept.clear()
    with (
        make_client(
            api, sleep=slept.append, retry=RetryPolicy(max_attempts=3, rng=lambda: 1.0)
        ) as client,
        pytest.raises(TransportError),
    ):
        client.meetings.livestream.get(68423085)
    assert slept == [0.5, 1.0]  # three tries, two waits, then the error


def test_base_install_needs_no_server_or_cli_libraries() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(d.split(">")[0].split("=")[0] for d in deps) == ["httpx", "msgspec"]
    blocked = [
        "litestar",
        "sqlalchemy",
        "alembic",
        "uvicorn",
        "typer",
        "rich",
        "redis",
        "asyncpg",
        "aiosqlite",
    ]
    code = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {blocked!r}:
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import zoomlive.client as c
client = c.Client(access_token='x', base_url='http://127.0.0.1:9/v2')
client.close()
print('ok', sorted(m for m in sys.modules if m.split('.')[0] in {blocked!r}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok []"

"""Every acknowledged write survives a SIGKILL of the server process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.support import ADMIN_TOKEN, Api, ServerProcess, fresh_pg_database


def _db(backend: str, stack: contextlib.ExitStack) -> str:
    if backend == "postgres":
        return stack.enter_context(fresh_pg_database(os.environ["ZOOMLIVE_TEST_POSTGRES_URL"]))
    return str(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "kill.db")


async def _hammer(
    base: str, token: str, ids: list[int], acked: dict[int, str], stop: threading.Event
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        sem = asyncio.Semaphore(32)

        async def one(i: int, meeting_id: int) -> None:
            key = f"key-{i}-{meeting_id}"
            async with sem:
                if stop.is_set():
                    return
                try:
                    r = await http.patch(
                        f"/v2/meetings/{meeting_id}/livestream",
                        json={
                            "stream_url": "rtmp://x/app",
                            "stream_key": key,
                            "page_url": "https://p/x",
                        },
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.HTTPError:
                    return
                if r.status_code == 204:
                    acked[meeting_id] = key

        await asyncio.gather(*(one(i, m) for i, m in enumerate(ids)))


def test_acknowledged_writes_survive_sigkill(backend: str) -> None:
    with contextlib.ExitStack() as stack:
        db = _db(backend, stack)
        srv = ServerProcess(db, env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
        try:
            with httpx.Client(timeout=10) as http:
                api = Api(srv.base_url, http)
                api.admin("POST", "/reset", {"demo": True})
                host = api.admin("GET", "/meetings/68423085").json()["host_id"]
                ids = [api.new_meeting(host)["id"] for _ in range(150)]
                token = api.token()
            acked: dict[int, str] = {}
            stop = threading.Event()
            worker = threading.Thread(
                target=lambda: asyncio.run(_hammer(srv.base_url, token, ids, acked, stop))
            )
            worker.start()
            deadline = time.monotonic() + 10
            while len(acked) < 60 and time.monotonic() < deadline:
                time.sleep(0.005)
            srv.kill()  # mid-flight: some requests are still in the air
            stop.set()
            worker.join(15)
            assert len(acked) >= 60, "enough writes were acknowledged before the kill"
        finally:
            srv.stop()

        again = ServerProcess(db, port=srv.port).start()
        try:
            with httpx.Client(timeout=10) as http:
                api = Api(again.base_url, http)
                lost = []
                for meeting_id, key in acked.items():
                    row = http.get(
                        f"{again.base_url}/_zoomlive/meetings/{meeting_id}",
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                    ).json()
                    if row["stream_key"] != key or not row["configured"]:
                        lost.append(meeting_id)
                assert lost == [], f"{len(lost)} of {len(acked)} acknowledged writes lost"
                # The token issued before the crash is still valid after it.
                r = api.call("GET", "/meetings/68423085/livestream", token)
                assert r.status_code == 200
        finally:
            again.stop()

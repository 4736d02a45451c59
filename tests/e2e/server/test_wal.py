"""Bounded storage: the SQLite WAL stays under 64 MiB under sustained writes.

Under constant writes a background checkpoint never catches the writer, so SQLite
never restarts the WAL on its own and the file would grow without end; the writer
restarts it between batches once it holds 32 MiB (``restart_wal``). Driven by wrk
(Debian's package; .ci/run installs it) at its maximum rate for 20 s against a real
server: at that rate an unrestarted WAL passes 64 MiB within seconds, so 20 s holds
several restarts (``bench/wal_restart.py`` measures the writer's pause for them).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import httpx
import pytest

from tests.support import Api, ServerProcess

LIMIT = 64 * 1024 * 1024
SECONDS = 20
MEETINGS = 1000

LUA = """
wrk.method = "PATCH"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Content-Type"] = "application/json"
local ids = {%(ids)s}
local n = 0
request = function()
  n = n + 1
  local body = '{"stream_url":"rtmp://live.example.com/app","stream_key":"key-' .. n ..
    '","page_url":"https://example.com/live/' .. n .. '"}'
  local id = ids[math.random(#ids)]
  return wrk.format(nil, "/v2/meetings/" .. id .. "/livestream", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d\\n", summary.requests, summary.errors.status))
end
"""


def _wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        import os

        if os.environ.get("ZOOMLIVE_REQUIRE_SERVICES") == "1":
            pytest.fail("wrk is required here (apt-get install wrk)")
        pytest.skip("wrk not installed")
    return path


def test_wal_stays_under_64_mib_through_20_s_of_maximum_rate_patches() -> None:
    wrk = _wrk()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "wal.db"
        wal = Path(f"{db}-wal")
        srv = ServerProcess(str(db), env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
        try:
            with httpx.Client(timeout=10) as http:
                api = Api(srv.base_url, http)
                token = api.token()
                host = api.admin("GET", "/meetings/68423085").json()["host_id"]
                # Random ids over many rows: each batch dirties many pages, as a
                # shared emulator's traffic does.
                ids = [api.new_meeting(host, status="started")["id"] for _ in range(MEETINGS)]
            script = Path(tmp) / "patch.lua"
            script.write_text(LUA % {"token": token, "ids": ",".join(map(str, ids))})
            sizes: list[int] = []
            done = threading.Event()

            def watch() -> None:
                while not done.wait(0.1):
                    if wal.exists():
                        sizes.append(wal.stat().st_size)

            watcher = threading.Thread(target=watch)
            watcher.start()
            try:
                out = subprocess.run(
                    [wrk, "-t2", "-c64", f"-d{SECONDS}s", "-s", str(script), srv.base_url],
                    capture_output=True,
                    text=True,
                    timeout=SECONDS + 60,
                    check=True,
                ).stdout
            finally:
                done.set()
                watcher.join()
            requests, bad = (int(x) for x in out.split("RESULT ")[1].split()[:2])
        finally:
            srv.stop()
    print(f"{requests} PATCHes in {SECONDS} s, max WAL {max(sizes) / 2**20:.1f} MiB")
    assert bad == 0
    assert requests > SECONDS * 500  # it really was sustained load
    assert max(sizes) <= LIMIT, f"WAL reached {max(sizes) / 2**20:.1f} MiB"

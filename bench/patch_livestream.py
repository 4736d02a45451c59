"""PATCH livestream under load (token check, validation, durable write) vs a bare ASGI app.

Runs both on uvicorn (one worker, uvloop + httptools, as `zoomlive serve` does) on
127.0.0.1, drives each with wrk at 64 connections, and prints requests/s, p50/p99
latency and the server's peak RSS. Needs wrk (Debian: apt-get install wrk).

    .venv/bin/python bench/patch_livestream.py [--seconds 10] [--connections 64] [--runs 1]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

LUA = """
wrk.method = "PATCH"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local body = '{"stream_url":"rtmp://live.example.com/app","stream_key":"key-' .. n ..
    '","page_url":"https://example.com/live/' .. n .. '","resolution":"720p"}'
  return wrk.format(nil, "/v2/meetings/68423085/livestream", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_wrk(url: str, lua: str, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", f.name, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(f.name)
    m = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    assert m, out
    requests, duration_us, p50, p99, bad = map(int, m.groups())
    return {
        "rps": requests / (duration_us / 1e6),
        "p50_ms": p50 / 1000,
        "p99_ms": p99 / 1000,
        "non_2xx": bad,
    }


def bench_bare(seconds: int, connections: int) -> dict[str, float]:
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "uvicorn"), "bare_app:app", "--port", str(port), "--loop", "uvloop",
         "--http", "httptools", "--log-level", "warning", "--no-access-log"],
        cwd=HERE,
    )  # fmt: skip
    try:
        wait_up(f"http://127.0.0.1:{port}/")
        lua = LUA % {"token": "x"}
        res = run_wrk(f"http://127.0.0.1:{port}", lua, seconds, connections)
        res["peak_rss_mib"] = peak_rss_mib(proc.pid)
        return res
    finally:
        proc.terminate()
        proc.wait()


def bench_zoomlive(seconds: int, connections: int, db_url: str | None) -> dict[str, float]:
    port = free_port()
    tmp = tempfile.mkdtemp()
    env = {
        **os.environ,
        "ZOOMLIVE_RATE_LIMITS": "0",
        "ZOOMLIVE_ADMIN_TOKEN": "bench",
        "ZOOMLIVE_DEMO_CLIENT_ID": "bench-client",
        "ZOOMLIVE_DEMO_CLIENT_SECRET": "bench-secret",
        "ZOOMLIVE_DEMO_ACCOUNT_ID": "benchaccount",
    }
    db = db_url or str(Path(tmp) / "bench.db")
    proc = subprocess.Popen(
        [str(BIN / "zoomlive"), "serve", "--port", str(port), "--db", db],
        env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(f"{base}/_zoomlive/health")
        httpx.post(f"{base}/_zoomlive/reset", json={"demo": True},
                   headers={"Authorization": "Bearer bench"}).raise_for_status()  # fmt: skip
        auth = base64.b64encode(b"bench-client:bench-secret").decode()
        token = httpx.post(
            f"{base}/oauth/token",
            data={"grant_type": "account_credentials", "account_id": "benchaccount"},
            headers={"Authorization": f"Basic {auth}"},
        ).json()["access_token"]
        res = run_wrk(base, LUA % {"token": token}, seconds, connections)
        res["peak_rss_mib"] = peak_rss_mib(proc.pid)
        stats = httpx.get(
            f"{base}/_zoomlive/stats", headers={"Authorization": "Bearer bench"}
        ).json()
        res["writes_per_commit"] = stats["writes"] / max(stats["write_batches"], 1)
        return res
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()
    rows: list[tuple[dict[str, float], dict[str, float]]] = []
    for _ in range(args.runs):
        rows.append((bench_bare(args.seconds, args.connections),
                     bench_zoomlive(args.seconds, args.connections, args.db)))  # fmt: skip

    def med(i: int, key: str) -> float:
        return statistics.median(r[i][key] for r in rows)

    report = {
        "connections": args.connections,
        "seconds": args.seconds,
        "runs": args.runs,
        "bare": {k: round(med(0, k), 2) for k in rows[0][0]},
        "zoomlive": {k: round(med(1, k), 2) for k in rows[0][1]},
    }
    report["ratio_to_bare"] = round(report["zoomlive"]["rps"] / report["bare"]["rps"], 3)  # type: ignore[index]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

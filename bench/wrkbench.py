"""Shared by the wrk-driven benchmarks: servers on free ports, wrk runs, whole-run medians.

Every server runs on uvicorn with one worker, uvloop and httptools (as `zoomlive serve`
does), on 127.0.0.1. wrk runs 2 threads; its Lua ``done`` hook prints one ``RESULT``
line (requests, duration, p50, p99 in µs, non-2xx/3xx answers) that ``run_wrk`` parses.

The zoomlive side shared by ``patch_livestream.py`` and ``scale.py``: the server's
environment (``zoomlive_env``, with ``--media`` passed through), the demo reset with its
rate limit lifted and a token (``prepare``), and the PATCH bodies and request scripts
wrk runs (``BODY_LUA``, ``PATCH_LUA``, ``RANDOM_ID_LUA``).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

#: Appended to every wrk script: the figures ``run_wrk`` reads.
DONE_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status))
end
"""

Result = dict[str, Any]

#: The control API's token in every benchmark server's environment.
ADMIN = {"Authorization": "Bearer bench"}
#: The demo account's per-second limit while measuring: the limiter counts every
#: request (and answers ``X-RateLimit-*``) but refuses none.
LIFTED_QPS = 1_000_000

# Each thread numbers its bodies; the stream key and page URL change every request
# so that every PATCH writes.
BODY_LUA = """
local n = 0
local body = function()
  n = n + 1
  return '{"stream_url":"rtmp://live.example.com/app","stream_key":"key-' .. n ..
    '","page_url":"https://example.com/live/' .. n .. '","resolution":"720p"}'
end
"""

#: PATCH livestream with the bearer token ``%(token)s``: prepend a ``request``.
PATCH_LUA = (
    BODY_LUA
    + """
wrk.method = "PATCH"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Content-Type"] = "application/json"
"""
)

#: Each wrk thread its own random sequence (seeded by its number, so runs repeat);
#: ``random_id()`` is a meeting id, ``%(ids)s`` a Lua expression for it.
RANDOM_ID_LUA = """
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
init = function(args)
  math.randomseed(7919 * seed)
end
local random_id = function()
  return %(ids)s
end
"""


def add_media_arg(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "--media",
        choices=("off", "auto"),
        default=None,
        help="ZOOMLIVE_MEDIA for the server (default: unset, the shipped configuration)",
    )


def zoomlive_env(media: str | None = None, **extra: str) -> dict[str, str]:
    """The server's environment: this one without any ``ZOOMLIVE_*``, then the bench's
    admin token and demo credentials, ``ZOOMLIVE_MEDIA`` when given, and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOOMLIVE_")}
    env.update(
        ZOOMLIVE_ADMIN_TOKEN="bench",
        ZOOMLIVE_DEMO_CLIENT_ID="bench-client",
        ZOOMLIVE_DEMO_CLIENT_SECRET="bench-secret",
        ZOOMLIVE_DEMO_ACCOUNT_ID="benchaccount",
    )
    if media is not None:
        env["ZOOMLIVE_MEDIA"] = media
    env.update(extra)
    return env


def prepare(http: httpx.Client) -> tuple[str, dict[str, Any]]:
    """Reset with the demo, lift its rate limit, get a token: (token, demo)."""
    seeded = http.post("/_zoomlive/reset", json={"demo": True}, headers=ADMIN)
    seeded.raise_for_status()
    demo: dict[str, Any] = seeded.json()["demo"]
    http.patch(
        f"/_zoomlive/accounts/{demo['account_id']}",
        json={"rate_limit_qps": LIFTED_QPS},
        headers=ADMIN,
    ).raise_for_status()
    basic = base64.b64encode(b"bench-client:bench-secret").decode()
    token = http.post(
        "/oauth/token",
        data={"grant_type": "account_credentials", "account_id": demo["account_id"]},
        headers={"Authorization": f"Basic {basic}"},
    ).json()["access_token"]
    return str(token), demo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before {url} answered")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s")


def peak_rss_mib(pid: int) -> float:
    """The process's high-water resident set (VmHWM), read before it exits."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def run_wrk(url: str, lua: str, seconds: int, connections: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua + DONE_LUA)
    try:
        threads = min(2, connections)  # wrk needs a connection per thread
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", f.name, url]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    m = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if m is None:
        raise RuntimeError(f"wrk printed no RESULT line:\n{out}")
    requests, duration_us, p50, p99, bad = map(int, m.groups())
    return {
        "rps": round(requests / (duration_us / 1e6)),
        "p50_ms": round(p50 / 1000, 2),
        "p99_ms": round(p99 / 1000, 2),
        "requests": requests,
        "non_2xx": bad,
    }


def uvicorn_cmd(target: str, port: int, *extra: str) -> list[str]:
    """uvicorn on the settings `zoomlive serve` uses: one worker, uvloop, httptools."""
    return [
        str(BIN / "uvicorn"), target, "--port", str(port), "--loop", "uvloop",
        "--http", "httptools", "--log-level", "warning", "--no-access-log", *extra,
    ]  # fmt: skip


@contextmanager
def server(cmd: Sequence[str], health_url: str, **popen: Any) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(list(cmd), **popen)
    try:
        wait_up(health_url, proc)
        yield proc
    finally:
        proc.terminate()
        proc.wait()


def bench_bare(seconds: int, connections: int, lua: str) -> Result:
    """The baseline: ``bare_app.py`` (answers 204 to anything) under the same load."""
    port = free_port()
    with server(uvicorn_cmd("bare_app:app", port), f"http://127.0.0.1:{port}/", cwd=HERE) as p:
        res = run_wrk(f"http://127.0.0.1:{port}", lua, seconds, connections)
        res["peak_rss_mib"] = peak_rss_mib(p.pid)
    return res


def median_run(runs: Sequence[Result]) -> Result:
    """The run whose req/s is the median, reported whole (all its figures together).

    With an even number of runs, the lower of the two middle runs."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[(len(ordered) - 1) // 2]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def markdown_table(median: dict[str, Result]) -> str:
    """The median runs as the README's table (the same figures as the JSON)."""
    lines = [
        "| setup | run | requests/s | ratio to bare (same run) | p50 | p99 | peak RSS | non-2xx "
        "| writes/commit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in median.items():
        ratio = f"{r['ratio_to_bare']:.3f}" if "ratio_to_bare" in r else "1"
        wpc = f"{r['writes_per_commit']}" if "writes_per_commit" in r else "-"
        lines.append(
            f"| {name} | {r['run']} | {r['rps']:,} | {ratio} | {r['p50_ms']} ms | {r['p99_ms']} ms "
            f"| {r['peak_rss_mib']} MiB | {r['non_2xx']} | {wpc} |"
        )
    return "\n".join(lines)

"""20 concurrent 720p live streams for 30 s into nginx-rtmp, with the PATCH benchmark
run once before the streams (media off: no stream live) and once while they run.

Prints, per setup: PATCH req/s (and the ratio while streaming to before), each
stream's video frames at nginx as a fraction of real time (from nginx's recordings),
and the media worker's CPU (share of one core) and RSS, in all and per stream (from its
RSS with the first stream live: the first start starts the worker), and the API
process's RSS with one stream live and with all of them.

    .venv/bin/python bench/media_streams.py --streams 20 --seconds 30 --patch-seconds 5

Needs wrk and nginx with the RTMP module (`apt-get install wrk nginx libnginx-mod-rtmp`).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from wrkbench import BIN, free_port, load_average, run_wrk, server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.server.rtmp import Nginx

ADMIN = {"Authorization": "Bearer bench"}
PATCH_LUA = """
local n = 0
wrk.method = "PATCH"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local body = '{"stream_url":"rtmp://live.example.com/app","stream_key":"key-' .. n ..
    '","page_url":"https://example.com/live/' .. n .. '","resolution":"720p"}'
  return wrk.format(nil, "/v2/meetings/68423085/livestream", nil, body)
end
"""


def video_frames(path: Path) -> tuple[int, float]:
    """Video packets in a recording and the span of their timestamps (s)."""
    import av

    with av.open(str(path)) as c:
        ts = [
            float(p.dts * p.time_base)
            for p in c.demux(c.streams.video[0])
            if p.size and p.dts is not None and p.time_base is not None
        ]
    return len(ts), (ts[-1] - ts[0] + 1 / 30) if ts else 0.0


def status(http: httpx.Client, meeting_id: int, action: str, bearer: dict[str, str]) -> None:
    r = http.patch(
        f"/v2/meetings/{meeting_id}/livestream/status", json={"action": action}, headers=bearer
    )
    r.raise_for_status()


def worker_of(server_pid: int) -> psutil.Process:
    for child in psutil.Process(server_pid).children(recursive=True):
        if "zoomlive.server.media.worker" in " ".join(child.cmdline()):
            return child
    raise RuntimeError("no media worker")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--streams", type=int, default=20, help="at least 2")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--patch-seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    nginx = Nginx(tmp / "nginx").start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ZOOMLIVE_")},
        "ZOOMLIVE_ADMIN_TOKEN": "bench",
        "ZOOMLIVE_DEMO_CLIENT_ID": "bench-client",
        "ZOOMLIVE_DEMO_CLIENT_SECRET": "bench-secret",
        "ZOOMLIVE_DEMO_ACCOUNT_ID": "benchaccount",
    }
    cmd = [str(BIN / "zoomlive"), "serve", "--port", str(port), "--db", str(tmp / "b.db")]
    out: dict[str, object] = {"load_before": load_average()}
    try:
        with (
            server(cmd, f"{base}/_zoomlive/health", env=env, stdout=subprocess.DEVNULL) as proc,
            httpx.Client(base_url=base, timeout=30) as http,
        ):
            demo = http.post("/_zoomlive/reset", json={"demo": True}, headers=ADMIN).json()["demo"]
            http.patch(
                f"/_zoomlive/accounts/{demo['account_id']}",
                json={"rate_limit_qps": 1_000_000},
                headers=ADMIN,
            ).raise_for_status()
            auth = base64.b64encode(b"bench-client:bench-secret").decode()
            token = http.post(
                "/oauth/token",
                data={"grant_type": "account_credentials", "account_id": demo["account_id"]},
                headers={"Authorization": f"Basic {auth}"},
            ).json()["access_token"]
            bearer = {"Authorization": f"Bearer {token}"}
            lua = PATCH_LUA % {"token": token}
            off = run_wrk(base, lua, args.patch_seconds, args.connections)

            ids = []
            for i in range(args.streams):
                m = http.post(
                    "/_zoomlive/meetings",
                    json={"host_id": demo["host_id"], "status": "started", "topic": f"s{i}"},
                    headers=ADMIN,
                ).json()
                body = {"stream_url": nginx.url, "stream_key": f"s{i}", "page_url": "https://e.x/"}
                r = http.patch(f"/v2/meetings/{m['id']}/livestream", json=body, headers=bearer)
                r.raise_for_status()
                ids.append(m["id"])
            # The first start starts the worker: its RSS with one stream live is the
            # base the other streams' cost is measured from.
            status(http, ids[0], "start", bearer)
            Nginx.wait_for(lambda: ("live", "s0") in nginx.publishers(), 30, "s0 not published")
            worker = worker_of(proc.pid)
            rss_one = worker.memory_info().rss
            api = psutil.Process(proc.pid)
            api_rss_one = api.memory_info().rss
            for mid in ids[1:]:
                status(http, mid, "start", bearer)
            keys = {("live", f"s{i}") for i in range(args.streams)}
            Nginx.wait_for(lambda: keys <= nginx.publishers(), 60, "not all streams published")
            t0 = time.monotonic()
            cpu0 = sum(worker.cpu_times()[:2])
            api_cpu0 = sum(api.cpu_times()[:2])
            Nginx.wait_for(lambda: time.monotonic() - t0 >= 5, 10, "")
            during = run_wrk(base, lua, args.patch_seconds, args.connections)
            Nginx.wait_for(lambda: time.monotonic() - t0 >= args.seconds, args.seconds + 60, "")
            cpu1 = sum(worker.cpu_times()[:2])
            api_cpu1 = sum(api.cpu_times()[:2])
            elapsed = time.monotonic() - t0
            rss_live = worker.memory_info().rss
            api_rss_live = api.memory_info().rss
            for mid in ids:
                status(http, mid, "stop", bearer)
            Nginx.wait_for(lambda: not (keys & nginx.publishers()), 10, "streams did not stop")
            out["load_after"] = load_average()
    finally:
        nginx.stop()
    ratios = []
    for i in range(args.streams):
        frames, span = video_frames(nginx.recording(f"s{i}")[0])
        ratios.append(frames / (30 * span))
    out.update(
        streams=args.streams,
        seconds=round(elapsed, 1),
        patch_rps_media_off=off["rps"],
        patch_rps_streaming=during["rps"],
        patch_ratio=round(during["rps"] / off["rps"], 3),
        patch_p99_ms_off=off["p99_ms"],
        patch_p99_ms_streaming=during["p99_ms"],
        frames_vs_real_time_min=round(min(ratios), 3),
        frames_vs_real_time_median=round(sorted(ratios)[len(ratios) // 2], 3),
        worker_cpu_core_share=round((cpu1 - cpu0) / elapsed, 3),
        worker_cpu_per_stream=round((cpu1 - cpu0) / elapsed / args.streams, 4),
        api_cpu_core_share_streaming=round((api_cpu1 - api_cpu0) / elapsed, 3),
        worker_rss_one_stream_mib=round(rss_one / 2**20, 1),
        worker_rss_live_mib=round(rss_live / 2**20, 1),
        worker_rss_per_stream_mib=round((rss_live - rss_one) / 2**20 / (args.streams - 1), 2),
        api_rss_one_stream_mib=round(api_rss_one / 2**20, 1),
        api_rss_all_streams_mib=round(api_rss_live / 2**20, 1),
    )
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

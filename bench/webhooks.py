"""Webhook throughput: 1,000 start/stop transitions -> 1,000 signed deliveries.

Starts `zoomlive serve` (SQLite) and a receiver on 127.0.0.1, subscribes the demo
app, drives 1,000 alternating start/stop status changes on meeting 68423085, and
waits for the deliveries. Prints deliveries, duplicates (by x-zm-request-id),
losses, and delivery latency (arrival minus the event's ``event_ts``).
Baseline in the same run: the receiver's own round trip for a bare POST.

    .venv/bin/python bench/webhooks.py [--transitions 1000] [--db URL]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent
SECRET = "bench-webhook-secret"
ADMIN = {"Authorization": "Bearer bench"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    def __init__(self) -> None:
        self.got: list[tuple[float, dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                at = time.time()
                data = json.loads(body)
                if data["event"] == "endpoint.url_validation":
                    plain = data["payload"]["plainToken"]
                    enc = hmac.new(SECRET.encode(), plain.encode(), hashlib.sha256).hexdigest()
                    out = json.dumps({"plainToken": plain, "encryptedToken": enc}).encode()
                else:
                    out = b""
                    with sink.lock:
                        sink.got.append((at, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transitions", type=int, default=1000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    n = args.transitions
    sink = Sink()
    port = free_port()
    tmp = tempfile.mkdtemp()
    env = {**os.environ, "ZOOMLIVE_RATE_LIMITS": "0", "ZOOMLIVE_ADMIN_TOKEN": "bench",
           "ZOOMLIVE_DEMO_CLIENT_ID": "bc", "ZOOMLIVE_DEMO_CLIENT_SECRET": "bs",
           "ZOOMLIVE_DEMO_ACCOUNT_ID": "ba"}  # fmt: skip
    proc = subprocess.Popen(
        [str(BIN / "zoomlive"), "serve", "--port", str(port), "--db", args.db or f"{tmp}/wh.db"],
        env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            for _ in range(200):
                try:
                    http.get("/_zoomlive/health")
                    break
                except httpx.HTTPError:
                    time.sleep(0.05)
            http.post("/_zoomlive/reset", json={"demo": True}, headers=ADMIN).raise_for_status()
            wanted = {"url": sink.url, "secret_token": SECRET}
            sub = http.put("/_zoomlive/apps/bc/subscription", json=wanted, headers=ADMIN).json()
            assert sub["enabled"], sub
            basic = base64.b64encode(b"bc:bs").decode()
            token = http.post("/oauth/token", data={"grant_type": "account_credentials",
                              "account_id": "ba"}, headers={"Authorization": f"Basic {basic}"}
                              ).json()["access_token"]  # fmt: skip
            auth = {"Authorization": f"Bearer {token}"}
            http.patch("/v2/meetings/68423085/livestream", headers=auth,
                       json={"stream_url": "rtmp://x/y", "stream_key": "k",
                             "page_url": "https://p/q"}).raise_for_status()  # fmt: skip
            started = time.time()
            for i in range(n):
                action = "start" if i % 2 == 0 else "stop"
                r = http.patch("/v2/meetings/68423085/livestream/status", headers=auth,
                               json={"action": action})  # fmt: skip
                assert r.status_code == 204, r.text
            api_done = time.time()
            deadline = time.time() + 60
            while time.time() < deadline and len(sink.got) < n:
                time.sleep(0.02)
            time.sleep(1.0)  # let any duplicate show up
            total = time.time() - started
            bare = []
            with httpx.Client() as raw:
                for _ in range(200):
                    body = b'{"event":"bench.noop"}'
                    t0 = time.perf_counter()
                    raw.post(sink.url, content=body)
                    bare.append((time.perf_counter() - t0) * 1000)
            events, token = [], ""
            while True:  # every page of the paged list
                query = {"page_size": 300, "next_page_token": token}
                page = http.get("/_zoomlive/webhooks/events", headers=ADMIN, params=query).json()
                events.extend(page["events"])
                token = page["next_page_token"]
                if not token:
                    break
    finally:
        proc.terminate()
        proc.wait()
        sink.server.shutdown()
    with sink.lock:
        got = list(sink.got)
    got = [g for g in got if json.loads(g[2])["event"] != "bench.noop"]
    ids = [h["x-zm-request-id"] for _, h, _ in got]
    latencies = sorted((at - json.loads(body)["event_ts"] / 1000) * 1000 for at, _, body in got)
    bad_sig = 0
    for _, h, body in got:
        mine = hmac.new(SECRET.encode(), f"v0:{h['x-zm-request-timestamp']}:".encode() + body,
                        hashlib.sha256).hexdigest()  # fmt: skip
        bad_sig += h["x-zm-signature"] != "v0=" + mine
    print(json.dumps({
        "transitions": n,
        "deliveries": len(got),
        "unique_request_ids": len(set(ids)),
        "duplicates": len(ids) - len(set(ids)),
        "lost": n - len(set(ids)),
        "bad_signatures": bad_sig,
        "outbox_delivered": sum(1 for e in events if e["status"] == "delivered"),
        "latency_ms": {"p50": round(statistics.median(latencies), 2),
                       "p99": round(latencies[int(len(latencies) * 0.99) - 1], 2),
                       "max": round(latencies[-1], 2)},
        "api_seconds": round(api_done - started, 2),
        "all_delivered_seconds": round(total - 1.0, 2),
        "baseline_bare_post_to_receiver_ms": round(statistics.median(bare), 3),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()

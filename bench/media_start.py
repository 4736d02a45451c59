"""How long a live stream's ``start`` takes to reach the ingest: from the ``start``'s
204 to nginx-rtmp listing the publisher, for three starts on a fresh server.

* ``first``: the first stream (720p) of a server that has streamed nothing yet (the
  media worker is started by this ``start``, and encodes the audio and the variant);
* ``new_variant``: a second stream (1080p, another card) while the first is live;
* ``again``: the first stream stopped and started again (its variant already encoded).

Each start follows its stream's ``PATCH`` after ``--gap`` seconds (0: at once, as an
integration that configures and starts does). Medians over ``--runs`` fresh servers.

    .venv/bin/python bench/media_start.py [--runs 3] [--gap 0]

Needs nginx with the RTMP module (`apt-get install nginx libnginx-mod-rtmp`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from wrkbench import load_average

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.server.rtmp import Nginx
from tests.support import Api, ServerProcess


def one_run(tmp: Path, nginx: Nginx, gap: float) -> dict[str, float]:
    tmp.mkdir(parents=True, exist_ok=True)
    srv = ServerProcess(str(tmp / "start.db"), env={"ZOOMLIVE_RATE_LIMITS": "0"}).start()
    out: dict[str, float] = {}
    try:
        with httpx.Client(timeout=30) as http:
            api = Api(srv.base_url, http)
            acct = api.new_account()

            def configure(key: str, resolution: str) -> int:
                m = api.new_meeting(acct["host"]["id"], status="started", topic=f"Start {key}")
                body = {"stream_url": nginx.url, "stream_key": key,
                        "page_url": "https://e.x/p", "resolution": resolution}  # fmt: skip
                r = api.call("PATCH", f"/meetings/{m['id']}/livestream", acct["token"], json=body)
                r.raise_for_status()
                return int(m["id"])

            def status(meeting_id: int, action: str) -> None:
                r = api.call("PATCH", f"/meetings/{meeting_id}/livestream/status",
                             acct["token"], json={"action": action})  # fmt: skip
                r.raise_for_status()

            def publish(meeting_id: int, key: str) -> float:
                time.sleep(gap)
                status(meeting_id, "start")
                return nginx.wait_for(lambda: ("live", key) in nginx.publishers(), 30, key)

            suffix = f"{time.monotonic_ns()}"
            k720, k1080 = f"a{suffix}", f"b{suffix}"
            m720 = configure(k720, "720p")
            out["first"] = publish(m720, k720)
            m1080 = configure(k1080, "1080p")
            out["new_variant"] = publish(m1080, k1080)
            status(m720, "stop")
            nginx.wait_for(lambda: ("live", k720) not in nginx.publishers(), 5, "no stop")
            out["again"] = publish(m720, k720)
            status(m720, "stop")
            status(m1080, "stop")
    finally:
        srv.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--gap", type=float, default=0.0, help="seconds from PATCH to start")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    nginx = Nginx(tmp / "nginx").start()
    load_before = load_average()
    runs = []
    try:
        for i in range(args.runs):
            runs.append(one_run(tmp / f"run{i}", nginx, args.gap))
    finally:
        nginx.stop()
    report = {
        "gap_s": args.gap,
        "load_average_before_after": [load_before, load_average()],
        "median_s": {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]},
        "runs": [{k: round(v, 2) for k, v in r.items()} for r in runs],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

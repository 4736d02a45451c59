"""PATCH livestream under load (token check, rate limit, validation, durable write).

Runs `zoomlive serve` (one uvicorn worker, uvloop + httptools) on 127.0.0.1 with the
rate limiter ON, as shipped: the demo account's per-second limit is lifted through
the control API (``PATCH /_zoomlive/accounts/{id}`` ``{"rate_limit_qps": 1000000}``)
so that every request is counted but none is refused. Two variants:

* ``fixed``: every request patches meeting 68423085 (the demo meeting);
* ``random``: 1,000 meetings are created through the control API first and each
  request patches one of them at random.

Baseline in the same run: a bare ASGI app answering 204 (``bare_app.py``) on the same
uvicorn settings and load. Each run measures bare, fixed, random in that order, each
on a fresh server (and a fresh SQLite file). The figures reported for a setup are
those of its median run by req/s, whole (not the median of each figure separately);
its ratio is to the bare app of that same run. Needs wrk (Debian: apt-get install wrk).

    .venv/bin/python bench/patch_livestream.py [--seconds 8] [--runs 3] [--db URL]
        [--media auto|off]

``--db postgresql://...`` runs zoomlive on PostgreSQL instead of a fresh SQLite file
(the database is wiped by the control API's reset). ``--media off|auto`` sets the
server's ``ZOOMLIVE_MEDIA`` (default: unset, as shipped). The server's environment, the
demo setup and the Lua bodies are ``wrkbench``'s, shared with ``scale.py``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import httpx

from profiling import finish_profile, start_profile
from wrkbench import (
    ADMIN,
    BIN,
    LIFTED_QPS,
    PATCH_LUA,
    RANDOM_ID_LUA,
    Result,
    add_media_arg,
    bench_bare,
    free_port,
    load_average,
    markdown_table,
    median_run,
    peak_rss_mib,
    prepare,
    run_wrk,
    server,
    zoomlive_env,
)

DEMO_MEETING = 68423085

FIXED_LUA = (
    PATCH_LUA
    + """
request = function()
  return wrk.format(nil, "/v2/meetings/%(meeting)d/livestream", nil, body())
end
"""
)

RANDOM_LUA = (
    PATCH_LUA
    + """
local ids = {%(ids)s}
"""
    + RANDOM_ID_LUA % {"ids": "ids[math.random(#ids)]"}
    + """
request = function()
  return wrk.format(nil, "/v2/meetings/" .. random_id() .. "/livestream", nil, body())
end
"""
)


def all_meetings(http: httpx.Client) -> list[dict[str, object]]:
    """Every meeting, through the control API's pages."""
    out: list[dict[str, object]] = []
    token = ""
    while True:
        params = {"page_size": 300, "next_page_token": token}
        page = http.get("/_zoomlive/meetings", params=params, headers=ADMIN).json()
        out.extend(page["meetings"])
        token = page["next_page_token"]
        if not token:
            return out


def bench_zoomlive(
    seconds: int,
    connections: int,
    db_url: str | None,
    meetings: int,
    variant: str,
    cache_reads: str = "",
    profile: str = "",
    media: str | None = None,
) -> Result:
    """One fresh server under wrk."""
    port = free_port()
    tmp = tempfile.mkdtemp()
    env = zoomlive_env(media, ZOOMLIVE_RATE_LIMITS="1")
    if cache_reads:
        env["ZOOMLIVE_CACHE_READS"] = cache_reads
    db = db_url or str(Path(tmp) / "bench.db")
    base = f"http://127.0.0.1:{port}"
    cmd = [str(BIN / "zoomlive"), "serve", "--port", str(port), "--db", db]
    with (
        server(cmd, f"{base}/_zoomlive/health", env=env, stdout=subprocess.DEVNULL) as proc,
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        media_enabled = http.get("/_zoomlive/health").json()["media"]["enabled"]
        token, demo = prepare(http)
        if variant == "fixed":
            ids = [DEMO_MEETING]
            lua = FIXED_LUA % {"token": token, "meeting": DEMO_MEETING}
        else:
            ids = [
                http.post("/_zoomlive/meetings", json={"host_id": demo["host_id"]}, headers=ADMIN)
                .raise_for_status()
                .json()["id"]
                for _ in range(meetings)
            ]
            lua = RANDOM_LUA % {"token": token, "ids": ",".join(map(str, ids))}
        # One request by hand: the limiter is on and lifted (its headers say so).
        probe = http.patch(
            f"/v2/meetings/{ids[0]}/livestream",
            json={"stream_url": "rtmp://live.example.com/app", "stream_key": "probe",
                  "page_url": "https://example.com/live/probe", "resolution": "720p"},
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
        if probe.status_code != 204 or probe.headers.get("x-ratelimit-limit") != str(LIFTED_QPS):
            raise RuntimeError(f"probe: {probe.status_code} {dict(probe.headers)} {probe.text}")
        spy = start_profile(proc.pid, seconds, profile) if profile else None
        res = run_wrk(base, lua, seconds, connections)
        if spy is not None:
            res["profile"] = finish_profile(spy, profile)
        res["peak_rss_mib"] = peak_rss_mib(proc.pid)
        res["media_enabled"] = media_enabled
        stats = http.get("/_zoomlive/stats", headers=ADMIN).json()
        res["writes_per_commit"] = round(stats["writes"] / max(stats["write_batches"], 1), 1)
        res["rate_limited"] = stats["rate_limited"]
        res["meetings"] = len(ids)
        listed = all_meetings(http)
        res["meetings_patched"] = sum(
            1 for m in listed if m["id"] in set(ids) and m["stream_key"].startswith("key-")
        )
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--meetings", type=int, default=1000, help="meetings in the random variant")
    ap.add_argument("--variants", default="fixed,random")
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument(
        "--cache-reads",
        choices=("", "1", "0"),
        default="",
        help="ZOOMLIVE_CACHE_READS for the server (default: the server's, on for SQLite only)",
    )
    ap.add_argument(
        "--profile",
        default="",
        help="record the server with py-spy during each zoomlive run (collapsed stacks to "
        "this path prefix) and print where its samples are",
    )
    add_media_arg(ap)
    args = ap.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    bare_lua = FIXED_LUA % {"token": "x", "meeting": DEMO_MEETING}
    load_before = load_average()
    runs: list[dict[str, Result]] = []
    for _ in range(args.runs):
        run = {"bare": bench_bare(args.seconds, args.connections, bare_lua)}
        for v in variants:
            run[v] = bench_zoomlive(
                args.seconds, args.connections, args.db, args.meetings, v,
                cache_reads=args.cache_reads, media=args.media,
                profile=f"{args.profile}-{v}.txt" if args.profile else "",
            )  # fmt: skip
            run[v]["ratio_to_bare"] = round(run[v]["rps"] / run["bare"]["rps"], 3)
        for r in run.values():
            r["run"] = len(runs) + 1
        runs.append(run)
    report = {
        "connections": args.connections,
        "seconds": args.seconds,
        "runs": args.runs,
        "database": "postgresql" if args.db and "postgres" in args.db else "sqlite",
        "cache_reads": args.cache_reads or "server default (on for SQLite, off for PostgreSQL)",
        "media": args.media or "server default",
        "rate_limiter": f"on, demo account's limit lifted to {LIFTED_QPS} req/s",
        "load_average_before_after": [load_before, load_average()],
        "median_run": {k: median_run([r[k] for r in runs]) for k in ("bare", *variants)},
        "all_runs": runs,
    }
    print(json.dumps(report, indent=2))
    print(markdown_table(report["median_run"]))


if __name__ == "__main__":
    main()

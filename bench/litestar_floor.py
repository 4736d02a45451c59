"""Why the Zoom API has a door of its own (``routes.door``): Litestar's floor on this machine.

Three servers on the same uvicorn settings (one worker, uvloop + httptools), each
under the same wrk load (2 threads, 64 connections, 127.0.0.1), in one run:

* the bare ASGI app (``bare_app.py``, 204 to anything), GET /: the baseline;
* Litestar with one empty GET handler answering 204 (``litestar_empty.py``), GET /;
* with ``--patch`` (default on): zoomlive's PATCH livestream on meeting 68423085 as
  ``patch_livestream.py`` runs it (rate limiter on, limit lifted, SQLite), through the
  door (`zoomlive serve`), against a bare PATCH baseline. (Until the door served every
  ``/v2`` operation, a second variant ran the PATCH through Litestar's handlers; its
  figures are in bench/README.md.)

Figures are those of the median run by req/s for each setup, whole.

    .venv/bin/python bench/litestar_floor.py [--seconds 8] [--runs 3] [--no-patch]
"""

from __future__ import annotations

import argparse
import json

from patch_livestream import DEMO_MEETING, FIXED_LUA, bench_zoomlive
from wrkbench import HERE as BENCH_DIR
from wrkbench import (
    Result,
    bench_bare,
    free_port,
    load_average,
    markdown_table,
    median_run,
    peak_rss_mib,
    run_wrk,
    server,
    uvicorn_cmd,
)

GET_LUA = 'wrk.method = "GET"\n'


def bench_litestar_empty(seconds: int, connections: int) -> Result:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server(uvicorn_cmd("litestar_empty:app", port), f"{base}/", cwd=BENCH_DIR) as proc:
        res = run_wrk(base, GET_LUA, seconds, connections)
        res["peak_rss_mib"] = peak_rss_mib(proc.pid)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-patch", dest="patch", action="store_false")
    args = ap.parse_args()
    s, c = args.seconds, args.connections
    load_before = load_average()
    runs: list[dict[str, Result]] = []
    for _ in range(args.runs):
        run = {
            "bare_get": bench_bare(s, c, GET_LUA),
            "litestar_empty_get": bench_litestar_empty(s, c),
        }
        run["litestar_empty_get"]["ratio_to_bare"] = round(
            run["litestar_empty_get"]["rps"] / run["bare_get"]["rps"], 3
        )
        if args.patch:
            patch_lua = FIXED_LUA % {"token": "x", "meeting": DEMO_MEETING}
            run["bare_patch"] = bench_bare(s, c, patch_lua)
            run["zoomlive"] = bench_zoomlive(s, c, None, 0, "fixed")
            run["zoomlive"]["ratio_to_bare"] = round(
                run["zoomlive"]["rps"] / run["bare_patch"]["rps"], 3
            )
        for r in run.values():
            r["run"] = len(runs) + 1
        runs.append(run)
    report = {
        "connections": c,
        "seconds": s,
        "runs": args.runs,
        "load_average_before_after": [load_before, load_average()],
        "median_run": {k: median_run([r[k] for r in runs]) for k in runs[0]},
        "all_runs": runs,
    }
    print(json.dumps(report, indent=2))
    print(markdown_table(report["median_run"]))


if __name__ == "__main__":
    main()

"""Scale: SQLite against PostgreSQL, one process against two workers, and data size.

Prints, in one run (each load wrk, 2 threads, 64 connections, 127.0.0.1):

* PATCH and GET livestream on random ids (1,000 meetings) for SQLite with one
  process, PostgreSQL with one process, and PostgreSQL with ``serve --workers 2``,
  with the rate limiter on and the demo account's limit lifted (as
  ``patch_livestream.py``); each against the bare ASGI app (``bare_app.py``) of the
  same run;
* peak RSS per server process (each worker's own, for the workers);
* random-id PATCH with 1 meeting and with 1,000,000 (SQLite) or 100,000
  (PostgreSQL) meetings in the database, and the servers' peak RSS;
* the server's CPU time per request (all its threads: user + system) for each load,
  which a shared machine's other work disturbs less than req/s;
* the time to load ``--bulk`` meetings (default 1,000,000) through the control
  API's bulk route (``POST /_zoomlive/meetings`` with JSON arrays) into a fresh
  SQLite server.

The large tables are filled with one SQL statement (a recursive CTE on SQLite,
``generate_series`` on PostgreSQL) while the server runs: the server keeps only
recently used rows in memory, so it reads the new rows from the database.

    .venv/bin/python bench/scale.py --db postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/scale.py --db … --seconds 5 --bulk 0   # skip the bulk load
    .venv/bin/python bench/scale.py --db … --seconds 4 --only sqlite-size --media off

``--repeat N`` runs the data-size pairs N times, alternating, and prints the median ratio.
``--only`` runs some sections (``compare``, ``sqlite-size``, ``pg-size`` or ``size`` for
both, ``bulk``); ``--media off|auto`` sets the servers' ``ZOOMLIVE_MEDIA`` (default: unset,
as shipped). The server's environment, the demo setup and the Lua bodies are
``wrkbench``'s, shared with ``patch_livestream.py``.

The PostgreSQL database is wiped (the control API's reset) before each setup.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]

from wrkbench import (
    ADMIN,
    BIN,
    PATCH_LUA,
    RANDOM_ID_LUA,
    add_media_arg,
    bench_bare,
    free_port,
    load_average,
    peak_rss_mib,
    prepare,
    run_wrk,
    zoomlive_env,
)

#: Filled meetings get ids from here up (11 digits, as Zoom's).
BASE_ID = 20_000_000_000

_RANDOM_ID = RANDOM_ID_LUA % {"ids": "%(base)d + math.random(%(n)d)"}

RANDOM_PATCH_LUA = (
    PATCH_LUA
    + _RANDOM_ID
    + """
request = function()
  return wrk.format(nil, "/v2/meetings/" .. random_id() .. "/livestream", nil, body())
end
"""
)

GET_LUA = (
    """
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer %(token)s"
"""
    + _RANDOM_ID
    + """
request = function()
  return wrk.format(nil, "/v2/meetings/" .. random_id() .. "/livestream")
end
"""
)

_COLUMNS = (
    "id, kind, uuid, account_id, host_id, topic, type, status, e2ee, start_time, timezone, "
    "duration, stream_url, stream_key, page_url, resolution, configured, stream_live"
)


def _values(x: str, account: str, host: str) -> str:
    return (
        f"{BASE_ID} + {x}, 'meeting', 'scale-' || {x}, '{account}', '{host}', 'scale', 2, "
        f"'waiting', FALSE, '2026-01-01T00:00:00Z', 'UTC', 60, '', '', '', NULL, FALSE, FALSE"
    )


def fill_sqlite(path: str, n: int, account: str, host: str) -> None:
    """``n`` meetings in one statement (a recursive CTE), beside the running server."""
    conn = sqlite3.connect(path, timeout=60)
    try:
        conn.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
            f"INSERT INTO zl_meetings ({_COLUMNS}) SELECT {_values('x', account, host)} FROM c",
            (n,),
        )
        conn.commit()
        # Fold the fill's WAL into the file now, not in the measured run (the server's
        # writer would truncate it between its batches).
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def fill_postgres(url: str, n: int, account: str, host: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                f"INSERT INTO zl_meetings ({_COLUMNS}) "
                f"SELECT {_values('x', account, host)} FROM generate_series(1, {int(n)}) AS x"
            )
            await conn.execute("ANALYZE zl_meetings")
        finally:
            await conn.close()

    asyncio.run(run())


@contextmanager
def zoomlive(
    db: str, workers: int = 1, media: str | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = zoomlive_env(media)
    cmd = [str(BIN / "zoomlive"), "serve", "--port", str(port), "--db", db]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/_zoomlive/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait()


def server_pids(proc: subprocess.Popen[bytes]) -> list[int]:
    """The processes serving: the workers under a supervisor, else the process."""
    children = psutil.Process(proc.pid).children()
    return [c.pid for c in children] or [proc.pid]


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU the server processes used so far (all their threads)."""
    total = 0.0
    for pid in pids:
        t = psutil.Process(pid).cpu_times()
        total += t.user + t.system
    return total


def measure(
    db: str,
    sqlite_path: str | None,
    workers: int,
    meetings: int,
    seconds: int,
    ops: list[str],
    media: str | None = None,
) -> dict[str, Any]:
    """One fresh server with ``meetings`` filled meetings: each op in ``ops`` under wrk."""
    out: dict[str, Any] = {"meetings": meetings, "workers": workers}
    with (
        zoomlive(db, workers, media) as (base, proc),
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        token, demo = prepare(http)
        t0 = time.monotonic()
        if sqlite_path is not None:
            fill_sqlite(sqlite_path, meetings, demo["account_id"], demo["host_id"])
        else:
            fill_postgres(db, meetings, demo["account_id"], demo["host_id"])
        out["fill_seconds"] = round(time.monotonic() - t0, 1)
        probe = http.get(
            f"/v2/meetings/{BASE_ID + meetings}/livestream",
            headers={"Authorization": f"Bearer {token}"},
        )
        if probe.status_code != 200:
            raise RuntimeError(f"probe: {probe.status_code} {probe.text}")
        pids = server_pids(proc)
        for op in ops:
            lua = (RANDOM_PATCH_LUA if op == "patch" else GET_LUA) % {
                "token": token, "base": BASE_ID, "n": meetings,
            }  # fmt: skip
            cpu = cpu_seconds(pids)
            out[op] = run_wrk(base, lua, seconds, 64)
            # Less at the mercy of other work on a shared machine than req/s is.
            used = cpu_seconds(pids) - cpu
            out[op]["cpu_us_per_request"] = round(used / max(out[op]["requests"], 1) * 1e6, 1)
        out["peak_rss_mib"] = [peak_rss_mib(pid) for pid in pids]
    return out


def bulk_load(n: int, per_request: int = 5_000, media: str | None = None) -> dict[str, Any]:
    """``n`` meetings through ``POST /_zoomlive/meetings`` (JSON arrays), fresh SQLite."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bulk.db")
        with (
            zoomlive(db, media=media) as (base, proc),
            httpx.Client(base_url=base, timeout=300) as http,
        ):
            _, demo = prepare(http)
            body = json.dumps([{"host_id": demo["host_id"]}] * per_request).encode()
            headers = {**ADMIN, "Content-Type": "application/json"}
            t0 = time.monotonic()
            done = 0
            while done < n:
                k = min(per_request, n - done)
                chunk = body if k == per_request else json.dumps(
                    [{"host_id": demo["host_id"]}] * k
                ).encode()  # fmt: skip
                r = http.post("/_zoomlive/meetings", content=chunk, headers=headers)
                r.raise_for_status()
                done += int(r.json()["created"])
            seconds = time.monotonic() - t0
            total = http.get("/_zoomlive/meetings?page_size=1", headers=ADMIN).json()
            return {
                "meetings": n,
                "seconds": round(seconds, 1),
                "per_second": round(n / seconds),
                "total_records": total["total_records"],
                "peak_rss_mib": peak_rss_mib(proc.pid),
            }


def _sqlite(tmp: str, name: str) -> tuple[str, str]:
    path = str(Path(tmp) / f"{name}.db")
    return path, path


#: What ``--only`` can pick (comma-separated); the default runs all of them.
SECTIONS = ("compare", "sqlite-size", "pg-size", "bulk")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True, help="PostgreSQL URL (wiped)")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--meetings", type=int, default=1000, help="for the comparison")
    ap.add_argument("--sqlite-large", type=int, default=1_000_000)
    ap.add_argument("--pg-large", type=int, default=100_000)
    ap.add_argument("--bulk", type=int, default=1_000_000, help="0 skips the bulk load")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="data size: run each 1-meeting / large pair this many times, alternating, "
        "and print each ratio and their median (a shared machine's speed drifts "
        "between two runs a few seconds apart)",
    )
    ap.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, of {', '.join(SECTIONS)}; "
        "'size' is sqlite-size,pg-size",
    )
    add_media_arg(ap)
    args = ap.parse_args()
    only = {x for x in args.only.split(",") if x}
    if "size" in only:
        only = (only - {"size"}) | {"sqlite-size", "pg-size"}
    unknown = only - set(SECTIONS)
    if unknown:
        ap.error(f"--only: unknown {', '.join(sorted(unknown))}")
    pg = args.db.replace("postgresql+asyncpg://", "postgresql://")
    media = args.media
    ops = ["patch", "get"]
    report: dict[str, Any] = {
        "load_average_before": load_average(),
        "media": media or "server default",
    }
    with tempfile.TemporaryDirectory() as tmp:
        if "compare" in only:
            bare_lua = RANDOM_PATCH_LUA % {"token": "x", "base": BASE_ID, "n": 1}
            report["bare"] = bench_bare(args.seconds, 64, bare_lua)
            cmp: dict[str, Any] = {}
            db, path = _sqlite(tmp, "cmp")
            cmp["sqlite_1_process"] = measure(db, path, 1, args.meetings, args.seconds, ops, media)
            cmp["postgresql_1_process"] = measure(
                pg, None, 1, args.meetings, args.seconds, ops, media
            )
            cmp["postgresql_2_workers"] = measure(
                pg, None, 2, args.meetings, args.seconds, ops, media
            )
            report["comparison"] = cmp
        rounds: list[dict[str, Any]] = []
        for n in range(args.repeat if only & {"sqlite-size", "pg-size"} else 0):
            size: dict[str, Any] = {}
            if "sqlite-size" in only:
                # A new file each round: a file reused would hold the last round's
                # million rows, deleted by the reset, and the new rows would land on
                # its scattered free pages.
                db, path = _sqlite(tmp, f"one-{n}")
                size["sqlite_1"] = measure(db, path, 1, 1, args.seconds, ["patch"], media)
                db, path = _sqlite(tmp, f"large-{n}")
                size[f"sqlite_{args.sqlite_large}"] = measure(
                    db, path, 1, args.sqlite_large, args.seconds, ["patch"], media
                )
                for name in (f"one-{n}", f"large-{n}"):
                    for f in Path(tmp).glob(f"{name}.db*"):
                        f.unlink()
            if "pg-size" in only:
                size["postgresql_1"] = measure(pg, None, 1, 1, args.seconds, ["patch"], media)
                size[f"postgresql_{args.pg_large}"] = measure(
                    pg, None, 1, args.pg_large, args.seconds, ["patch"], media
                )
            rounds.append(size)
        if rounds:
            report["data_size"] = rounds
    if args.bulk and "bulk" in only:
        report["bulk_load"] = bulk_load(args.bulk, media=media)
    report["load_average_after"] = load_average()
    print(json.dumps(report, indent=2))
    print(summary(report))


def summary(r: dict[str, Any]) -> str:
    lines = [
        f"load average before {r['load_average_before']}, after {r['load_average_after']}; "
        f"media {r['media']}",
    ]
    if "comparison" in r:
        lines += _comparison(r)
    if "data_size" in r:
        lines += _data_size(r["data_size"])
    if "bulk_load" in r:
        b = r["bulk_load"]
        lines.append(
            f"\nBulk route: {b['meetings']:,} meetings in {b['seconds']} s "
            f"({b['per_second']:,}/s; {b['total_records']:,} listed; "
            f"peak RSS {b['peak_rss_mib']} MiB)"
        )
    return "\n".join(lines)


def _comparison(r: dict[str, Any]) -> list[str]:
    bare = r["bare"]["rps"]
    lines = [
        f"bare ASGI: {bare:,} req/s, p99 {r['bare']['p99_ms']} ms",
        "",
        "| setup | op | req/s | ratio to SQLite | ratio to bare | p50 | p99 | non-2xx "
        "| peak RSS per process |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    cmp = r["comparison"]
    for name, res in cmp.items():
        for op in ("patch", "get"):
            x = res[op]
            ref = cmp["sqlite_1_process"][op]["rps"]
            lines.append(
                f"| {name} | {op.upper()} | {x['rps']:,} | {x['rps'] / ref:.2f} "
                f"| {x['rps'] / bare:.3f} | {x['p50_ms']} ms | {x['p99_ms']} ms "
                f"| {x['non_2xx']} | {', '.join(f'{m} MiB' for m in res['peak_rss_mib'])} |"
            )
    w2, w1 = cmp["postgresql_2_workers"], cmp["postgresql_1_process"]
    lines.append(
        f"\nPostgreSQL 2 workers / 1 process: PATCH {w2['patch']['rps'] / w1['patch']['rps']:.2f}, "
        f"GET {w2['get']['rps'] / w1['get']['rps']:.2f}"
    )
    return lines


def _data_size(rounds: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "| round | database | meetings | filled in | PATCH req/s | ratio to 1 meeting | p99 "
        "| server CPU per request | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    ratios: dict[str, list[float]] = {}
    for n, size in enumerate(rounds, 1):
        for name, res in size.items():
            kind = name.rsplit("_", 1)[0]
            one = size[kind + "_1"]["patch"]["rps"]
            x = res["patch"]
            if res["meetings"] > 1:
                ratios.setdefault(f"{kind} {res['meetings']:,}", []).append(x["rps"] / one)
            lines.append(
                f"| {n} | {kind} | {res['meetings']:,} | {res['fill_seconds']} s "
                f"| {x['rps']:,} | {x['rps'] / one:.2f} | {x['p99_ms']} ms "
                f"| {x['cpu_us_per_request']} µs | {res['peak_rss_mib'][0]} MiB |"
            )
    for name, rs in ratios.items():
        lines.append(
            f"\n{name} meetings / 1 meeting: median {statistics.median(rs):.2f} of "
            f"{len(rs)} ({', '.join(f'{r:.2f}' for r in rs)})"
        )
    return lines


if __name__ == "__main__":
    main()

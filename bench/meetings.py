"""Meeting create, meeting GET and (``--variants patch``) the live stream PATCH under
wrk, against a bare ASGI app, and (``--ref``) against another commit of zoomlive in the
same run. ``patch_livestream.py`` is the PATCH's own benchmark (rate limiter on); here
the PATCH runs with limits off, as the others do, for the A/B.

`POST /v2/users/me/meetings` (JSON, every body different: every request inserts a
meeting and queues nothing, no subscriber) and `GET /v2/meetings/{id}` (the demo
meeting, the whole 2025 object). One `zoomlive serve` process per setup, a fresh
SQLite file each (or `--db`), Zoom's rate limits off: the daily cap of 100 creates per
host would stop the create after its first hundred requests, and the limiter has its
own benchmark (`patch_livestream.py` runs with it on).

`--ref REF` runs the same load on `REF` (a commit, a tag, `main`) checked out into a
temporary worktree and served from its `src/` by this venv (its dependencies must be
this venv's), alternating with the current tree in each run: the A/B the redesign is
held to. Each run measures bare, then (`--ref`) before, then now; a setup's figures
are its median run by req/s, reported whole, its ratio to that run's bare app.

    .venv/bin/python bench/meetings.py --seconds 8 --runs 3
    .venv/bin/python bench/meetings.py --seconds 8 --runs 3 --ref e6f4d2f
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx

from wrkbench import (
    ADMIN,
    BIN,
    HERE,
    Result,
    bench_bare,
    free_port,
    load_average,
    markdown_table,
    median_run,
    peak_rss_mib,
    run_wrk,
    server,
    zoomlive_env,
)

DEMO_MEETING = 68423085

CREATE_LUA = """
local counter = 0
local token = "%(token)s"
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local minutes = counter %% 600 + 1
  local body = '{"topic":"bench ' .. counter .. '","type":2,"duration":' .. minutes .. '}'
  return wrk.format(nil, "/v2/users/me/meetings", nil, body)
end
"""

PATCH_LUA = """
local counter = 0
wrk.method = "PATCH"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local body = '{"stream_url":"rtmp://live.example.com/app","stream_key":"key-' .. counter ..
    '","page_url":"https://example.com/live/' .. counter .. '"}'
  return wrk.format(nil, "/v2/meetings/%(meeting)d/livestream", nil, body)
end
"""

GET_LUA = """
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  return wrk.format(nil, "/v2/meetings/%(meeting)d", nil, nil)
end
"""

#: What each variant's requests answer when they succeed.
EXPECTED = {"create": 201, "get": 200, "patch": 204}


@contextlib.contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """``ref`` in a temporary worktree of this repository, removed afterwards."""
    root = HERE.parent
    folder = Path(tempfile.mkdtemp(prefix="zoomlive-ref-"))
    subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(folder), ref],
                   check=True, capture_output=True)  # fmt: skip
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(folder)],
                       check=False, capture_output=True)  # fmt: skip


def bench_server(
    seconds: int, connections: int, variant: str, src: Path | None, db_url: str | None
) -> Result:
    """One fresh server (this tree's, or ``src``'s) under wrk."""
    port = free_port()
    tmp = tempfile.mkdtemp()
    env = zoomlive_env(None, ZOOMLIVE_RATE_LIMITS="0")
    if src is not None:
        env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    db = db_url or str(Path(tmp) / "bench.db")
    base = f"http://127.0.0.1:{port}"
    cmd = [str(BIN / "python"), "-m", "zoomlive", "serve", "--port", str(port), "--db", db]
    with (
        server(cmd, f"{base}/_zoomlive/health", env=env, stdout=subprocess.DEVNULL) as proc,
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        http.post("/_zoomlive/reset", json={"demo": True}, headers=ADMIN).raise_for_status()
        demo = http.get("/_zoomlive/demo", headers=ADMIN).json()
        token = http.post(
            "/oauth/token",
            params={"grant_type": "account_credentials", "account_id": demo["account_id"]},
            auth=(demo["client_id"], demo["client_secret"]),
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        if variant == "create":
            probe = http.post("/v2/users/me/meetings", json={"topic": "probe"}, headers=auth)
            lua = CREATE_LUA % {"token": token}
        elif variant == "patch":
            stream = {"stream_url": "rtmp://live.example.com/app", "stream_key": "probe",
                      "page_url": "https://example.com/live/probe"}  # fmt: skip
            probe = http.patch(f"/v2/meetings/{DEMO_MEETING}/livestream", json=stream,
                               headers=auth)  # fmt: skip
            lua = PATCH_LUA % {"token": token, "meeting": DEMO_MEETING}
        else:
            probe = http.get(f"/v2/meetings/{DEMO_MEETING}", headers=auth)
            lua = GET_LUA % {"token": token, "meeting": DEMO_MEETING}
        if probe.status_code != EXPECTED[variant]:
            raise RuntimeError(f"probe: {probe.status_code} {probe.text[:300]}")
        res = run_wrk(base, lua, seconds, connections)
        res["peak_rss_mib"] = peak_rss_mib(proc.pid)
        res["body_bytes"] = len(probe.content)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--variants", default="create,get")
    ap.add_argument("--ref", default="", help="a commit to hold the current tree against")
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()
    variants = args.variants.split(",")
    with contextlib.ExitStack() as stack:
        before = stack.enter_context(checkout(args.ref)) / "src" if args.ref else None
        runs: dict[str, list[Result]] = {}
        for n in range(args.runs):
            bare = bench_bare(
                args.seconds, args.connections, GET_LUA % {"token": "x", "meeting": 1}
            )
            bare["run"] = n + 1
            runs.setdefault("bare", []).append(bare)
            for variant in variants:
                setups = [(f"{variant} before ({args.ref})", before)] if before else []
                setups.append((f"{variant} now", None))
                for name, src in setups:
                    res = bench_server(args.seconds, args.connections, variant, src, args.db)
                    res["ratio_to_bare"] = round(res["rps"] / bare["rps"], 3)
                    res["run"] = n + 1
                    runs.setdefault(name, []).append(res)
                    print(json.dumps({name: res}), flush=True)
        median = {name: median_run(r) for name, r in runs.items()}
        for variant in variants if before else []:
            now, then = median[f"{variant} now"], median[f"{variant} before ({args.ref})"]
            now["ratio_to_before"] = round(now["rps"] / then["rps"], 3)
        print(json.dumps({"load": load_average(), "median": median}, indent=1))
        print(markdown_table(median))


if __name__ == "__main__":
    main()

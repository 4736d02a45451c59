"""Seed files: loaded at start in one transaction, unchanged by a restart, the same
format on ``POST /_zoomlive/seed``, and a bad file refused with the line of each problem."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support import ADMIN_TOKEN, ROOT, ZOOMLIVE, Api, ServerProcess, free_port

EXAMPLE = ROOT / "examples" / "seed.yaml"


def _admin(srv: ServerProcess, method: str, path: str, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    return httpx.request(method, f"{srv.base_url}/_zoomlive{path}", headers=headers, **kw)


def _token(srv: ServerProcess, client_id: str, secret: str, account: str) -> httpx.Response:
    query = {"grant_type": "account_credentials", "account_id": account}
    return httpx.post(f"{srv.base_url}/oauth/token", auth=(client_id, secret), params=query)


def _big_seed() -> dict[str, Any]:
    """2 accounts, 3 apps, 50 meetings (some with streams, some live)."""
    return {
        "accounts": [
            {"id": "acct-a", "users": [{"id": "host-a"}],
             "apps": [{"client_id": "app-a1", "client_secret": "secret-a1"},
                      {"client_id": "app-a2", "client_secret": "secret-a2",
                       "scopes": ["meeting:read:livestream"]}]},
            {"id": "acct-b", "plan": "business", "users": [{"id": "host-b"}],
             "apps": [{"client_id": "app-b1", "client_secret": "secret-b1"}]},
        ],
        "meetings": [
            {"id": 70000000000 + i, "host_id": "host-a" if i % 2 else "host-b",
             "status": "started" if i % 3 == 0 else "waiting",
             **({"stream": {"stream_url": f"rtmp://live.example.com/{i}",
                            "stream_key": f"key-{i}", "page_url": f"https://e.x/{i}",
                            "resolution": "720p", "live": i % 3 == 0}} if i % 5 else {})}
            for i in range(50)
        ],
    }  # fmt: skip


def _state(srv: ServerProcess) -> tuple[Any, ...]:
    with httpx.Client() as http:
        api = Api(srv.base_url, http)
        accounts = api.admin_list("/accounts", "accounts")
        apps = [api.admin_list(f"/accounts/{a['id']}/apps", "apps") for a in accounts]
        meetings = api.admin_list("/meetings", "meetings")
    return accounts, apps, meetings


def test_a_seed_loads_at_start_and_a_restart_changes_nothing() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.json"
        seed.write_text(json.dumps(_big_seed(), indent=1))
        db = str(Path(tmp) / "z.db")
        env = {"ZOOMLIVE_DEMO": "0"}
        srv = ServerProcess(db, env=env, args=["--seed", str(seed)]).start()
        try:
            first = _state(srv)
            assert [a["id"] for a in first[0]] == ["acct-a", "acct-b"]
            assert sum(len(a) for a in first[1]) == 3
            assert len(first[2]) == 50
            m3 = _admin(srv, "GET", "/meetings/70000000003").json()
            assert (m3["stream_url"], m3["stream_live"], m3["status"]) == (
                "rtmp://live.example.com/3", True, "started")  # fmt: skip
            token = _token(srv, "app-b1", "secret-b1", "acct-b")
            assert token.status_code == 200, token.text
        finally:
            srv.stop()
        again = ServerProcess(db, env=env, args=["--seed", str(seed)]).start()
        try:
            assert _state(again) == first
        finally:
            again.stop()


def test_the_example_seed_file_works() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(str(Path(tmp) / "z.db"), args=["--seed", str(EXAMPLE)]).start()
        try:
            token = _token(srv, "acme-app", "acme-app-secret-123", "acme-pro")
            assert token.status_code == 200, token.text
            bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
            live = httpx.get(f"{srv.base_url}/v2/meetings/81234567890/livestream", headers=bearer)
            assert live.json()["stream_key"] == "town-hall-key"
            faulted = httpx.get(f"{srv.base_url}/v2/meetings/81234567891/livestream",
                                headers=bearer)  # fmt: skip
            assert faulted.status_code == 503  # the seed's fault, once
            demo = _admin(srv, "GET", "/meetings/68423085")
            assert demo.status_code == 200, "the demo is seeded beside it"
        finally:
            srv.stop()


def test_a_bad_seed_file_is_refused_with_line_numbers(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "accounts:\n"
        "  - id: a\n"
        "    users:\n"
        "      - id: u\n"
        "meetings:\n"
        "  - id: 5\n"
        "    host_id: nobody\n"
        "  - id: 6\n"
        "    host_id: u\n"
        "    stream: {stream_url: r, stream_key: k, page_url: not a url}\n"
    )
    r = subprocess.run([ZOOMLIVE, "serve", "--port", str(free_port()), "--db",
                        str(tmp_path / "z.db"), "--seed", str(bad)],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "listening" not in r.stdout
    assert f"{bad}: line 7: host nobody is not a user in this file" in r.stderr, r.stderr
    assert f"{bad}: line 10: stream: Invalid parameter: page_url." in r.stderr, r.stderr
    assert not (tmp_path / "z.db").exists()

    typo = tmp_path / "typo.yaml"
    typo.write_text("accounts:\n  - id: a\n    plann: pro\n")
    r = subprocess.run([ZOOMLIVE, "serve", "--port", str(free_port()), "--seed", str(typo)],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 2 and f"{typo}: line 3: accounts[0].plann" in r.stderr, r.stderr


def test_post_seed_takes_the_same_format(api: Api) -> None:
    body = json.dumps(_big_seed()).encode()
    first = api.http.post(f"{api.base_url}/_zoomlive/seed", content=body,
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
    assert first.status_code == 200, first.text
    assert first.json()["seeded"] is True and first.json()["counts"]["meetings"] == 50
    again = api.http.post(f"{api.base_url}/_zoomlive/seed", content=body,
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
    assert again.json()["seeded"] is False, "the same seed twice changes nothing"
    bad = api.http.post(f"{api.base_url}/_zoomlive/seed",
                        content=b'{"accounts": [\n {"id": "x", "users": [{"id": 5}]}]}',
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["code"] == 300
    assert bad.json()["message"].startswith("body: line 2: accounts[0].users[0].id"), bad.text


# -- bad seeds: bounded, line-numbered, all or nothing ------------------------------------

_APP = {"client_id": "bad-app", "client_secret": "bad-app-secret"}


def _with(**sections: Any) -> dict[str, Any]:
    """A seed whose records are all fine but for what ``sections`` add."""
    account = {"id": "bad-acct", "users": [{"id": "bad-host"}], "apps": [dict(_APP)]}
    return {"accounts": [account], **sections}


def _app_named(name: str) -> dict[str, Any]:
    seed = _with()
    seed["accounts"][0]["apps"][0]["name"] = name
    return seed


def _alias_bomb() -> str:
    """The billion laughs, inside a seed: nine levels of nine aliases."""
    lines = ["x0: &l0 [{id: dup, users: [{id: u}]}]"]
    lines += [f"x{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "defs:\n" + "".join(f"  {line}\n" for line in lines) + "accounts: *l8\n"


def _bad_seeds() -> dict[str, tuple[str, str]]:
    """Each bad seed and a piece of the problem it must be refused with."""
    cases: dict[str, tuple[str, str]] = {}
    for url in ("ftp://example.com/hook", "javascript:alert(1)", "", "http://[::1",
                "http://example.com/\r\nX-Injected: 1", "http://exa mple.com/",
                "http://example.com:99999/", "http://example.com/\n"):  # fmt: skip
        seed = _with(subscriptions=[{"client_id": "bad-app", "url": url}])
        cases[f"url {url!r}"] = (json.dumps(seed, indent=1), "subscriptions[0].url")
    for value in ("a\r\nSet-Cookie: x=1", "a\n"):
        seed = _with(faults=[{"headers": {"X-Fault": value}}])
        cases[f"fault header {value!r}"] = (json.dumps(seed, indent=1), "faults[0].headers")
    for name in ("a\x00b", "a\nb", "trailing\n", "n" * 10_000):
        text = json.dumps(_app_named(name), indent=1)
        cases[f"app name {name[:12]!r}"] = (text, "accounts[0].apps[0].name")
    cases["5,000 deep (flow)"] = ('{"accounts": ' + "[" * 5000 + "]" * 5000 + "}", "nest")
    cases["5,000 deep (block)"] = ("- " * 5000 + "x\n", "nested more than")
    cases["alias bomb"] = (_alias_bomb(), "aliases add more than")
    five_mb = {"accounts": [{"id": f"acct-{i:07d}"} for i in range(150_000)]}
    cases["5 MB"] = (json.dumps(five_mb, indent=1), "goes past")
    return cases


_LINE = re.compile(r"^body: line \d+(, column \d+)?: ")


def _seen(api: Api) -> tuple[Any, ...]:
    """What a refused seed must not change: accounts, their users and apps, meetings."""
    accounts = api.admin_list("/accounts", "accounts")
    users = [api.admin_list(f"/accounts/{a['id']}/users", "users") for a in accounts]
    apps = [api.admin_list(f"/accounts/{a['id']}/apps", "apps") for a in accounts]
    return accounts, users, apps, api.admin_list("/meetings", "meetings")


class _Prober:
    """Times a Zoom API GET, over and over on its own connection, while the test does
    something else: the server's answer time to everyone else meanwhile."""

    def __init__(self, api: Api) -> None:
        self._url = f"{api.base_url}/v2/meetings/68423085/livestream"
        self._auth = {"Authorization": f"Bearer {api.token()}"}
        self._stop = threading.Event()
        self.times: list[float] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self._stop.is_set():
                started = time.perf_counter()
                assert http.get(self._url, headers=self._auth).status_code == 200
                self.times.append(time.perf_counter() - started)

    def __enter__(self) -> _Prober:
        self._thread.start()
        while not self.times:  # answering before the test starts
            time.sleep(0.005)
        self.times.clear()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def check(self) -> None:
        """Every answer came in under 100 ms: a seed read on the event loop stalls
        every answer for as long as it takes (1.4 s for 62 KB when it was)."""
        times = sorted(self.times)
        median, p95 = times[len(times) // 2], times[len(times) * 95 // 100]
        print(f"GET during the seed: {len(times)} answers, median {median:.4f}s, "
              f"p95 {p95:.4f}s, max {times[-1]:.4f}s")  # fmt: skip
        assert len(times) >= 5, times
        assert times[-1] < 0.1, self.times


def test_a_bad_seed_posted_is_refused_fast_with_its_line_and_writes_nothing(api: Api) -> None:
    """Every value the control API refuses, a seed file refuses too, with the line;
    past its bounds (size, depth, aliases) a seed is refused before it costs more,
    and the server keeps answering everyone else meanwhile."""
    before = _seen(api)
    seeds = [(name, text.encode(), expected) for name, (text, expected) in _bad_seeds().items()]
    with _Prober(api) as prober:
        for name, body_bytes, expected in seeds:
            started = time.perf_counter()
            r = api.http.post(f"{api.base_url}/_zoomlive/seed", content=body_bytes,
                              headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
            took = time.perf_counter() - started
            assert r.status_code == 400, (name, r.status_code, r.text[:500])
            body = r.json()
            assert body["code"] == 300 and r.headers["x-zm-trackingid"], name
            assert _LINE.match(body["message"]) and expected in body["message"], (name, body)
            assert len(body["errors"]) <= 21 and len(r.content) < 10_000, name
            assert took < 1.0, (name, took)
    assert _seen(api) == before, "a refused seed writes nothing"
    prober.check()


def test_a_seed_is_checked_off_the_event_loop_and_its_apps_get_every_scope(api: Api) -> None:
    """A large, good seed: the server answers others while it reads it, and its apps,
    given no scopes, get every scope an app the control API creates gets (README)."""
    seed = _big_seed()
    seed["accounts"][0]["users"] += [{"id": f"extra-{i}"} for i in range(250)]
    webinar = {"topic": "Webinar", "timezone": "Europe/Berlin", "duration": 90}
    seed["webinars"] = [
        {"id": 71000000000 + i, "host_id": f"extra-{i}", **webinar} for i in range(250)
    ]
    text = json.dumps(seed, indent=1)
    assert 50_000 < len(text) < 64 * 1024  # a body main took too
    with _Prober(api) as prober:
        r = api.http.post(f"{api.base_url}/_zoomlive/seed", content=text.encode(),
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
    assert r.status_code == 200 and r.json()["seeded"] is True, r.text
    prober.check()
    token = api.token("app-a1", "secret-a1", "acct-a")
    for path in ("/meetings/70000000001", "/meetings/70000000001/livestream",
                 "/users/host-a/meetings"):  # fmt: skip
        got = api.call("GET", path, token)
        assert got.status_code == 200, (path, got.text)


def test_a_bad_seed_file_stops_the_start_with_exit_2_and_its_line(tmp_path: Path) -> None:
    """At start-up the same seeds stop ``zoomlive serve`` before it touches the
    database: exit 2, the file's line, no traceback, within a second each."""
    files = {}
    for i, (name, (text, expected)) in enumerate(_bad_seeds().items()):
        path = tmp_path / f"seed-{i}.yaml"
        path.write_text(text, encoding="utf-8", newline="")
        files[name] = (str(path), expected)
    db = tmp_path / "z.db"
    script = (
        "import contextlib, io, json, sys, time\n"
        "from zoomlive.cli.app import main\n"
        "import sqlalchemy, uvicorn, zoomlive.server.seeding  # imported, not timed\n"
        "out = {}\n"
        "for name, path in json.loads(sys.argv[1]).items():\n"
        "    err = io.StringIO()\n"
        "    started = time.perf_counter()\n"
        "    with contextlib.redirect_stderr(err):\n"
        "        try:\n"
        "            main(['serve', '--port', sys.argv[2], '--db', sys.argv[3], '--seed', path])\n"
        "            code = 0\n"
        "        except SystemExit as exc:\n"
        "            code = exc.code\n"
        "    out[name] = [code, err.getvalue(), time.perf_counter() - started]\n"
        "print(json.dumps(out))\n"
    )
    paths = json.dumps({name: path for name, (path, _) in files.items()})
    r = subprocess.run([sys.executable, "-c", script, paths, str(free_port()), str(db)],
                       capture_output=True, text=True, timeout=240)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    results = json.loads(r.stdout.splitlines()[-1])
    for name, (file, expected) in files.items():
        code, stderr, took = results[name]
        assert code == 2, (name, code, stderr[-2000:])
        assert "Traceback" not in stderr and stderr.startswith(f"error: {file}: line "), stderr
        assert expected in stderr, (name, stderr)
        assert took < 1.0, (name, took)
    assert not db.exists(), "nothing was written, so the next start is not half-loaded"

"""Seed files: loaded at start in one transaction, unchanged by a restart, the same
format on ``POST /_zoomlive/seed``, and a bad file refused with the line of each problem."""

from __future__ import annotations

import json
import subprocess
import tempfile
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

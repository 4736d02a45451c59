"""``zoomlive serve`` and ``zoomlive env`` as a user meets them: credentials into a
shell with ``eval "$(zoomlive env)"``, the README's sync example on them, a reset that
keeps them, and the access log."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from tests.examples import examples
from tests.support import ADMIN_TOKEN, ZOOMLIVE, ServerProcess

#: A server whose demo credentials are its own (generated), not the tests' fixed ones.
OWN_CREDENTIALS = {
    "ZOOMLIVE_DEMO_ACCOUNT_ID": "",
    "ZOOMLIVE_DEMO_CLIENT_ID": "",
    "ZOOMLIVE_DEMO_CLIENT_SECRET": "",
    "ZOOMLIVE_RATE_LIMITS": "0",
}


def _bash(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-ec", script], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip


def test_eval_zoomlive_env_then_the_readme_sync_example_and_a_reset() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(str(Path(tmp) / "z.db"), env=OWN_CREDENTIALS).start()
        try:
            banner = srv.output()
            # Without ZOOMLIVE_ADMIN_TOKEN: the token the server left for its port.
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("ZOOM_", "ZOOMLIVE_ADMIN"))}  # fmt: skip
            env["PATH"] = f"{Path(ZOOMLIVE).parent}:{env.get('PATH', '')}"
            script = (
                f'eval "$(zoomlive env --url {srv.base_url})"\n'
                f'{sys.executable} -c "$SYNC"\n'
                'echo "id=$ZOOM_CLIENT_ID"\n'
            )
            r = _bash(script, {**env, "SYNC": examples()["sync"]})
            assert r.returncode == 0, r.stdout + r.stderr
            assert "rtmp://live.example.com/app" in r.stdout
            client_id = r.stdout.rsplit("id=", 1)[1].strip()
            assert client_id and client_id in banner, "env prints the banner's credentials"
            export = next(line for line in banner.splitlines()
                          if line.startswith("export ZOOM_ACCOUNT_ID="))  # fmt: skip
            for name in ("ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "ZOOM_API_BASE_URL",
                         "ZOOM_OAUTH_URL"):  # fmt: skip
                assert f" {name}=" in export
            assert banner.rstrip().endswith("Ctrl-C to stop")

            # A reset keeps the demo's credentials: the exported values still work.
            reset = httpx.post(f"{srv.base_url}/_zoomlive/reset", json={"demo": True},
                               headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
            assert reset.json()["demo"]["client_id"] == client_id
            r = _bash(f"{export}\nzoomlive token\n", env)
            assert r.returncode == 0 and "meeting:update:livestream" in r.stdout, r.stderr
            fresh = httpx.post(
                f"{srv.base_url}/_zoomlive/reset", json={"demo": True, "new_credentials": True},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )  # fmt: skip
            assert fresh.json()["demo"]["client_id"] != client_id
        finally:
            srv.stop()


def test_env_without_a_server_or_a_token() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOOMLIVE_")}
    r = subprocess.run([ZOOMLIVE, "env", "--url", "http://127.0.0.1:1", "--admin-token", "x"],
                       capture_output=True, text=True, env=env)  # fmt: skip
    assert r.returncode == 3 and "no answer from http://127.0.0.1:1" in r.stderr
    r = subprocess.run([ZOOMLIVE, "env", "--url", "http://10.0.0.1:1"],
                       capture_output=True, text=True, env=env)  # fmt: skip
    assert r.returncode == 2 and "no admin token" in r.stderr


def test_access_log_has_one_line_per_request_and_no_secret() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(str(Path(tmp) / "z.db"), args=["--access-log"]).start()
        try:
            with httpx.Client(base_url=srv.base_url) as http:
                tok = http.post("/oauth/token", params={"grant_type": "account_credentials",
                                "account_id": "DemoAccount0000000000A"},
                                auth=("demo-client-id", "demo-client-secret-value-42"))  # fmt: skip
                token = tok.json()["access_token"]
                ok = http.get("/v2/meetings/68423085/livestream",
                              headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                missing = http.get("/v2/meetings/12345678901/livestream",
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            srv.stop()
            log = srv.output()
        finally:
            srv.stop()
    line = re.compile(r"^(GET|POST) (\S+) (\d{3}) (\d+|-) [\d.]+ms (\S+)$", re.M)
    found = set(line.findall(log))
    assert ("GET", "/v2/meetings/68423085/livestream", "200", "-",
            ok.headers["x-zm-trackingid"]) in found  # fmt: skip
    assert ("GET", "/v2/meetings/12345678901/livestream", "404", "3001",
            missing.headers["x-zm-trackingid"]) in found  # fmt: skip
    assert any(f[1] == "/oauth/token" and f[2] == "200" for f in found)
    body = log.split("Ctrl-C to stop", 1)[1]
    assert token not in body and "demo-client-secret-value-42" not in body


def test_the_commands_load_rich_console_only_when_they_print() -> None:
    """`zoomlive serve` imports every command module and prints through none of
    them; Rich's console stays out of the server's memory until something prints."""
    script = (
        "import sys\n"
        "from zoomlive.cli import app, bulk, livestream\n"
        "before = 'rich.console' in sys.modules\n"
        "livestream.out.print('printed')\n"
        "print(before, 'rich.console' in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["printed", "False True"]

"""The CLI against the real server, run as a user runs it: a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import DEMO_ACCOUNT, DEMO_CLIENT, DEMO_SECRET, Api

ZOOMLIVE = str(Path(sys.executable).with_name("zoomlive"))
KEY = "cli-secret-stream-key-77"


def run(api: Api, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ZOOM_ACCOUNT_ID": DEMO_ACCOUNT,
        "ZOOM_CLIENT_ID": DEMO_CLIENT,
        "ZOOM_CLIENT_SECRET": DEMO_SECRET,
        "ZOOM_API_BASE_URL": f"{api.base_url}/v2",
        "ZOOM_OAUTH_URL": f"{api.base_url}/oauth/token",
    }
    return subprocess.run([ZOOMLIVE, *args], capture_output=True, text=True, env=env)


def test_cli_update_get_start_stop_and_token_redact_secrets(api: Api) -> None:
    outputs = []
    r = run(api, "livestream", "update", "68423085", "--stream-url", "rtmp://x/app",
            "--stream-key", KEY, "--page-url", "https://e.x/p")  # fmt: skip
    outputs.append(r)
    assert r.returncode == 0, r.stderr
    r = run(api, "livestream", "get", "68423085")
    outputs.append(r)
    assert r.returncode == 0 and json.loads(r.stdout)["stream_key"] == "***"
    r = run(api, "livestream", "get", "68423085", "--show-secrets")
    assert json.loads(r.stdout)["stream_key"] == KEY
    for cmd in ("start", "stop"):
        r = run(api, "livestream", cmd, "68423085")
        outputs.append(r)
        assert r.returncode == 0, r.stderr
    r = run(api, "token")
    outputs.append(r)
    assert r.returncode == 0 and "meeting:update:livestream" in r.stdout
    r = run(api, "livestream", "get", "12345678901")
    outputs.append(r)
    assert r.returncode == 1 and "3001" in r.stderr
    for r in outputs:
        for secret in (KEY, DEMO_SECRET):
            assert secret not in r.stdout + r.stderr
        assert "access_token" not in r.stdout

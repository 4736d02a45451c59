"""The CLI against the real server, run as a user runs it: a subprocess."""

from __future__ import annotations

import json

from tests.support import Api, CliRecorder

KEY = "cli-secret-stream-key-77"


def test_cli_update_get_start_stop_and_token(api: Api, cli: CliRecorder) -> None:
    cli.secret(KEY)
    # Brackets are text, not Rich markup: the URL prints as stored.
    r = cli.run(api, "livestream", "update", "68423085", "--stream-url", "rtmp://x/[app]",
                "--stream-key", KEY, "--page-url", "https://e.x/p")  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = cli.run(api, "livestream", "get", "68423085")
    assert r.returncode == 0 and json.loads(r.stdout)["stream_key"] == "***"
    assert json.loads(r.stdout)["stream_url"] == "rtmp://x/[app]"
    r = cli.run(api, "livestream", "get", "68423085", "--show-secrets")
    assert json.loads(r.stdout)["stream_key"] == KEY
    for cmd in ("start", "stop"):
        r = cli.run(api, "livestream", cmd, "68423085")
        assert r.returncode == 0, r.stderr
    r = cli.run(api, "token")
    assert r.returncode == 0 and "meeting:update:livestream" in r.stdout
    assert "access_token" not in r.stdout
    r = cli.run(api, "token", "--show-token")
    token = r.stdout.split("access_token: ", 1)[1].strip()
    cli.secret(token)
    assert api.call("GET", "/meetings/68423085/livestream", token).status_code == 200


def test_cli_exit_codes(api: Api, cli: CliRecorder) -> None:
    r = cli.run(api, "livestream", "get", "12345678901")
    assert r.returncode == 1 and "3001" in r.stderr
    r = cli.run(api, "livestream", "get", "12345678901", "--webinar")
    assert r.returncode == 1 and "Webinar does not exist" in r.stderr
    r = cli.run(api, "livestream", "get", "-5")
    assert r.returncode == 2
    r = cli.run(api, "livestream", "get", "68423085", env={"ZOOM_CLIENT_SECRET": ""})
    assert r.returncode == 2 and "ZOOM_CLIENT_SECRET" in r.stderr
    r = cli.run(api, "livestream", "get", "68423085", "--base-url", "http://127.0.0.1:9/v2")
    assert r.returncode == 3


def test_the_secret_scan_can_fail() -> None:
    recorder = CliRecorder()
    recorder.secret("abc123-secret")
    recorder.outputs.append((["livestream", "get"], "key: abc123-secret"))
    assert recorder.leaks()
    recorder.outputs[-1] = (["livestream", "get", "--show-secrets"], "key: abc123-secret")
    assert not recorder.leaks()

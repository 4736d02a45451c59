"""The examples of the README and of the documentation site (``docs/``), run as
written against a real server. A code block whose first line is ``# example: NAME`` is
an example; every one found must be run by a test here (or in
``tests/e2e/test_docs_examples.py`` or ``tests/e2e/testing/test_readme_testkit.py``),
so an example that drifts fails CI.

Which blocks are examples: every fenced block with a language (``python``, ``bash``,
``yaml``) must be marked, and ``tests/test_examples.py`` fails on one that is not (its
name must be in ``tests/examples.py``'s ``RUN``). A block with no language or with
``text`` is not code and is not an example: a listing (``docs/development.md``'s
source tree) or what a program prints (the start
banner in ``docs/getting-started.md``, whose lines ``tests/e2e/test_docs_examples.py``
checks against the banner ``zoomlive serve`` prints)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.examples import examples
from tests.support import DEMO_ACCOUNT, DEMO_CLIENT, DEMO_SECRET, Api, CliRecorder


def env_for(api: Api) -> dict[str, str]:
    return {
        **os.environ,
        "ZOOM_ACCOUNT_ID": DEMO_ACCOUNT,
        "ZOOM_CLIENT_ID": DEMO_CLIENT,
        "ZOOM_CLIENT_SECRET": DEMO_SECRET,
        "ZOOM_API_BASE_URL": f"{api.base_url}/v2",
        "ZOOM_OAUTH_URL": f"{api.base_url}/oauth/token",
        "PATH": f"{os.path.dirname(sys.executable)}:{os.environ.get('PATH', '')}",
    }


def _pytest_file(code: str, passed: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test_user_example.py"
        path.write_text(code)
        r = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
            cwd=tmp, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert passed in r.stdout, r.stdout


def test_quick_kit_and_first_test_examples_pass_under_pytest() -> None:
    _pytest_file(examples()["quick_kit"] + "\n\n" + examples()["first_test"], "2 passed")


def test_quick_client_example(api: Api, cli: CliRecorder) -> None:
    cli.secret("my-key")
    r = subprocess.run([sys.executable, "-c", examples()["quick_client"]], env=env_for(api),
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "rtmp://live.example.com/app" in r.stdout and "my-key" not in r.stdout
    assert "3001 Webinar does not exist: 12345678901." in r.stdout
    assert api.admin("GET", "/meetings/68423085").json()["stream_live"] is True


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_quick_server_example(api: Api) -> None:
    r = subprocess.run(["bash", "-ec", examples()["quick_server"]], env=env_for(api),
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    status, body = r.stdout.splitlines()
    assert status == "204" and '"stream_key":"my-key"' in body, r.stdout


def test_sync_example(api: Api, cli: CliRecorder) -> None:
    cli.secret("my-stream-key")
    r = subprocess.run([sys.executable, "-c", examples()["sync"]], env=env_for(api),
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "rtmp://live.example.com/app" in r.stdout and "my-stream-key" not in r.stdout
    state = api.admin("GET", "/meetings/68423085").json()
    assert (state["stream_key"], state["resolution"], state["layout"]) == (
        "my-stream-key", "1080p", "gallery_view",
    )  # fmt: skip
    assert state["stream_live"] is False


def test_async_example(api: Api) -> None:
    r = subprocess.run([sys.executable, "-c", examples()["async"]], env=env_for(api),
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "404 3001 Webinar does not exist: 12345678901." in r.stdout


def test_workflow_example() -> None:
    """The README's whole workflow, as written (it brings its own emulator)."""
    r = subprocess.run([sys.executable, "-c", examples()["workflow"]],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(sorted([
        "meeting.created", "meeting.ended", "meeting.live_streaming_started",
        "meeting.live_streaming_stopped", "meeting.started",
    ]))  # fmt: skip


def test_meetings_example(api: Api) -> None:
    r = subprocess.run([sys.executable, "-c", examples()["meetings"]], env=env_for(api),
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Quarterly results"
    assert any(line.endswith(" Town hall") for line in lines[1:])


def test_cli_example(api: Api, cli: CliRecorder) -> None:
    cli.secret("my-key")
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["bash", "-ec", examples()["cli"]], env=env_for(api), cwd=tmp,
                           capture_output=True, text=True)  # fmt: skip
    cli.outputs.append((["readme", "cli"], r.stdout + r.stderr))
    assert r.returncode == 0, r.stdout + r.stderr
    assert '"unchanged": 1' in r.stdout  # the apply after update: nothing to do
    assert api.admin("GET", "/meetings/68423085").json()["stream_key"] == "my-key"

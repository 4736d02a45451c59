"""The examples of the README and of the documentation site (``docs/``), run as
written against a real server. A code block whose first line is ``# example: NAME`` is
an example; every one found must be run by a test here (or in
``tests/e2e/test_docs_examples.py`` or ``tests/e2e/testing/test_readme_testkit.py``),
so an example that drifts fails CI.

Which blocks are examples: every fenced block with a language (``python``, ``bash``,
``yaml``) must be marked, and ``test_every_code_block_is_an_example`` fails on one that
is not. A block with no language or with ``text`` is not code and is not an example: a
listing (``docs/development.md``'s source tree) or what a program prints (the start
banner in ``docs/getting-started.md``, whose lines ``tests/e2e/test_docs_examples.py``
checks against the banner ``zoomlive serve`` prints)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from tests.support import DEMO_ACCOUNT, DEMO_CLIENT, DEMO_SECRET, ROOT, Api, CliRecorder

BLOCK = re.compile(r"```(python|bash|yaml)\n# example: ([\w-]+)\n(.*?)```", re.S)
#: Every fenced block of a page (its language, its text).
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
#: The languages of blocks that are not code (a listing, a program's output).
NOT_CODE = {"", "text"}


#: Where examples live: the README and every page of the documentation site.
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

#: Every example name, and so every example, that a test runs.
RUN = {
    "sync", "async", "meetings", "cli", "workflow", "testkit", "testkit_mock", "testkit_media",
    "quick_server", "quick_client", "quick_kit", "first_test",
    # tests/e2e/test_docs_examples.py
    "two_commands", "two_commands_start", "two_commands_home", "first_call", "client_env",
    "clock", "seed", "subscription", "webhook_fastapi", "webhook_flask", "webhook_django",
}  # fmt: skip


def _found() -> list[tuple[Path, str, str]]:
    return [
        (path, name.replace("-pytest", "").replace("-", "_"), code)
        for path in SOURCES
        for _l, name, code in BLOCK.findall(path.read_text())
    ]


def examples() -> dict[str, str]:
    return {name: code for _path, name, code in _found()}


def docs_text(page: str) -> str:
    """A page of the documentation site, where the README's long sections now live."""
    return (ROOT / "docs" / page).read_text()


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


def test_readme_has_the_examples() -> None:
    found = _found()
    names = [name for _p, name, _c in found]
    assert [n for n, count in Counter(names).items() if count > 1] == []  # one block each
    assert set(names) >= {"sync", "async", "cli", "workflow", "meetings"}
    assert set(names) == RUN, set(names) ^ RUN  # each example found is run, and no more
    in_docs = {name for path, name, _c in found if path.parent != ROOT}
    assert {"sync", "async", "cli", "workflow", "meetings", "testkit"} <= in_docs


def test_every_code_block_is_an_example() -> None:
    """A block with a language is code, and code is an example (marked, so run); only
    blocks with no language or ``text`` are not (see the module's docstring)."""
    blocks = [
        (path, lang, code) for path in SOURCES for lang, code in FENCE.findall(path.read_text())
    ]
    unmarked = [
        (str(path.relative_to(ROOT)), lang, code.partition("\n")[0])
        for path, lang, code in blocks
        if lang not in NOT_CODE and not BLOCK.fullmatch(f"```{lang}\n{code}```")
    ]
    assert unmarked == [], unmarked
    assert sum(lang not in NOT_CODE for _p, lang, _c in blocks) == len(_found())
    assert {lang for _p, lang, _c in blocks} >= {"", "text", "python", "bash", "yaml"}


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


def test_webhook_snippets_read_the_id_of_every_event_they_receive() -> None:
    """The FastAPI, Flask and Django snippets print ``result.event.<expression>``: it
    must work for each event the receiver parses, the live streaming events (a typed
    object) and the lifecycle events (``object`` a mapping, ``id`` a string in
    started/ended and a number otherwise)."""
    import time

    import msgspec

    from zoomlive.client.webhooks import WebhookReceiver
    from zoomlive.server.services import events as ev
    from zoomlive.server.storage.records import Meeting, User
    from zoomlive.wire import webhooks as wh

    text = docs_text("webhooks.md")
    used = re.findall(r"result\.event\.event, result\.event\.([\w.\[\]\"']+)\)", text)
    assert len(used) == 3, used  # one per framework snippet
    meeting = Meeting(id=81234567890, kind="meeting", uuid="u==", account_id="A", host_id="H",
                      topic="t", type=2, start_time="2026-01-01T00:00:00Z")  # fmt: skip
    host = User(id="H", account_id="A", email="h@example.com", type=2)
    now = time.time()
    bodies = [
        msgspec.json.encode(ev.live_streaming_event(meeting, host, True, now)),
        *(
            msgspec.json.encode(make(meeting, host, now))
            for make in (ev.deleted_event, ev.started_event, ev.ended_event)
        ),
    ]
    receiver = WebhookReceiver("s3cret", clock=lambda: now)
    for body in bodies:
        headers = {wh.HEADER_TIMESTAMP: str(int(now)),
                   wh.HEADER_SIGNATURE: wh.signature("s3cret", int(now), body)}  # fmt: skip
        result = receiver.handle(body, headers)
        assert result.status == 200 and result.event is not None, result
        for expression in set(used):
            got = eval(f"event.{expression}", {}, {"event": result.event})
            assert got == meeting.id, (result.event_name, expression, got)


def test_the_readme_is_a_front_page_whose_links_resolve() -> None:
    """At most 150 lines, and every relative link names a file of the repository
    (GitHub shows ``docs/*.md`` as pages); the long sections live on the site."""
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert len(links) >= 10
    for link in links:
        if link.startswith(("http://", "https://")):
            continue
        path, _, _anchor = link.partition("#")
        assert (ROOT / path).is_file(), link

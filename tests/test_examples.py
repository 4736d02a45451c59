"""The examples' rules that need no server: every code block of the README and of the
documentation site is a marked example that a test runs (``tests/e2e/test_readme.py``
says which blocks are not code), the two commands are the same in all three places, the
webhook snippets read the id of every event, and the README's links resolve."""

from __future__ import annotations

import os
import re
from collections import Counter

from tests.examples import BLOCK, FENCE, NOT_CODE, RUN, SOURCES, _found, docs_text, examples
from tests.support import ROOT


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


def test_the_two_commands_are_the_readmes_in_all_three_places() -> None:
    """Not run: ``./scripts/test`` is this suite. The README, the getting-started page and
    the home page give the same two commands; ``./scripts/serve`` is run by
    ``tests/e2e/server/test_newcomer.py`` and ``./scripts/test`` by CI."""
    found = examples()
    blocks = {name: found[name] for name in ("two_commands", "two_commands_start",
                                             "two_commands_home")}  # fmt: skip
    for name, code in blocks.items():
        commands = [line.partition("#")[0].strip() for line in code.splitlines()]
        assert commands == ["./scripts/serve", "./scripts/test"], (name, code)
    for command in ("scripts/serve", "scripts/test"):
        assert os.access(ROOT / command, os.X_OK), command
    newcomer = (ROOT / "tests" / "e2e" / "server" / "test_newcomer.py").read_text()
    assert re.search(r'\[\s*"scripts/serve",', newcomer), "a test runs ./scripts/serve"
    assert re.search(r"^scripts/test\b", (ROOT / ".ci" / "run").read_text(), re.M)
    # What the README says each does.
    serve_says, test_says = blocks["two_commands"].splitlines()
    from zoomlive.server.settings import DEFAULT_DB_PATH

    assert f"(SQLite file ./{DEFAULT_DB_PATH})" in serve_says  # serve's default database
    tools = re.search(r"\(([^)]*)\)", test_says)
    assert tools, test_says
    script = (ROOT / "scripts" / "test").read_text()
    for tool in tools.group(1).split(", "):  # ruff, mypy --strict, pytest
        assert f".venv/bin/{tool}" in script, tool


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

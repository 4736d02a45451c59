"""Where the examples are, found by reading the README and the documentation site:
``tests/e2e/test_readme.py`` and ``tests/e2e/test_docs_examples.py`` run them,
``tests/test_examples.py`` holds the rules no server is needed for."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support import ROOT

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

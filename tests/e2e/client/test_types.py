"""The client's namespaces are typed: ``mypy --strict`` refuses a misspelt method or
attribute on ``client.meetings.livestream`` (sync and async) and accepts correct use."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

MYPY = str(Path(sys.executable).with_name("mypy"))

CORRECT = """
import asyncio
from zoomlive.client import AsyncClient, Client
from zoomlive.wire.models import LiveStream

def sync() -> LiveStream:
    with Client(access_token="t") as client:
        client.meetings.livestream.update(1, stream_url="rtmp://a/b", stream_key="k",
                                          page_url="https://p/q", resolution="720p")
        client.webinars.livestream.start(2, display_name="Live")
        client.webinars.livestream.stop(2)
        return client.meetings.livestream.get(1)

async def run() -> LiveStream:
    async with AsyncClient(access_token="t") as client:
        await client.meetings.livestream.start(1, layout="gallery_view")
        await client.webinars.livestream.stop(2)
        return await client.webinars.livestream.get(2)
"""

# Each misuse on its own line, with the error mypy must report there.
MISUSES = [
    ('client.meetings.livestream.gett(1)', '"LiveStreams" has no attribute "gett"'),
    ('client.webinars.livestream.get("1")', 'incompatible type "str"; expected "int"'),
    ('client.meetings.livestream.update(1, stream_url="u", stream_key="k", page_url="p",'
     ' resolution="4k")', 'incompatible type "Literal[\'4k\']"'),
    ("client.meetings.livestrem", '"Meetings" has no attribute "livestrem"'),
    ("client.webinar", '"Client" has no attribute "webinar"'),
]  # fmt: skip
ASYNC_MISUSES = [
    ("await client.meetings.livestream.gett(1)", '"AsyncLiveStreams" has no attribute "gett"'),
    ("await client.webinars.livestrem.get(1)", '"AsyncWebinars" has no attribute "livestrem"'),
]


def mypy(tmp_path: Path, name: str, source: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / name
    path.write_text(source)
    return subprocess.run(
        [MYPY, "--strict", "--no-error-summary", "--cache-dir", str(tmp_path / "cache"),
         str(path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip


def test_mypy_refuses_misuse_and_accepts_correct_use(tmp_path: Path) -> None:
    lines = ["from zoomlive.client import AsyncClient, Client", ""]
    lines.append("def sync(client: Client) -> None:")
    expected: dict[int, str] = {}
    for code, error in MISUSES:
        lines.append(f"    {code}")
        expected[len(lines)] = error
    lines += ["", "async def run(client: AsyncClient) -> None:"]
    for code, error in ASYNC_MISUSES:
        lines.append(f"    {code}")
        expected[len(lines)] = error
    bad = mypy(tmp_path, "misuse.py", "\n".join(lines) + "\n")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    reported: dict[int, str] = {}
    for line in bad.stdout.splitlines():
        m = re.match(r".*misuse\.py:(\d+): error: (.*)", line)
        if m:
            reported[int(m.group(1))] = reported.get(int(m.group(1)), "") + m.group(2)
    assert set(reported) == set(expected), bad.stdout
    for lineno, error in expected.items():
        assert error in reported[lineno], (lineno, reported[lineno])

    good = mypy(tmp_path, "correct.py", CORRECT)
    assert good.returncode == 0, good.stdout + good.stderr

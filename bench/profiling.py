"""py-spy around a benchmark run: where a server process spends its samples.

``start_profile`` attaches ``py-spy record`` (raw collapsed stacks) to a running
server for the benchmark's duration; ``finish_profile`` waits for it and summarises
the stacks: the share of samples spent in (inclusive) each of a few known layers,
and the top functions by own (leaf) samples. py-spy: ``uv pip install py-spy``.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from wrkbench import BIN

#: Frames whose inclusive share the summary reports: (label, substring of the frame).
LAYERS = (
    ("event loop idle (select/epoll)", "select ("),
    ("SQLAlchemy (all of it)", "sqlalchemy/"),
    ("SQLAlchemy pool checkout/pre-ping", "pool/base.py"),
    ("asyncpg", "asyncpg/"),
    ("aiosqlite", "aiosqlite/"),
    ("store reads (Store.read)", "read (zoomlive/server/storage/store.py"),
    ("writer (group commit)", "zoomlive/server/storage/writer.py"),
    ("live stream service", "zoomlive/server/services/livestream.py"),
    ("auth service", "zoomlive/server/services/auth.py"),
    ("rate limiter", "zoomlive/server/services/ratelimit.py"),
    ("HTTP protocol (uvicorn/httptools)", "uvicorn/"),
)


def start_profile(pid: int, seconds: int, out: str) -> subprocess.Popen[bytes]:
    cmd = [
        str(BIN / "py-spy"), "record", "--pid", str(pid), "--duration", str(seconds),
        "--rate", "250", "--format", "raw", "--output", out, "--nonblocking",
    ]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finish_profile(spy: subprocess.Popen[bytes], out: str, top: int = 12) -> dict[str, Any]:
    spy.wait()
    return summarise(Path(out))


def summarise(path: Path, top: int = 12) -> dict[str, Any]:
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        for label, needle in LAYERS:
            if any(needle in f for f in frames):
                inclusive[label] += n
        own[frames[-1]] += n
    pct = (lambda n: round(100 * n / total, 1)) if total else (lambda n: 0.0)
    return {
        "samples": total,
        "inclusive_percent": {label: pct(inclusive[label]) for label, _ in LAYERS},
        "top_own_percent": {f: pct(n) for f, n in own.most_common(top)},
    }

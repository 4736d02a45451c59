"""Fixtures the media tests share: a module's temporary folder and its nginx-rtmp
receiver (the real RTMP ingest, ``tests/server/rtmp.py``)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.rtmp import Nginx, require_nginx


@pytest.fixture(scope="module")
def tmp_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


@pytest.fixture(scope="module")
def nginx(tmp_dir: Path) -> Iterator[Nginx]:
    require_nginx()
    ng = Nginx(tmp_dir / "nginx").start()
    try:
        yield ng
    finally:
        ng.stop()

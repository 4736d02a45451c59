"""The test kit page's examples (docs/test-kit.md), run as a user would."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.examples import examples


def test_pytest_example_passes_under_pytest() -> None:
    code = examples()["testkit"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test_user_example.py"
        path.write_text(code)
        r = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
            cwd=tmp, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4 passed" in r.stdout


def test_rtmp_sink_example_passes_under_pytest() -> None:
    """The real-feed example: a 1080p publish to the kit's own RTMP receiver."""
    pytest.importorskip("av", reason="the media extra (PyAV) is not installed")
    code = examples()["testkit_media"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test_user_media.py"
        path.write_text(code)
        r = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
            cwd=tmp, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout


def test_mock_zoom_example_runs() -> None:
    r = subprocess.run([sys.executable, "-c", examples()["testkit_mock"]],
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("LiveStream(") for line in lines)

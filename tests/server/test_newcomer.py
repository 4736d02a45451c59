"""The README's serve command prints credentials and curl lines that work."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.support import ROOT, free_port


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_serve_banner_lines_work_as_printed() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "out.txt"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZOOMLIVE_")}
        with log.open("wb") as out:
            # The README's command, with a free port and a scratch database.
            proc = subprocess.Popen(
                ["scripts/serve", "--port", str(port), "--db", str(Path(tmp) / "z.db")],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            text = ""
            while time.monotonic() < deadline and "68423085/livestream" not in text:
                time.sleep(0.1)
                text = log.read_text()
                assert proc.poll() is None, text
            assert "Demo client_secret" in text and "Admin token" in text
            lines = text.splitlines()
            token_line = next(line for line in lines if line.startswith("curl "))
            patch_line = next(line for line in lines if line.startswith("TOKEN="))
            got = subprocess.run(
                ["bash", "-c", token_line], capture_output=True, text=True, check=True
            )
            assert re.search(r'"access_token":"[^"]+"', got.stdout)
            got = subprocess.run(
                ["bash", "-c", patch_line], capture_output=True, text=True, check=True
            )
            assert got.stdout.strip() == "204"
        finally:
            proc.terminate()
            proc.wait(10)

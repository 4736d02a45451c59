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
        venv = str(ROOT / ".venv")  # a new user's PATH: the clone's venv not on it
        env["PATH"] = ":".join(p for p in env["PATH"].split(":") if not p.startswith(venv))
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
            # Not the default port: the banner's env command names this server's URL,
            # and run as printed it gives this server's credentials.
            url = f"http://127.0.0.1:{port}"
            assert f'eval "$(zoomlive env --url {url})"' in text, text
            secret = next(line for line in lines if "Demo client_secret" in line).split()[-1]
            zoomlive = ROOT / ".venv" / "bin" / "zoomlive"
            got = subprocess.run([zoomlive, "env", "--url", url], capture_output=True,
                                 text=True, check=True)  # fmt: skip
            assert secret in got.stdout and f"ZOOM_API_BASE_URL={url}/v2" in got.stdout
            # The PATH advice adds only the command, not the venv's python, pip and uv.
            assert f'alias zoomlive="{zoomlive}"' in text, text
            assert "export PATH" not in text
        finally:
            proc.terminate()
            proc.wait(10)

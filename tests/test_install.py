"""Installs as users make them: the wheel into fresh venvs, one per extra (base,
``[cli]``, ``[server]``, ``[all]``). In each, pytest runs a trivial file (the plugin
loads in every pytest run and must not break a client-only install), ``zoomlive --help``
works, a command whose extra is missing names it (exit 2), and ``python -m zoomlive
--version`` prints the version. uv's cache keeps this to seconds after the first run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ROOT, free_port

UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
EXTRAS = {"base": "", "cli": "[cli]", "server": "[server]", "all": "[all]"}
TRIVIAL = "def test_a():\n    assert 1\n"
USES_KIT = "def test_z(zoom):\n    assert zoom.meeting_id\n"


@pytest.fixture(scope="module")
def wheel() -> Iterator[Path]:
    assert UV, "uv is installed by scripts/bootstrap"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([UV, "build", "--wheel", "-q", "-o", tmp], cwd=ROOT, check=True,
                       capture_output=True, timeout=300)  # fmt: skip
        yield next(Path(tmp).glob("zoomlive-*.whl"))


def _venv(where: Path, wheel: Path, extra: str) -> Path:
    assert UV
    subprocess.run([UV, "venv", "-q", str(where), "--python", sys.executable], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    py = where / "bin" / "python"
    subprocess.run([UV, "pip", "install", "-q", "--python", str(py), f"{wheel}{extra}", "pytest"],
                   check=True, capture_output=True, timeout=600)  # fmt: skip
    return where / "bin"


def _run(*cmd: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM", "PYTEST"))}
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=300)  # fmt: skip
    assert "Traceback" not in r.stdout + r.stderr, r.stdout + r.stderr
    return r


@pytest.mark.parametrize("name", list(EXTRAS))
def test_each_install_runs_pytest_and_the_cli(wheel: Path, name: str, tmp_path: Path) -> None:
    bin_ = _venv(tmp_path / "venv", wheel, EXTRAS[name])
    work = tmp_path / "project"
    work.mkdir()
    (work / "test_trivial.py").write_text(TRIVIAL)
    r = _run(bin_ / "pytest", "-q", "-p", "no:cacheprovider", "test_trivial.py", cwd=work)
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout + r.stderr

    r = _run(bin_ / "zoomlive", "--help", cwd=work)
    assert r.returncode == 0 and "serve" in r.stdout, r.stdout + r.stderr
    r = _run(bin_ / "python", "-m", "zoomlive", "--version", cwd=work)
    assert r.returncode == 0 and r.stdout.strip() == "zoomlive 0.1.0", r.stdout

    has_server = name in ("server", "all")
    has_cli = name in ("cli", "all")
    if not has_cli:
        r = _run(bin_ / "zoomlive", "livestream", "get", "1", cwd=work)
        assert r.returncode == 2 and "pip install 'zoomlive[cli]'" in r.stderr, r.stderr
    if not has_server:
        r = _run(bin_ / "zoomlive", "serve", cwd=work)
        assert r.returncode == 2 and "pip install 'zoomlive[server]'" in r.stderr, r.stderr
        (work / "test_kit.py").write_text(USES_KIT)
        # -rN drops the short summary, which repeats the message in full when
        # pytest sees a CI environment (it does not truncate there).
        r = _run(bin_ / "pytest", "-q", "-rN", "-p", "no:cacheprovider", "test_kit.py", cwd=work)
        assert r.returncode == 1
        assert r.stdout.count("pip install 'zoomlive[server]'") == 1, r.stdout  # one line
        assert "During handling" not in r.stdout
    if name == "server":  # serves from the shell without the cli extra
        port = free_port()
        serve = [str(bin_ / "zoomlive"), "serve", "--port", str(port), "--db", str(work / "z.db")]
        proc = subprocess.Popen(serve, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert first.strip() == f"zoomlive listening on http://127.0.0.1:{port}", first
        finally:
            proc.terminate()
            proc.wait(30)

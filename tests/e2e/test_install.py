"""Installs as users make them: ``uv build`` makes a wheel and an sdist, and the wheel
goes into fresh venvs, one per extra (base, ``[cli]``, ``[server]``, ``[media]``,
``[all]``). In each, pytest runs a trivial file (the plugin loads in every pytest run
and must not break a client-only install), ``zoomlive --help`` works, a command whose
extra is missing names it and says the package is not on PyPI yet (exit 2), and
``python -m zoomlive --version`` prints pyproject's version. Where the server is
installed, ``zoomlive serve`` answers ``/_zoomlive/health`` and a user's pytest file
using the kit passes. The wheel holds the package and its metadata only: no test data,
no vendored Zoom spec. uv's cache keeps this to seconds after the first run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support import ROOT, free_port
from zoomlive.wire.dist import install_hint

UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
EXTRAS = {"base": "", "cli": "[cli]", "server": "[server]", "media": "[media]", "all": "[all]"}
TRIVIAL = "def test_a():\n    assert 1\n"
USES_KIT = "def test_z(zoom):\n    assert zoom.meeting_id\n"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@pytest.fixture(scope="module")
def dists() -> Iterator[tuple[Path, Path]]:
    """The wheel and the sdist, as ``uv build`` makes them from the clone."""
    assert UV, "uv is installed by scripts/bootstrap"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([UV, "build", "-q", "-o", tmp], cwd=ROOT, check=True,
                       capture_output=True, timeout=300)  # fmt: skip
        yield next(Path(tmp).glob("zoomlive-*.whl")), next(Path(tmp).glob("zoomlive-*.tar.gz"))


@pytest.fixture(scope="module")
def venvs(dists: tuple[Path, Path]) -> Iterator[dict[str, Path]]:
    """A fresh venv per extra, each with the wheel installed, made side by side (uv's
    work is mostly linking from its cache: waiting, not computing)."""
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(len(EXTRAS)) as pool:
        made = {
            name: pool.submit(_venv, Path(tmp) / name, dists[0], extra)
            for name, extra in EXTRAS.items()
        }
        yield {name: future.result() for name, future in made.items()}


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


def test_the_wheel_holds_the_package_and_its_metadata_only(dists: tuple[Path, Path]) -> None:
    wheel, _sdist = dists
    assert wheel.name == f"zoomlive-{VERSION}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    info = f"zoomlive-{VERSION}.dist-info/"
    assert [n for n in names if not n.startswith(("zoomlive/", info))] == []
    assert not [n for n in names if "openapi-subset" in n or "/data/" in n or "tests" in n]
    assert "zoomlive/server/ui/static/ui.js" in names  # package data is shipped
    assert f"{info}licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"{info}METADATA").decode()
    assert f"Version: {VERSION}" in metadata and "License-Expression: MIT" in metadata


def test_the_sdist_builds_the_same_wheel(dists: tuple[Path, Path], tmp_path: Path) -> None:
    """The sdist carries the sources, the licence and the docs users read, not the tests
    (their vendored Zoom spec is not ours to ship), and builds the same wheel."""
    wheel, sdist = dists
    top = f"zoomlive-{VERSION}/"
    with tarfile.open(sdist) as tar:
        names = [n.removeprefix(top) for n in tar.getnames()]
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml"} <= set(names)
    assert "src/zoomlive/__init__.py" in names
    assert not [n for n in names if n.startswith(("tests", "bench", "docs")) or "openapi" in n]
    assert UV
    subprocess.run([UV, "build", "-q", "--wheel", "-o", str(tmp_path), str(sdist)], check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    rebuilt = zipfile.ZipFile(tmp_path / wheel.name).namelist()
    assert sorted(rebuilt) == sorted(zipfile.ZipFile(wheel).namelist())


def _serve_answers_health(bin_: Path, work: Path, has_media: bool) -> None:
    port = free_port()
    serve = [str(bin_ / "zoomlive"), "serve", "--port", str(port), "--db", str(work / "z.db")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM", "PYTEST"))}
    proc = subprocess.Popen(serve, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.strip() == f"zoomlive listening on http://127.0.0.1:{port}", first
        banner = [first]
        for line in proc.stdout:  # the banner ends once the server is up
            banner.append(line)
            if line.startswith("Ctrl-C to stop"):
                break
        text = "".join(banner)
        assert f'eval "$(zoomlive env --url http://127.0.0.1:{port})"' in text, text
        health = httpx.get(f"http://127.0.0.1:{port}/_zoomlive/health", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok", health.text
        media = health.json()["media"]
        assert media["enabled"] is has_media, media
        if not has_media:
            assert install_hint("media") in media["detail"] and "not on PyPI yet" in text
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.parametrize("name", list(EXTRAS))
def test_each_install_runs_pytest_and_the_cli(
    venvs: dict[str, Path], name: str, tmp_path: Path
) -> None:
    bin_ = venvs[name]
    work = tmp_path / "project"
    work.mkdir()
    (work / "test_trivial.py").write_text(TRIVIAL)
    r = _run(bin_ / "pytest", "-q", "-p", "no:cacheprovider", "test_trivial.py", cwd=work)
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout + r.stderr

    r = _run(bin_ / "zoomlive", "--help", cwd=work)
    assert r.returncode == 0 and "serve" in r.stdout, r.stdout + r.stderr
    r = _run(bin_ / "python", "-m", "zoomlive", "--version", cwd=work)
    assert r.returncode == 0 and r.stdout.strip() == f"zoomlive {VERSION}", r.stdout

    has_server = name in ("server", "all")
    has_cli = name in ("cli", "all")
    (work / "test_kit.py").write_text(USES_KIT)
    if not has_cli:
        for command in (["livestream", "get", "1"], ["meetings", "list"]):
            r = _run(bin_ / "zoomlive", *command, cwd=work)
            assert r.returncode == 2 and install_hint("cli") in r.stderr, r.stderr
            assert "not on PyPI yet" in r.stderr
    if not has_server:
        r = _run(bin_ / "zoomlive", "serve", cwd=work)
        assert r.returncode == 2 and install_hint("server") in r.stderr, r.stderr
        # -rN drops the short summary, which repeats the message in full when
        # pytest sees a CI environment (it does not truncate there).
        r = _run(bin_ / "pytest", "-q", "-rN", "-p", "no:cacheprovider", "test_kit.py", cwd=work)
        assert r.returncode == 1
        assert r.stdout.count(install_hint("server")) == 1, r.stdout  # one line
        assert "During handling" not in r.stdout
    else:  # serves from the shell (without the cli extra too), and the kit works
        _serve_answers_health(bin_, work, has_media=name == "all")
        r = _run(bin_ / "pytest", "-q", "-p", "no:cacheprovider", "test_kit.py", cwd=work)
        assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout + r.stderr

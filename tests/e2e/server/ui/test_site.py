"""The documentation site as a reader sees it: built by ``mkdocs build --strict`` from
this tree, served offline by the server at ``/_zoomlive/manual``, and looked at in real
Chromium. The home page and a generated reference page render with content (their
screenshots' pixel spread well above a blank page's), with their headings, and ask
nothing of any other host."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize, sync_playwright

from tests.server.ui.browser import Offline, chromium_path, pixel_stddev, screenshot_dir
from tests.support import ROOT
from zoomlive.testing.runner import ServerThread

VIEWPORT: ViewportSize = {"width": 1280, "height": 860}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).parent / "mkdocs"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    r = subprocess.run([str(mkdocs), "build", "--strict", "-d", str(out)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    return out


@pytest.fixture(scope="module")
def manual(site: Path) -> Iterator[str]:
    srv = ServerThread(manual_dir=str(site)).start()
    try:
        yield f"{srv.base_url}/_zoomlive/manual/"
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = chromium_path()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path,
                               args=["--no-sandbox", "--disable-dev-shm-usage"])  # fmt: skip
        yield b
        b.close()


@pytest.mark.parametrize(
    ("page_path", "heading"),
    [("", "zoomlive"), ("reference/settings/", "Settings")],
)
def test_a_page_of_the_site_renders_offline(
    browser: Browser, manual: str, page_path: str, heading: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    context = browser.new_context(viewport=VIEWPORT)
    offline = Offline().install(context)
    p = context.new_page()
    blank = pixel_stddev(p, p.screenshot())  # about:blank
    answer = p.goto(manual + page_path)
    assert answer is not None and answer.status == 200
    p.wait_for_selector("h1")
    assert heading.lower() in p.inner_text("h1").lower(), p.inner_text("h1")
    assert p.locator("nav").count() >= 1  # the site's navigation is there
    shots = screenshot_dir(tmp_path_factory.mktemp("site-shots"))
    name = page_path.strip("/").replace("/", "-") or "home"
    png = p.screenshot(path=str(shots / f"site-{name}.png"))
    assert pixel_stddev(p, png) > blank + 10
    context.close()
    assert offline.refused == []

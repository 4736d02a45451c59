"""Real Chromium for the dashboard's tests: Debian's ``chromium``, driven by Playwright
over CDP (no browser download: ``executable_path`` is the system's).

``offline`` makes the page's network unavailable beyond this machine: any request to
another host is aborted and recorded, so a page that needs a CDN shows it.
"""

from __future__ import annotations

import base64
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Route

LOCAL_HOSTS = ("127.0.0.1", "localhost")


def chromium_path() -> str:
    found = os.environ.get("ZOOMLIVE_CHROMIUM") or shutil.which("chromium")
    if not found:
        if os.environ.get("ZOOMLIVE_REQUIRE_SERVICES") == "1":
            pytest.fail("chromium not found (apt-get install chromium; .ci/run does)")
        pytest.skip("chromium not found (apt-get install chromium)")
    return found


@dataclass
class Offline:
    """Requests the page tried to send off this machine (all refused)."""

    refused: list[str] = field(default_factory=list)

    def install(self, context: BrowserContext) -> Offline:
        def handle(route: Route) -> None:
            url = route.request.url
            host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
            if url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
                route.continue_()
            else:
                self.refused.append(url)
                route.abort("internetdisconnected")

        context.route("**/*", handle)
        return self


def pixel_stddev(page: Page, png: bytes) -> float:
    """Standard deviation of the screenshot's luminance, computed by the browser from
    the PNG (a blank page gives 0)."""
    data = base64.b64encode(png).decode()
    result = page.evaluate(
        """async (data) => {
            const img = new Image();
            img.src = "data:image/png;base64," + data;
            await img.decode();
            const c = document.createElement("canvas");
            c.width = img.width; c.height = img.height;
            const ctx = c.getContext("2d");
            ctx.drawImage(img, 0, 0);
            const px = ctx.getImageData(0, 0, c.width, c.height).data;
            let n = 0, sum = 0, sq = 0;
            for (let i = 0; i < px.length; i += 4) {
                const y = 0.2126 * px[i] + 0.7152 * px[i + 1] + 0.0722 * px[i + 2];
                n++; sum += y; sq += y * y;
            }
            const mean = sum / n;
            return Math.sqrt(Math.max(sq / n - mean * mean, 0));
        }""",
        data,
    )
    return float(result)


def screenshot_dir(tmp: Path) -> Path:
    """Where screenshots go: ``ZOOMLIVE_SCREENSHOT_DIR`` (the README's come from
    ``ZOOMLIVE_SCREENSHOT_DIR=docs/screenshots``), else a temporary folder."""
    given = os.environ.get("ZOOMLIVE_SCREENSHOT_DIR")
    path = Path(given) if given else tmp
    path.mkdir(parents=True, exist_ok=True)
    return path

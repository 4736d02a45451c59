"""The documentation site, served offline at ``/_zoomlive/manual`` when a built one is
present (``mkdocs build``'s ``site/`` in a clone, or ``ZOOMLIVE_MANUAL_DIR``), and the
start banner saying where; a server without one answers 404 there."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import httpx

from zoomlive.cli.serve import banner
from zoomlive.server.settings import ServerSettings
from zoomlive.testing.runner import ServerThread


def _site(root: Path) -> Path:
    (root / "reference" / "settings").mkdir(parents=True)
    (root / "index.html").write_text("<h1>zoomlive manual home</h1>")
    (root / "reference" / "settings" / "index.html").write_text("<h1>Settings page</h1>")
    (root.parent / "secret.txt").write_text("outside the site")
    return root


def test_a_built_site_is_served_at_manual_and_nothing_outside_it(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    srv = ServerThread(manual_dir=str(site)).start()
    try:
        with httpx.Client(base_url=srv.base_url, timeout=10) as http:
            home = http.get("/_zoomlive/manual/")
            assert home.status_code == 200 and "manual home" in home.text
            assert home.headers["content-type"].startswith("text/html")
            page = http.get("/_zoomlive/manual/reference/settings/")
            assert page.status_code == 200 and "Settings page" in page.text
            outside = http.get("/_zoomlive/manual/%2E%2E/secret.txt")
            assert outside.status_code == 404 and "outside the site" not in outside.text
    finally:
        srv.stop()


def test_without_a_built_site_there_is_no_manual(tmp_path: Path) -> None:
    srv = ServerThread(manual_dir=str(tmp_path / "empty")).start()
    try:
        r = httpx.get(f"{srv.base_url}/_zoomlive/manual/", timeout=10)
        assert r.status_code == 404
    finally:
        srv.stop()


def test_the_banner_says_where_the_manual_is(tmp_path: Path) -> None:
    def shown(settings: ServerSettings) -> str:
        rt = SimpleNamespace(demo=None, admin_token="t", settings=settings,
                             media=SimpleNamespace(description="off"))  # fmt: skip
        out = io.StringIO()
        banner(rt, "http://127.0.0.1:9000", out)
        return out.getvalue()

    site = _site(tmp_path / "site")
    assert "Manual          http://127.0.0.1:9000/_zoomlive/manual/" in shown(
        ServerSettings(manual_dir=str(site))
    )
    assert "Manual" not in shown(ServerSettings(manual_dir=str(tmp_path / "none")))

"""The API reference pages of the documentation site are generated from the OpenAPI
document the server serves, so each lists every operation of its API exactly once."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

from zoomlive.server.app import openapi_document

ROOT = Path(__file__).resolve().parents[1]


def _hooks() -> Any:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "scripts/docs_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(table: str) -> list[tuple[str, str]]:
    return re.findall(r"^\| `[^`]*` \| `([A-Z]+)` \| `([^`]+)` \|", table, re.M)


def test_reference_pages_list_every_served_operation_once() -> None:
    hooks = _hooks()
    served = [
        (method.upper(), path)
        for path, item in openapi_document()["paths"].items()
        for method in hooks.METHODS
        if method in item
    ]
    zoom, control = _rows(hooks.zoom_api()), _rows(hooks.control_api())
    assert sorted(zoom + control) == sorted(served)
    assert all(path.startswith("/_zoomlive/") for _, path in control)
    assert not any(path.startswith("/_zoomlive/") for _, path in zoom)
    assert ("PATCH", "/v2/meetings/{meetingId}/livestream") in zoom
    assert ("POST", "/_zoomlive/reset") in control


def test_reference_pages_are_in_the_site() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    for page, marker in (("zoom-api", "zoom_api"), ("control-api", "control_api")):
        assert f"reference/{page}.md" in nav
        assert f"<!-- generated: {marker} -->" in (ROOT / f"docs/reference/{page}.md").read_text()

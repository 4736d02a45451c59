"""Zoom's published OpenAPI (2025), for contract tests: the operations zoomlive
implements (live stream, meetings, webinars) and the components they use, cut from
Zoom's file by ``scripts/vendor-zoom-spec`` into ``tests/data/`` (its
``x-zoomlive-source`` names the source and its SHA-256), so the contract tests run
from any clone. ``ZOOMLIVE_ZOOM_SPEC`` points at another file.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT

VENDORED = ROOT / "tests" / "data" / "zoom-openapi-subset.json"


def spec_path() -> Path:
    override = os.environ.get("ZOOMLIVE_ZOOM_SPEC")
    return Path(override) if override else VENDORED


@cache
def load_spec() -> dict[str, Any]:
    path = spec_path()
    if not path.exists():
        pytest.fail(f"Zoom's OpenAPI not found at {path} (scripts/vendor-zoom-spec makes it)")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def operation(path: str, method: str) -> dict[str, Any]:
    op: dict[str, Any] = load_spec()["paths"][path][method]
    return op


def schema(ref_holder: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema that resolves the spec's ``#/components/...`` references."""
    return {**ref_holder, "components": load_spec()["components"]}


_ERR = re.compile(r"\*\*Error Code:\*\*\s*`(\d+)`\s*<br>\s*(.*?)\s*<br>", re.S)


def documented_errors(op: dict[str, Any], status: str) -> list[tuple[int, str, re.Pattern[str]]]:
    """(code, message, message pattern) triples listed in a response description;
    in the pattern, each ``{placeholder}`` matches any text."""
    text = op["responses"][status].get("description", "")
    out = []
    for code, message in _ERR.findall(text):
        pattern = re.escape(message.strip())
        pattern = re.sub(r"\\\{\w+\\\}", r".+", pattern)
        out.append((int(code), message.strip(), re.compile(pattern)))
    return out

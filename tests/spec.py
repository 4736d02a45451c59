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


def answer_schema(path: str, method: str, status: str) -> dict[str, Any]:
    """The JSON Schema of an operation's ``application/json`` answer of ``status``."""
    content = operation(path, method)["responses"][status]["content"]["application/json"]
    return schema(content["schema"])


def resolve(node: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A schema node with its ``$ref`` followed and an ``allOf`` merged into one
    object of all the parts' properties."""
    while "$ref" in node:
        node = components["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node:
        props: dict[str, Any] = {}
        for part in node["allOf"]:
            props.update(resolve(part, components).get("properties", {}))
        return {"type": "object", "properties": props}
    return node


def missing_fields(body: dict[str, Any], node: dict[str, Any], components: dict[str, Any],
                   prefix: str = "") -> list[str]:  # fmt: skip
    """Every field the schema lists (through objects; a list's items are its own)
    that ``body`` lacks, as dotted paths."""
    out: list[str] = []
    for name, sub in resolve(node, components).get("properties", {}).items():
        if name not in body:
            out.append(prefix + name)
            continue
        sub = resolve(sub, components)
        if sub.get("properties") and isinstance(body[name], dict):
            out += missing_fields(body[name], sub, components, f"{prefix}{name}.")
    return out


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

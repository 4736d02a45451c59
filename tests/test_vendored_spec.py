"""The vendored extract of Zoom's OpenAPI (``scripts/vendor-zoom-spec``) names its
source, holds the paths zoomlive implements, and every reference in it resolves."""

from __future__ import annotations

import json

from tests.spec import VENDORED


def test_the_extract_names_its_source_and_holds_the_implemented_paths() -> None:
    data = json.loads(VENDORED.read_text())
    assert (
        data["x-zoomlive-source"]["repository"]
        == "ballerina-platform/module-ballerinax-zoom.meetings"
    )
    assert len(data["x-zoomlive-source"]["sha256"]) == 64
    assert sorted(data["paths"]) == [
        "/meetings/{meetingId}",
        "/meetings/{meetingId}/livestream",
        "/meetings/{meetingId}/livestream/status",
        "/meetings/{meetingId}/status",
        "/users/{userId}/meetings",
        "/users/{userId}/webinars",
        "/webinars/{webinarId}",
        "/webinars/{webinarId}/livestream",
        "/webinars/{webinarId}/livestream/status",
        "/webinars/{webinarId}/status",
    ]


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        return {v for k, v in node.items() if k == "$ref"} | {
            r for v in node.values() for r in _refs(v)
        }
    if isinstance(node, list):
        return {r for v in node for r in _refs(v)}
    return set()


def test_every_reference_in_the_extract_resolves() -> None:
    data = json.loads(VENDORED.read_text())
    for ref in _refs(data):
        _, _, section, name = ref.split("/", 3)
        assert name in data["components"][section], ref

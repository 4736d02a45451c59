"""``prefers_xml``: XML only when ``Accept`` ranks it above JSON (Decision 8)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zoomlive.server.rendering import prefers_xml


@pytest.mark.parametrize(
    ("accept", "xml"),
    [
        (None, False), ("", False), ("*/*", False), ("application/json", False),
        ("application/xml", True), ("text/xml", True),
        ("APPLICATION/XML", True), ("Application/Xml;Q=0.9, */*;q=0.8", True),  # RFC 9110 8.3.1
        ("application/xml, application/json", True),  # a tie: the first listed wins
        ("application/json, application/xml", False),
        ("application/json;q=0.5, application/xml", True),
        ("application/xml;q=0.5, application/json", False),
        ("application/xml;q=0.9, */*;q=0.8", True),
        ("*/*, application/xml", False),  # */* is JSON, listed first, same q
        ("application/*, application/xml;q=1", False),
        ("application/xml;q=0", False), ("application/xml;q=0.0, */*;q=0", False),
        ("application/xml;q=abc", False),  # an unreadable q counts as 0
        ("application/xml ; q=0.7 , application/json ; q=0.6", True),
        ("application/xhtml+xml", False), ("text/html, application/xml;q=0.1", True),
    ],
)  # fmt: skip
def test_prefers_xml(accept: str | None, xml: bool) -> None:
    assert prefers_xml(accept) is xml


MEDIA = st.sampled_from(["application/xml", "text/xml", "application/json", "*/*",
                         "application/*", "text/html"])  # fmt: skip
Q = st.one_of(st.none(), st.sampled_from(["0", "0.1", "0.5", "0.9", "1", "x"]))


@given(st.lists(st.tuples(MEDIA, Q), max_size=5))
def test_xml_only_when_it_outranks_json(parts: list[tuple[str, str | None]]) -> None:
    accept = ", ".join(m + (f";q={q}" if q is not None else "") for m, q in parts)

    def q_of(q: str | None) -> float:
        if q is None:
            return 1.0
        try:
            return float(q)
        except ValueError:
            return 0.0

    xml = [q_of(q) for m, q in parts if m in ("application/xml", "text/xml")]
    json = [q_of(q) for m, q in parts if m in ("application/json", "*/*", "application/*")]
    best_xml, best_json = max(xml, default=-1.0), max(json, default=-1.0)
    first = next((m for m, _ in parts if m != "text/html"), None)
    expected = best_xml > 0 and (
        best_xml > best_json or (best_xml == best_json and first in ("application/xml", "text/xml"))
    )
    assert prefers_xml(accept) is expected

"""Rendering errors as Zoom does: JSON by default, XML when the client prefers it."""

from __future__ import annotations

from xml.sax.saxutils import escape

import msgspec
from msgspec import UNSET

from zoomlive.server.problems import ZoomProblem
from zoomlive.wire.models import ErrorBody, OAuthError

JSON_TYPE = "application/json;charset=UTF-8"
XML_TYPE = "application/xml;charset=UTF-8"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def prefers_xml(accept: str | None) -> bool:
    """True only when ``Accept`` ranks XML above JSON (Decision 8).

    No header, ``*/*`` or a tie keep JSON, except a tie in which XML is listed first.
    Media types are case-insensitive (RFC 9110 §8.3.1): ``APPLICATION/XML`` is XML.
    """
    if not accept:
        return False
    accept = accept.lower()
    if "xml" not in accept:
        return False
    xml_q = json_q = -1.0
    first: str | None = None
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media in ("application/xml", "text/xml"):
            xml_q = max(xml_q, q)
            first = first or "xml"
        elif media in ("application/json", "*/*", "application/*"):
            json_q = max(json_q, q)
            first = first or "json"
    if xml_q <= 0:
        return False
    return xml_q > json_q or (xml_q == json_q and first == "xml")


def render_problem(problem: ZoomProblem, accept: str | None) -> tuple[bytes, str]:
    """Body and media type for an error answer."""
    if problem.oauth_error is not None:
        return msgspec.json.encode(OAuthError(problem.message, problem.oauth_error)), JSON_TYPE
    if prefers_xml(accept):
        return _xml(problem).encode(), XML_TYPE
    body = ErrorBody(problem.code, problem.message, problem.errors if problem.errors else UNSET)
    return msgspec.json.encode(body), JSON_TYPE


def _xml(problem: ZoomProblem) -> str:
    code = f"<code>{problem.code}</code><message>{escape(problem.message)}</message>"
    if not problem.errors:
        return f"{_XML_HEAD}<error>{code}</error>"
    errors = "".join(
        f"<errors><field>{escape(e.field)}</field><message>{escape(e.message)}</message></errors>"
        for e in problem.errors
    )
    return f"{_XML_HEAD}<result>{code}{errors}</result>"

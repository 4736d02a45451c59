"""A validation failure's reason in words: msgspec names a pattern by its regex, the
control API (and a seed file, ``seeding``) by what it means."""

from __future__ import annotations

import ast
import re

from zoomlive.server.services.faults import (
    HEADER_NAME_PATTERN,
    HEADER_VALUE_PATTERN,
    METHOD_PATTERN,
)
from zoomlive.server.services.inputs import (
    EMAIL_PATTERN,
    ID_PATTERN,
    SCOPE_PATTERN,
    TEXT_PATTERN,
    URL_PATTERN,
)

#: What each pattern means, for messages (msgspec would print the regex).
_PATTERNS = {
    TEXT_PATTERN: "printable text (no control characters)",
    ID_PATTERN: "an id: printable, no control characters and no '/'",
    EMAIL_PATTERN: "an email address",
    SCOPE_PATTERN: "a scope name (no spaces)",
    URL_PATTERN: "an absolute http(s) URL",
    METHOD_PATTERN: "an HTTP method or *",
    HEADER_NAME_PATTERN: "an HTTP header name (RFC 9110 token)",
    HEADER_VALUE_PATTERN: "visible ASCII, space or tab (no CR or LF)",
}
_REGEX = re.compile(r"`str` matching regex (.+)$", re.S)


def reason(text: str) -> str:
    """``text`` with a pattern it names said in words."""
    found = _REGEX.search(text)
    if found is None:
        return text
    try:
        pattern = ast.literal_eval(found.group(1))
    except (SyntaxError, ValueError):
        pattern = None
    return text[: found.start()] + _PATTERNS.get(str(pattern), "in the documented form")

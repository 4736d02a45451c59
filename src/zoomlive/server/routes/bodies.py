"""Request bodies as Zoom accepts them: JSON, or multipart/form-data (Decision 1).

A form's fields are all text; each is read as the JSON value its model's field type
says (a number, a boolean, an object or a list), so a form sets what a JSON body
sets. Text that does not read as its type stays text and fails validation as that
field. Fields the model does not type stay text.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from zoomlive.server.problems import ZoomProblem
from zoomlive.wire import errors as E

INVALID_MULTIPART = E.ZoomErrorSpec(400, 300, "Invalid multipart/form-data body.")
#: The live stream bodies' field types: ``settings`` (of ``…/livestream/status``) is
#: an object, the rest text.
LIVESTREAM_FORM_TYPES: Mapping[str, str] = {"settings": "object"}
#: An integer as form text: bounded before it reaches ``int`` (Zoom's are int32/int64).
_INTEGER = re.compile(r"-?[0-9]{1,19}")


def decode_json(raw: bytes | str) -> Any:
    """JSON text as Python values, or a Zoom-shaped 400/300.

    Nesting deeper than the decoder's recursion limit (about 1,000 levels fit in
    2 KB) is invalid JSON here, not a crash. Every body is decoded through this.
    """
    try:
        return msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        raise ZoomProblem.of(E.INVALID_JSON) from None


def decode_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON request body, which must be an object."""
    body = decode_json(raw)
    if not isinstance(body, dict):
        raise ZoomProblem.of(E.INVALID_JSON)
    return body


def form_value(text: str, kind: str | None) -> Any:
    """A form field's text as the value of its type, or the text unchanged."""
    if kind in ("integer", "number"):
        return int(text) if _INTEGER.fullmatch(text) else text
    if kind == "boolean":
        lowered = text.lower()
        return lowered == "true" if lowered in ("true", "false") else text
    if kind in ("object", "array"):
        with contextlib.suppress(ZoomProblem):
            return decode_json(text)
    return text

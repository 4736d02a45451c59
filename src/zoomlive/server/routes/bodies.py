"""Request bodies as Zoom accepts them: JSON, or multipart/form-data (Decision 1)."""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException

from zoomlive.server.problems import ZoomProblem
from zoomlive.wire import errors as E

INVALID_MULTIPART = E.ZoomErrorSpec(400, 300, "Invalid multipart/form-data body.")


def media_type(request: Request[Any, Any, Any]) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def decode_json(raw: bytes | str) -> Any:
    """JSON text as Python values, or a Zoom-shaped 400/300.

    Nesting deeper than the decoder's recursion limit (about 1,000 levels fit in
    2 KB) is invalid JSON here, not a crash. Both front doors decode through this.
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


async def read_body(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The body as a dict of fields, or a Zoom-shaped 400/415."""
    kind = media_type(request)
    if kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json")):
        return decode_json_object(await request.body())
    if kind == "multipart/form-data":
        return await _multipart(request)
    raise ZoomProblem.of(E.UNSUPPORTED_CONTENT_TYPE)


async def _multipart(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        form = await request.form()
    except HTTPException as exc:
        if exc.status_code == 413:
            raise
        raise ZoomProblem.of(INVALID_MULTIPART) from None
    except (ValueError, UnicodeDecodeError):
        raise ZoomProblem.of(INVALID_MULTIPART) from None
    out: dict[str, Any] = {}
    for key, value in form.multi_items():
        # A file part is not a field value: keep a marker that fails validation.
        out[key] = value if isinstance(value, str) else object()
    settings = out.get("settings")
    if isinstance(settings, str):
        # Text that is not JSON stays text, and fails validation as a field.
        with contextlib.suppress(ZoomProblem):
            out["settings"] = decode_json(settings)
    return out

"""How the control API answers bad input: Zoom's validation shape, naming the field.

Litestar validates bodies, path and query parameters with msgspec and raises one
``ValidationException``; these handlers (installed on the control router) turn it into
400/300 ``{"code", "message", "errors": [{"field", "message"}]}`` as the public API
answers (README, Decision 2), with the msgspec reason in words rather than a regex.
"""

from __future__ import annotations

import json
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException

from zoomlive.server.middleware import render_error
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.services.reasons import reason as _reason
from zoomlive.wire import errors as E
from zoomlive.wire.models import FieldError

_NAMED = re.compile(r"^Invalid parameter: ([^\s]+?)\. ")
_OBJECT_FIELD = re.compile(r"^Object (contains unknown|missing required) field `(.*)`$", re.S)
_PLAIN = re.compile(r"\w+")


def field_problem(field: str, reason: str) -> ZoomProblem:
    """400/300 naming the field, in the public API's validation shape (Decision 2):
    ``field`` is the path (``headers``, ``scopes[2]``), the message names the leaf."""
    field = field.replace("[...]", "")
    leaf = re.sub(r"\[[^\]]*\]", "", field).rpartition(".")[2] or field
    if not _PLAIN.fullmatch(leaf):  # an unknown field's name can be anything
        leaf = json.dumps(leaf)
    status, code, message = E.INVALID_FIELD.format(field=leaf, reason=_reason(reason).rstrip("."))
    return ZoomProblem(status, code, message, errors=[FieldError(field, message)])


def validation_problem(exc: ValidationException) -> ZoomProblem:
    """Litestar's (msgspec's) validation failure as a Zoom-shaped 400 naming the field.

    msgspec reports one error: ``key`` is the dotted path within the body (``data``
    for the body itself) or the name of a path or query parameter.
    """
    items = [i for i in exc.extra if isinstance(i, dict)] if isinstance(exc.extra, list) else []
    if not items:
        return ZoomProblem.of(E.INVALID_JSON)
    item = items[0]
    key, reason = str(item.get("key") or "data"), str(item.get("message") or "Invalid value")
    if (named := _NAMED.match(reason)) is not None:  # raised by a model's __post_init__
        return field_problem(named.group(1), reason[named.end() :])
    if key == "data":
        found = _OBJECT_FIELD.match(reason)
        if found is None:
            return ZoomProblem.of(E.INVALID_JSON)
        name = found.group(2)
        if found.group(1) == "missing required":
            status, code, message = E.MISSING_FIELD.format(field=name)
            return ZoomProblem(status, code, message, errors=[FieldError(name, message)])
        return field_problem(name, "Unknown field")
    return field_problem(key, reason)


def on_deep_json(request: Request[Any, Any, Any], exc: RecursionError) -> Response[bytes]:
    """JSON nested deeper than the decoder goes (about 1,000 levels): not a crash, a
    body we refuse, as the public API does."""
    body, media = render_error(
        request.scope, ZoomProblem.of(E.INVALID_JSON), request.headers.get("accept")
    )
    return Response(body, status_code=400, media_type=media)


def on_bad_request(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    """Every 400 Litestar raises on a control route: a bad value names its field; a
    body that is not JSON gets the public API's answer (Decision 1)."""
    if isinstance(exc, ValidationException):
        problem = validation_problem(exc)
    elif isinstance(exc.__cause__, SerializationException):
        problem = ZoomProblem.of(E.INVALID_JSON)
    else:
        problem = ZoomProblem.of(E.BAD_REQUEST, detail=exc.detail)
    body, media = render_error(request.scope, problem, request.headers.get("accept"))
    return Response(body, status_code=problem.status, media_type=media)

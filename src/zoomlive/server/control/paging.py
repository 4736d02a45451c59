"""Control-API lists, paged as Zoom's list APIs page them.

Zoom's lists (``GET /users/{userId}/meetings``, for one) take ``page_size``
(default 30, at most 300) and return ``next_page_token``, empty on the last page,
with ``page_size`` and ``total_records`` beside the items. A page here is a range
of the table's primary key (keyset paging): the token is the last key of the
previous page, opaque to the caller, so each row comes exactly once however deep
the list, and rows added meanwhile do not shift the pages. A bad ``page_size`` is
Zoom's 300 "Validation Failed." naming the field (Litestar's validation, answered
through the control API's error handler).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeVar

from litestar.params import QueryParameter

from zoomlive.server.problems import ZoomProblem
from zoomlive.wire import errors as E
from zoomlive.wire.models import FieldError

T = TypeVar("T")
K = TypeVar("K", int, str)

DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 300

PageSize = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)]
PageToken = Annotated[
    str | None,
    QueryParameter(max_length=512, pattern=r"^[A-Za-z0-9_=-]*$", query="next_page_token"),
]


def encode_token(key: int | str) -> str:
    return base64.urlsafe_b64encode(json.dumps([key]).encode()).decode()


def decode_token(token: str | None, key_type: type[K]) -> K | None:
    """The last key of the previous page; None for the first page. A token this
    server did not make is a validation error naming ``next_page_token``."""
    if not token:
        return None
    try:
        (key,) = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, TypeError):
        key = None
    if type(key) is not key_type:
        err = FieldError("next_page_token", "Invalid next_page_token.")
        raise ZoomProblem.of(E.VALIDATION_FAILED, errors=[err])
    return key


async def page(
    name: str,
    fetch: Callable[[K | None, int], Awaitable[Sequence[T]]],
    count: Callable[[], Awaitable[int]],
    key_of: Callable[[T], K],
    key_type: type[K],
    page_size: int,
    token: str | None,
) -> dict[str, Any]:
    """One page: ``fetch(after, limit)`` returns up to ``limit`` rows after the key
    ``after`` in key order; one more than the page is asked for, to know if another
    page follows."""
    after = decode_token(token, key_type)
    rows = list(await fetch(after, page_size + 1))
    more = len(rows) > page_size
    rows = rows[:page_size]
    return {
        "page_size": page_size,
        "next_page_token": encode_token(key_of(rows[-1])) if more else "",
        "total_records": await count(),
        name: rows,
    }

"""Path and query parameters of the control API, bounded so a bad value is a 400
naming it (README, Decision 2), never a database error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar

from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from zoomlive.server.runtime import Runtime
from zoomlive.server.services.inputs import ID_PATTERN, INT32_MAX, TEXT_PATTERN
from zoomlive.server.services.paging import MAX_PAGE_SIZE, keyset_page
from zoomlive.wire.ids import MAX_ID

#: Ids are printable and hold no ``/``; numbers fit the database.
PathStr = Annotated[str, PathParameter(pattern=ID_PATTERN)]
PathMeetingId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
PathFaultId = Annotated[int, PathParameter(ge=1, le=INT32_MAX)]
QueryText = Annotated[str | None, QueryParameter(max_length=1024, pattern=TEXT_PATTERN)]
QueryTime = Annotated[float | None, QueryParameter(ge=-1e15, le=1e15)]
QueryLimit = Annotated[int | None, QueryParameter(ge=1, le=INT32_MAX)]
OutboxStatus = Literal["pending", "delivered", "failed"]
#: Zoom's list paging: ``page_size`` 1 to 300 (out of range: 400 naming it, as every
#: control parameter) and the opaque ``next_page_token`` (``services.paging``).
PageSize = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)]
PageToken = Annotated[
    str | None,
    QueryParameter(max_length=512, pattern=r"^[A-Za-z0-9_.=-]*$"),
]

T = TypeVar("T")
K = TypeVar("K", int, str)

#: The server's ``Runtime``, injected by name (``control_router`` provides ``rt``).
RuntimeDep = NamedDependency[Runtime]


async def paged(
    rt: Runtime,
    name: str,
    scope: str,
    fetch: Callable[[K | None, int], Awaitable[Sequence[T]]],
    count: Callable[[], Awaitable[int]],
    key_of: Callable[[T], K],
    key_type: type[K],
    page_size: int,
    token: str | None,
) -> dict[str, Any]:
    """A page of a control-API list, its token made by the server's one codec and
    bound to ``control|<name>|<scope>`` (a token of one list, or of one filter, does
    not page another)."""
    return await keyset_page(
        rt.pages, f"control|{name}|{scope}", rt.clock.now(), name,
        fetch, count, key_of, key_type, page_size, token,
    )  # fmt: skip

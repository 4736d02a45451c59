"""Path and query parameters of the control API, bounded so a bad value is a 400
naming it (README, Decision 2), never a database error."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from zoomlive.server.control.models import ID_PATTERN, INT32_MAX, TEXT_PATTERN
from zoomlive.server.runtime import Runtime
from zoomlive.wire.ids import MAX_ID

#: Ids are printable and hold no ``/``; numbers fit the database.
PathStr = Annotated[str, PathParameter(pattern=ID_PATTERN)]
PathMeetingId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
PathFaultId = Annotated[int, PathParameter(ge=1, le=INT32_MAX)]
QueryText = Annotated[str | None, QueryParameter(max_length=1024, pattern=TEXT_PATTERN)]
QueryTime = Annotated[float | None, QueryParameter(ge=-1e15, le=1e15)]
QueryLimit = Annotated[int | None, QueryParameter(ge=1, le=INT32_MAX)]
OutboxStatus = Literal["pending", "delivered", "failed"]

#: The server's ``Runtime``, injected by name (``control_router`` provides ``rt``).
RuntimeDep = NamedDependency[Runtime]

"""Litestar's floor: one empty GET handler answering 204, nothing else configured."""

from __future__ import annotations

from litestar import Litestar, get


@get("/", status_code=204)
async def empty() -> None:
    return None


app = Litestar(route_handlers=[empty], openapi_config=None, logging_config=None, debug=False)

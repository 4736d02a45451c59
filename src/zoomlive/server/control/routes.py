"""The control API's router: its controllers behind the admin bearer token.

Each controller (one module per resource) translates HTTP and calls the runtime's
services; the ``Runtime`` reaches them by dependency injection from ``app.state``.
The token guard, the 400 handlers (``control/errors.py``) and the OpenAPI tag are set
here once; ``/_zoomlive/health`` answers without the token.
"""

from __future__ import annotations

import hmac
from typing import Any, cast

from litestar import Router
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import Provide
from litestar.handlers import BaseRouteHandler

from zoomlive.server.control.accounts import AccountsController
from zoomlive.server.control.errors import on_bad_request, on_deep_json
from zoomlive.server.control.meetings import MeetingsController
from zoomlive.server.control.ops import OpsController, health
from zoomlive.server.control.webhooks import WebhooksController
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.runtime import Runtime
from zoomlive.wire import errors as E


def runtime(state: State) -> Runtime:
    """The server's ``Runtime`` (``create_app`` puts it in ``app.state``)."""
    return cast(Runtime, state.runtime)


async def admin_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """``Authorization: Bearer <admin token>``, compared in constant time."""
    token = runtime(connection.app.state).admin_token
    header = connection.headers.get("authorization", "")
    given = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        raise ZoomProblem.of(E.TOKEN_INVALID)


def control_router() -> Router:
    protected = Router(
        "/",
        route_handlers=[AccountsController, MeetingsController, OpsController, WebhooksController],
        guards=[admin_guard],
    )
    return Router(
        "/_zoomlive",
        route_handlers=[health, protected],
        dependencies={"rt": Provide(runtime, sync_to_thread=False)},
        tags=["zoomlive control API"],
        exception_handlers={400: on_bad_request, RecursionError: on_deep_json},
    )

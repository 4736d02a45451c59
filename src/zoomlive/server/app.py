"""``create_app(settings)``: the Litestar application, built with no global state."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Receive, Scope, Send

from zoomlive.server.clock import Clock
from zoomlive.server.control.routes import control_router
from zoomlive.server.crashes import log_crash, request_secrets
from zoomlive.server.middleware import allow_header, front, render_error, request_info
from zoomlive.server.problems import ZoomProblem, unavailable
from zoomlive.server.routes.door import door
from zoomlive.server.routes.livestream import LiveStreamEndpoints
from zoomlive.server.routes.meetings import MeetingEndpoints
from zoomlive.server.routes.oauth import oauth_handlers
from zoomlive.server.routes.users import UserEndpoints
from zoomlive.server.runtime import Runtime
from zoomlive.server.settings import ServerSettings
from zoomlive.server.storage.failures import StorageUnavailable
from zoomlive.server.ui import document, openapi_config, template_config, ui_handlers
from zoomlive.wire import errors as E
from zoomlive.wire.meetings import MeetingRoute
from zoomlive.wire.models import FieldError
from zoomlive.wire.paths import Route
from zoomlive.wire.users import UserRoute

log = logging.getLogger("zoomlive.server")

_HTTP_ERRORS = {
    404: E.NOT_FOUND_PATH,
    405: E.METHOD_NOT_ALLOWED,
    413: E.BODY_TOO_LARGE,
    415: E.UNSUPPORTED_CONTENT_TYPE,
}


def _respond(request: Request[Any, Any, Any], problem: ZoomProblem) -> Response[bytes]:
    body, media = render_error(request.scope, problem, request.headers.get("accept"))
    request_info(request.scope).answered(problem)  # the front door adds the headers
    return Response(body, status_code=problem.status, media_type=media)


def _on_problem(request: Request[Any, Any, Any], exc: ZoomProblem) -> Response[bytes]:
    return _respond(request, exc)


def _on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if isinstance(exc, ValidationException):
        errors = []
        for item in exc.extra if isinstance(exc.extra, list) else []:
            if isinstance(item, dict):
                errors.append(FieldError(str(item.get("key", "")), str(item.get("message", ""))))
        return _respond(request, ZoomProblem.of(E.VALIDATION_FAILED, errors=errors or None))
    spec = _HTTP_ERRORS.get(exc.status_code)
    if exc.status_code == 405 and exc.headers and "allow" in exc.headers:
        # RFC 9110 §15.5.6: a 405 lists what the path does allow.
        allow = {"Allow": allow_header(exc.headers["allow"].split(", "))}
        return _respond(request, ZoomProblem.of(E.METHOD_NOT_ALLOWED, headers=allow))
    if spec is not None:
        return _respond(request, ZoomProblem.of(spec))
    return _respond(request, ZoomProblem(exc.status_code, exc.status_code, str(exc.detail)))


def _on_unavailable(request: Request[Any, Any, Any], _: StorageUnavailable) -> Response[bytes]:
    # Logged by the store, once per distinct failure per minute.
    return _respond(request, unavailable())


def _on_crash(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    scope: Any = request.scope
    tracking_id = request_info(scope).tracking_id
    secrets = request_secrets(scope["headers"], scope["query_string"])
    log_crash(log, request.method, request.url.path, tracking_id, exc, secrets)
    return _respond(request, ZoomProblem.of(E.INTERNAL))


def _on_deep_input(request: Request[Any, Any, Any], exc: RecursionError) -> Response[bytes]:
    """Input nested deeper than the decoder can follow (Litestar decodes the control
    API's bodies itself, so the live stream routes' ``decode_json`` cannot catch it):
    the body is not JSON this server can read, a 400/300 as on the live stream routes."""
    log.info("refused input nested too deep on %s %s", request.method, request.url.path)
    return _respond(request, ZoomProblem.of(E.INVALID_JSON))


class ZoomliveApp:
    """The ASGI application: the front door, the Zoom API's door, then Litestar."""

    def __init__(self, litestar: Litestar, runtime: Runtime, asgi: ASGIApp) -> None:
        self.litestar = litestar
        self.runtime = runtime
        self._asgi = asgi

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)


def create_app(
    settings: ServerSettings | None = None,
    *,
    clock: Clock | None = None,
    on_start: Callable[[Runtime], None] | None = None,
) -> ZoomliveApp:
    """Build the server. State lives in ``app.state.runtime``; nothing is global.

    ``on_start`` runs once the database is open and the demo seeded (the CLI
    prints its banner there).
    """
    settings = settings or ServerSettings()
    rt = Runtime.build(settings, clock)
    endpoints = LiveStreamEndpoints(rt)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await rt.start()
        # Start-up objects live as long as the process: keep them out of the
        # collector's generations so its pauses stay short under load.
        gc.collect()
        gc.freeze()
        if on_start is not None:
            on_start(rt)
        try:
            yield
        finally:
            await rt.stop()

    app = Litestar(
        route_handlers=[
            *oauth_handlers(rt),
            control_router(),
            *ui_handlers(settings),
        ],
        lifespan=[lifespan],
        exception_handlers={
            ZoomProblem: _on_problem,
            HTTPException: _on_http,
            StorageUnavailable: _on_unavailable,
            RecursionError: _on_deep_input,
            Exception: _on_crash,
        },
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi_config(),
        template_config=template_config(),
        logging_config=None,
        debug=False,
    )
    app.state.runtime = rt
    # Litestar's automatic OPTIONS answer lists only the methods of the first
    # handler registered on a path; the front door answers from the merged routes.
    allow = {
        route.path_format: allow_header(route.methods)
        for route in app.routes
        if isinstance(route, HTTPRoute)
    }
    # The front door wraps everything: Litestar's own middleware does not run for
    # unmatched routes, and their 404/405 need x-zm-trackingid and a journal entry too.
    handlers = {
        Route: endpoints.handle,
        MeetingRoute: MeetingEndpoints(rt).handle,
        UserRoute: UserEndpoints(rt).handle,
    }
    return ZoomliveApp(app, rt, front(rt, door(rt, handlers, app), allow))


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document the server serves at ``/_zoomlive/docs/openapi.json``, built
    in-process: ``zoomlive openapi`` prints it and the documentation site's API reference
    pages are generated from it. Building the app opens no database (the URL is never
    connected to), so this needs no running server.
    """
    server = create_app(ServerSettings(database_url="sqlite+aiosqlite:///:memory:"))
    return document(server.litestar)


__all__ = ["MediaType", "ZoomliveApp", "create_app", "openapi_document"]

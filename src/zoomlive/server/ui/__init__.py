"""The dashboard at ``/_zoomlive/ui``: server-rendered pages (Jinja2 through Litestar's
template support), actions behind CSRF tokens, live updates by server-sent events,
and the offline API docs. ``ui_handlers`` is what ``create_app`` mounts."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, Router
from litestar.di import Provide
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from zoomlive.server.control.routes import runtime
from zoomlive.server.middleware import request_info
from zoomlive.server.problems import ZoomProblem, unavailable
from zoomlive.server.settings import ServerSettings
from zoomlive.server.storage.failures import StorageUnavailable
from zoomlive.server.ui.actions import HANDLERS
from zoomlive.server.ui.docs import document, openapi_config, static_routers
from zoomlive.server.ui.live import live
from zoomlive.server.ui.pages import Pages, login_form, root
from zoomlive.server.ui.render import BASE, page, template_config
from zoomlive.server.ui.session import CsrfRefused, LoginRequired, viewer


def _rt(request: Request[Any, Any, Any]) -> Any:
    return runtime(request.app.state)


def _on_login_required(request: Request[Any, Any, Any], _: LoginRequired) -> Response[Any]:
    """A page asks for the login form (and comes back after it); anything else is a 401."""
    if request.method == "GET" and request.url.path != f"{BASE}/live":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"{BASE}/login?next={quote(target)}", status_code=303)
    return page(request, _rt(request), "refused.html", None, status_code=401,
                reason="Log in first, or send Authorization: Bearer <admin token>.")  # fmt: skip


def _on_csrf(request: Request[Any, Any, Any], _: CsrfRefused) -> Response[Any]:
    rt = _rt(request)
    return page(request, rt, "refused.html", viewer(request, rt.admin_token), status_code=403,
                reason="Refused: this form's CSRF token is missing or wrong. Reload the "
                       "page and try again.")  # fmt: skip


def _on_problem(request: Request[Any, Any, Any], problem: ZoomProblem) -> Response[Any]:
    rt = _rt(request)
    reason = f"{problem.status} {problem.code}: {problem.message}"
    who = viewer(request, rt.admin_token)
    return page(request, rt, "refused.html", who, status_code=problem.status, reason=reason)


def _on_unavailable(request: Request[Any, Any, Any], _: StorageUnavailable) -> Response[Any]:
    """The database cannot be reached (or a write's outcome is unknown): a page that
    says so, as the API's Zoom-shaped 503 does, rather than that JSON in a browser."""
    rt = _rt(request)
    problem = unavailable()
    reason = (f"{problem.status} {problem.code}: {problem.message} The database cannot be "
              "reached now; reload the page to see what is stored.")  # fmt: skip
    request_info(request.scope).answered(problem)  # its Retry-After
    return page(request, rt, "refused.html", viewer(request, rt.admin_token),
                status_code=problem.status, reason=reason)  # fmt: skip


def ui_handlers(settings: ServerSettings) -> list[ControllerRouterHandler]:
    return [
        root,
        *static_routers(settings),
        Router(
            "/",
            route_handlers=[login_form, Pages, live, *HANDLERS],
            dependencies={"rt": Provide(runtime, sync_to_thread=False)},
            exception_handlers={
                LoginRequired: _on_login_required,
                CsrfRefused: _on_csrf,
                ZoomProblem: _on_problem,
                StorageUnavailable: _on_unavailable,
            },
            include_in_schema=False,
        ),
    ]


__all__ = ["document", "openapi_config", "template_config", "ui_handlers"]

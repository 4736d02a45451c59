"""The dashboard's templates: one Jinja2 environment (autoescaping on for every
template, so a topic, a stream URL or a display name is always text), and the
context every page shares (navigation, CSRF token, server clock, the last action's
confirmation).

Jinja2 is imported when the first page is rendered, not when the app is built: a
server that only answers the Zoom API never pays for it (README: the server's
memory budget under the PATCH benchmark).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template
from litestar.template import TemplateEngineProtocol
from litestar.template.config import TemplateConfig

from zoomlive.server.runtime import Runtime
from zoomlive.server.ui.session import csrf_token
from zoomlive.server.ui.views import mask

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2 import Template as JinjaTemplate
    from litestar.plugins.jinja import JinjaTemplateEngine

BASE = "/_zoomlive/ui"
HERE = Path(__file__).parent
FLASH = "zoomlive_flash"
NAV = [
    ("", "Overview"),
    ("/meetings", "Meetings"),
    ("/webhooks", "Webhooks"),
    ("/journal", "Journal"),
    ("/faults", "Faults"),
    ("/clock", "Clock"),
]


def when(ts: float | None) -> str:
    if ts is None:
        return ""
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
    except (OverflowError, OSError, ValueError):
        return str(ts)


def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    env.filters["mask"] = mask
    env.filters["when"] = when
    return env


class LazyJinja(TemplateEngineProtocol["JinjaTemplate", Mapping[str, Any]]):
    """Litestar's Jinja2 engine, built (and Jinja2 imported) on the first render.

    Litestar takes the engine instance when the app is built; this stands in for it
    and hands every call to the real engine once there is one."""

    def __init__(self, directory: Any = None, engine_instance: Any = None) -> None:
        self._engine: JinjaTemplateEngine | None = None
        self._callables: list[tuple[str, Callable[..., Any]]] = []

    @property
    def engine(self) -> JinjaTemplateEngine:
        if self._engine is None:
            from litestar.plugins.jinja import JinjaTemplateEngine

            engine = JinjaTemplateEngine.from_environment(environment())
            for key, fn in self._callables:
                engine.register_template_callable(key, fn)
            self._engine = engine
        return self._engine

    def get_template(self, template_name: str) -> JinjaTemplate:
        return self.engine.get_template(template_name)

    def render_string(self, template_string: str, context: Mapping[str, Any]) -> str:
        return self.engine.render_string(template_string, context)

    def register_template_callable(self, key: str, template_callable: Callable[..., Any]) -> None:
        if self._engine is None:
            self._callables.append((key, template_callable))
        else:
            self._engine.register_template_callable(key, template_callable)


def template_config() -> TemplateConfig[LazyJinja]:
    return TemplateConfig(instance=LazyJinja())


def page(
    request: Request[Any, Any, Any],
    rt: Runtime,
    name: str,
    who: str | None,
    *,
    active: str = "",
    status_code: int = 200,
    live: str | None = None,
    **context: Any,
) -> Template:
    """Render ``name`` with the shared context; a pending confirmation (flash cookie)
    is shown once and cleared."""
    flash = request.cookies.get(FLASH, "")
    kind, _, text = unquote(flash).partition(":")
    cookies = [Cookie(key=FLASH, value="", max_age=0, path=BASE, httponly=True,
                      samesite="strict")] if flash else []  # fmt: skip
    return Template(
        template_name=name,
        status_code=status_code,
        cookies=cookies,
        headers={"Cache-Control": "no-store"},
        context={
            "base": BASE,
            "nav": NAV if who else None,
            "active": active,
            "csrf": csrf_token(rt.admin_token, who) if who and who != "bearer" else "",
            "clock_iso": rt.clock.datetime().isoformat(),
            "clock_now": rt.clock.now(),
            "clock_frozen": rt.clock.frozen,
            "done": text if kind == "ok" else "",
            "error": text if kind == "err" else "",
            "live_url": live,
            **context,
        },
    )


def flash_cookie(ok: bool, text: str) -> Cookie:
    """The confirmation the next page shows (a cookie, not a query parameter, so no
    link can make a page say something the server did not)."""
    safe = text.replace("\r", " ").replace("\n", " ")[:300]
    value = quote(("ok:" if ok else "err:") + safe)
    return Cookie(key=FLASH, value=value, path=BASE, httponly=True, samesite="strict", max_age=60)

"""The dashboard's templates: one Jinja2 environment (autoescaping on for every
template, so a topic, a stream URL or a display name is always text), and the
context every page shares (navigation, CSRF token, server clock, the last action's
confirmation)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from jinja2 import Environment, FileSystemLoader
from litestar import Request
from litestar.datastructures import Cookie
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from zoomlive.server.runtime import Runtime
from zoomlive.server.ui.session import csrf_token
from zoomlive.server.ui.views import mask

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
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    env.filters["mask"] = mask
    env.filters["when"] = when
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    env = environment()
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


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

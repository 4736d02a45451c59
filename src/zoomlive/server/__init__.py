"""The zoomlive server: a stateful, Zoom-compatible live stream API.

Needs the ``server`` extra. ``create_app(settings)`` builds the ASGI application.

The names are loaded on first use (PEP 562), so a process that needs one module of
the server (the media worker) does not import the web stack with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zoomlive.server.app import create_app
    from zoomlive.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from zoomlive.server.app import create_app

        return create_app
    if name == "ServerSettings":
        from zoomlive.server.settings import ServerSettings

        return ServerSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

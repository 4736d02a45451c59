"""The zoomlive server: a stateful, Zoom-compatible live stream API.

Needs the ``server`` extra. ``create_app(settings)`` builds the ASGI application.
"""

from zoomlive.server.app import create_app
from zoomlive.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]

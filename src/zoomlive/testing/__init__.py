"""The test kit: a fresh emulated Zoom in one line.

``mock_zoom()`` (context manager or decorator), the ``Zoom`` handle (credentials,
seed, faults, clock, journal), in-process httpx transports, and a pytest plugin
(fixtures ``zoom``, ``zoom_client``, ``async_zoom_client``, ``zoom_server``).
Needs the ``server`` extra.

The names load on first use (PEP 562): pytest imports this package for its plugin in
every run, including runs of projects that installed only the client, so importing it
must not import the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zoomlive.testing.events import EventCollector, Received
    from zoomlive.testing.handle import Zoom
    from zoomlive.testing.kit import mock_zoom, start_emulator
    from zoomlive.testing.runner import (
        AsyncInProcessTransport,
        InProcessServer,
        InProcessTransport,
        ServerThread,
    )

_WHERE = {
    "EventCollector": "zoomlive.testing.events",
    "Received": "zoomlive.testing.events",
    "Zoom": "zoomlive.testing.handle",
    "mock_zoom": "zoomlive.testing.kit",
    "start_emulator": "zoomlive.testing.kit",
    "AsyncInProcessTransport": "zoomlive.testing.runner",
    "InProcessServer": "zoomlive.testing.runner",
    "InProcessTransport": "zoomlive.testing.runner",
    "ServerThread": "zoomlive.testing.runner",
}


def needs_server() -> str:
    """What to tell a user whose install lacks the server (one line, no traceback).
    Built when needed: the plugin loads in every pytest run and imports nothing first."""
    from zoomlive.wire.dist import install_hint

    hint = install_hint("server")
    return f"zoomlive's test kit runs the emulator, which needs the server extra; {hint}"


class MissingExtraError(ImportError):
    """The test kit was used in an install without ``zoomlive[server]``."""


def load(module: str) -> Any:
    """Import a test-kit module, or raise one line naming the missing extra."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "zoomlive":
            raise
        raise MissingExtraError(f"{needs_server()} (missing module: {exc.name})") from None


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'zoomlive.testing' has no attribute {name!r}")
    return getattr(load(_WHERE[name]), name)


__all__ = [
    "AsyncInProcessTransport",
    "EventCollector",
    "InProcessServer",
    "InProcessTransport",
    "MissingExtraError",
    "Received",
    "ServerThread",
    "Zoom",
    "mock_zoom",
    "start_emulator",
]

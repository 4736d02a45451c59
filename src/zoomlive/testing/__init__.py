"""The test kit: a fresh emulated Zoom in one line.

``mock_zoom()`` (context manager or decorator), the ``Zoom`` handle (credentials,
seed, faults, clock, journal), in-process httpx transports, and a pytest plugin
(fixtures ``zoom``, ``zoom_client``, ``async_zoom_client``, ``zoom_server``).
Needs the ``server`` extra.
"""

from zoomlive.testing.events import EventCollector, Received
from zoomlive.testing.handle import Zoom
from zoomlive.testing.kit import mock_zoom, start_emulator
from zoomlive.testing.runner import (
    AsyncInProcessTransport,
    InProcessServer,
    InProcessTransport,
    ServerThread,
)

__all__ = [
    "AsyncInProcessTransport",
    "EventCollector",
    "InProcessServer",
    "InProcessTransport",
    "Received",
    "ServerThread",
    "Zoom",
    "mock_zoom",
    "start_emulator",
]

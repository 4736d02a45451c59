"""pytest plugin (registered by entry point): a fresh emulated Zoom per test.

Fixtures:

- ``zoom``: a ``Zoom`` handle on an in-process emulator, reset before each test
  (one emulator per session; a reset takes milliseconds).
- ``zoom_client`` / ``async_zoom_client``: clients for the demo app, wired to it.
- ``zoom_server``: the same on a real port on 127.0.0.1 (``zoom_server.base_url``,
  ``zoom_server.env()``), for subprocesses and clients in other languages.
- ``rtmp_sink``: an RTMP receiver on 127.0.0.1 (``rtmp_sink.url`` as ``stream_url``)
  reporting what arrived: stream name, codecs, size, frames, duration, bytes. Needs
  the ``media`` extra (PyAV).

Nothing is imported until a fixture is used, so the plugin costs nothing to
suites that do not use it, and a client-only install (no ``server`` extra) runs its
tests untouched; a test that uses a fixture there fails with one line naming the extra.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from zoomlive.client import AsyncClient, Client
    from zoomlive.testing.handle import Zoom
    from zoomlive.testing.rtmp_sink import RtmpSink


def _start(serve: bool) -> tuple[Any, Zoom]:
    from zoomlive.testing import MissingExtraError, load

    try:
        kit = load("zoomlive.testing.kit")
    except MissingExtraError as exc:
        missing: str | None = str(exc)
    else:
        missing = None
    if missing is not None:  # outside the except: one line, no chained report
        pytest.fail(missing, pytrace=False)
    started: tuple[Any, Zoom] = kit.start_emulator(serve=serve)
    return started


@pytest.fixture(scope="session")
def _zoomlive_in_process() -> Iterator[Zoom]:
    server, handle = _start(serve=False)
    try:
        yield handle
    finally:
        handle.close()
        server.stop()


@pytest.fixture(scope="session")
def _zoomlive_on_port() -> Iterator[Zoom]:
    server, handle = _start(serve=True)
    try:
        yield handle
    finally:
        handle.close()
        server.stop()


@pytest.fixture
def zoom(_zoomlive_in_process: Zoom) -> Zoom:
    """A fresh emulated Zoom (in-process): demo seeded, no faults, clock reset."""
    return _zoomlive_in_process.reset()


@pytest.fixture
def zoom_server(_zoomlive_on_port: Zoom) -> Zoom:
    """A fresh emulated Zoom on a real port on 127.0.0.1."""
    return _zoomlive_on_port.reset()


@pytest.fixture
def rtmp_sink() -> Iterator[RtmpSink]:
    """An RTMP receiver for one publish, closed after the test."""
    from zoomlive.testing.rtmp_sink import RtmpSink

    with RtmpSink() as sink:
        yield sink


@pytest.fixture
def zoom_client(zoom: Zoom) -> Iterator[Client]:
    with zoom.client() as client:
        yield client


@pytest.fixture
def async_zoom_client(zoom: Zoom) -> Iterator[AsyncClient]:
    client = zoom.async_client()
    try:
        yield client
    finally:
        _close(client)


def _close(client: Any) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(client.aclose())

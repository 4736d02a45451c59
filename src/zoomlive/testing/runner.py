"""Running the emulator inside a test process.

``InProcessServer`` runs the app on an event loop in a background thread and
answers httpx requests by calling the ASGI app directly: no socket, no port.
``ServerThread`` runs it under uvicorn on a real port on 127.0.0.1, for
subprocesses and clients in other languages.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import httpx

from zoomlive.server import ServerSettings, create_app
from zoomlive.server.app import ZoomliveApp
from zoomlive.server.settings import sqlite_url

T = TypeVar("T")

IN_PROCESS_URL = "http://zoomlive.test"


def _settings(tmp: Path, overrides: dict[str, Any]) -> ServerSettings:
    base: dict[str, Any] = {"database_url": sqlite_url(tmp / "zoomlive.db")}
    base.update(overrides)
    return ServerSettings(**base)


def _new_loop() -> asyncio.AbstractEventLoop:
    # uvloop where it exists, as `zoomlive serve` uses: its thread hand-offs (the
    # database driver's) cost about half of asyncio's.
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class _Loop:
    """An event loop in a daemon thread."""

    def __init__(self) -> None:
        self.loop = _new_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="zoomlive")
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30) -> T:
        return self.submit(coro).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


class InProcessServer:
    """The emulator in this process, reached through ``transport()``."""

    base_url = IN_PROCESS_URL

    def __init__(self, **settings: Any) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="zoomlive-"))
        self.settings = _settings(self._tmp, settings)
        self.app: ZoomliveApp = create_app(self.settings)
        # Litestar types the ASGI callable more narrowly than httpx does; same protocol.
        self._asgi = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 0))  # type: ignore[arg-type]
        self._loop = _Loop()
        self._lifespan: asyncio.Queue[dict[str, Any]] | None = None

    def start(self) -> InProcessServer:
        self._loop.run(self._startup())
        return self

    async def _startup(self) -> None:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._lifespan = inbox

        async def send(message: Any) -> None:
            kind = message["type"]
            if kind == "lifespan.startup.complete":
                started.set_result(None)
            elif kind == "lifespan.startup.failed":
                started.set_exception(RuntimeError(message.get("message", "startup failed")))

        async def run() -> None:
            scope: Any = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
            await self.app(scope, inbox.get, send)  # type: ignore[arg-type]

        self._lifespan_task = asyncio.get_running_loop().create_task(run())
        await inbox.put({"type": "lifespan.startup"})
        await started

    async def _shutdown(self) -> None:
        if self._lifespan is not None:
            await self._lifespan.put({"type": "lifespan.shutdown"})
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._lifespan_task, 10)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._loop.run(self._shutdown())
        self._loop.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    @property
    def runtime(self) -> Any:
        return self.app.runtime

    def transport(self) -> InProcessTransport:
        return InProcessTransport(self)

    def async_transport(self) -> AsyncInProcessTransport:
        return AsyncInProcessTransport(self)

    async def call(self, request: httpx.Request) -> httpx.Response:
        """One exchange through httpx's own ASGI transport, on the server's loop.

        ``request`` carries its body already read. httpx's transport asserts that the
        app completed its answer; an app that stops mid-answer (the ``drop`` fault) is,
        to a client, a connection dropped mid-answer, so it is raised as such.
        """
        try:
            response = await self._asgi.handle_async_request(request)
            content = await response.aread()
        except AssertionError:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a complete response.", request=request
            ) from None
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )


class InProcessTransport(httpx.BaseTransport):
    """For ``httpx.Client`` (and so ``zoomlive.client.Client``): no socket."""

    def __init__(self, server: InProcessServer) -> None:
        self._server = server

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        future = self._server._loop.submit(self._server.call(request))
        try:
            return future.result(_read_timeout(request))
        except TimeoutError:
            future.cancel()
            raise httpx.ReadTimeout("in-process read timed out", request=request) from None


class AsyncInProcessTransport(httpx.AsyncBaseTransport):
    """For ``httpx.AsyncClient`` (and ``AsyncClient``), from any event loop."""

    def __init__(self, server: InProcessServer) -> None:
        self._server = server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        future = self._server._loop.submit(self._server.call(request))
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), _read_timeout(request))
        except TimeoutError:
            future.cancel()
            raise httpx.ReadTimeout("in-process read timed out", request=request) from None


def _read_timeout(request: httpx.Request) -> float | None:
    """The client's read timeout, honoured as a real socket would."""
    timeout = request.extensions.get("timeout", {})
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if value is not None else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """The emulator under uvicorn on a real port on 127.0.0.1, in a thread."""

    def __init__(self, port: int = 0, **settings: Any) -> None:
        import uvicorn

        from zoomlive.server.protocol import uvicorn_options

        self._tmp = Path(tempfile.mkdtemp(prefix="zoomlive-"))
        self.settings = _settings(self._tmp, settings)
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.app: ZoomliveApp = create_app(self.settings)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning",
            access_log=False, lifespan="on", **uvicorn_options(self.settings),
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="zoomlive-http")

    def start(self, timeout: float = 20) -> ServerThread:
        self._thread.start()
        deadline = threading.Event()
        for _ in range(int(timeout * 50)):
            if self._server.started:
                return self
            if not self._thread.is_alive():
                break
            deadline.wait(0.02)
        raise RuntimeError("zoomlive server thread did not start")

    @property
    def runtime(self) -> Any:
        return self.app.runtime

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        shutil.rmtree(self._tmp, ignore_errors=True)

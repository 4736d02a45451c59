"""``mock_zoom()``: a fresh emulated Zoom, as a context manager or a decorator."""

from __future__ import annotations

import functools
import inspect
import secrets
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from zoomlive.testing.handle import Zoom
from zoomlive.testing.runner import InProcessServer, ServerThread

F = TypeVar("F", bound=Callable[..., Any])


def start_emulator(
    *, serve: bool = False, **settings: Any
) -> tuple[InProcessServer | ServerThread, Zoom]:
    """Start an emulator (in-process, or on a real port with ``serve=True``) and a
    handle on it. Rate limits are Zoom's unless ``rate_limits=False``."""
    settings.setdefault("admin_token", secrets.token_urlsafe(24))
    settings.setdefault("demo", False)
    if serve:
        thread = ServerThread(**settings).start()
        return thread, Zoom(thread.base_url, settings["admin_token"])
    server = InProcessServer(**settings).start()
    handle = Zoom(
        server.base_url,
        settings["admin_token"],
        transport=server.transport(),
        async_transport_factory=server.async_transport,
    )
    return server, handle


class mock_zoom:
    """A fresh emulated Zoom for a block or a test function::

        with mock_zoom() as zoom:
            with zoom.client() as client:
                client.meetings.livestream.get(zoom.meeting_id)

        @mock_zoom()
        def test_something(zoom): ...   # gets the handle if it takes ``zoom``

    ``serve=True`` puts it on a real port (``zoom.base_url``, ``zoom.env()``) for
    subprocesses and clients in other languages.
    """

    def __init__(self, *, serve: bool = False, demo: bool = True, **settings: Any) -> None:
        self._serve = serve
        self._demo = demo
        self._settings = settings
        self._running: tuple[InProcessServer | ServerThread, Zoom] | None = None

    def __enter__(self) -> Zoom:
        self._running = start_emulator(serve=self._serve, **self._settings)
        return self._running[1].reset(demo=self._demo)

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._running is not None:
            server, handle = self._running
            handle.close()
            server.stop()
            self._running = None

    def __call__(self, func: F) -> F:
        wants = "zoom" in inspect.signature(func).parameters

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kw: Any) -> Any:
                with mock_zoom(serve=self._serve, demo=self._demo, **self._settings) as zoom:
                    if wants:
                        kw["zoom"] = zoom
                    return await func(*args, **kw)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kw: Any) -> Any:
            with mock_zoom(serve=self._serve, demo=self._demo, **self._settings) as zoom:
                if wants:
                    kw["zoom"] = zoom
                return func(*args, **kw)

        return wrapper  # type: ignore[return-value]

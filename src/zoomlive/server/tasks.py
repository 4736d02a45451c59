"""Background tasks owned by a component (the writer, the webhook worker, retention)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


def spawn(coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    """Start ``coro`` on the running loop, named for logs and debuggers."""
    return asyncio.get_running_loop().create_task(coro, name=name)


async def cancel(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` and wait until it has finished unwinding."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

"""What the domain tells the rest of the server, as typed ports given at construction.

A state change writes its events' rows in its own transaction (``EventSink``'s rows)
and, after the commit, wakes the delivery and tells the media feed (``MediaSink``);
the webhook service and the media supervisor are what ``Runtime.build`` plugs in. A
test can give its own; nothing is set after construction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from zoomlive.server.storage.records import Meeting
from zoomlive.server.storage.store import Queued

#: The whole event at the moment of the change (``["event"]`` names it).
Body = Callable[[float], dict[str, Any]]


class EventSink(Protocol):
    """Where events go (the webhook outbox): rows to run in the transaction of the
    change, then a wake-up once it committed."""

    async def stream_event_rows(self, meeting: Meeting, started: bool) -> list[Queued]:
        """The live streaming event of a stream that started (or stopped)."""
        ...

    async def event_rows(self, account_id: str, body: Body) -> list[Queued]:
        """Any other event of an account (``body(at)`` is the whole event)."""
        ...

    def wake(self) -> None:
        """Rows were committed: deliver them."""
        ...


class MediaSink(Protocol):
    """What a stream's media feed needs to hear: after the commit, only when a
    compare-and-set changed the stream, in commit order. Configuring a stream tells it
    nothing: media costs the API nothing until a stream starts (docs: real media)."""

    def started(self, meeting: Meeting) -> None: ...

    def stopped(self, meeting_id: int) -> None: ...

    def meeting_ended(self, meeting_id: int) -> None: ...

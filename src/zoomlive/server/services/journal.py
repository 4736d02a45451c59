"""The request journal: every API request and its answer, in a bounded ring.

Only what is safe to keep is recorded (method, path without its query, status,
Zoom code, account, app, timing, fault), so nothing secret can leak from it.
"""

from __future__ import annotations

import bisect
import collections
import fnmatch
import itertools
from collections.abc import Callable

import msgspec


class Entry(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    at: float
    method: str
    path: str
    status: int
    code: int | None = None
    account_id: str | None = None
    client_id: str | None = None
    duration_ms: float
    fault_id: int | None = None
    tracking_id: str
    #: Media entries (method ``MEDIA``): the stream's new media state and why.
    media_state: str | None = None
    media_reason: str | None = None


_Row = tuple[
    int, float, str, str, int, int | None, str | None, str | None, float, int | None, str,
    str | None, str | None,
]  # fmt: skip


class Journal:
    """Rows are kept as plain tuples (cheap on every request) and become
    ``Entry`` structs only when queried."""

    def __init__(self, size: int) -> None:
        self._ring: collections.deque[_Row] = collections.deque(maxlen=max(size, 0))
        self._ids = itertools.count(1)
        #: Called with each new row (``zoomlive serve --access-log`` prints it).
        self.on_add: Callable[[_Row], None] | None = None

    def add(
        self,
        at: float,
        method: str,
        path: str,
        status: int,
        code: int | None,
        account_id: str | None,
        client_id: str | None,
        duration_ms: float,
        fault_id: int | None,
        tracking_id: str,
    ) -> None:
        row = (next(self._ids), at, method, path, status, code, account_id, client_id,
               duration_ms, fault_id, tracking_id, None, None)  # fmt: skip
        self._ring.append(row)
        if self.on_add is not None:
            self.on_add(row)

    def add_media(self, at: float, meeting_id: int, state: str, reason: str | None) -> None:
        """A stream's media state changed (README, "Real media")."""
        row = (next(self._ids), at, "MEDIA", f"/_zoomlive/meetings/{meeting_id}/media", 0, None,
               None, None, 0.0, None, "", state, reason)  # fmt: skip
        self._ring.append(row)
        if self.on_add is not None:
            self.on_add(row)

    def reset(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._ring.clear()

    def query(
        self,
        *,
        path: str | None = None,
        method: str | None = None,
        status: int | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        """Entries oldest first. ``path`` is a glob; ``since``/``until`` server time."""
        out = []
        for row in self._ring:
            e = Entry(
                id=row[0], at=row[1], method=row[2], path=row[3], status=row[4], code=row[5],
                account_id=row[6], client_id=row[7], duration_ms=row[8], fault_id=row[9],
                tracking_id=row[10], media_state=row[11], media_reason=row[12],
            )  # fmt: skip
            if path is not None and not fnmatch.fnmatchcase(e.path, path):
                continue
            if method is not None and e.method != method.upper():
                continue
            if status is not None and e.status != status:
                continue
            if since is not None and e.at < since:
                continue
            if until is not None and e.at > until:
                continue
            out.append(e)
        return out[-limit:] if limit else out

    @staticmethod
    def after(entries: list[Entry], after: int) -> list[Entry]:
        """The entries of ``query``'s answer (oldest first: ids ascending) whose id is
        above ``after``: the rest of a keyset page walk."""
        return entries[bisect.bisect_right(entries, after, key=lambda e: e.id) :]

"""Bulk apply: bring many meetings' and webinars' live streams to a desired state.

Each row is read first (GET); a row already in the desired state is skipped, so a
second run sends no PATCH. Rows run concurrently; pace them with the client's
``rate_limit`` to stay under the plan's limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Literal, cast

import msgspec
from msgspec import UNSET

from zoomlive.client._client import AsyncClient
from zoomlive.client.errors import ZoomAPIError, ZoomError
from zoomlive.wire.models import REDACTED, LiveStream, Resolution
from zoomlive.wire.paths import Kind

Outcome = Literal["updated", "unchanged", "would-update", "failed"]
FIELDS = ("stream_url", "stream_key", "page_url", "resolution")


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One desired state. ``resolution`` None means: leave Zoom's as it is."""

    id: int
    kind: Kind = Kind.MEETING
    stream_url: str
    stream_key: str
    page_url: str
    resolution: str | None = None

    def __repr__(self) -> str:
        return f"Row(id={self.id}, kind={self.kind.value!r}, stream_key={REDACTED})"


class Change(msgspec.Struct, frozen=True):
    field: str
    old: str
    new: str


class RowResult(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: Kind
    outcome: Outcome
    changes: list[Change] = []
    error: str | None = None
    status: int | None = None
    code: int | None = None


def diff(row: Row, current: LiveStream) -> list[Change]:
    have = {
        "stream_url": current.stream_url,
        "stream_key": current.stream_key,
        "page_url": current.page_url,
        "resolution": current.resolution if current.resolution is not UNSET else "",
    }
    out = []
    for name in FIELDS:
        want = getattr(row, name)
        if want is None:
            continue
        old = str(have[name])
        if old != want:
            out.append(Change(name, old, want))
    return out


def redact(result: RowResult) -> RowResult:
    changes = [
        Change(c.field, REDACTED if c.old else "", REDACTED) if c.field == "stream_key" else c
        for c in result.changes
    ]
    return msgspec.structs.replace(result, changes=changes)


async def apply_row(client: AsyncClient, row: Row, dry_run: bool) -> RowResult:
    ns = client.webinars if row.kind is Kind.WEBINAR else client.meetings
    try:
        current = await ns.livestream.get(row.id)
        changes = diff(row, current)
        if not changes:
            return RowResult(id=row.id, kind=row.kind, outcome="unchanged")
        if dry_run:
            return RowResult(id=row.id, kind=row.kind, outcome="would-update", changes=changes)
        await ns.livestream.update(
            row.id,
            stream_url=row.stream_url,
            stream_key=row.stream_key,
            page_url=row.page_url,
            # A file may hold any text here; update() refuses a bad one before sending.
            resolution=cast(Resolution | None, row.resolution),
        )
        return RowResult(id=row.id, kind=row.kind, outcome="updated", changes=changes)
    except ZoomAPIError as exc:
        return RowResult(
            id=row.id, kind=row.kind, outcome="failed", error=exc.message,
            status=exc.status, code=exc.code,
        )  # fmt: skip
    except (ZoomError, ValueError) as exc:
        return RowResult(id=row.id, kind=row.kind, outcome="failed", error=str(exc))


async def apply_rows(
    client: AsyncClient,
    rows: Iterable[Row],
    *,
    dry_run: bool = False,
    concurrency: int = 8,
    on_result: Callable[[RowResult], None] | None = None,
) -> list[RowResult]:
    """Apply every row; results come back in the rows' order."""
    todo = list(rows)
    results: list[RowResult | None] = [None] * len(todo)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(todo)):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            result = await apply_row(client, todo[i], dry_run)
            results[i] = result
            if on_result is not None:
                on_result(result)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(todo))))))
    return [r for r in results if r is not None]

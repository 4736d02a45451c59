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
from zoomlive.client.core import update_request
from zoomlive.client.errors import TransportError, ZoomAPIError, ZoomError
from zoomlive.wire.models import REDACTED, LiveStream, LiveStreamUpdate, Resolution
from zoomlive.wire.paths import Kind

Outcome = Literal["updated", "unchanged", "would-update", "failed", "not-run"]
#: Transport failures (no answer) in a row after which the remaining rows are not run.
STOP_AFTER_NO_ANSWER = 3
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
    #: The failure was no answer at all (connection refused, timeout).
    no_answer: bool = False


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


def check_row(row: Row) -> None:
    """The checks ``update()`` runs before sending, so ``--dry-run`` reports exactly
    what the real run would (``ValueError`` with the same message)."""
    body = LiveStreamUpdate(
        row.stream_url,
        row.stream_key,
        row.page_url,
        row.resolution or UNSET,  # type: ignore[arg-type]
    )
    update_request(row.kind, row.id, body)


async def apply_row(client: AsyncClient, row: Row, dry_run: bool) -> RowResult:
    ns = client.webinars if row.kind is Kind.WEBINAR else client.meetings
    try:
        check_row(row)
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
        fields = "".join(f" {e.field}: {e.message}" for e in exc.errors)
        return RowResult(
            id=row.id, kind=row.kind, outcome="failed", error=exc.message + fields,
            status=exc.status, code=exc.code,
        )  # fmt: skip
    except TransportError as exc:
        return RowResult(id=row.id, kind=row.kind, outcome="failed", error=str(exc), no_answer=True)
    except (ZoomError, ValueError) as exc:
        return RowResult(id=row.id, kind=row.kind, outcome="failed", error=str(exc))


def is_fatal(result: RowResult, no_answers: int) -> bool:
    """Stop the run: the credentials were refused (every row would fail the same
    way), or the server stopped answering."""
    if result.status == 401:
        return True
    return result.no_answer and no_answers >= STOP_AFTER_NO_ANSWER


async def apply_rows(
    client: AsyncClient,
    rows: Iterable[Row],
    *,
    dry_run: bool = False,
    concurrency: int = 8,
    on_result: Callable[[RowResult], None] | None = None,
) -> list[RowResult]:
    """Apply every row; results come back in the rows' order. After an
    authentication error, or ``STOP_AFTER_NO_ANSWER`` rows in a row with no answer,
    the rows not yet started are ``not-run``."""
    todo = list(rows)
    results: list[RowResult | None] = [None] * len(todo)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(todo)):
        queue.put_nowait(i)

    stopped = False
    no_answers = 0

    async def worker() -> None:
        nonlocal stopped, no_answers
        while not queue.empty() and not stopped:
            i = queue.get_nowait()
            result = await apply_row(client, todo[i], dry_run)
            results[i] = result
            no_answers = no_answers + 1 if result.no_answer else 0
            stopped = stopped or is_fatal(result, no_answers)
            if on_result is not None:
                on_result(result)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(todo))))))
    return [
        r if r is not None else RowResult(id=row.id, kind=row.kind, outcome="not-run")
        for r, row in zip(results, todo, strict=True)
    ]

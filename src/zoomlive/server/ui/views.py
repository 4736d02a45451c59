"""What the dashboard's pages show, read from the runtime's services and the database.

Reads only: every change goes through the services the API and the control API use
(``actions.py``). The meetings list is the service layer's keyset-paged list (the
control API's, ``AdminService.page``), so a page costs the same with 100,000 meetings
as with ten, however deep. Each meeting shows its stream's media state beside its
stream state.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

from zoomlive.server.runtime import Runtime
from zoomlive.server.services.journal import Entry
from zoomlive.server.storage.overview import Overview
from zoomlive.server.storage.records import Attempt, Meeting, OutboxRow, Subscription
from zoomlive.server.storage.store import Match

PAGE_SIZE = 50
COUNT_CAP = 10_000
#: Webhook events the dashboard shows (the newest).
EVENTS_SHOWN = 1000
#: Meeting fields the list and the live badge show (media ones are added by name).
LIVE_FIELDS = ("status", "stream_live", "configured")


def mask(secret: str) -> str:
    """A secret as the pages show it until revealed: its length hidden, four
    characters kept so two apps can be told apart."""
    return "•" * 8 + secret[-4:] if len(secret) > 8 else "•" * 8


def media_fields(rt: Runtime, meeting: Meeting) -> dict[str, Any]:
    """The stream's media state as this process's media supervisor knows it (README,
    "Real media"): state, reason and counters."""
    status = rt.media.status(meeting.id)
    return {
        "media_state": status.state,
        "media_reason": status.reason or "",
        "media_bytes_sent": status.bytes_sent,
        "media_frames_sent": status.frames_sent,
    }


def badge(rt: Runtime, meeting: Meeting) -> dict[str, Any]:
    """What the live updates send for one meeting: enough to redraw its badges."""
    return {
        "id": meeting.id,
        "status": meeting.status,
        "stream": "live" if meeting.stream_live else "stopped",
        "configured": meeting.configured,
        **media_fields(rt, meeting),
    }


@dataclass
class Page:
    items: list[Meeting]
    total: int
    size: int
    #: More than ``total`` match (counting stopped).
    capped: bool = False
    #: The cursors of the pages either side (``after``/``before`` a meeting id).
    next_after: int | None = None
    prev_before: int | None = None


async def meetings_page(
    rt: Runtime, query: str = "", kind: str = "", after: int | None = None,
    before: int | None = None,
) -> Page:  # fmt: skip
    """One page of meetings in id order, after the meeting id ``after`` (or the page
    before ``before``): the service's keyset-paged list, searched by id or topic and
    kind. A search counts at most ``COUNT_CAP`` matches ("10,000+ found")."""
    search = query.strip()
    match: Match | None = Match(search, kind if kind in ("meeting", "webinar") else None)
    if not search and kind not in ("meeting", "webinar"):
        match = None  # the whole table: one COUNT(*)
    rows = await rt.admin.page("meetings", after, PAGE_SIZE + 1, before=before, match=match)
    total = await rt.admin.count("meetings", match=match, cap=COUNT_CAP if match else None)
    more = len(rows) > PAGE_SIZE
    if before is not None:  # one row more at the start: another page precedes
        items = rows[1:] if more else rows
        has_prev, has_next = more, True
    else:
        items = rows[:PAGE_SIZE]
        has_prev, has_next = after is not None, more
    return Page(
        items, total, PAGE_SIZE, match is not None and total >= COUNT_CAP,
        next_after=items[-1].id if has_next and items else None,
        prev_before=items[0].id if has_prev and items else None,
    )  # fmt: skip


async def meetings(rt: Runtime, ids: list[int]) -> list[Meeting]:
    """These meetings as stored, in one statement (any worker's writes are seen, not
    only this process's)."""
    return await Overview(rt.store).meetings(ids)


async def counts(rt: Runtime) -> dict[str, int]:
    found = await Overview(rt.store).counts()
    events = await rt.webhooks.db.count(("pending", "delivered", "failed"))
    found.update({f"webhook events {k}": v for k, v in events.items()})
    found["tokens issued"] = await rt.store.count_tokens()
    found["faults"] = len(rt.faults.list())
    return found


async def overview(rt: Runtime) -> dict[str, Any]:
    accounts = await rt.admin.list_accounts()
    apps = await rt.store.list_apps()
    return {
        "accounts": accounts,
        "apps": apps,
        "counts": await counts(rt),
        "health": await rt.health(),
        "media": rt.media.description,
        "stats": await rt.stats(),
    }


def _mentions(row: OutboxRow, meeting_id: int) -> bool:
    try:
        obj = json.loads(row.body).get("payload", {}).get("object", {})
    except (ValueError, AttributeError):
        return False
    return bool(obj.get("id") == meeting_id or str(obj.get("id")) == str(meeting_id))


async def webhook_events(
    rt: Runtime, meeting_id: int | None = None
) -> list[tuple[OutboxRow, list[Attempt]]]:
    """The newest ``EVENTS_SHOWN`` events with every attempt, newest first (one
    meeting's among them, if given): the outbox's latest, not its oldest."""
    rows = await rt.webhooks.events(limit=EVENTS_SHOWN, newest_first=True)
    if meeting_id is not None:
        rows = [(r, a) for r, a in rows if _mentions(r, meeting_id)]
    return rows


def journal(
    rt: Runtime, *, path: str = "", method: str = "", status: int | None = None,
    after: int = 0, limit: int = 200,
) -> list[Entry]:  # fmt: skip
    """Journal entries, newest first, with the page's filters (``path`` is a glob;
    a plain word matches anywhere in the path)."""
    glob = path if any(c in path for c in "*?[") else f"*{path}*" if path else None
    entries = rt.journal.query(method=method or None, status=status)
    out = [
        e for e in entries if e.id > after and (glob is None or fnmatch.fnmatchcase(e.path, glob))
    ]
    return list(reversed(out[-limit:]))


def meeting_journal(rt: Runtime, meeting_id: int) -> list[Entry]:
    mid = str(meeting_id)
    return [e for e in reversed(rt.journal.query()) if mid in e.path.split("/")]


def history(
    meeting: Meeting, events: list[tuple[OutboxRow, list[Attempt]]], entries: list[Entry]
) -> list[tuple[float, str]]:
    """State changes, newest first: webhook events this meeting raised, and the
    requests that changed it (2xx PATCHes of its status, the dashboard's actions)."""
    out = [(row.created_at, row.event) for row, _ in events]
    for e in entries:
        changing = e.method in ("PATCH", "POST") and 200 <= e.status < 400
        if changing and (e.path.endswith("/status") or e.path.startswith("/_zoomlive")):
            out.append((e.at, f"{e.method} {e.path} → {e.status}"))
    if meeting.stream_changed_at is not None:
        state = "live" if meeting.stream_live else "stopped"
        out.append((meeting.stream_changed_at, f"stream {state}"))
    return sorted(set(out), reverse=True)


async def subscriptions(rt: Runtime) -> list[Subscription]:
    return await Overview(rt.store).subscriptions()


async def version(rt: Runtime, watch: str) -> object:
    """A value that changes when what a page shows changes (the page then fetches
    itself again): ``webhooks`` (events, attempts, subscriptions), ``faults``,
    ``overview`` (counts and health)."""
    if watch == "faults":
        return [(f.id, f.hits, f.remaining) for f in rt.faults.list()]
    if watch == "overview":
        health = await rt.health()
        return await counts(rt), health["dependencies"], len(await rt.store.list_apps())
    if watch == "webhooks":
        statuses = await rt.webhooks.db.count(("pending", "delivered", "failed"))
        return await Overview(rt.store).webhooks_version(), statuses
    return None

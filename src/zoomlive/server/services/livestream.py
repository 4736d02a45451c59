"""Zoom's rules for the six live stream operations (Decisions 2-6).

The order of checks: id, existence and ownership, host and licence, account
settings, then the operation's own state rules. Bodies are validated before
any lookup, so a bad body never reveals whether an id exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from msgspec import UNSET

from zoomlive.server import licence
from zoomlive.server.clock import Clock
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.services.auth import Principal
from zoomlive.server.services.ports import EventSink, MediaSink
from zoomlive.server.storage.lifecycle import NOW, MeetingStore
from zoomlive.server.storage.records import Account, Meeting, User
from zoomlive.server.storage.store import Store
from zoomlive.wire import errors as E
from zoomlive.wire.models import LiveStream, LiveStreamStatusUpdate
from zoomlive.wire.paths import Kind
from zoomlive.wire.validate import validate_status, validate_update


class LiveStreamService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        events: EventSink | None = None,
        media: MediaSink | None = None,
    ) -> None:
        self._store = store
        #: Every state change's compare-and-set (``storage.lifecycle``).
        self._lifecycle = MeetingStore(store)
        self._clock = clock
        self._events = events
        self._media = media

    async def _target(self, principal: Principal, kind: Kind, object_id: int) -> Meeting:
        rows = principal.rows
        if rows is not None and rows.meeting_id == object_id and not rows.deferred:
            # Read with the token, in the same statement (one snapshot).
            meeting, host, account = rows.meeting, rows.host, rows.account
        else:
            meeting = await self._store.get_meeting(object_id)
            host = account = None
        if (
            meeting is None
            or meeting.kind != kind.value
            or meeting.account_id != principal.account_id
        ):
            raise ZoomProblem.of(E.not_found(kind), id=object_id)
        if rows is None or rows.meeting_id != object_id or rows.deferred:
            host = await self._store.get_user(meeting.host_id)
            account = await self._store.get_account(principal.account_id)
        _check_host(kind, host, account, meeting, principal.account_id)
        return meeting

    async def get(self, principal: Principal, kind: Kind, object_id: int) -> LiveStream:
        meeting = await self._target(principal, kind, object_id)
        return LiveStream(
            stream_url=meeting.stream_url,
            stream_key=meeting.stream_key,
            page_url=meeting.page_url,
            resolution=meeting.resolution if meeting.resolution is not None else UNSET,
        )

    async def update(
        self, principal: Principal, kind: Kind, object_id: int, body: Mapping[str, Any]
    ) -> None:
        update = validate_update(body)
        if isinstance(update, list):
            raise ZoomProblem.of(E.VALIDATION_FAILED, errors=update)
        changes = {
            "stream_url": update.stream_url,
            "stream_key": update.stream_key,
            "page_url": update.page_url,
            "resolution": update.resolution if update.resolution is not UNSET else None,
            "configured": True,
        }
        rows = principal.rows
        # The read model did not hold the meeting: the write checks it instead of a
        # read (its kind and account, its host's standing), as one statement. Only if
        # it wrote nothing is the meeting read, for Zoom's error in Zoom's order.
        if (
            rows is not None
            and rows.deferred
            and rows.meeting_id == object_id
            and _account_may_stream(kind, rows.account)
            and await self._store.save_stream_if_host_may_stream(
                object_id, kind.value, principal.account_id, changes
            )
        ):
            return
        meeting = await self._target(principal, kind, object_id)
        await self._store.save_stream(msgspec.structs.replace(meeting, **changes))

    async def set_status(
        self, principal: Principal, kind: Kind, object_id: int, body: Mapping[str, Any]
    ) -> bool:
        """Start, stop or re-mode a live stream. Returns whether the live state changed.

        A start or stop is compare-and-set in the database, with its webhook event
        written in the same transaction only when the state changed: of any number of
        concurrent starts on a stopped stream, in one process or many, exactly one
        changes it and queues ``meeting.live_streaming_started``; the others are
        Zoom's idempotent 204.
        """
        status = validate_status(kind, body)
        if isinstance(status, list):
            raise ZoomProblem.of(E.VALIDATION_FAILED, errors=status)
        meeting = await self._target(principal, kind, object_id)
        if meeting.e2ee:
            raise ZoomProblem.of(E.E2EE_NOT_SUPPORTED)
        if status.action == "stop":
            if not meeting.stream_live:
                return False  # idempotent: already stopped (as last seen; the CAS decides)
            return await self._transition(meeting, live=False, settings={})
        if meeting.status != "started":
            raise ZoomProblem.of(E.not_started(kind), id=object_id)
        if not meeting.configured:
            raise ZoomProblem.of(E.not_configured(kind))
        settings = _settings_of(status)
        if status.action == "mode":
            if settings:
                await self._store.update_meeting(meeting.id, settings)
            return False
        if meeting.stream_live:
            return False  # idempotent: already live
        return await self._transition(meeting, live=True, settings=settings)

    async def _transition(self, meeting: Meeting, *, live: bool, settings: dict[str, Any]) -> bool:
        expected = msgspec.structs.replace(meeting, **settings, stream_live=live)
        extra = (
            await self._events.stream_event_rows(expected, live) if self._events is not None else []
        )
        expect: dict[str, Any] = {"stream_live": not live}
        if live:
            expect["status"] = "started"
        step = self._lifecycle.update(
            meeting.id, expect, {**settings, "stream_live": live, "stream_changed_at": NOW},
            extra, on_changed=self._media_hook(live),
        )  # fmt: skip
        changed, seen = await self._lifecycle.transition(step, self._clock.now)
        if not changed and live and seen is not None and seen.status != "started":
            # The start did not apply because the meeting is not running (it ended
            # meanwhile). A running meeting whose stream reads not live here was live
            # when the start's UPDATE looked (on PostgreSQL another process's stop can
            # commit between that UPDATE and the read): the start found it live, a
            # no-op, and answers 204 as any start of a live stream does.
            raise ZoomProblem.of(E.not_started(Kind(meeting.kind)), id=meeting.id)
        if changed and extra and self._events is not None:
            self._events.wake()
        return changed

    def _media_hook(self, live: bool) -> Callable[[Meeting], None] | None:
        media = self._media
        if media is None:
            return None
        if live:
            return media.started
        return lambda meeting: media.stopped(meeting.id)


def _settings_of(status: LiveStreamStatusUpdate) -> dict[str, Any]:
    """The stream settings a status update sets (only those it gives)."""
    s = status.settings
    if s is UNSET:
        return {}
    return {
        name: getattr(s, name)
        for name in ("display_name", "active_speaker_name", "layout", "close_caption")
        if getattr(s, name) is not UNSET
    }


def _account_may_stream(kind: Kind, account: Account | None) -> bool:
    """``_check_host``'s conditions on the account; the host's are
    ``licence.HOST_MAY_STREAM``, which the unread write checks in SQL."""
    return licence.account_may_stream(kind is Kind.WEBINAR, account)


def _check_host(
    kind: Kind, host: User | None, account: Account | None, meeting: Meeting, account_id: str
) -> None:
    """Zoom's error for the first of ``licence.HOST_MAY_STREAM`` the host fails, in
    Zoom's order (the webinar plan is checked before the host's licence)."""
    if host is None or not licence.PRESENT.holds(host):
        # Zoom's 2025 spec: webinars answer 400/1001 "User does not exist: {userId}.";
        # meetings keep the 2023 wording and 404 (README, Decision 4).
        spec = E.USER_NOT_EXIST if kind is Kind.MEETING else E.WEBINAR_HOST_NOT_EXIST
        raise ZoomProblem.of(spec, user_id=meeting.host_id)
    for rule in licence.HOST_MAY_STREAM:
        if rule is licence.IN_ACCOUNT and host.account_id != account_id:
            raise ZoomProblem.of(E.USER_NOT_IN_ACCOUNT, account_id=account_id)
        webinar_unplanned = account is None or not account.webinar_plan
        if rule is licence.LICENSED and kind is Kind.WEBINAR and webinar_unplanned:
            raise ZoomProblem.of(E.WEBINAR_PLAN_MISSING)
        if not rule.holds(host):
            raise _STREAM_REFUSAL[rule](host, account_id)
    if account is None or not account.live_streaming:
        raise ZoomProblem.of(E.streaming_disabled(kind))


#: Zoom's answer when the host fails one of ``licence.HOST_MAY_STREAM``.
_STREAM_REFUSAL: dict[licence.Rule, Callable[[User, str], ZoomProblem]] = {
    licence.IN_ACCOUNT: lambda _h, acct: ZoomProblem.of(E.USER_NOT_IN_ACCOUNT, account_id=acct),
    licence.LICENSED: lambda h, _a: ZoomProblem.of(E.PAID_USER_ONLY, user_id=h.id),
    licence.MAY_HOST: lambda _h, _a: ZoomProblem.of(E.HOSTING_NOT_ALLOWED),
}

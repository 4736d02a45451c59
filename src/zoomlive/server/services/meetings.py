"""Zoom's rules for the meeting and webinar operations, and the host's side.

Create, list, get, update, delete and ``status end`` as Zoom's 2025 Meetings API
describes them (README, "Meetings and webinars" and its Decisions), plus the host
joining and leaving, which Zoom has no REST call for (the control API and the
test kit drive them).

Every state change is one compare-and-set step (``storage.lifecycle``) with its
event's outbox rows in the same transaction, written only when the step changed a
row: a create queues ``meeting.created``, an update that changes something
``meeting.updated`` (nothing changed, no event), a delete ``meeting.deleted``, a
start ``meeting.started``, an end ``meeting.ended`` and, when the stream was live,
``meeting.live_streaming_stopped`` first. Races decide in the database: of two
concurrent ends exactly one queues the events.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any

import msgspec

from zoomlive.server import licence
from zoomlive.server.clock import Clock
from zoomlive.server.problems import ZoomProblem, unavailable
from zoomlive.server.services import events as ev
from zoomlive.server.services.auth import Principal
from zoomlive.server.services.factory import JOIN_HOST, encrypted_password, join_url, new_meeting
from zoomlive.server.services.paging import TokenCodec, parse_page
from zoomlive.server.services.ports import Body, EventSink, MediaSink
from zoomlive.server.services.ratelimit import RateLimiter
from zoomlive.server.storage.lifecycle import NOW, Extra, MeetingStore, Quota, QuotaExhausted, Step
from zoomlive.server.storage.records import Account, Meeting, User
from zoomlive.server.storage.store import Store
from zoomlive.wire import errors as E
from zoomlive.wire import meetings as mt
from zoomlive.wire.ids import parse_id
from zoomlive.wire.meeting_body import validate_meeting_body, validate_status_action
from zoomlive.wire.paths import Kind

#: Attempts at a compare-and-set before giving up to a concurrent writer.
CAS_ROUNDS = 5
#: How long an update keeps comparing and setting while other writers change the
#: meeting under it. Each round it loses is a round another update won, so every
#: one of a burst of concurrent edits lands well inside this; a 503 only under
#: edits that never let up.
UPDATE_CAS_SECONDS = 10.0


#: What a ``userId`` can be before the database is asked: printable, and no longer
#: than the longest email a user can have (a user id is shorter).
_USER_KEY = re.compile(r"[^\x00-\x1f\x7f]{1,320}")


def _problem(spec: E.ZoomErrorSpec, **values: object) -> ZoomProblem:
    status, code, message = spec.format(**values)
    return ZoomProblem(status, code, message)


#: One rule, worded as Zoom's spec words it on each operation.
_PLAN_MISSING = {
    mt.Op.CREATE: E.WEBINAR_PLAN_MISSING_FOR,
    mt.Op.GET: E.WEBINAR_PLAN_MISSING_GET,
    mt.Op.UPDATE: E.WEBINAR_PLAN_MISSING_UPDATE,
}


class _Tail:
    """The object's fields zoomlive holds no state for, encoded once per kind: an
    answer is its state's JSON with these spliced in. ``settings`` is the stored keys
    then each default's pre-encoded ``"key":value`` for the keys not stored (joined
    once per set of stored keys)."""

    def __init__(self, kind: Kind) -> None:
        defaults = mt.OBJECT_DEFAULTS[kind]
        self.held = frozenset(_HELD[kind])
        rest = {k: v for k, v in defaults.items() if k not in self.held}
        recurrence = rest.pop("recurrence", None)
        self.plain = msgspec.json.encode(rest)[1:-1]
        self.recurring = self.plain
        if recurrence is not None:
            self.recurring += b"," + msgspec.json.encode({"recurrence": recurrence})[1:-1]
        self._fragments = {
            k: msgspec.json.encode({k: v})[1:-1] for k, v in defaults["settings"].items()
        }
        self._unset: dict[frozenset[str], bytes] = {}

    def settings(self, stored: dict[str, Any]) -> msgspec.Raw:
        keys = frozenset(stored)
        unset = self._unset.get(keys)
        if unset is None:
            unset = b",".join(f for k, f in self._fragments.items() if k not in keys)
            if len(self._unset) < 1024:  # few distinct sets in practice; bounded anyway
                self._unset[keys] = unset
        own = msgspec.json.encode(stored)[1:-1]
        return msgspec.Raw(b"{" + own + (b"," if own and unset else b"") + unset + b"}")

    def join(self, state: dict[str, Any], recurring: bool) -> bytes:
        own = msgspec.json.encode(state)
        tail = self.recurring if recurring else self.plain
        return own[:-1] + b"," + tail + b"}" if tail else own


_COMMON_HELD = (
    "id", "uuid", "host_id", "host_email", "topic", "type", "start_time", "duration",
    "timezone", "agenda", "created_at", "start_url", "join_url", "password",
    "creation_source", "settings",
)  # fmt: skip
_HELD = {
    Kind.MEETING: (*_COMMON_HELD, "status", "h323_password", "pstn_password",
                   "encrypted_password", "pre_schedule"),
    Kind.WEBINAR: (*_COMMON_HELD, "h323_passcode", "encrypted_passcode", "is_simulive"),
}  # fmt: skip
_TAILS = {kind: _Tail(kind) for kind in Kind}


class MeetingService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        limiter: RateLimiter,
        events: EventSink | None = None,
        media: MediaSink | None = None,
    ) -> None:
        self._store = store
        self.db = MeetingStore(store)
        self._clock = clock
        self._limiter = limiter
        self._events = events
        #: Told, after the commit, that a meeting ended (its media feed closes).
        self._media = media
        self.pages = TokenCodec()

    # -- who and what -------------------------------------------------------------------

    async def resolve_user(
        self, principal: Principal, kind: Kind, raw: str, op: mt.Op = mt.Op.LIST
    ) -> User:
        """``userId`` as Zoom takes it: a user id, an email, or ``me`` (the app's
        owner, README Decisions). A user of another account does not exist here."""
        user: User | None = None
        if _USER_KEY.fullmatch(raw) is None:
            user = None  # no id or email is this long or holds a control character
        elif raw == "me":
            app = await self._store.get_app(principal.client_id)
            owner = app.owner_id if app is not None else None
            user = await self._store.get_user(owner) if owner else None
        elif "@" in raw:
            found = await self.db.user_by_email(principal.account_id, raw)
            user = await self._store.get_user(found) if found else None
        else:
            user = await self._store.get_user(raw)
        if user is None or user.deleted or user.account_id != principal.account_id:
            # Webinars' create keeps Zoom's older wording (2025 spec).
            webinar_create = kind is Kind.WEBINAR and op is mt.Op.CREATE
            spec = E.USER_NOT_EXIST if webinar_create else E.USER_DOES_NOT_EXIST
            raise _problem(spec, user_id=raw)
        return user

    async def _account(self, principal: Principal) -> Account | None:
        return await self._store.get_account(principal.account_id)

    async def _host_rules(self, kind: Kind, host: User, account: Account | None,
                          op: mt.Op) -> None:  # fmt: skip
        """Licence prerequisites: a webinar needs the account's webinar plan and a
        licensed host; any meeting needs a host allowed to host (3161)."""
        if not licence.IN_ACCOUNT.holds(host):
            raise _problem(E.USER_NOT_IN_ACCOUNT, account_id=host.account_id)
        if kind is Kind.WEBINAR and (
            account is None or not account.webinar_plan or not licence.LICENSED.holds(host)
        ):
            spec = _PLAN_MISSING.get(op, E.WEBINAR_PLAN_MISSING)
            raise _problem(spec, user_id=host.id)
        if not licence.MAY_HOST.holds(host) and kind is Kind.WEBINAR:
            # The webinar operations document no 3161; their refusal is this one.
            raise _problem(E.NO_PERMISSION)
        if licence.first_failing(licence.HOST_MAY_HOST, host) is not None:
            spec = (
                E.HOSTING_NOT_ALLOWED_FOR_USER
                if op in (mt.Op.CREATE, mt.Op.GET, mt.Op.UPDATE)
                else E.HOSTING_NOT_ALLOWED
            )
            raise _problem(spec)

    def parse_id(self, kind: Kind, raw: str) -> int:
        value = parse_id(raw)
        if value is None:
            raise _problem(E.invalid_id(kind))
        return value

    async def target(self, principal: Principal, kind: Kind, raw_id: str, op: mt.Op) -> Meeting:
        """The meeting (or webinar) a call names, checked: 404/3001 when it is not
        this account's; a webinar asked for as a meeting is Zoom's 400/3000
        ``Cannot access webinar info.``."""
        object_id = self.parse_id(kind, raw_id)
        meeting = await self._store.get_meeting(object_id)
        if meeting is None or meeting.account_id != principal.account_id:
            raise _problem(E.not_found(kind), id=object_id)
        if meeting.kind != kind.value:
            if kind is Kind.MEETING:
                spec = (
                    E.CANNOT_ACCESS_WEBINAR_DELETE
                    if op is mt.Op.DELETE
                    else E.CANNOT_ACCESS_WEBINAR
                )
                raise _problem(spec)
            raise _problem(E.not_found(kind), id=object_id)
        host = await self._store.get_user(meeting.host_id)
        if host is None or host.deleted:
            raise _problem(E.MEETING_HOST_NOT_EXIST, user_id=meeting.host_id)
        await self._host_rules(kind, host, await self._account(principal), op)
        return meeting

    # -- the object ---------------------------------------------------------------------

    def render(self, meeting: Meeting, host: User | None) -> bytes:
        """The object as Zoom's get and create answer it: every field of Zoom's 2025
        schema, Zoom's defaults (``mt.OBJECT_DEFAULTS``, generated from the schema)
        merged with what zoomlive stores; ``recurrence`` only on the types that recur.
        The fields zoomlive never holds are encoded once (``_Tail``)."""
        kind = Kind(meeting.kind)
        tail = _TAILS[kind]
        stored = msgspec.json.decode(meeting.settings or "{}")
        settings = tail.settings(stored if isinstance(stored, dict) else {})
        encrypted = encrypted_password(meeting)  # once: three fields carry it
        state: dict[str, Any] = {
            "id": meeting.id,
            "uuid": meeting.uuid,
            "host_id": meeting.host_id,
            "host_email": host.email if host is not None else "",
            "topic": meeting.topic,
            "type": meeting.type,
            "start_time": meeting.start_time,
            "duration": meeting.duration,
            "timezone": meeting.timezone,
            "agenda": meeting.agenda,
            "created_at": meeting.created_at or meeting.start_time,
            # The host's key (zak) is fresh on each read, as Zoom's start_url is.
            "start_url": f"{JOIN_HOST}/s/{meeting.id}?zak={secrets.token_urlsafe(24)}",
            "join_url": join_url(meeting, encrypted),
            "password": meeting.password,
            "creation_source": "open_api",
            "settings": settings,
        }
        if kind is Kind.MEETING:
            state.update(
                status=meeting.status,
                h323_password=meeting.password,
                pstn_password=meeting.password,
                encrypted_password=encrypted,
                pre_schedule=meeting.pre_schedule,
            )
        else:
            state.update(
                h323_passcode=meeting.password,
                encrypted_passcode=encrypted,
                is_simulive=False,
            )
        return tail.join(state, meeting.type in mt.RECURRING_TYPES)

    async def get(self, principal: Principal, kind: Kind, raw_id: str) -> bytes:
        meeting = await self.target(principal, kind, raw_id, mt.Op.GET)
        return self.render(meeting, await self._store.get_user(meeting.host_id))

    # -- create -------------------------------------------------------------------------

    def _quota(self, host: User) -> Quota | None:
        """Zoom's 100 create/update requests per host per UTC day (server clock),
        counted in the database (README, Decisions); None with rate limits off."""
        if not self._limiter.enabled:
            return None
        return Quota(host.id, int(self._clock.now() // 86400), mt.DAILY_CREATE_CAP)

    def _capped(self) -> ZoomProblem:
        return self._limiter.daily_cap_exceeded(self._clock.now(), mt.DAILY_CREATE_CAP)

    async def _cap(self, host: User) -> None:
        """Count an update against the cap in a transaction of its own: it counts
        whether or not it changes anything (a create counts in its own insert's)."""
        quota = self._quota(host)
        if quota is not None:
            try:
                await self.db.take(quota)
            except QuotaExhausted:
                raise self._capped() from None

    async def create(
        self, principal: Principal, kind: Kind, raw_user: str, body: Mapping[str, Any]
    ) -> bytes:
        host = await self.resolve_user(principal, kind, raw_user, mt.Op.CREATE)
        fields = validate_meeting_body(kind, body)
        if isinstance(fields, list):
            raise ZoomProblem.of(E.VALIDATION_FAILED, errors=fields)
        await self._host_rules(kind, host, await self._account(principal), mt.Op.CREATE)
        quota = self._quota(host)
        now = self._clock.now()
        settings = fields.pop("settings", {})
        for _ in range(CAS_ROUNDS):
            meeting = new_meeting(kind.value, host, now, settings=settings, **fields)
            extra = await self._rows(
                functools.partial(ev.created_event, meeting, host, join_url(meeting)),
                meeting.account_id,
            )
            try:
                (row,) = await self.db.apply(
                    [self.db.insert(meeting, extra)], self._clock.now, quota
                )
            except QuotaExhausted:
                raise self._capped() from None
            if row is not None:
                self._committed(extra)
                return self.render(row, host)
        raise AssertionError("no free meeting id")  # pragma: no cover - 9e10 ids

    # -- list ---------------------------------------------------------------------------

    async def list(
        self, principal: Principal, kind: Kind, raw_user: str, query: Mapping[str, str]
    ) -> mt.MeetingList:
        host = await self.resolve_user(principal, kind, raw_user)
        account = await self._account(principal)
        await self._host_rules(kind, host, account, mt.Op.LIST)
        scope = f"{principal.account_id}|{host.id}|{kind.value}"
        now = self._clock.now()
        page = parse_page(self.pages, scope, query, now)
        rows = await self.db.page(host.id, kind.value, page.after, page.size + 1)
        more = len(rows) > page.size
        rows = rows[: page.size]
        total = await self.db.count(host.id, kind.value)
        token = self.pages.encode(scope, rows[-1].id, now, page.number + 1) if more and rows else ""
        items = [
            mt.MeetingListItem(
                id=m.id, uuid=m.uuid, host_id=m.host_id, topic=m.topic, type=m.type,
                start_time=m.start_time, duration=m.duration, timezone=m.timezone,
                agenda=m.agenda, created_at=m.created_at or m.start_time, join_url=join_url(m),
                status=m.status if kind is Kind.MEETING else msgspec.UNSET,
            )
            for m in rows
        ]  # fmt: skip
        listed: dict[str, Any] = {"meetings" if kind is Kind.MEETING else "webinars": items}
        return mt.MeetingList(
            page_size=page.size,
            total_records=total,
            next_page_token=token,
            page_count=-(-total // page.size) if total else 0,
            page_number=page.number,
            **listed,
        )

    # -- update and delete ----------------------------------------------------------------

    async def update(
        self, principal: Principal, kind: Kind, raw_id: str, body: Mapping[str, Any]
    ) -> bool:
        """Apply a PATCH; True if anything changed (and ``*.updated`` was queued)."""
        fields = validate_meeting_body(kind, body)
        if isinstance(fields, list):
            raise ZoomProblem.of(E.VALIDATION_FAILED, errors=fields)
        meeting = await self.target(principal, kind, raw_id, mt.Op.UPDATE)
        if fields.get("pre_schedule") and fields.get("type", meeting.type) not in (2, 3):
            raise _problem(E.PRESCHEDULE_TYPE)
        host = await self._store.get_user(meeting.host_id)
        assert host is not None  # target checked it
        await self._cap(host)
        deadline = time.monotonic() + UPDATE_CAS_SECONDS
        while True:
            changes = {
                k: v for k, v in fields.items() if k != "settings" and getattr(meeting, k) != v
            }
            if "settings" in fields:
                merged = {**json.loads(meeting.settings or "{}"), **fields["settings"]}
                text = json.dumps(merged, separators=(",", ":"))
                if merged != json.loads(meeting.settings or "{}"):
                    changes["settings"] = text
            if not changes:
                return False
            after = msgspec.structs.replace(meeting, **changes)
            extra = await self._rows(
                functools.partial(ev.updated_event, meeting, after, host, changes),
                meeting.account_id,
            )
            expect = {k: getattr(meeting, k) for k in changes}
            step = self.db.update(meeting.id, expect, changes, extra)
            (row,) = await self.db.apply([step], self._clock.now)
            if row is not None:
                self._committed(extra)
                return True
            if time.monotonic() > deadline:
                raise unavailable()
            # Changed meanwhile: compare with what is there now. A round lost is
            # one read: the checks that found the meeting hold unless it went away.
            found = await self._store.get_meeting(meeting.id)
            if found is None or found.account_id != meeting.account_id:
                found = await self.target(principal, kind, raw_id, mt.Op.UPDATE)  # Zoom's error
            meeting = found

    async def delete(
        self, principal: Principal, kind: Kind, raw_id: str, occurrence_id: str | None = None
    ) -> None:
        """Delete the meeting (there is no trash: README, Decisions). zoomlive's
        meetings have no occurrences, so any ``occurrence_id`` names none."""
        meeting = await self.target(principal, kind, raw_id, mt.Op.DELETE)
        if occurrence_id is not None:
            raise _problem(
                E.INVALID_OCCURRENCE if kind is Kind.MEETING else E.WEBINAR_OCCURRENCE_NOT_FOUND
            )
        host = await self._store.get_user(meeting.host_id)
        # A meeting in progress ends first, for everyone, in the same transaction:
        # its stream stops and ``live_streaming_stopped`` and ``ended`` precede
        # ``deleted`` (README Decision "Deleting a meeting in progress").
        steps, extras = await self._end_steps(meeting, host)
        extra = await self._rows(
            functools.partial(ev.deleted_event, meeting, host), meeting.account_id
        )
        gone = self.db.delete(meeting.id, extra, on_changed=self._feed_closes)
        *_, row = await self.db.apply([*steps, gone], self._clock.now)
        if row is None:  # deleted meanwhile by another call: that one answered 204
            raise _problem(E.not_found(kind), id=meeting.id)
        self._committed([*extras, *extra])

    # -- status: the API's end, and the host's side ---------------------------------------

    async def set_status(
        self, principal: Principal, kind: Kind, raw_id: str, body: Mapping[str, Any]
    ) -> bool:
        """``PUT …/status``. ``end`` ends a started meeting; on one not started it is
        a 204 that changes nothing, as is ``recover`` on a meeting not deleted (README,
        Decisions). True if it ended the meeting."""
        object_id = self.parse_id(kind, raw_id)
        action = validate_status_action(kind, body)
        if isinstance(action, list):
            raise ZoomProblem.of(E.VALIDATION_FAILED, errors=action)
        meeting = await self.target(principal, kind, str(object_id), mt.Op.STATUS)
        if action != "end":
            return False
        return await self.end(meeting)

    async def start(self, meeting: Meeting) -> bool:
        """The host joins: a meeting not started starts (``*.started``). True if this
        call started it; False if it was started already."""
        for _ in range(CAS_ROUNDS):
            if meeting.status == "started":
                return False
            host = await self._store.get_user(meeting.host_id)
            started = msgspec.structs.replace(meeting, status="started")
            extra = await self._rows(
                functools.partial(ev.started_event, started, host), meeting.account_id
            )
            step = self.db.update(meeting.id, {"status": meeting.status}, {"status": "started"},
                                  extra)  # fmt: skip
            (row,) = await self.db.apply([step], self._clock.now)
            if row is not None:
                self._committed(extra)
                return True
            found = await self._store.get_meeting(meeting.id)
            if found is None:
                return False
            meeting = found
        return False

    async def end(self, meeting: Meeting) -> bool:
        """The meeting ends (the host leaves, or ``status end``): a live stream stops
        with it, and ``meeting.live_streaming_stopped`` then ``meeting.ended`` are
        queued in that order, in one transaction, only by the call that ended it, at
        one moment (their shared ``event_ts``, README, Decisions)."""
        host = await self._store.get_user(meeting.host_id)
        steps, extras = await self._end_steps(meeting, host)
        stream_row, end_row = await self.db.apply(steps, self._clock.now)
        if stream_row is not None or end_row is not None:
            self._committed(extras)
        return end_row is not None

    async def _end_steps(
        self, meeting: Meeting, host: User | None
    ) -> tuple[tuple[Step, Step], Extra]:
        """Ending a meeting: stop its live stream, then end it, each compare-and-set
        with its event (a step that changes nothing queues nothing), both at the
        moment the transaction reads (``NOW``); the two steps and every event row."""
        stopped = msgspec.structs.replace(meeting, stream_live=False)
        live_extra = await self._events.stream_event_rows(stopped, False) if self._events else []
        ended = msgspec.structs.replace(stopped, status="ended")
        end_extra = await self._rows(
            functools.partial(ev.ended_event, ended, host), meeting.account_id
        )
        steps = (
            self.db.update(
                meeting.id, {"status": "started", "stream_live": True},
                {"stream_live": False, "stream_changed_at": NOW}, live_extra,
                on_changed=self._feed_closes,
            ),
            self.db.update(meeting.id, {"status": "started"}, {"status": "ended"}, end_extra,
                           on_changed=self._feed_closes),
        )  # fmt: skip
        return steps, [*live_extra, *end_extra]

    def _feed_closes(self, meeting: Meeting) -> None:
        """After the commit of an end or a delete, in commit order: its media feed
        closes (Decision 27), as a stream stop tells it."""
        if self._media is not None:
            self._media.meeting_ended(meeting.id)

    # -- events -------------------------------------------------------------------------

    async def _rows(self, body: Body, account_id: str) -> Extra:
        return await self._events.event_rows(account_id, body) if self._events else []

    def _committed(self, extra: Extra) -> None:
        if extra and self._events is not None:
            self._events.wake()

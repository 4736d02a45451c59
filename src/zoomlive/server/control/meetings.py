"""Control API: meetings and webinars (one table; ``kind`` tells them apart)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import JSONBody
from msgspec import Meta

from zoomlive.server.control.errors import field_problem
from zoomlive.server.control.params import (
    PageSize,
    PageToken,
    PathMeetingId,
    QueryText,
    RuntimeDep,
    paged,
)
from zoomlive.server.media.status import MediaStatus
from zoomlive.server.runtime import Runtime
from zoomlive.server.services.inputs import MeetingIn, MeetingPatch, changes
from zoomlive.server.services.paging import DEFAULT_PAGE_SIZE
from zoomlive.server.storage.records import Meeting

#: Meetings one bulk request may create, and the body size that allows.
MAX_BULK = 20_000
BULK_BODY_BYTES = 16 * 1024 * 1024


class MeetingView(Meeting, frozen=True, kw_only=True):
    """A meeting with its stream's media state (README, "Real media")."""

    media: MediaStatus


def _view(rt: Runtime, meeting: Meeting) -> MeetingView:
    return MeetingView(**msgspec.structs.asdict(meeting), media=rt.media.status(meeting.id))


MeetingsIn = MeetingIn | Annotated[list[MeetingIn], Meta(min_length=1, max_length=MAX_BULK)]


def _bulk_bounded(items: list[MeetingIn]) -> list[MeetingIn]:
    """The array's documented bounds, checked here: Litestar puts its own ``Body``
    metadata in place of the ``Meta`` on each member of a body's union, so the
    annotation's lengths alone would not be enforced. Over the bound is the same 400
    naming the body as any other bad value (Decision 2); nothing is written."""
    if not 1 <= len(items) <= MAX_BULK:
        raise field_problem("meetings", f"An array of 1 to {MAX_BULK} meetings")
    return items


async def _create(rt: Runtime, kind: str, data: MeetingIn | list[MeetingIn]) -> Any:
    """One meeting (the record), or many from a JSON array in one transaction
    (``{"created": n, "ids": [...]}``, in the array's order)."""
    if isinstance(data, list):
        ids = await rt.admin.create_meetings(kind, [changes(d) for d in _bulk_bounded(data)])
        return {"created": len(ids), "ids": ids}
    fields = changes(data)
    host_id = fields.pop("host_id")
    fields.pop("id", None)
    return await rt.admin.create_meeting(kind, str(host_id), id=data.id, **fields)


class MeetingsController(Controller):
    path = "/"

    @post(
        "/meetings",
        status_code=201,
        request_max_body_size=BULK_BODY_BYTES,
        summary="Create a meeting, or many from an array in one transaction",
    )
    async def create_meeting(self, rt: RuntimeDep, data: JSONBody[MeetingsIn]) -> Any:
        return await _create(rt, "meeting", data)

    @post(
        "/webinars",
        status_code=201,
        request_max_body_size=BULK_BODY_BYTES,
        summary="Create a webinar, or many from an array in one transaction",
    )
    async def create_webinar(self, rt: RuntimeDep, data: JSONBody[MeetingsIn]) -> Any:
        return await _create(rt, "webinar", data)

    @get("/meetings", summary="Meetings and webinars, a page at a time (Zoom's paging)")
    async def list_meetings(
        self,
        rt: RuntimeDep,
        account_id: QueryText = None,
        page_size: PageSize = DEFAULT_PAGE_SIZE,
        next_page_token: PageToken = None,
    ) -> dict[str, Any]:
        return await paged(
            rt,
            "meetings",
            account_id or "",
            lambda after, limit: rt.admin.page("meetings", after, limit, account_id),
            lambda: rt.admin.count("meetings", account_id),
            lambda m: m.id,
            int,
            page_size,
            next_page_token,
        )

    @get(
        "/meetings/{meeting_id:int}",
        summary="A meeting or webinar, with its stream state and media state",
    )
    async def get_meeting(self, rt: RuntimeDep, meeting_id: PathMeetingId) -> MeetingView:
        return _view(rt, await rt.admin.get_meeting(meeting_id))

    @patch(
        "/meetings/{meeting_id:int}", summary="Change a meeting or webinar (only the fields given)"
    )
    async def update_meeting(
        self, rt: RuntimeDep, meeting_id: PathMeetingId, data: JSONBody[MeetingPatch]
    ) -> Meeting:
        return await rt.admin.update_meeting(meeting_id, **changes(data))

    @post(
        "/meetings/{meeting_id:int}/start",
        status_code=200,
        summary="The host joins: the meeting starts (meeting.started)",
    )
    async def start_meeting(self, rt: RuntimeDep, meeting_id: PathMeetingId) -> Meeting:
        return await rt.admin.start_meeting(meeting_id)

    @post(
        "/meetings/{meeting_id:int}/end",
        status_code=200,
        summary="The host leaves: the meeting ends, its live stream stops",
    )
    async def end_meeting(self, rt: RuntimeDep, meeting_id: PathMeetingId) -> Meeting:
        return await rt.admin.end_meeting(meeting_id)

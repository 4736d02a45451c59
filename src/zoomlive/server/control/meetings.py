"""Control API: meetings and webinars (one table; ``kind`` tells them apart)."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import JSONBody

from zoomlive.server.control.models import MeetingIn, MeetingPatch, changes
from zoomlive.server.control.params import PathMeetingId, QueryText, RuntimeDep
from zoomlive.server.media.status import MediaStatus
from zoomlive.server.runtime import Runtime
from zoomlive.server.storage.records import Meeting


class MeetingView(Meeting, frozen=True, kw_only=True):
    """A meeting with its stream's media state (README, "Real media")."""

    media: MediaStatus


def _view(rt: Runtime, meeting: Meeting) -> MeetingView:
    return MeetingView(**msgspec.structs.asdict(meeting), media=rt.media.status(meeting.id))


async def _create(rt: Runtime, kind: str, data: MeetingIn) -> Meeting:
    fields = changes(data)
    host_id = fields.pop("host_id")
    fields.pop("id", None)
    return await rt.admin.create_meeting(kind, str(host_id), id=data.id, **fields)


class MeetingsController(Controller):
    path = "/"

    @post("/meetings", status_code=201)
    async def create_meeting(self, rt: RuntimeDep, data: JSONBody[MeetingIn]) -> Meeting:
        return await _create(rt, "meeting", data)

    @post("/webinars", status_code=201)
    async def create_webinar(self, rt: RuntimeDep, data: JSONBody[MeetingIn]) -> Meeting:
        return await _create(rt, "webinar", data)

    @get("/meetings")
    async def list_meetings(self, rt: RuntimeDep, account_id: QueryText = None) -> list[Meeting]:
        return await rt.admin.list_meetings(account_id)

    @get(
        "/meetings/{meeting_id:int}",
        summary="A meeting or webinar, with its stream state and media state",
    )
    async def get_meeting(self, rt: RuntimeDep, meeting_id: PathMeetingId) -> MeetingView:
        return _view(rt, await rt.admin.get_meeting(meeting_id))

    @patch("/meetings/{meeting_id:int}")
    async def update_meeting(
        self, rt: RuntimeDep, meeting_id: PathMeetingId, data: JSONBody[MeetingPatch]
    ) -> Meeting:
        return await rt.admin.update_meeting(meeting_id, **changes(data))

    @post("/meetings/{meeting_id:int}/start", status_code=200)
    async def start_meeting(self, rt: RuntimeDep, meeting_id: PathMeetingId) -> Meeting:
        return await rt.admin.start_meeting(meeting_id)

    @post("/meetings/{meeting_id:int}/end", status_code=200)
    async def end_meeting(self, rt: RuntimeDep, meeting_id: PathMeetingId) -> Meeting:
        return await rt.admin.end_meeting(meeting_id)

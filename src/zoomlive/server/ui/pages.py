"""The dashboard's pages (GET): overview, meetings, one meeting, webhooks, journal,
faults and clock, and the login form. Each has a stable URL under ``/_zoomlive/ui``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from zoomlive.server.control.params import PathMeetingId, RuntimeDep
from zoomlive.server.runtime import Runtime
from zoomlive.server.services.inputs import TEXT_PATTERN
from zoomlive.server.ui import views
from zoomlive.server.ui.render import BASE, page
from zoomlive.server.ui.session import LoginRequired, revoked_key, viewer
from zoomlive.wire.ids import MAX_ID

#: Printable text, bounded, as the control API's ``QueryText``: it reaches a LIKE.
Text = Annotated[str, QueryParameter(max_length=256, pattern=TEXT_PATTERN)]
Status = Annotated[int | None, QueryParameter(ge=100, le=599)]
#: The meetings page's cursor: a meeting id (keyset paging, as the control API's lists).
Cursor = Annotated[int | None, QueryParameter(ge=0, le=MAX_ID)]


async def who(request: Request[Any, Any, Any], rt: Runtime) -> str:
    """The caller (``viewer``), or ``LoginRequired``: also for a session that was
    logged out (``session.revoked_key``), whichever worker it was logged out on."""
    found = viewer(request, rt.admin_token)
    if found is None or (
        found != "bearer" and await rt.store.get_meta(revoked_key(rt.admin_token, found))
    ):
        raise LoginRequired
    return found


def live_url(**params: object) -> str:
    given = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{BASE}/live" + (f"?{urlencode(given)}" if given else "")


@get("/", include_in_schema=False)
async def root() -> Redirect:
    return Redirect(BASE, status_code=303)


@get(f"{BASE}/login", include_in_schema=False)
async def login_form(request: Request[Any, Any, Any], rt: RuntimeDep, next: Text = "") -> Template:
    return page(request, rt, "login.html", None, next=next)


class Pages(Controller):
    path = BASE
    include_in_schema = False

    @get("/")
    async def overview(self, request: Request[Any, Any, Any], rt: RuntimeDep,
                       reveal: Text = "") -> Template:  # fmt: skip
        return page(request, rt, "overview.html", await who(request, rt), active="Overview",
                    data=await views.overview(rt), reveal=reveal,
                    live=live_url(watch="overview"))  # fmt: skip

    @get("/meetings")
    async def meetings(self, request: Request[Any, Any, Any], rt: RuntimeDep, q: Text = "",
                       kind: Text = "", after: Cursor = None, before: Cursor = None,
                       ) -> Template:  # fmt: skip
        found = await views.meetings_page(rt, q, kind, after, before)
        media_cols = sorted({k for m in found.items for k in views.media_fields(rt, m)})
        return page(request, rt, "meetings.html", await who(request, rt), active="Meetings",
                    page=found, q=q, kind=kind, media_cols=media_cols,
                    live=live_url())  # fmt: skip

    @get("/meetings/{meeting_id:int}")
    async def meeting(self, request: Request[Any, Any, Any], rt: RuntimeDep,
                      meeting_id: PathMeetingId, reveal: Text = "") -> Template:  # fmt: skip
        viewer_ = await who(request, rt)
        m = await rt.admin.get_meeting(meeting_id)
        events = await views.webhook_events(rt, meeting_id)
        entries = views.meeting_journal(rt, meeting_id)
        return page(request, rt, "meeting.html", viewer_, active="Meetings", m=m,
                    media=views.media_fields(rt, m), events=events, entries=entries,
                    history=views.history(m, events, entries), reveal=bool(reveal),
                    live=live_url(), refresh_on_change=True)  # fmt: skip

    @get("/webhooks")
    async def webhooks(self, request: Request[Any, Any, Any], rt: RuntimeDep) -> Template:
        return page(request, rt, "webhooks.html", await who(request, rt), active="Webhooks",
                    subscriptions=await views.subscriptions(rt),
                    events=await views.webhook_events(rt),
                    live=live_url(watch="webhooks"))  # fmt: skip

    @get("/journal")
    async def journal(self, request: Request[Any, Any, Any], rt: RuntimeDep, path: Text = "",
                      method: Text = "", status: Status = None) -> Template:  # fmt: skip
        f = {"path": path, "method": method, "status": status}
        return page(request, rt, "journal.html", await who(request, rt), active="Journal", f=f,
                    entries=views.journal(rt, path=path, method=method, status=status),
                    live=live_url(journal=1, **f))  # fmt: skip

    @get("/faults")
    async def faults(self, request: Request[Any, Any, Any], rt: RuntimeDep) -> Template:
        return page(request, rt, "faults.html", await who(request, rt), active="Faults",
                    faults=rt.faults.list(), live=live_url(watch="faults"))  # fmt: skip

    @get("/clock")
    async def clock(self, request: Request[Any, Any, Any], rt: RuntimeDep) -> Template:
        return page(request, rt, "clock.html", await who(request, rt), active="Clock",
                    live=live_url())  # fmt: skip

"""The dashboard's actions (POST): each checks the CSRF token, calls the service the
API or the control API calls for the same change, writes a journal entry, and
redirects (303) to a page that confirms it.

The stream is started and stopped through ``LiveStreamService.set_status``, the
PATCH ``/status`` rules and compare-and-set included, acting for the meeting's own
account (so its webhook events are queued as for an API call).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.datastructures import Cookie
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from zoomlive.server.clock import in_range
from zoomlive.server.control.params import PathFaultId, PathMeetingId, RuntimeDep
from zoomlive.server.middleware import new_tracking_id
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.runtime import Runtime
from zoomlive.server.services.auth import Principal
from zoomlive.server.services.faults import FaultSpec
from zoomlive.server.storage.failures import StorageUnavailable
from zoomlive.server.ui.pages import who
from zoomlive.server.ui.render import BASE, FLASH, flash_cookie, page
from zoomlive.server.ui.session import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_SECONDS,
    check_csrf,
    new_session,
    revoked_key,
    session_expires,
    session_valid,
    token_matches,
)
from zoomlive.wire import errors as E
from zoomlive.wire.paths import Kind

#: The app id the dashboard's stream changes are made under (it holds no token).
DASHBOARD_CLIENT = "zoomlive-dashboard"


class Invalid(Exception):
    """A form field the action cannot use (shown back to the user)."""


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


async def _act(
    request: Request[Any, Any, Any],
    rt: Runtime,
    back: str,
    do: Callable[[dict[str, str]], Awaitable[str]],
) -> Redirect:
    """Authenticate, check CSRF, run ``do`` (its answer is the confirmation), journal
    the action, and redirect to ``back`` with the confirmation or the refusal."""
    viewer = await who(request, rt)
    started = time.perf_counter()
    form = await _form(request)
    given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    check_csrf(rt.admin_token, viewer, given)
    status, code = 303, None

    def journal() -> None:
        rt.journal.add(
            rt.clock.now(), "POST", request.url.path, status, code, None, DASHBOARD_CLIENT,
            (time.perf_counter() - started) * 1000, None, new_tracking_id(),
        )  # fmt: skip

    try:
        ok, text = True, await do(form)
    except ZoomProblem as problem:
        ok, text = False, f"Refused: {problem.status} {problem.code} {problem.message}"
        status, code = problem.status, problem.code
    except Invalid as exc:
        ok, text = False, f"Refused: {exc}"
        status = 400
    except StorageUnavailable:
        # No redirect: the page it leads to needs the database too. The dashboard's
        # handler answers the 503 page; the journal keeps the try.
        status, code = 503, E.SERVICE_UNAVAILABLE.code
        journal()
        raise
    journal()
    response = Redirect(back, status_code=303)
    response.cookies.append(flash_cookie(ok, text))
    return response


# -- login ---------------------------------------------------------------------------


@post(f"{BASE}/login", include_in_schema=False, status_code=303)
async def login(request: Request[Any, Any, Any], rt: RuntimeDep) -> Redirect | Template:
    form = await _form(request)
    if not token_matches(rt.admin_token, form.get("token", "").strip()):
        return page(request, rt, "login.html", None, status_code=401, next=form.get("next", ""),
                    error="That is not the admin token.")  # fmt: skip
    target = form.get("next", "")
    # Only a dashboard page: never an open redirect.
    if not target.startswith(BASE + "/") and target != BASE:
        target = BASE
    response = Redirect(target, status_code=303)
    response.cookies.append(
        Cookie(
            key=COOKIE,
            value=new_session(rt.admin_token),
            path="/_zoomlive",
            httponly=True,
            samesite="strict",
            max_age=SESSION_SECONDS,
        )
    )
    return response


@post(f"{BASE}/logout", include_in_schema=False, status_code=303)
async def logout(request: Request[Any, Any, Any], rt: RuntimeDep) -> Redirect:
    async def do(_: dict[str, str]) -> str:
        # The cookie is dropped by the browser and dead for everyone else: a copy
        # replayed gets the login form (``session.revoked_key``).
        value = request.cookies.get(COOKIE, "")
        if session_valid(rt.admin_token, value):
            await rt.store.set_meta(
                revoked_key(rt.admin_token, value), str(session_expires(rt.admin_token, value))
            )
        return "Logged out."

    response = await _act(request, rt, f"{BASE}/login", do)
    response.cookies = [
        Cookie(key=COOKIE, value="", path="/_zoomlive", max_age=0, httponly=True,
               samesite="strict"),
        Cookie(key=FLASH, value="", path=BASE, max_age=0, httponly=True, samesite="strict"),
    ]  # fmt: skip
    return response


# -- meetings ------------------------------------------------------------------------


async def _stream(rt: Runtime, meeting_id: int, action: str) -> str:
    m = await rt.admin.get_meeting(meeting_id)
    principal = Principal(m.account_id, DASHBOARD_CLIENT, frozenset())
    changed = await rt.livestream.set_status(principal, Kind(m.kind), m.id, {"action": action})
    verb = "started" if action == "start" else "stopped"
    return f"Stream of {m.kind} {m.id} {verb}." if changed else f"Stream already {verb}."


def _meeting_url(meeting_id: int) -> str:
    return f"{BASE}/meetings/{meeting_id}"


@post(f"{BASE}/meetings/{{meeting_id:int}}/start", include_in_schema=False, status_code=303)
async def start_meeting(
    request: Request[Any, Any, Any], rt: RuntimeDep, meeting_id: PathMeetingId
) -> Redirect:
    async def do(_: dict[str, str]) -> str:
        m = await rt.admin.start_meeting(meeting_id)
        return f"{m.kind.capitalize()} {m.id} is {m.status}."

    return await _act(request, rt, _meeting_url(meeting_id), do)


@post(f"{BASE}/meetings/{{meeting_id:int}}/end", include_in_schema=False, status_code=303)
async def end_meeting(
    request: Request[Any, Any, Any], rt: RuntimeDep, meeting_id: PathMeetingId
) -> Redirect:
    async def do(_: dict[str, str]) -> str:
        m = await rt.admin.end_meeting(meeting_id)
        return f"{m.kind.capitalize()} {m.id} is {m.status}."

    return await _act(request, rt, _meeting_url(meeting_id), do)


@post(f"{BASE}/meetings/{{meeting_id:int}}/stream/{{action:str}}", include_in_schema=False,
      status_code=303)  # fmt: skip
async def stream(
    request: Request[Any, Any, Any],
    rt: RuntimeDep,
    meeting_id: PathMeetingId,
    action: Annotated[str, PathParameter(max_length=8)],
) -> Redirect:
    async def do(_: dict[str, str]) -> str:
        if action not in ("start", "stop"):
            raise Invalid("the stream action is start or stop")
        return await _stream(rt, meeting_id, action)

    return await _act(request, rt, _meeting_url(meeting_id), do)


# -- the emulator ----------------------------------------------------------------------


def _fault_spec(form: dict[str, str]) -> FaultSpec:
    fields: dict[str, Any] = {}
    for name in ("method", "path", "action", "message"):
        if form.get(name, "") != "":
            fields[name] = form[name]
    for name in ("status", "code", "delay_ms"):
        if form.get(name, "").strip():
            fields[name] = form[name].strip()
    times = form.get("times", "").strip()
    fields["times"] = times or None
    if form.get("rate", "").strip():
        fields["rate"] = form["rate"].strip()
    try:
        return msgspec.convert(fields, FaultSpec, strict=False)
    except msgspec.ValidationError as exc:
        raise Invalid(str(exc)) from None


@post(f"{BASE}/faults", include_in_schema=False, status_code=303)
async def add_fault(request: Request[Any, Any, Any], rt: RuntimeDep) -> Redirect:
    async def do(form: dict[str, str]) -> str:
        f = rt.faults.add(_fault_spec(form))
        s = f.spec
        return f"Fault {f.id} added: {s.method} {s.path} → {s.action} {s.status}."

    return await _act(request, rt, f"{BASE}/faults", do)


@post(f"{BASE}/faults/clear", include_in_schema=False, status_code=303)
async def clear_faults(request: Request[Any, Any, Any], rt: RuntimeDep) -> Redirect:
    async def do(_: dict[str, str]) -> str:
        rt.faults.clear()
        return "Every fault cleared."

    return await _act(request, rt, f"{BASE}/faults", do)


@post(f"{BASE}/faults/{{fault_id:int}}/delete", include_in_schema=False, status_code=303)
async def remove_fault(
    request: Request[Any, Any, Any], rt: RuntimeDep, fault_id: PathFaultId
) -> Redirect:
    async def do(_: dict[str, str]) -> str:
        if not rt.faults.remove(fault_id):
            raise Invalid(f"no fault {fault_id}")
        return f"Fault {fault_id} removed."

    return await _act(request, rt, f"{BASE}/faults", do)


def _instant(text: str) -> float:
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("the time is seconds since 1970 or an ISO 8601 date") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


@post(f"{BASE}/clock", include_in_schema=False, status_code=303)
async def clock(request: Request[Any, Any, Any], rt: RuntimeDep) -> Redirect:
    """As ``POST /_zoomlive/clock``: checked before anything changes, then the webhook
    worker and retention are woken (retries follow the clock)."""

    async def do(form: dict[str, str]) -> str:
        c, op = rt.clock, form.get("op", "")
        if op == "freeze":
            c.freeze()
        elif op == "unfreeze":
            c.unfreeze()
        elif op == "reset":
            c.reset()
        elif op in ("advance", "set"):
            try:
                seconds = float(form.get("seconds", "")) if op == "advance" else 0.0
            except ValueError:
                raise Invalid("advance by a number of seconds") from None
            target = c.now() + seconds if op == "advance" else _instant(form.get("at", ""))
            if not in_range(target):
                raise Invalid("the clock must stay within 1970-01-01 and 9999-12-30 (UTC)")
            if op == "advance":
                c.advance(seconds)
            else:
                c.set(target)
        else:
            raise Invalid("unknown clock operation")
        rt.webhooks.wake()
        rt.retention.wake()
        return f"Clock {op}: now {c.datetime().isoformat()}."

    return await _act(request, rt, f"{BASE}/clock", do)


@post(f"{BASE}/reset", include_in_schema=False, status_code=303)
async def reset(request: Request[Any, Any, Any], rt: RuntimeDep) -> Redirect:
    async def do(form: dict[str, str]) -> str:
        demo = form.get("demo") == "1"
        await rt.reset(demo=demo)
        return "Reset done; the demo is seeded again." if demo else "Reset done."

    return await _act(request, rt, BASE, do)


HANDLERS = [login, logout, start_meeting, end_meeting, stream, add_fault, clear_faults,
            remove_fault, clock, reset]  # fmt: skip

"""The dashboard cannot be framed or made to run anything but its own files, and a
session ends for good when it logs out, over real HTTP on both backends.

Every ``/_zoomlive`` answer carries the headers (pages, the login form, the docs,
static files, the control API, a 404, the live stream); that the pages still work
under that policy is the Chromium tests' part (``test_dashboard``: no page logs a
Content-Security-Policy violation, the docs render)."""

from __future__ import annotations

import re

import httpx

from tests.support import ADMIN_TOKEN, Api

UI = "/_zoomlive/ui"
PAGES = ["", "/meetings", "/meetings/68423085", "/webhooks", "/journal", "/faults", "/clock"]


def login(api: Api) -> str:
    r = api.http.post(f"{api.base_url}{UI}/login", data={"token": ADMIN_TOKEN})
    assert r.status_code == 303, r.text
    value = str(r.cookies["zoomlive_session"])
    api.http.cookies.clear()  # each request below names the session it sends
    return value


def as_session(session: str) -> dict[str, str]:
    return {"Cookie": f"zoomlive_session={session}"}


def assert_secured(r: httpx.Response) -> None:
    csp = r.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], (r.url, csp)
    assert directives.get("script-src") == ["'self'"], (r.url, csp)
    assert r.headers.get("x-frame-options") == "DENY", r.url
    assert r.headers.get("x-content-type-options") == "nosniff", r.url


def test_every_zoomlive_answer_forbids_framing_and_sniffing(api: Api) -> None:
    cookie = as_session(login(api))
    for path in PAGES:
        r = api.http.get(f"{api.base_url}{UI}{path}", headers=cookie)
        assert r.status_code == 200, (path, r.status_code)
        assert_secured(r)
    for path in (f"{UI}/login", "/_zoomlive/docs", "/_zoomlive/docs/openapi.json",
                 f"{UI}/static/ui.js", f"{UI}/static/docs.js", "/_zoomlive/health",
                 "/_zoomlive/no-such-route", f"{UI}/meetings"):  # fmt: skip
        r = api.http.get(f"{api.base_url}{path}")  # no cookie: the login redirect too
        assert r.status_code < 500, (path, r.status_code)
        assert_secured(r)
    assert_secured(api.admin("GET", "/meetings"))
    with api.http.stream("GET", f"{api.base_url}{UI}/live", headers=cookie) as live:
        assert live.status_code == 200
        assert_secured(live)
    # The docs page runs no inline script (the policy would stop it).
    docs = api.http.get(f"{api.base_url}/_zoomlive/docs").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", docs), docs[:500]
    assert "<style" not in docs and " style=" not in docs


def test_a_logged_out_session_is_dead_when_replayed(api: Api) -> None:
    session = login(api)
    other = login(api)  # another browser's session lives on
    cookie = as_session(session)
    overview = api.http.get(f"{api.base_url}{UI}", headers=cookie)
    assert overview.status_code == 200
    found = re.search(r'name="csrf_token" value="([A-Za-z0-9_.-]+)"', overview.text)
    assert found is not None
    r = api.http.post(f"{api.base_url}{UI}/logout", headers=cookie,
                      data={"csrf_token": found.group(1)})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"{UI}/login"
    # The same cookie replayed, as a copy of it would be: the login form, or a 401.
    for path in PAGES:
        r = api.http.get(f"{api.base_url}{UI}{path}", headers=cookie)
        assert r.status_code == 303, (path, r.status_code)
        assert r.headers["location"].startswith(f"{UI}/login?next="), path
    assert api.http.get(f"{api.base_url}{UI}/live", headers=cookie).status_code == 401
    r = api.http.post(f"{api.base_url}{UI}/faults", headers=cookie,
                      data={"csrf_token": found.group(1), "method": "GET", "path": "/v2/*",
                            "status": "503"})  # fmt: skip
    assert r.status_code == 401
    assert api.admin("GET", "/faults").json() == []
    # A reset does not bring it back; the other session and a new login still work.
    api.admin("POST", "/reset", {"demo": True})
    assert api.http.get(f"{api.base_url}{UI}", headers=cookie).status_code == 303
    other_cookie = as_session(other)
    assert api.http.get(f"{api.base_url}{UI}", headers=other_cookie).status_code == 200
    fresh = as_session(login(api))
    assert api.http.get(f"{api.base_url}{UI}/faults", headers=fresh).status_code == 200

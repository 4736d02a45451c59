"""A PATCH livestream whose meeting the read model does not hold writes without
reading it: its UPDATE checks what the read would have (storage/streams_sqlite.py).
Those checks must be exactly the service's own, or a PATCH that Zoom refuses would
write (or one it accepts would answer an error)."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.support import Api, running
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.services.livestream import _account_may_stream, _check_host
from zoomlive.server.settings import sqlite_url
from zoomlive.server.storage.records import Account, Meeting, User
from zoomlive.server.storage.store import Store
from zoomlive.wire.paths import Kind

PRINCIPAL = "a"


def _service_allows(kind: Kind, meeting: Meeting, host: User | None, account: Account) -> bool:
    """What the service decides with the meeting read (``LiveStreamService._target``)."""
    if meeting.kind != kind.value or meeting.account_id != PRINCIPAL:
        return False
    try:
        _check_host(kind, host, account, meeting, PRINCIPAL)
    except ZoomProblem:
        return False
    return True


def test_the_unread_write_checks_exactly_what_the_service_checks(tmp_path: Path) -> None:
    """Every combination of the meeting's kind and account, the host's row (missing,
    other account, out of the account, deleted, each user type, may not host) and the
    account's flags: the conditional write writes exactly when the service, with the
    meeting read, accepts the PATCH; and a refused one leaves the row as it was."""
    users: list[User] = []
    for n, (acct, in_account, deleted, type_, can_host) in enumerate(
        itertools.product(("a", "b"), (True, False), (True, False), (1, 2, 3), (True, False))
    ):
        users.append(
            User(
                id=f"u{n}", account_id=acct, email=f"u{n}@x.test", type=type_,
                can_host=can_host, in_account=in_account, deleted=deleted,
            )
        )  # fmt: skip
    host_ids = [u.id for u in users] + ["nobody"]  # the last host has no row
    meetings = [
        Meeting(id=i, kind=kind, uuid=f"m{i}", account_id=acct, host_id=host)
        for i, (kind, acct, host) in enumerate(
            itertools.product(("meeting", "webinar"), ("a", "b"), host_ids), start=1
        )
    ]
    by_user = {u.id: u for u in users}
    flags = [
        Account(id=PRINCIPAL, live_streaming=ls, webinar_plan=wp)
        for ls, wp in itertools.product((True, False), (True, False))
    ]
    db = tmp_path / "c.db"

    async def run() -> list[tuple[int, Kind, bool]]:
        # A read model of one row: none of these meetings is held.
        store = Store(sqlite_url(db), cache_reads=True, cache_size=1)
        await store.open()
        try:
            assert store.defers_stream_reads
            await store.insert_all([*users, *meetings])
            out: list[tuple[int, Kind, bool]] = []
            for m in meetings:
                for kind in Kind:
                    changes = {
                        "stream_url": "rtmp://x/app",
                        "stream_key": f"k-{m.id}-{kind.value}",
                        "page_url": "https://x/p",
                        "resolution": None,
                        "configured": True,
                    }
                    wrote = await store.save_stream_if_host_may_stream(
                        m.id, kind.value, PRINCIPAL, changes
                    )
                    out.append((m.id, kind, wrote))
            return out
        finally:
            await store.close()

    results = asyncio.run(run())
    assert len(results) == len(meetings) * 2 == 392
    keys = dict(sqlite3.connect(db).execute("SELECT id, stream_key FROM zl_meetings").fetchall())
    mismatches = []
    for meeting_id, kind, wrote in results:
        m = meetings[meeting_id - 1]
        host = by_user.get(m.host_id)
        for account in flags:
            allowed = _service_allows(kind, m, host, account)
            unread_path = _account_may_stream(kind, account) and wrote
            if allowed != unread_path:
                mismatches.append((m, host, kind, account, wrote))
        # An accepted write wrote its own values (only the meeting's own kind can).
        if wrote:
            assert kind.value == m.kind
            assert keys[meeting_id] == f"k-{meeting_id}-{kind.value}"
    assert mismatches == []
    accepted = [(i, k) for i, k, wrote in results if wrote]
    assert accepted, "some combination must be accepted"
    # A refused write changed nothing.
    for meeting_id in {i for i, _, _ in results} - {i for i, _ in accepted}:
        assert keys[meeting_id] == ""


def test_patches_of_meetings_not_held_read_nothing_and_still_refuse_as_zoom(
    tmp_path: Path,
) -> None:
    """A real server whose read model holds two meetings: thirty concurrent PATCHes of
    meetings it does not hold all land (each GET then sees its own), and read no
    meeting to do it. A meeting of another account, and one whose host was deleted,
    answer the errors a held meeting answers, and keep their stream as it was."""
    with (
        running(
            str(tmp_path / "h.db"), ZOOMLIVE_READ_CACHE_SIZE="2", ZOOMLIVE_RATE_LIMITS="0"
        ) as srv,
        httpx.Client(timeout=30) as http,
    ):
        api = Api(srv.base_url, http)
        token = api.token()
        host = api.admin("GET", "/meetings/68423085").json()["host_id"]
        ids = [api.new_meeting(host)["id"] for _ in range(30)]
        other = api.new_account()
        foreign = api.new_meeting(other["host"]["id"])["id"]
        gone = api.admin(
            "POST", f"/accounts/{api.admin('GET', f'/users/{host}').json()['account_id']}/users", {}
        ).json()["id"]
        orphan = api.new_meeting(gone)["id"]
        api.admin("PATCH", f"/users/{gone}", {"deleted": True})

        def body(key: str) -> dict[str, str]:
            return {"stream_url": "rtmp://x/app", "stream_key": key, "page_url": "https://x/p"}

        def patch(meeting_id: int) -> int:
            r = api.call(
                "PATCH", f"/meetings/{meeting_id}/livestream", token, json=body(f"k{meeting_id}")
            )
            return r.status_code

        misses = api.admin("GET", "/stats").json()["miss_keys"]
        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(patch, ids))
        assert codes == [204] * len(ids)
        assert api.admin("GET", "/stats").json()["miss_keys"] == misses  # nothing read
        for i in ids:
            got = api.call("GET", f"/meetings/{i}/livestream", token)
            assert got.json()["stream_key"] == f"k{i}", got.text

        # Refused as a held meeting would be: the same status, code and message.
        r = api.call("PATCH", f"/meetings/{foreign}/livestream", token, json=body("stolen"))
        assert (r.status_code, r.json()) == (
            404,
            {"code": 3001, "message": f"Meeting does not exist: {foreign}."},
        )
        r = api.call("PATCH", f"/meetings/{orphan}/livestream", token, json=body("orphaned"))
        assert r.status_code == 404 and r.json()["code"] == 1001, r.text
        kept = api.call("GET", f"/meetings/{foreign}/livestream", other["token"]).json()
        assert kept["stream_key"] != "stolen"
        rows = (
            sqlite3.connect(tmp_path / "h.db")
            .execute("SELECT id, stream_key FROM zl_meetings WHERE id IN (?, ?)", (foreign, orphan))
            .fetchall()
        )
        assert dict(rows) == {foreign: "", orphan: ""}


def test_a_conditional_write_the_database_refuses_answers_zoom_shaped_and_recovers(
    tmp_path: Path,
) -> None:
    """The database fails the unread PATCH's statement (the host table it checks is
    gone, renamed by another connection): the PATCH answers a Zoom-shaped 500 with a
    tracking id, no traceback, and nothing is written. With the table back, the same
    PATCH lands."""
    db = tmp_path / "f.db"
    with (
        running(str(db), ZOOMLIVE_READ_CACHE_SIZE="2", ZOOMLIVE_RATE_LIMITS="0") as srv,
        httpx.Client(timeout=30) as http,
    ):
        api = Api(srv.base_url, http)
        token = api.token()
        host = api.admin("GET", "/meetings/68423085").json()["host_id"]
        ids = [api.new_meeting(host)["id"] for _ in range(4)]  # the first ones not held
        body = {"stream_url": "rtmp://x/app", "stream_key": "kept-out", "page_url": "https://x/p"}
        other = sqlite3.connect(db, timeout=30)
        other.execute("ALTER TABLE zl_users RENAME TO zl_users_away")
        other.commit()
        try:
            r = api.call("PATCH", f"/meetings/{ids[0]}/livestream", token, json=body)
        finally:
            other.execute("ALTER TABLE zl_users_away RENAME TO zl_users")
            other.commit()
        assert r.status_code == 500, r.text
        assert set(r.json()) == {"code", "message"} and "Traceback" not in r.text
        assert r.headers.get("x-zm-trackingid")
        (key,) = other.execute(
            "SELECT stream_key FROM zl_meetings WHERE id = ?", (ids[0],)
        ).fetchone()
        assert key == ""
        other.close()
        r = api.call("PATCH", f"/meetings/{ids[0]}/livestream", token, json=body)
        assert r.status_code == 204, r.text
        got = api.call("GET", f"/meetings/{ids[0]}/livestream", token).json()
        assert got["stream_key"] == "kept-out"

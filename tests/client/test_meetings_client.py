"""``client.meetings`` / ``client.webinars`` against the real server, sync and async."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.support import DEMO_ACCOUNT, DEMO_CLIENT, DEMO_SECRET, Api
from zoomlive.client import AsyncClient, Client, MeetingObject, NotFound
from zoomlive.client.meetings import parse_meeting


def _kw(api: Api) -> dict[str, Any]:
    return {
        "account_id": DEMO_ACCOUNT,
        "client_id": DEMO_CLIENT,
        "client_secret": DEMO_SECRET,
        "base_url": f"{api.base_url}/v2",
        "oauth_url": f"{api.base_url}/oauth/token",
    }


def test_sync_meetings_and_webinars_round_trip(api: Api) -> None:
    with Client(**_kw(api)) as client:
        for ns in (client.meetings, client.webinars):
            made = ns.create("me", topic="Client", duration=45, settings={"host_video": True})
            assert isinstance(made, MeetingObject) and made.topic == "Client"
            assert "password=***" in repr(made) and made.password not in repr(made)
            ns.update(made.id, topic="Renamed", agenda="Now with an agenda")
            got = ns.get(made.id)
            assert (got.topic, got.agenda, got.duration) == ("Renamed", "Now with an agenda", 45)
            assert got.settings["host_video"] is True
            page = ns.list(page_size=1)
            assert len(page.items) == 1 and page.next_page_token
            every = [m.id for m in ns.iter(page_size=1)]
            assert made.id in every and len(every) == len(set(every)) == page.total_records
            api.admin("POST", f"/meetings/{made.id}/start")
            ns.end(made.id)
            assert api.admin("GET", f"/meetings/{made.id}").json()["status"] == "ended"
            ns.delete(made.id)
            with pytest.raises(NotFound) as missing:
                ns.get(made.id)
            assert missing.value.code == 3001
        with pytest.raises(ValueError, match="type"):
            client.meetings.create(type=7)  # refused before sending, as the server would


def test_async_meetings(api: Api) -> None:
    async def run() -> list[int]:
        async with AsyncClient(**_kw(api)) as client:
            made = await asyncio.gather(*(client.meetings.create(topic=f"a{i}") for i in range(5)))
            got = await client.meetings.get(made[0].id)
            assert got.id == made[0].id and got.status == "waiting"
            await client.meetings.update(made[0].id, duration=15)
            assert (await client.meetings.get(made[0].id)).duration == 15
            listed = [m.id async for m in client.meetings.iter(page_size=2)]
            await client.meetings.delete(made[1].id)
            await client.webinars.end((await client.webinars.create(topic="w")).id)
            assert set(m.id for m in made) <= set(listed)
            return listed

    listed = asyncio.run(run())
    assert len(listed) == len(set(listed))


def test_unknown_keys_are_kept_not_dropped() -> None:
    body = (b'{"id":1,"uuid":"u","host_id":"h","host_email":"e","topic":"t","type":2,'
            b'"start_time":"s","duration":1,"timezone":"UTC","agenda":"","created_at":"c",'
            b'"start_url":"x","join_url":"j","password":"p","settings":{},'
            b'"occurrences":[{"occurrence_id":"1"}],"dynamic_host_key":"123"}')  # fmt: skip
    meeting = parse_meeting(httpx.Response(200, content=body))
    assert meeting.extra == {"occurrences": [{"occurrence_id": "1"}], "dynamic_host_key": "123"}

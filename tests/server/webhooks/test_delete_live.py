"""Deleting a meeting in progress ends it first (README Decision "Deleting a meeting in
progress"): its live stream stops and ``meeting.live_streaming_stopped``,
``meeting.ended`` and ``meeting.deleted`` are queued, in one transaction; a meeting not
started sends only ``meeting.deleted``."""

from __future__ import annotations

import json

from tests.server.webhooks.test_workflow import SECRET, _client, _settled
from tests.support import ADMIN_TOKEN, DEMO_CLIENT, Api
from zoomlive.testing.events import EventCollector
from zoomlive.wire import webhooks as wh


def test_deleting_a_live_meeting_ends_it_then_deletes_it(api: Api) -> None:
    with _client(api) as client, EventCollector(SECRET) as events:
        api.admin("PUT", f"/apps/{DEMO_CLIENT}/subscription",
                  {"url": events.url, "secret_token": SECRET,
                   "events": [wh.LIVE_STREAMING_STOPPED, "meeting.ended",
                              "meeting.deleted"]})  # fmt: skip
        live = client.meetings.create(topic="Live, then deleted")
        client.meetings.livestream.update(
            live.id, stream_url="rtmp://live.example.com/app", stream_key="del-key",
            page_url="https://example.com/live",
        )  # fmt: skip
        api.admin("POST", f"/meetings/{live.id}/start")
        client.meetings.livestream.start(live.id)
        waiting = client.meetings.create(topic="Never started")
        client.meetings.delete(live.id)
        client.meetings.delete(waiting.id)
        events.wait_for("meeting.deleted", count=2)
        rows = _settled(api, 4)
    by_meeting: dict[int, list[str]] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        object_id = int(json.loads(row["body"])["payload"]["object"]["id"])
        if object_id in (live.id, waiting.id):
            by_meeting.setdefault(object_id, []).append(row["event"])
    assert by_meeting == {
        live.id: [wh.LIVE_STREAMING_STOPPED, "meeting.ended", "meeting.deleted"],
        waiting.id: ["meeting.deleted"],
    }
    assert api.http.get(f"{api.base_url}/_zoomlive/meetings/{live.id}",
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
                        ).status_code == 404  # fmt: skip

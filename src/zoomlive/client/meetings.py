"""``client.meetings`` / ``client.webinars``: the meeting and webinar objects.

Create, get, update, delete, list (one page, or every page with ``iter``) and end,
sync and async over one set of request builders and parsers (no I/O here but the
two send loops' calls). Answers are typed (``MeetingObject``, ``MeetingList``);
keys the model does not name are kept in ``MeetingObject.extra``, not dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import httpx
import msgspec

from zoomlive.client.core import RequestSpec, check_id
from zoomlive.wire.meeting_body import validate_meeting_body
from zoomlive.wire.meetings import MeetingList, MeetingListItem, MeetingObject, MeetingRoute, Op
from zoomlive.wire.paths import Kind


class Sender(Protocol):
    """What the operations need of ``Client``: its send loop."""

    def _send(self, spec: RequestSpec) -> httpx.Response: ...


class AsyncSender(Protocol):
    """What the operations need of ``AsyncClient``: its send loop."""

    async def _send(self, spec: RequestSpec) -> httpx.Response: ...


_KNOWN = frozenset(MeetingObject.__struct_fields__)


def _body(kind: Kind, fields: Mapping[str, Any]) -> bytes:
    given = {k: v for k, v in fields.items() if v is not None}
    check = validate_meeting_body(kind, given)
    if isinstance(check, list):
        raise ValueError("; ".join(f"{e.field}: {e.message}" for e in check))
    return msgspec.json.encode(given)


def _user(user_id: str) -> str:
    if not user_id:
        raise ValueError("user_id is a user id, an email or 'me'")
    return quote(user_id, safe="@")


def create_request(kind: Kind, user_id: str, fields: Mapping[str, Any]) -> RequestSpec:
    route = MeetingRoute(kind, Op.CREATE)
    return RequestSpec("POST", route.path(_user(user_id)), _body(kind, fields))


def get_request(kind: Kind, object_id: int) -> RequestSpec:
    return RequestSpec("GET", MeetingRoute(kind, Op.GET).path(check_id(object_id)))


def update_request(kind: Kind, object_id: int, fields: Mapping[str, Any]) -> RequestSpec:
    path = MeetingRoute(kind, Op.UPDATE).path(check_id(object_id))
    return RequestSpec("PATCH", path, _body(kind, fields))


def delete_request(kind: Kind, object_id: int) -> RequestSpec:
    return RequestSpec("DELETE", MeetingRoute(kind, Op.DELETE).path(check_id(object_id)))


def end_request(kind: Kind, object_id: int) -> RequestSpec:
    path = MeetingRoute(kind, Op.STATUS).path(check_id(object_id))
    return RequestSpec("PUT", path, b'{"action":"end"}')


def list_request(kind: Kind, user_id: str, page_size: int | None, token: str | None) -> RequestSpec:
    query = {k: v for k, v in {"page_size": page_size, "next_page_token": token}.items() if v}
    path = MeetingRoute(kind, Op.LIST).path(_user(user_id))
    return RequestSpec("GET", path + ("?" + urlencode(query) if query else ""))


def parse_meeting(response: httpx.Response) -> MeetingObject:
    raw = msgspec.json.decode(response.content)
    typed = msgspec.convert(raw, MeetingObject)
    extra = {k: v for k, v in raw.items() if k not in _KNOWN}
    return msgspec.structs.replace(typed, extra=extra) if extra else typed


def parse_list(response: httpx.Response) -> MeetingList:
    return msgspec.json.decode(response.content, type=MeetingList)


class _Ops:
    def __init__(self, kind: Kind) -> None:
        self._kind = kind


class MeetingOps(_Ops):
    """The operations on meetings (or webinars), sync."""

    def __init__(self, client: Sender, kind: Kind) -> None:
        super().__init__(kind)
        self._client = client

    def create(self, user_id: str = "me", **fields: Any) -> MeetingObject:
        """``POST /users/{userId}/meetings``: ``topic``, ``type``, ``start_time``,
        ``duration``, ``timezone``, ``agenda``, ``password``, ``settings``, …"""
        return parse_meeting(self._client._send(create_request(self._kind, user_id, fields)))

    def get(self, object_id: int) -> MeetingObject:
        return parse_meeting(self._client._send(get_request(self._kind, object_id)))

    def update(self, object_id: int, **fields: Any) -> None:
        self._client._send(update_request(self._kind, object_id, fields))

    def delete(self, object_id: int) -> None:
        self._client._send(delete_request(self._kind, object_id))

    def end(self, object_id: int) -> None:
        """``PUT …/status {"action": "end"}``: end a running meeting (webinar)."""
        self._client._send(end_request(self._kind, object_id))

    def list(
        self,
        user_id: str = "me",
        *,
        page_size: int | None = None,
        next_page_token: str | None = None,
    ) -> MeetingList:
        """One page of the user's list."""
        spec = list_request(self._kind, user_id, page_size, next_page_token)
        return parse_list(self._client._send(spec))

    def iter(
        self, user_id: str = "me", *, page_size: int | None = None
    ) -> Iterator[MeetingListItem]:
        """Every item of the user's list, page after page."""
        token: str | None = None
        while True:
            page = self.list(user_id, page_size=page_size, next_page_token=token)
            yield from page.items
            if not page.next_page_token:
                return
            token = page.next_page_token


class AsyncMeetingOps(_Ops):
    """The operations on meetings (or webinars), async."""

    def __init__(self, client: AsyncSender, kind: Kind) -> None:
        super().__init__(kind)
        self._client = client

    async def create(self, user_id: str = "me", **fields: Any) -> MeetingObject:
        spec = create_request(self._kind, user_id, fields)
        return parse_meeting(await self._client._send(spec))

    async def get(self, object_id: int) -> MeetingObject:
        return parse_meeting(await self._client._send(get_request(self._kind, object_id)))

    async def update(self, object_id: int, **fields: Any) -> None:
        await self._client._send(update_request(self._kind, object_id, fields))

    async def delete(self, object_id: int) -> None:
        await self._client._send(delete_request(self._kind, object_id))

    async def end(self, object_id: int) -> None:
        await self._client._send(end_request(self._kind, object_id))

    async def list(
        self,
        user_id: str = "me",
        *,
        page_size: int | None = None,
        next_page_token: str | None = None,
    ) -> MeetingList:
        spec = list_request(self._kind, user_id, page_size, next_page_token)
        return parse_list(await self._client._send(spec))

    async def iter(
        self, user_id: str = "me", *, page_size: int | None = None
    ) -> AsyncIterator[MeetingListItem]:
        token: str | None = None
        while True:
            page = await self.list(user_id, page_size=page_size, next_page_token=token)
            for item in page.items:
                yield item
            if not page.next_page_token:
                return
            token = page.next_page_token

"""The one place records are born: Zoom-shaped ids, UUIDs, passcodes and join URLs, and
the defaults Zoom's create gives a meeting or webinar.

Every door that makes a meeting comes through ``new_meeting``: ``POST
/users/{userId}/meetings`` and ``…/webinars``, the control API's create and bulk
create, seed files and the demo. A meeting made by one door is therefore shaped as one
made by another: the same topic when none is given ("Zoom Meeting", as Zoom's create
names it), a six-digit passcode, ``created_at`` and ``start_time`` on the server clock.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
from collections.abc import Mapping
from typing import Any

from zoomlive.server.clock import iso_utc
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.storage.records import Account, App, Meeting, Subscription, User
from zoomlive.wire import errors as E
from zoomlive.wire import webhooks as wh
from zoomlive.wire.meetings import all_meeting_scopes
from zoomlive.wire.scopes import all_livestream_scopes
from zoomlive.wire.users import all_user_scopes

_ALNUM = string.ascii_letters + string.digits
JOIN_HOST = "https://zoom.us"
#: Zoom's create without a ``topic`` (its spec's example and its web portal's default).
DEFAULT_TOPIC = {"meeting": "Zoom Meeting", "webinar": "Zoom Webinar"}
#: Zoom's ``type`` when none is given: a scheduled meeting (2), a webinar (5).
DEFAULT_TYPE = {"meeting": 2, "webinar": 5}


def zoom_user_id() -> str:
    """A 22-character id shaped like Zoom's user and account ids."""
    return "".join(secrets.choice(_ALNUM) for _ in range(22))


def zoom_uuid() -> str:
    """A meeting UUID as Zoom gives it: 16 random bytes in standard base64."""
    return base64.b64encode(secrets.token_bytes(16)).decode()


def new_meeting_id() -> int:
    """An 11-digit meeting id, as Zoom's are today (8- and 9-digit ids are older)."""
    return secrets.randbelow(90_000_000_000) + 10_000_000_000


def passcode() -> str:
    """Zoom's default meeting passcode: six digits (an account may ask for more)."""
    return f"{secrets.randbelow(1_000_000):06d}"


def encrypted_password(meeting: Meeting) -> str:
    """Zoom's newer 30-character form plus ``.1``; stable for a meeting's passcode."""
    digest = hashlib.sha256(f"{meeting.uuid}:{meeting.password}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:30] + ".1"


def join_url(meeting: Meeting, encrypted: str | None = None) -> str:
    """The join URL; ``encrypted`` is ``encrypted_password(meeting)`` if already made."""
    url = f"{JOIN_HOST}/{'j' if meeting.kind == 'meeting' else 'w'}/{meeting.id}"
    if not meeting.password:
        return url
    return f"{url}?pwd={encrypted or encrypted_password(meeting)}"


def new_meeting(
    kind: str,
    host: User,
    now: float,
    *,
    id: int | None = None,
    settings: Mapping[str, Any] | str | None = None,
    **fields: Any,
) -> Meeting:
    """A meeting (or webinar, by ``kind``) of ``host``'s account with Zoom's defaults
    for what ``fields`` leaves out; ``id`` drawn when not given (the caller checks it
    is free, in the transaction that inserts it)."""
    stamp = iso_utc(now)
    fields.setdefault("type", DEFAULT_TYPE[kind])
    fields.setdefault("topic", DEFAULT_TOPIC[kind])
    fields.setdefault("start_time", stamp)
    fields.setdefault("created_at", stamp)
    fields.setdefault("password", passcode())
    if settings is not None:
        fields["settings"] = (
            settings if isinstance(settings, str) else json.dumps(settings, separators=(",", ":"))
        )
    return Meeting(
        id=id if id is not None else new_meeting_id(),
        kind=kind,
        uuid=zoom_uuid(),
        account_id=host.account_id,
        host_id=host.id,
        **fields,
    )


def account_record(**fields: Any) -> Account:
    """An account as the control API creates it (and a seed file, ``seeding``)."""
    return Account(id=fields.pop("id", None) or zoom_user_id(), **fields)


def user_record(account_id: str, **fields: Any) -> User:
    """A user as the control API creates it (and a seed file): a Zoom-shaped id and an
    ``example.com`` email unless given."""
    user_id = fields.pop("id", None) or zoom_user_id()
    email = fields.pop("email", None) or f"{user_id.lower()}@example.com"
    return User(id=user_id, account_id=account_id, email=email, **fields)


def every_scope() -> tuple[str, ...]:
    """Every granular scope zoomlive checks: live streams, meetings, webinars, users."""
    return all_livestream_scopes() + all_meeting_scopes() + all_user_scopes()


def app_record(
    account_id: str,
    *,
    scopes: list[str] | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    name: str = "Server-to-Server app",
    owner_id: str | None = None,
) -> App:
    """An app as the control API creates it (and a seed file): every scope zoomlive
    checks unless ``scopes`` are given, and fresh credentials unless given."""
    return App(
        client_id=client_id or secrets.token_urlsafe(16),
        client_secret=client_secret or secrets.token_urlsafe(24),
        account_id=account_id,
        name=name,
        scopes=" ".join(every_scope() if scopes is None else scopes),
        owner_id=owner_id,
    )


def subscription_record(
    client_id: str, url: str, events: list[str] | None, secret_token: str | None
) -> Subscription:
    """An app's subscription before URL validation (not yet enabled), as the control
    API's PUT and a seed file (``seeding``) make it: the live streaming events unless
    ``events`` are given, and a fresh secret token unless given."""
    names = events or list(wh.LIVESTREAM_EVENTS)
    unknown = [e for e in names if e not in wh.ALL_EVENTS]
    if unknown:
        raise ZoomProblem.of(E.UNKNOWN_EVENTS, events=", ".join(unknown))
    if not url.startswith(("http://", "https://")):
        raise ZoomProblem.of(E.ENDPOINT_NOT_HTTP)
    return Subscription(
        client_id=client_id,
        url=url,
        events=" ".join(names),
        secret_token=secret_token or secrets.token_urlsafe(16),
    )

"""Seed files: a whole starting state (accounts, users, apps with fixed credentials,
meetings and webinars with ids, states and stream configuration, webhook
subscriptions, faults) in one YAML or JSON file, as LocalStack's init hooks and
Mockoon's environment files do for their services.

``zoomlive serve --seed FILE`` (or ``ZOOMLIVE_SEED``) loads it at start and
``POST /_zoomlive/seed`` takes the same format. The records are written in one
transaction, marked with the file's SHA-256 (``Store.seed_once``): a restart with the
same file changes nothing. A bad file is refused whole, with the line of each problem.
Faults live in memory, so they are set again at every start.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
import yaml

from zoomlive.server.control.models import (
    AccountId,
    ClientId,
    Daily,
    Duration,
    Email,
    MeetingId,
    MeetingStatus,
    MeetingType,
    Plan,
    Qps,
    Scopes,
    Secret,
    Timezone,
    Topic,
    UserId,
    UserType,
)
from zoomlive.server.services.faults import FaultSpec
from zoomlive.server.storage.records import Account, App, Meeting, User
from zoomlive.wire.scopes import all_livestream_scopes
from zoomlive.wire.validate import validate_update


class _Strict(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class SeedStream(_Strict):
    stream_url: str
    stream_key: str
    page_url: str
    resolution: Literal["720p", "1080p"] | None = None
    #: The stream is live (the meeting must be ``started``).
    live: bool = False


class SeedMeeting(_Strict):
    id: MeetingId
    host_id: UserId
    topic: Topic | None = None
    type: MeetingType | None = None
    status: MeetingStatus = "waiting"
    timezone: Timezone = "UTC"
    duration: Duration = 60
    e2ee: bool = False
    stream: SeedStream | None = None


class SeedUser(_Strict):
    id: UserId
    email: Email | None = None
    type: UserType = 2
    can_host: bool = True
    in_account: bool = True
    deleted: bool = False


class SeedApp(_Strict):
    client_id: ClientId
    client_secret: Secret
    name: str = "Server-to-Server app"
    scopes: Scopes | None = None


class SeedAccount(_Strict):
    id: AccountId
    plan: Plan = "pro"
    live_streaming: bool = True
    webinar_plan: bool = True
    rate_limit_qps: Qps | None = None
    rate_limit_daily: Daily | None = None
    users: list[SeedUser] = []
    apps: list[SeedApp] = []


class SeedSubscription(_Strict):
    client_id: ClientId
    url: str
    secret_token: Secret | None = None


class SeedFile(_Strict):
    accounts: list[SeedAccount] = []
    meetings: list[SeedMeeting] = []
    webinars: list[SeedMeeting] = []
    subscriptions: list[SeedSubscription] = []
    faults: list[FaultSpec] = []


class SeedError(ValueError):
    """A seed file that cannot be loaded; ``str()`` is every problem, one per line."""

    def __init__(self, where: str, problems: list[str]) -> None:
        super().__init__("\n".join(f"{where}: {p}" for p in problems))
        self.problems = [f"{where}: {p}" for p in problems]


@dataclass
class Seed:
    """A parsed, checked seed: its records, marker, subscriptions and faults."""

    marker: str
    records: list[Account | User | App | Meeting]
    subscriptions: list[SeedSubscription]
    faults: list[FaultSpec]
    counts: dict[str, int] = field(default_factory=dict)


def _line(root: yaml.Node | None, path: list[str | int]) -> int | None:
    """The 1-based line of the node at ``path`` (the deepest one that exists)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for step in path:
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            for key, value in node.value:
                if key.value == step:
                    nxt = value
                    line = key.start_mark.line + 1
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(step, int)
            and 0 <= step < len(node.value)
        ):
            nxt = node.value[step]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


def _path(text: str) -> list[str | int]:
    """``$.accounts[0].id`` as ``["accounts", 0, "id"]``."""
    out: list[str | int] = []
    for part in text.removeprefix("$").replace("[", ".[").split("."):
        if not part:
            continue
        out.append(int(part[1:-1]) if part.startswith("[") else part)
    return out


def parse(text: str, where: str = "seed") -> Seed:
    """Read and check a seed (YAML, or JSON, which YAML reads too)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise SeedError(
            where, [f"{at}{getattr(exc, 'problem', None) or 'not YAML or JSON'}"]
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SeedError(where, ["line 1: a seed is a mapping (accounts:, meetings:, …)"])
    try:
        seed = msgspec.convert(data, SeedFile)
    except msgspec.ValidationError as exc:
        message, _, at = str(exc).partition(" - at `")
        path = _path(at.rstrip("`")) if at else []
        if message.startswith("Object contains unknown field"):
            path.append(message.split("`")[1])
        line = _line(root, path)
        field_name = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path)
        shown = field_name.replace(".[", "[") or "the file"
        raise SeedError(where, [f"line {line}: {shown}: {message}"]) from None
    problems = _check(seed, root)
    if problems:
        raise SeedError(where, problems)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Seed(
        marker=f"seed:{digest[:32]}",  # meta keys are at most 64 characters
        records=_records(seed),
        subscriptions=seed.subscriptions,
        faults=seed.faults,
        counts={
            "accounts": len(seed.accounts),
            "users": sum(len(a.users) for a in seed.accounts),
            "apps": sum(len(a.apps) for a in seed.accounts),
            "meetings": len(seed.meetings),
            "webinars": len(seed.webinars),
            "subscriptions": len(seed.subscriptions),
            "faults": len(seed.faults),
        },
    )


def _check(seed: SeedFile, root: yaml.Node | None) -> list[str]:
    """What the types cannot say: unique ids, hosts that exist, streams Zoom would take."""
    problems: list[str] = []

    def bad(path: list[str | int], text: str) -> None:
        problems.append(f"line {_line(root, path)}: {text}")

    seen: dict[str, set[str]] = {"account": set(), "user": set(), "app": set()}
    users: set[str] = set()
    apps: set[str] = set()
    for i, acct in enumerate(seed.accounts):
        if acct.id in seen["account"]:
            bad(["accounts", i, "id"], f"account {acct.id} appears twice")
        seen["account"].add(acct.id)
        for j, user in enumerate(acct.users):
            if user.id in users:
                bad(["accounts", i, "users", j, "id"], f"user {user.id} appears twice")
            users.add(user.id)
        for j, app in enumerate(acct.apps):
            if app.client_id in apps:
                bad(["accounts", i, "apps", j, "client_id"], f"app {app.client_id} appears twice")
            apps.add(app.client_id)
    ids: set[int] = set()
    for section in ("meetings", "webinars"):
        for i, m in enumerate(getattr(seed, section)):
            if m.id in ids:
                bad([section, i, "id"], f"meeting or webinar id {m.id} appears twice")
            ids.add(m.id)
            if m.host_id not in users:
                bad([section, i, "host_id"], f"host {m.host_id} is not a user in this file")
            if m.stream is not None:
                body = {k: v for k, v in msgspec.to_builtins(m.stream).items() if k != "live"}
                errors = validate_update({k: v for k, v in body.items() if v is not None})
                if isinstance(errors, list):
                    for e in errors:
                        bad([section, i, "stream", e.field], f"stream: {e.message}")
                if m.stream.live and m.status != "started":
                    bad([section, i, "stream", "live"], "a live stream needs status: started")
    for i, sub in enumerate(seed.subscriptions):
        if sub.client_id not in apps:
            bad(["subscriptions", i, "client_id"], f"app {sub.client_id} is not in this file")
    return problems


def _records(seed: SeedFile) -> list[Account | User | App | Meeting]:
    """The file's records. Meetings and webinars are made by the control API's bulk
    create (``services.admin.meeting_records``), and ``Store.seed_once`` writes them
    as a bulk create does: one way to create many, whichever door they come in by."""
    import time

    from zoomlive.server.clock import iso_utc
    from zoomlive.server.services.admin import meeting_records

    start = iso_utc(time.time())

    out: list[Account | User | App | Meeting] = []
    hosts: dict[str, User] = {}
    for acct in seed.accounts:
        out.append(Account(
            id=acct.id, plan=acct.plan, live_streaming=acct.live_streaming,
            webinar_plan=acct.webinar_plan, rate_limit_qps=acct.rate_limit_qps,
            rate_limit_daily=acct.rate_limit_daily,
        ))  # fmt: skip
        for u in acct.users:
            hosts[u.id] = User(
                id=u.id, account_id=acct.id, email=u.email or f"{u.id.lower()}@example.com",
                type=u.type, can_host=u.can_host, in_account=u.in_account, deleted=u.deleted,
            )  # fmt: skip
            out.append(hosts[u.id])
        for a in acct.apps:
            scopes = all_livestream_scopes() if a.scopes is None else a.scopes
            out.append(App(client_id=a.client_id, client_secret=a.client_secret,
                           account_id=acct.id, name=a.name, scopes=" ".join(scopes)))  # fmt: skip
    for kind, items in (("meeting", seed.meetings), ("webinar", seed.webinars)):
        out.extend(meeting_records(kind, map(_meeting_fields, items), hosts, iter(()), start))
    return out


def _meeting_fields(m: SeedMeeting) -> dict[str, Any]:
    """A seed file's meeting as the bulk create's fields (its id always given)."""
    fields: dict[str, Any] = {
        "id": m.id, "host_id": m.host_id, "status": m.status, "e2ee": m.e2ee,
        "timezone": m.timezone, "duration": m.duration,
    }  # fmt: skip
    if m.topic:
        fields["topic"] = m.topic
    if m.type:
        fields["type"] = m.type
    s = m.stream
    if s is not None:
        fields.update(stream_url=s.stream_url, stream_key=s.stream_key, page_url=s.page_url,
                      resolution=s.resolution, configured=True, stream_live=s.live)  # fmt: skip
    return fields

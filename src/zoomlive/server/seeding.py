"""Seed files: a whole starting state (accounts, users, apps with fixed credentials,
meetings and webinars with ids, states and stream configuration, webhook
subscriptions, faults) in one YAML or JSON file, as LocalStack's init hooks and
Mockoon's environment files do for their services.

``zoomlive serve --seed FILE`` (or ``ZOOMLIVE_SEED``) loads it at start and
``POST /_zoomlive/seed`` takes the same format. The records are written in one
transaction, marked with the file's SHA-256 (``Store.seed_once``): a restart with the
same file changes nothing. A bad file is refused whole, with the line of each problem.
Faults live in memory, so they are set again at every start.

Each record is checked by the control API's own model (a seed's account is an
``AccountIn`` with its id required, and so on) and made by the control API's own
factories (``services.admin``, ``webhooks.service``), so a seed holds nothing the
control API would refuse. The file is bounded before it is read: at most
``MAX_SEED_BYTES``, nested at most ``MAX_DEPTH`` deep, and at most ``MAX_NODES``
values once its aliases are expanded, of which aliases add at most
``MAX_ALIAS_VALUES`` (README, seed files); and parsing is blocking work
the server runs off its event loop.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec
import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from zoomlive.server.problems import ZoomProblem
from zoomlive.server.services.factory import subscription_record
from zoomlive.server.services.faults import FaultSpec
from zoomlive.server.services.inputs import (
    AccountId,
    AccountIn,
    AppIn,
    ClientId,
    MeetingId,
    MeetingIn,
    Secret,
    SubscriptionIn,
    UserId,
    UserIn,
)
from zoomlive.server.services.reasons import reason
from zoomlive.server.storage.records import Account, App, Meeting, Subscription, User
from zoomlive.wire.validate import validate_update

#: The largest seed, file or body. Parsing YAML costs far more than its size in the
#: database, so this is set by the time a seed of it takes to check, not by storage.
MAX_SEED_BYTES = 1024 * 1024
#: How deep mappings and lists may nest; a seed's own shape is six deep.
MAX_DEPTH = 32
#: Values (scalars, mappings and lists) a seed may hold once every alias is expanded:
#: what ``MAX_SEED_BYTES`` of plain text could hold, so an alias never makes a seed
#: cost more than a file of the largest size without any.
MAX_NODES = MAX_SEED_BYTES // 2
#: Values all of a seed's aliases may add in all. An alias is for sharing a stream's
#: settings or a list of scopes, not for multiplying: past this, a seed's cost would
#: no longer follow its size.
MAX_ALIAS_VALUES = 10_000
#: Problems reported for one seed; the rest are counted.
MAX_PROBLEMS = 20

#: libyaml's parser when PyYAML has it (several times faster), else PyYAML's own;
#: either way the composer below is PyYAML's, counting as it goes.
try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


class _Strict(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class SeedStream(_Strict):
    stream_url: str
    stream_key: str
    page_url: str
    resolution: Literal["720p", "1080p"] | None = None
    #: The stream is live (the meeting must be ``started``).
    live: bool = False


class SeedMeeting(MeetingIn):
    """The control API's meeting, with its id required and its stream."""

    id: MeetingId
    stream: SeedStream | None = None


class SeedUser(UserIn):
    """The control API's user, with its id required."""

    id: UserId


class SeedApp(AppIn):
    """The control API's app, with its credentials required."""

    client_id: ClientId
    client_secret: Secret


class SeedAccount(AccountIn):
    """The control API's account, with its id required, its users and its apps."""

    id: AccountId
    users: list[SeedUser] = []
    apps: list[SeedApp] = []


class SeedSubscription(SubscriptionIn):
    """The control API's subscription body, with the app it is for."""

    client_id: ClientId


class SeedFile(_Strict):
    accounts: list[SeedAccount] = []
    meetings: list[SeedMeeting] = []
    webinars: list[SeedMeeting] = []
    subscriptions: list[SeedSubscription] = []
    faults: list[FaultSpec] = []


class SeedError(ValueError):
    """A seed file that cannot be loaded; ``str()`` is every problem, one per line
    (at most ``MAX_PROBLEMS`` of them, then how many more there were)."""

    def __init__(self, where: str, problems: list[str]) -> None:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"… and {len(problems) - MAX_PROBLEMS} more problems")
        self.problems = [f"{where}: {p}" for p in shown]
        super().__init__("\n".join(self.problems))


@dataclass
class Seed:
    """A parsed, checked seed: its records, marker, subscriptions and faults."""

    marker: str
    records: list[Account | User | App | Meeting | Subscription]
    subscriptions: list[Subscription]
    faults: list[FaultSpec]
    counts: dict[str, int] = field(default_factory=dict)


class _TooBig(yaml.MarkedYAMLError):
    """A seed past one of the bounds, at the mark where it went past."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class _Loader(_Parser, Composer, SafeConstructor, Resolver):
    """PyYAML's safe loader whose composer counts: nesting depth, and values with
    every alias expanded (an alias costs what its anchor holds, as it will when the
    document is read), so an alias bomb or a deep file stops at a bound, at its line."""

    # The composer's, not the C parser's own (which would not count).
    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document
    check_node = Composer.check_node
    get_node = Composer.get_node

    def __init__(self, text: str) -> None:
        _Parser.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0
        self._nodes = 0
        self._aliased = 0
        #: Values under each composed collection (by ``id``), aliases expanded.
        self._sizes: dict[int, int] = {}

    def _count(self, n: int, mark: Any) -> None:
        self._nodes += n
        if self._nodes > MAX_NODES:
            raise _TooBig(f"more than {MAX_NODES} values (aliases expanded)", mark)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event: Any = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = Composer.compose_node(self, parent, index)
            size = self._sizes.get(id(node), 1 if isinstance(node, yaml.ScalarNode) else None)
            if size is None:
                raise _TooBig(f"alias *{event.anchor} refers to itself", event.start_mark)
            self._aliased += size
            if self._aliased > MAX_ALIAS_VALUES:
                raise _TooBig(
                    f"aliases add more than {MAX_ALIAS_VALUES} values in all", event.start_mark
                )
            self._count(size, event.start_mark)
            return node
        if isinstance(event, yaml.ScalarEvent):
            self._count(1, event.start_mark)
            return Composer.compose_node(self, parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _TooBig(f"nested more than {MAX_DEPTH} deep", event.start_mark)
        before = self._nodes
        self._count(1, event.start_mark)
        collection = Composer.compose_node(self, parent, index)
        self._depth -= 1
        self._sizes[id(collection)] = self._nodes - before
        return collection


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
    """``$.accounts[0].id`` as ``["accounts", 0, "id"]``; it ends where msgspec no
    longer names the step (``[...]``, a mapping's key)."""
    out: list[str | int] = []
    for part in text.removeprefix("$").replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            if not part[1:-1].isdigit():
                break
            out.append(int(part[1:-1]))
        else:
            out.append(part)
    return out


def _too_big(data: bytes) -> SeedError | None:
    if len(data) <= MAX_SEED_BYTES:
        return None
    line = data[:MAX_SEED_BYTES].count(b"\n") + 1
    return SeedError("", [f"line {line}: the seed goes past {MAX_SEED_BYTES} bytes here"])


def read_file(path: str | Path) -> Seed:
    """Read and check a seed file (no more of it than the bound). Blocking: the
    server runs it off its event loop."""
    where = str(path)
    try:
        with Path(path).open("rb") as f:
            data = f.read(MAX_SEED_BYTES + 1)
    except OSError as exc:
        raise SeedError(where, [f"cannot read it ({exc.strerror or exc})"]) from None
    return parse(data, where)


def parse(data: bytes | str, where: str = "seed") -> Seed:
    """Read and check a seed (YAML, or JSON, which YAML reads too). Blocking: the
    server runs it off its event loop."""
    raw = data.encode() if isinstance(data, str) else data
    big = _too_big(raw)
    if big is not None:
        raise SeedError(where, [p.removeprefix(": ") for p in big.problems])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        raise SeedError(where, [f"line {bad_line}: not UTF-8 text"]) from None
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        value = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else "line 1: "
        raise SeedError(
            where, [f"{at}{getattr(exc, 'problem', None) or 'not YAML or JSON'}"]
        ) from None
    finally:
        loader.dispose()
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise SeedError(where, ["line 1: a seed is a mapping (accounts:, meetings:, …)"])
    try:
        seed = msgspec.convert(value, SeedFile)
    except msgspec.ValidationError as exc:
        message, _, at = str(exc).partition(" - at `")
        path = _path(at.rstrip("`")) if at else []
        if message.startswith("Object contains unknown field"):
            path.append(message.split("`")[1])
        elif message.startswith("Invalid parameter: "):  # a model's __post_init__
            name, _, message = message.removeprefix("Invalid parameter: ").partition(". ")
            path.append(name)
        line = _line(root, path)
        field_name = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path)
        shown = field_name.replace(".[", "[") or "the file"
        raise SeedError(where, [f"line {line}: {shown}: {reason(message)}"]) from None
    problems, subscriptions = _check(seed, root)
    if problems:
        raise SeedError(where, problems)
    digest = hashlib.sha256(raw).hexdigest()
    return Seed(
        marker=f"seed:{digest[:32]}",  # meta keys are at most 64 characters
        records=[*_records(seed), *subscriptions],
        subscriptions=subscriptions,
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


def _check(seed: SeedFile, root: yaml.Node | None) -> tuple[list[str], list[Subscription]]:
    """What the types cannot say: unique ids, hosts and owners that exist, streams and
    subscriptions the control API would take. Also the subscriptions' records."""
    problems: list[str] = []

    def bad(path: list[str | int], text: str) -> None:
        if len(problems) > MAX_PROBLEMS:  # counted, not located: each costs a walk
            problems.append(text)
        else:
            problems.append(f"line {_line(root, path)}: {text}")

    seen: dict[str, set[str]] = {"account": set(), "user": set(), "app": set()}
    users: dict[str, str] = {}
    apps: set[str] = set()
    for i, acct in enumerate(seed.accounts):
        if acct.id in seen["account"]:
            bad(["accounts", i, "id"], f"account {acct.id} appears twice")
        seen["account"].add(acct.id)
        for j, user in enumerate(acct.users):
            if user.id in users:
                bad(["accounts", i, "users", j, "id"], f"user {user.id} appears twice")
            users[user.id] = acct.id
        for j, app in enumerate(acct.apps):
            if app.client_id in apps:
                bad(["accounts", i, "apps", j, "client_id"], f"app {app.client_id} appears twice")
            apps.add(app.client_id)
            if app.owner_id is not None and users.get(app.owner_id) != acct.id:
                owner = f"owner {app.owner_id} is not a user of account {acct.id} in this file"
                bad(["accounts", i, "apps", j, "owner_id"], owner)
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
    subscriptions: list[Subscription] = []
    for i, sub in enumerate(seed.subscriptions):
        if sub.client_id not in apps:
            bad(["subscriptions", i, "client_id"], f"app {sub.client_id} is not in this file")
        try:
            subscriptions.append(
                subscription_record(sub.client_id, sub.url, sub.events, sub.secret_token)
            )
        except ZoomProblem as exc:
            bad(["subscriptions", i, "events"], exc.message)
    return problems, subscriptions


def _records(seed: SeedFile) -> list[Account | User | App | Meeting]:
    """The file's records, made by the control API's factories (``services.admin``):
    meetings and webinars by its bulk create's, and ``Store.seed_once`` writes them
    as a bulk create does: one way to create each, whichever door they come in by."""
    import time

    from zoomlive.server.services.admin import meeting_records
    from zoomlive.server.services.factory import account_record, app_record, user_record

    now = time.time()

    out: list[Account | User | App | Meeting] = []
    hosts: dict[str, User] = {}
    for acct in seed.accounts:
        fields = msgspec.structs.asdict(acct)
        del fields["users"], fields["apps"]
        out.append(account_record(**fields))
        for u in acct.users:
            hosts[u.id] = user_record(acct.id, **msgspec.structs.asdict(u))
            out.append(hosts[u.id])
        for a in acct.apps:
            out.append(app_record(acct.id, **msgspec.structs.asdict(a)))
    for kind, items in (("meeting", seed.meetings), ("webinar", seed.webinars)):
        out.extend(meeting_records(kind, map(_meeting_fields, items), hosts, iter(()), now))
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

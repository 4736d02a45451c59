"""The one way into a Zoom operation: authenticate, then count against the rate limit,
then check the operation's scopes, in that order (Zoom's: a bad token is 401 before a
429, and a 429 comes before a missing scope's 400/4711).

Every ``/v2`` operation's translation calls ``enter`` with its route's label and
scopes (``wire.paths`` and ``wire.meetings`` hold them); the live stream operations
also ask for the meeting, its host and the account to be read with the token
(``prefetch``: one statement on PostgreSQL).
"""

from __future__ import annotations

from typing import NamedTuple

from zoomlive.server.middleware import RequestInfo
from zoomlive.server.problems import ZoomProblem
from zoomlive.server.runtime import Runtime
from zoomlive.server.services.auth import Principal
from zoomlive.wire import errors as E
from zoomlive.wire.ratelimit import Label


class Gate(NamedTuple):
    """What an operation asks of its caller: its rate-limit label, the scopes any one
    of which lets a token in, and how Zoom names the scopes when none is held."""

    label: Label
    accepted: frozenset[str]
    missing: str


class Prefetch(NamedTuple):
    """Read the meeting (and its host and account) with the token."""

    meeting_id: int | None
    #: A meeting the read model misses may be left to the write (a configuring PATCH).
    defer_meeting: bool = False


async def enter(
    rt: Runtime,
    gate: Gate,
    authorization: str | None,
    query_token: bool,
    info: RequestInfo,
    prefetch: Prefetch | None = None,
) -> Principal:
    if prefetch is None:
        principal = await rt.auth.authenticate(authorization, query_token)
    else:
        principal = await rt.auth.authenticate_for(
            authorization, query_token, prefetch.meeting_id, defer_meeting=prefetch.defer_meeting
        )
    info.account_id, info.client_id = principal.account_id, principal.client_id
    rows = principal.rows
    account = rows.account if rows is not None else None
    if account is None:
        account = await rt.store.get_account(principal.account_id)
    if account is not None:
        info.headers.extend(await rt.limiter.check(account, rt.clock.now(), gate.label))
    if principal.scopes.isdisjoint(gate.accepted):
        raise ZoomProblem.of(E.MISSING_SCOPES, scopes=gate.missing)
    return principal

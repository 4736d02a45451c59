"""Zoom's licence rules for a host, each stated once, as data.

A rule is a user field and the values that pass it. The domain walks the rules in
order to answer Zoom's error for the first that fails (``services.livestream``,
``services.meetings``); storage builds the condition of a PATCH that writes without
reading its meeting from the same rows (``storage.streams_sqlite``), so the check in
Python and the check in SQL cannot drift apart. No HTTP, no SQL here: a leaf both
layers import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Rule:
    """``field`` (a ``User`` field, a ``zl_users`` column) must hold one of ``passes``."""

    field: str
    passes: tuple[bool | int, ...]

    def holds(self, user: Any) -> bool:
        return getattr(user, self.field) in self.passes


#: The host is a current member of its account (the account match is the caller's:
#: the meeting's account in SQL, the caller's in Python).
PRESENT = Rule("deleted", (False,))
IN_ACCOUNT = Rule("in_account", (True,))
#: Live streaming needs a licensed host (Zoom's 400/1010 "only for paid users").
LICENSED = Rule("type", (2,))
#: A host the account allows to host (Zoom's 3161).
MAY_HOST = Rule("can_host", (True,))
#: Meetings take a basic or licensed host (Zoom's user types 1 and 2).
HOSTING_TYPE = Rule("type", (1, 2))

#: What a live stream's host must be, in the order Zoom's errors are checked.
HOST_MAY_STREAM: tuple[Rule, ...] = (PRESENT, IN_ACCOUNT, LICENSED, MAY_HOST)
#: What a meeting's host must be to host it.
HOST_MAY_HOST: tuple[Rule, ...] = (MAY_HOST, HOSTING_TYPE)


def first_failing(rules: tuple[Rule, ...], user: Any) -> Rule | None:
    return next((rule for rule in rules if not rule.holds(user)), None)


def account_may_stream(is_webinar: bool, account: Any) -> bool:
    """The account's side of streaming: the account allows live streaming, and a
    webinar needs the account's webinar plan."""
    return (
        account is not None
        and bool(account.live_streaming)
        and (not is_webinar or bool(account.webinar_plan))
    )

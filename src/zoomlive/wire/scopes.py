"""Which OAuth scopes each live stream operation accepts.

Classic (macro) scopes and granular scopes are both honoured. A missing scope is
reported with the granular scope and its ``:admin`` twin (Zoom's 4711 message).
"""

from __future__ import annotations

from zoomlive.wire.paths import Kind, Operation

_GRANULAR_ACTION = {
    Operation.GET: "read:livestream",
    Operation.UPDATE: "update:livestream",
    Operation.STATUS: "update:livestream_status",
}
_CLASSIC_ACTION = {Operation.GET: "read", Operation.UPDATE: "write", Operation.STATUS: "write"}


def granular_scopes(kind: Kind, op: Operation) -> tuple[str, str]:
    base = f"{kind.value}:{_GRANULAR_ACTION[op]}"
    return base, f"{base}:admin"


def classic_scopes(kind: Kind, op: Operation) -> tuple[str, str]:
    base = f"{kind.value}:{_CLASSIC_ACTION[op]}"
    return f"{base}:admin", base


def accepted_scopes(kind: Kind, op: Operation) -> frozenset[str]:
    return _ACCEPTED[kind, op]


#: Computed once: every live stream request checks its operation's set.
_ACCEPTED = {
    (kind, op): frozenset(granular_scopes(kind, op) + classic_scopes(kind, op))
    for kind in Kind
    for op in Operation
}


def all_livestream_scopes() -> tuple[str, ...]:
    """Every granular live stream scope (both kinds, all operations, admin twins)."""
    out: list[str] = []
    for kind in Kind:
        for op in Operation:
            out.extend(granular_scopes(kind, op))
    return tuple(out)


def missing_scopes_text(kind: Kind, op: Operation) -> str:
    return ", ".join(granular_scopes(kind, op))

"""Database connection failures: telling them apart, and the one error they become.

A lost connection (PostgreSQL restarted, a backend terminated, the network gone)
is not a bug in a request: reads are retried once on a fresh connection, writes
once when they certainly did not commit, and whatever still fails is
``StorageUnavailable``, which the server answers with a Zoom-shaped 503.
"""

from __future__ import annotations

import sqlalchemy as sa

# PostgreSQL SQLSTATE classes for a connection that is gone or refused: 08xxx
# (connection exception) and 57P01-57P03 (admin shutdown, crash shutdown, cannot
# connect now).
_STATES = ("08", "57P01", "57P02", "57P03")
# asyncpg's own errors for a connection that is closed or mid-way through another
# operation (which, after a failure, means it must not be used again).
_DRIVER = frozenset(
    {
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "InterfaceError",
        "InternalClientError",
        "PostgresConnectionError",
    }
)


class StorageUnavailable(Exception):
    """The database cannot be reached now, or a write's outcome is unknown."""


class CommitOutcomeUnknown(StorageUnavailable):
    """The connection failed while COMMIT was in flight: the write may or may not
    have committed, so it must not be blindly applied again."""


def is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) means the connection is lost or refused."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError | TimeoutError):
            return True
        state = getattr(cur, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_STATES):
            return True
        if type(cur).__name__ in _DRIVER and type(cur).__module__.startswith("asyncpg"):
            return True
        cur = cur.__cause__ or cur.__context__
    return False

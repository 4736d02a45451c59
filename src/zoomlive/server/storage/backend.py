"""Which database a store runs on, decided once, from its URL, when the store is made.

Everything that differs between SQLite and PostgreSQL is a field here, and the rest of
the server asks these fields, never the URL or the dialect: the one place the question
"is this SQLite?" is asked (``tests/test_architecture.py`` holds it so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from zoomlive.server.storage import streams_sqlite


@dataclass(frozen=True, slots=True)
class Backend:
    name: Literal["sqlite", "postgresql"]

    @property
    def sqlite(self) -> bool:
        return self.name == "sqlite"

    @property
    def sole_writer(self) -> bool:
        """The server is its database's only writer (SQLite, docs: deployment): nothing
        in the database changes but through this process's writer. PostgreSQL is
        shared by any number of processes and machines."""
        return self.sqlite

    @property
    def many_processes(self) -> bool:
        """Several processes (``--workers``, several machines) may share it."""
        return not self.sole_writer

    @property
    def read_model_by_default(self) -> bool:
        """The in-memory read model is right only for the sole writer (any other
        process's writes would not reach it)."""
        return self.sole_writer

    @property
    def driver_batches(self) -> bool:
        """The writer runs batches of driver SQL on the driver's own connection
        (aiosqlite's thread: one hop per batch)."""
        return self.sqlite

    @property
    def locks_rows(self) -> bool:
        """Transactions lock the meetings they change, in key order (PostgreSQL's row
        locks; SQLite's one writer needs none)."""
        return not self.sqlite

    @property
    def unread_stream_writes(self) -> bool:
        """A PATCH livestream of a meeting the read model does not hold may write
        without reading it (``streams_sqlite.IF_HOST_MAY_STREAM``: SQLite 3.35+)."""
        return self.sqlite and streams_sqlite.IF_HOST_MAY_STREAM is not None

    @property
    def hot_reads(self) -> bool:
        """The request path's reads may go straight to asyncpg (``HotReads``)."""
        return self.name == "postgresql"

    def insert(self, table: sa.Table) -> Any:
        """An INSERT with this database's ``ON CONFLICT`` clause available."""
        if self.sqlite:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(table)
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)

    def contains(self, column: Any, pattern: str) -> Any:
        """``column`` holds ``pattern`` (a LIKE pattern escaped with ``\\``), ignoring
        ASCII case. SQLite's LIKE already ignores it; its ILIKE wraps both sides in
        ``lower()``, a function call per row."""
        if self.sqlite:
            return column.like(pattern, escape="\\")
        return column.ilike(pattern, escape="\\")


def backend_of(url: str) -> Backend:
    """The backend of a normalised database URL (``settings.normalise_db_url``)."""
    return Backend("sqlite" if url.startswith("sqlite") else "postgresql")

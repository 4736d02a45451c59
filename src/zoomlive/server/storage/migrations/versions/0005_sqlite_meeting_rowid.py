"""SQLite: a meeting's id becomes the table's rowid (``INTEGER PRIMARY KEY``).

Declared ``BIGINT PRIMARY KEY``, the id is a key index beside SQLite's own rowid, so
each lookup of a meeting descends the index and then the table; as ``INTEGER`` it is
the rowid, one b-tree (SQLite's INTEGER is 64-bit, as Zoom's 11-digit ids need). The
table is rebuilt (batch mode copies its rows). PostgreSQL keeps its BIGINT: nothing
to do there.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("zl_meetings", recreate="always") as batch:
        batch.alter_column(
            "id", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
        _keep_defaults(batch)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("zl_meetings", recreate="always") as batch:
        batch.alter_column(
            "id", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )
        _keep_defaults(batch)


def _keep_defaults(batch: Any) -> None:
    """The empty-string defaults as 0004 declared them: reflected for the copy, they
    would come back as ``DEFAULT ('')``, unlike a new database's ``DEFAULT ''``."""
    texts = (("agenda", sa.Text()), ("password", sa.String(16)), ("created_at", sa.String(32)))
    for name, type_ in texts:
        batch.alter_column(name, existing_type=type_, server_default="", existing_nullable=False)

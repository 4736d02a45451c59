"""Meetings and webinars as Zoom's API creates them: agenda, passcode, creation time,
settings and pre-schedule; an app's owner (the user ``me`` names); an index for a
host's list.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zl_meetings") as batch:
        batch.add_column(sa.Column("agenda", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("password", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("created_at", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("settings", sa.Text, nullable=False, server_default="{}"))
        batch.add_column(
            sa.Column("pre_schedule", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_index("ix_zl_meetings_host_id", "zl_meetings", ["host_id", "kind", "id"])
    with op.batch_alter_table("zl_apps") as batch:
        batch.add_column(sa.Column("owner_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("zl_apps") as batch:
        batch.drop_column("owner_id")
    op.drop_index("ix_zl_meetings_host_id", "zl_meetings")
    with op.batch_alter_table("zl_meetings") as batch:
        for name in ("pre_schedule", "settings", "created_at", "password", "agenda"):
            batch.drop_column(name)

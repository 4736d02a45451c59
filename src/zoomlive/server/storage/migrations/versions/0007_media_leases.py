"""Media leases, and an index of the live streams.

``zl_media_leases`` says which process publishes a live stream's media when several
share the database (a holder id and an expiry; ``media/reconcile.py``).
``ix_zl_meetings_live`` is a partial index of the meetings whose stream is live,
which the reconcile loop reads at every turn.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zl_media_leases",
        sa.Column(
            "meeting_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("holder", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    live = sa.column("stream_live", sa.Boolean).is_(True)
    op.create_index(
        "ix_zl_meetings_live",
        "zl_meetings",
        ["id"],
        sqlite_where=live,
        postgresql_where=live,
    )


def downgrade() -> None:
    op.drop_index("ix_zl_meetings_live", "zl_meetings")
    op.drop_table("zl_media_leases")

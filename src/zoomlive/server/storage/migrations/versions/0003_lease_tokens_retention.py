"""Fenced webhook leases, one number per attempt, and indexes for retention.

``zl_outbox.lease_token`` is written by each claim; an attempt is recorded only by
the claim that still holds it. Attempt numbers become unique per event (numbers an
older server repeated are renumbered in the order the attempts were recorded).
``finished_at`` and ``zl_tokens.expires_at`` are indexed so pruning finds nothing
cheaply when nothing is due.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _renumber_attempts() -> None:
    attempts = sa.table(
        "zl_attempts", sa.column("id", sa.Integer), sa.column("outbox_id", sa.Integer),
        sa.column("number", sa.Integer),
    )  # fmt: skip
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(attempts.c.id, attempts.c.outbox_id, attempts.c.number).order_by(
            attempts.c.outbox_id, attempts.c.id
        )
    )
    fixes: list[dict[str, int]] = []
    last, n = None, 0
    for aid, outbox_id, number in rows:
        n = n + 1 if outbox_id == last else 1
        last = outbox_id
        if number != n:
            fixes.append({"i": aid, "n": n})
    if fixes:
        conn.execute(
            attempts.update()
            .where(attempts.c.id == sa.bindparam("i"))
            .values(number=sa.bindparam("n")),
            fixes,
        )


def upgrade() -> None:
    with op.batch_alter_table("zl_outbox") as batch:
        batch.add_column(sa.Column("lease_token", sa.String(32), nullable=True))
    op.create_index("ix_zl_outbox_finished_at", "zl_outbox", ["finished_at"])
    op.create_index("ix_zl_tokens_expires_at", "zl_tokens", ["expires_at"])
    _renumber_attempts()
    op.drop_index("ix_zl_attempts_outbox_id", "zl_attempts")
    op.create_index(
        "ux_zl_attempts_outbox_id_number", "zl_attempts", ["outbox_id", "number"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_zl_attempts_outbox_id_number", "zl_attempts")
    op.create_index("ix_zl_attempts_outbox_id", "zl_attempts", ["outbox_id"])
    op.drop_index("ix_zl_tokens_expires_at", "zl_tokens")
    op.drop_index("ix_zl_outbox_finished_at", "zl_outbox")
    with op.batch_alter_table("zl_outbox") as batch:
        batch.drop_column("lease_token")

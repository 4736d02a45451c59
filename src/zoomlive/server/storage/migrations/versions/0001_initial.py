"""Initial schema: accounts, users, apps, tokens, meetings and webinars.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zl_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "zl_accounts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("plan", sa.String(16), nullable=False),
        sa.Column("live_streaming", sa.Boolean, nullable=False),
        sa.Column("webinar_plan", sa.Boolean, nullable=False),
        sa.Column("rate_limit_qps", sa.Integer, nullable=True),
        sa.Column("rate_limit_daily", sa.Integer, nullable=True),
    )
    op.create_table(
        "zl_users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(64), nullable=False, index=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("type", sa.Integer, nullable=False),
        sa.Column("can_host", sa.Boolean, nullable=False),
        sa.Column("in_account", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
    )
    op.create_table(
        "zl_apps",
        sa.Column("client_id", sa.String(128), primary_key=True),
        sa.Column("client_secret", sa.String(256), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False, index=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
    )
    op.create_table(
        "zl_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(128), nullable=False, index=True),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("issued_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_table(
        "zl_meetings",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("uuid", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False, index=True),
        sa.Column("host_id", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(300), nullable=False),
        sa.Column("type", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("e2ee", sa.Boolean, nullable=False),
        sa.Column("start_time", sa.String(32), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("duration", sa.Integer, nullable=False),
        sa.Column("stream_url", sa.String(1024), nullable=False),
        sa.Column("stream_key", sa.String(512), nullable=False),
        sa.Column("page_url", sa.String(1024), nullable=False),
        sa.Column("resolution", sa.String(8), nullable=True),
        sa.Column("configured", sa.Boolean, nullable=False),
        sa.Column("stream_live", sa.Boolean, nullable=False),
        sa.Column("display_name", sa.String(50), nullable=True),
        sa.Column("active_speaker_name", sa.Boolean, nullable=True),
        sa.Column("layout", sa.String(16), nullable=True),
        sa.Column("close_caption", sa.String(16), nullable=True),
        sa.Column("stream_changed_at", sa.Float, nullable=True),
    )


def downgrade() -> None:
    for name in ("zl_meetings", "zl_tokens", "zl_apps", "zl_users", "zl_accounts", "zl_meta"):
        op.drop_table(name)

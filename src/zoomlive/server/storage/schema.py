"""Tables, as SQLAlchemy Core. Alembic migrations under ``migrations/`` create them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

meta = sa.Table(
    "zl_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

accounts = sa.Table(
    "zl_accounts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("plan", sa.String(16), nullable=False),
    sa.Column("live_streaming", sa.Boolean, nullable=False),
    sa.Column("webinar_plan", sa.Boolean, nullable=False),
    sa.Column("rate_limit_qps", sa.Integer, nullable=True),
    sa.Column("rate_limit_daily", sa.Integer, nullable=True),
)

users = sa.Table(
    "zl_users",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(64), nullable=False, index=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("type", sa.Integer, nullable=False),
    sa.Column("can_host", sa.Boolean, nullable=False),
    sa.Column("in_account", sa.Boolean, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
)

apps = sa.Table(
    "zl_apps",
    metadata,
    sa.Column("client_id", sa.String(128), primary_key=True),
    sa.Column("client_secret", sa.String(256), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=False, index=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),
    # The user ``me`` names for this app (README, Decisions).
    sa.Column("owner_id", sa.String(64), nullable=True),
)

tokens = sa.Table(
    "zl_tokens",
    metadata,
    # SHA-256 of the token: the token itself is never stored.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(128), nullable=False, index=True),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("issued_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)

meetings = sa.Table(
    "zl_meetings",
    metadata,
    # Zoom's meeting ids are 11 digits: 64-bit. On SQLite the type is INTEGER, which
    # makes the key the table's rowid (SQLite's INTEGER is 64-bit): a lookup walks the
    # table's b-tree alone, where BIGINT walks a key index and then the table.
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
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
    sa.Column("agenda", sa.Text, nullable=False, server_default=""),
    sa.Column("password", sa.String(16), nullable=False, server_default=""),
    sa.Column("created_at", sa.String(32), nullable=False, server_default=""),
    # Zoom's ``settings`` object, as JSON.
    sa.Column("settings", sa.Text, nullable=False, server_default="{}"),
    sa.Column("pre_schedule", sa.Boolean, nullable=False, server_default=sa.false()),
    # A host's list, paged by id.
    sa.Index("ix_zl_meetings_host_id", "host_id", "kind", "id"),
)

# The live streams, which the media reconcile loop reads at every turn (a partial
# index: a few entries whatever the number of meetings).
sa.Index(
    "ix_zl_meetings_live",
    meetings.c.id,
    sqlite_where=meetings.c.stream_live.is_(True),
    postgresql_where=meetings.c.stream_live.is_(True),
)

# Who publishes a live stream's media when processes share the database: the holder
# renews its lease; another takes it over once it has expired (media/reconcile.py).
media_leases = sa.Table(
    "zl_media_leases",
    metadata,
    sa.Column(
        "meeting_id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("holder", sa.String(32), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

subscriptions = sa.Table(
    "zl_subscriptions",
    metadata,
    sa.Column("client_id", sa.String(128), primary_key=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("events", sa.Text, nullable=False),
    sa.Column("secret_token", sa.String(256), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("validated_at", sa.Float, nullable=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
)

outbox = sa.Table(
    "zl_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(64), nullable=False, unique=True),
    sa.Column("client_id", sa.String(128), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.Float, nullable=False),
    sa.Column("lease_until", sa.Float, nullable=True),
    # Written by each claim: only the claim holding it may record the attempt.
    sa.Column("lease_token", sa.String(32), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float, nullable=True, index=True),
)

attempts = sa.Table(
    "zl_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("outbox_id", sa.Integer, nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("duration_ms", sa.Float, nullable=False),
    # Each attempt of an event is numbered once.
    sa.Index("ux_zl_attempts_outbox_id_number", "outbox_id", "number", unique=True),
)

#: Zoom's daily cap on a host's meeting and webinar creates and updates: the host's
#: count on one UTC day of the server clock (another day starts it over), one row per
#: host, taken in the request's own transaction, so it outlives restarts and every
#: process sees it (README, Decisions).
daily_caps = sa.Table(
    "zl_daily_caps",
    metadata,
    sa.Column("host_id", sa.String(64), primary_key=True),
    sa.Column("day", sa.Integer, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
)

"""Server settings: one frozen object, the environment read in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DB_PATH = Path("zoomlive.db")


def sqlite_url(path: str | Path) -> str:
    return f"sqlite+aiosqlite:///{Path(path)}"


#: The database URL schemes the server runs on (SQLite through aiosqlite,
#: PostgreSQL through asyncpg); anything else is refused before start.
SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def normalise_db_url(url_or_path: str) -> str:
    """Accept a SQLAlchemy URL, a ``postgresql://`` URL or a plain file path;
    ``ValueError`` (one line, naming the supported schemes) for any other scheme."""
    if "://" not in url_or_path:
        if not url_or_path.strip():
            raise ValueError("the database is empty: give a file path or a database URL")
        return sqlite_url(url_or_path)
    scheme, rest = url_or_path.split("://", 1)
    if scheme.lower() not in SCHEMES:
        raise ValueError(
            f"unsupported database URL scheme {scheme + '://'!r}: use a file path, "
            "sqlite:///path, or postgresql://user@host:port/db"
        )
    return f"{SCHEMES[scheme.lower()]}://{rest}"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Everything the server needs to run. Build it with ``from_env`` or directly."""

    #: The database: a SQLite file (WAL) by path or ``sqlite:///…``, or
    #: ``postgresql://user@host/db``. Any other scheme, a folder that does not exist
    #: (never created) or a PostgreSQL that does not answer is one line and exit 2.
    database_url: str = field(default_factory=lambda: sqlite_url(DEFAULT_DB_PATH))
    #: Bearer token for the /_zoomlive control API; generated and stored when empty.
    admin_token: str = ""
    #: Seed the demo account, app and meetings into a new database.
    demo: bool = True
    #: The demo's account id; generated once per database when empty.
    demo_account_id: str = ""
    #: The demo app's client id; generated once per database when empty.
    demo_client_id: str = ""
    #: The demo app's client secret; generated once per database when empty.
    demo_client_secret: str = ""
    #: ``api_url`` returned by the token endpoint; defaults to the request's base URL.
    public_url: str = ""
    #: Lifetime of an access token (Zoom's ``expires_in``), in seconds.
    token_ttl_seconds: int = 3600
    #: Largest request body, in bytes; more gets a 413.
    max_body_bytes: int = 64 * 1024
    #: Rate limits as Zoom enforces them (Decision 9).
    rate_limits: bool = True
    #: Redis holding the rate-limit counters several server processes share; empty:
    #: each process counts alone.
    redis_url: str = ""
    #: Seconds a Redis connect or call may take before the rate limits fall back to
    #: this process's counters (docs: deployment, "When Redis or PostgreSQL fails").
    redis_timeout: float = 1.0
    #: Keep a read model in memory. Right for one process on SQLite; a multi-process
    #: deployment on PostgreSQL turns it off so every instance reads the database.
    cache_reads: bool | None = None
    #: Connections per process to PostgreSQL, for each of its two pools (SQLAlchemy's
    #: for writes and control-API reads; asyncpg's for the request path's one read).
    db_pool_size: int = 10
    #: Rows per table the read model keeps (the least recently used leave first), so
    #: memory does not grow with the number of meetings, accounts or tokens.
    read_cache_size: int = 10_000
    #: Webhook retry schedule scale (1.0 = Zoom's 5/20/60 minutes).
    webhook_retry_scale: float = 1.0
    #: Request journal entries each process keeps (the oldest leave first).
    journal_size: int = 1000
    #: HTTP limits, enforced by the server's protocol (``zoomlive.server.protocol``).
    #: The request line and header fields together, in bytes; more gets a 431.
    max_header_bytes: int = 64 * 1024
    #: Seconds a client has to finish sending a request's head; then the connection closes.
    header_timeout_seconds: float = 10.0
    #: Seconds an idle keep-alive connection stays open between requests.
    keep_alive_seconds: int = 5
    #: Delivered and failed webhook events (with their attempts) and expired tokens
    #: are deleted this many days, on the server clock, after they finished/expired.
    retention_days: float = 7.0
    #: A seed file (YAML or JSON) loaded at start (``zoomlive.server.seeding``).
    seed_file: str = ""
    #: Real media (docs: real media): ``auto`` streams when PyAV is installed,
    #: ``off`` never does.
    media: str = "auto"
    #: A built documentation site (what ``mkdocs build`` writes) served at
    #: ``/_zoomlive/manual``; empty: the clone's ``site/``, when one is built there.
    manual_dir: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> ServerSettings:
        """Read ``ZOOMLIVE_*`` variables; keyword overrides win (CLI flags)."""
        e = os.environ if env is None else env
        values: dict[str, object] = {}
        if e.get("ZOOMLIVE_DATABASE_URL"):
            values["database_url"] = normalise_db_url(e["ZOOMLIVE_DATABASE_URL"])
        for key, name in (
            ("admin_token", "ZOOMLIVE_ADMIN_TOKEN"),
            ("demo_account_id", "ZOOMLIVE_DEMO_ACCOUNT_ID"),
            ("demo_client_id", "ZOOMLIVE_DEMO_CLIENT_ID"),
            ("demo_client_secret", "ZOOMLIVE_DEMO_CLIENT_SECRET"),
            ("public_url", "ZOOMLIVE_PUBLIC_URL"),
            ("redis_url", "ZOOMLIVE_REDIS_URL"),
            ("seed_file", "ZOOMLIVE_SEED"),
            ("manual_dir", "ZOOMLIVE_MANUAL_DIR"),
        ):
            if e.get(name):
                values[key] = e[name]
        if "ZOOMLIVE_DEMO" in e:
            values["demo"] = _flag(e["ZOOMLIVE_DEMO"], True)
        if "ZOOMLIVE_RATE_LIMITS" in e:
            values["rate_limits"] = _flag(e["ZOOMLIVE_RATE_LIMITS"], True)
        if e.get("ZOOMLIVE_CACHE_READS"):
            values["cache_reads"] = _flag(e["ZOOMLIVE_CACHE_READS"], True)
        if e.get("ZOOMLIVE_DB_POOL_SIZE"):
            values["db_pool_size"] = int(e["ZOOMLIVE_DB_POOL_SIZE"])
        if e.get("ZOOMLIVE_READ_CACHE_SIZE"):
            values["read_cache_size"] = int(e["ZOOMLIVE_READ_CACHE_SIZE"])
        if e.get("ZOOMLIVE_TOKEN_TTL"):
            values["token_ttl_seconds"] = int(e["ZOOMLIVE_TOKEN_TTL"])
        if e.get("ZOOMLIVE_REDIS_TIMEOUT"):
            values["redis_timeout"] = float(e["ZOOMLIVE_REDIS_TIMEOUT"])
        if e.get("ZOOMLIVE_MAX_HEADER_BYTES"):
            values["max_header_bytes"] = int(e["ZOOMLIVE_MAX_HEADER_BYTES"])
        if e.get("ZOOMLIVE_HEADER_TIMEOUT"):
            values["header_timeout_seconds"] = float(e["ZOOMLIVE_HEADER_TIMEOUT"])
        if e.get("ZOOMLIVE_KEEP_ALIVE_TIMEOUT"):
            values["keep_alive_seconds"] = int(e["ZOOMLIVE_KEEP_ALIVE_TIMEOUT"])
        if e.get("ZOOMLIVE_WEBHOOK_RETRY_SCALE"):
            values["webhook_retry_scale"] = float(e["ZOOMLIVE_WEBHOOK_RETRY_SCALE"])
        if e.get("ZOOMLIVE_MEDIA"):
            off = e["ZOOMLIVE_MEDIA"].strip().lower() in ("0", "false", "no", "off")
            values["media"] = "off" if off else "auto"
        if e.get("ZOOMLIVE_RETENTION_DAYS"):
            values["retention_days"] = float(e["ZOOMLIVE_RETENTION_DAYS"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        if isinstance(values.get("database_url"), str):
            values["database_url"] = normalise_db_url(str(values["database_url"]))
        return cls(**values)  # type: ignore[arg-type]

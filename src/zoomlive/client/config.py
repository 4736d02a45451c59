"""Client settings; the environment is read here and nowhere else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from zoomlive.wire.paths import DEFAULT_API_BASE_URL, DEFAULT_OAUTH_URL


@dataclass(frozen=True, slots=True)
class ClientSettings:
    account_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    access_token: str | None = None
    base_url: str = DEFAULT_API_BASE_URL
    oauth_url: str = DEFAULT_OAUTH_URL

    def __repr__(self) -> str:
        return (
            f"ClientSettings(account_id={self.account_id!r}, client_id={self.client_id!r}, "
            f"client_secret={'***' if self.client_secret else None}, "
            f"access_token={'***' if self.access_token else None}, "
            f"base_url={self.base_url!r}, oauth_url={self.oauth_url!r})"
        )

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        base_url: str | None = None,
        oauth_url: str | None = None,
    ) -> ClientSettings:
        """From ``ZOOM_*`` variables; explicit URLs (CLI flags) win over them."""
        e = os.environ if env is None else env
        return cls(
            account_id=e.get("ZOOM_ACCOUNT_ID") or None,
            client_id=e.get("ZOOM_CLIENT_ID") or None,
            client_secret=e.get("ZOOM_CLIENT_SECRET") or None,
            access_token=e.get("ZOOM_ACCESS_TOKEN") or None,
            base_url=base_url or e.get("ZOOM_API_BASE_URL") or DEFAULT_API_BASE_URL,
            oauth_url=oauth_url or e.get("ZOOM_OAUTH_URL") or DEFAULT_OAUTH_URL,
        )


def check_url(url: str, what: str) -> str:
    """An absolute http(s) URL with a host, or ``ValueError`` naming ``what``: a URL
    without a scheme is a typo to report, not an address to try."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{what} must be an absolute http(s) URL, like {DEFAULT_API_BASE_URL}; got {url!r}"
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError(f"{what} has a bad port: {url!r}") from None
    return url

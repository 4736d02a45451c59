"""What every CLI path shares, with no Typer or Rich: exit codes, messages that name
the extra to install, the version, the ``export`` lines and ``zoomlive env``.

Exit codes (README, "The Python client and CLI"): 0 success, 1 Zoom answered with an
error, 2 bad usage or input, 3 no answer.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoomlive.wire.dist import install_hint
from zoomlive.wire.dist import version as version  # the CLI's --version

if TYPE_CHECKING:
    from rich.console import Console

NEEDS_SERVER = f"zoomlive serve needs the server extra; {install_hint('server')}"
NEEDS_CLI = f"this command needs the cli extra; {install_hint('cli')}"
DEFAULT_URL = "http://127.0.0.1:8040"

#: ``zoomlive serve``'s and ``zoomlive env``'s summaries and option help, said once for
#: the Typer commands and for the bare ones an install without the cli extra runs.
SERVE_SUMMARY = "Run the Zoom-compatible live stream server (needs zoomlive[server])."
SERVE_HELP = {
    "host": "Interface to bind.",
    "port": "Port to listen on.",
    "db": "SQLite file path, sqlite:///path or postgresql://user@host/db "
    "(default: ZOOMLIVE_DATABASE_URL, else ./zoomlive.db).",
    "no_demo": "Do not seed demo data into a new database.",
    "log_level": "Server log level.",
    "access_log": "One line per request: method, path, status, Zoom code, ms, tracking id.",
    "seed": "Seed file (YAML or JSON) loaded at start; default ZOOMLIVE_SEED.",
    "debug": "Show tracebacks.",
    "workers": "Server processes on the port (more than 1 needs PostgreSQL).",
}
ENV_SUMMARY = (
    'Print `export ZOOM_…` lines for a running server\'s demo app: eval "$(zoomlive env)".'
)
ENV_HELP = {
    "url": "The server's URL.",
    "admin_token": "Control-API token (default: ZOOMLIVE_ADMIN_TOKEN, else the one a "
    "zoomlive serve on this machine left for this port).",
}


class CliError(Exception):
    """One line for the user and the exit status; never a traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def env_lines(demo: Mapping[str, Any], base_url: str) -> list[str]:
    """The ``ZOOM_*`` variables the client reads (``ClientSettings.from_env``), as one
    ``export`` line a shell can ``eval``."""
    pairs = {
        "ZOOM_ACCOUNT_ID": str(demo["account_id"]),
        "ZOOM_CLIENT_ID": str(demo["client_id"]),
        "ZOOM_CLIENT_SECRET": str(demo["client_secret"]),
        "ZOOM_API_BASE_URL": f"{base_url}/v2",
        "ZOOM_OAUTH_URL": f"{base_url}/oauth/token",
    }
    return ["export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in pairs.items())]


def token_file(port: int) -> Path:
    """Where a running ``zoomlive serve`` leaves its admin token for ``zoomlive env``
    (a folder only this user can read, as Jupyter's runtime files)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"zoomlive-{uid}" / f"serve-{port}.token"


def no_answer(url: str, reason: str) -> str:
    return (
        f"no answer from {url} ({reason}); is the server running? Start one with `zoomlive serve`"
    )


def env_command(url: str, admin_token: str | None) -> str:
    """``zoomlive env``: the running server's demo credentials as ``export`` lines,
    read through the control API (``GET /_zoomlive/demo``)."""
    import httpx

    from zoomlive.client.config import check_url

    base = url.rstrip("/")
    try:
        check_url(base, "--url")
    except ValueError as exc:
        raise CliError(str(exc), 2) from None
    token = admin_token or os.environ.get("ZOOMLIVE_ADMIN_TOKEN") or _saved_token(base)
    if not token:
        raise CliError(
            "no admin token: pass --admin-token or set ZOOMLIVE_ADMIN_TOKEN "
            "(zoomlive serve prints it)",
            2,
        )
    try:
        r = httpx.get(
            f"{base}/_zoomlive/demo", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
    except httpx.TransportError as exc:
        raise CliError(no_answer(base, reason(exc)), 3) from None
    if r.status_code == 401:
        raise CliError(f"{base} refused the admin token (HTTP 401)", 1)
    if r.status_code == 404:
        raise CliError(f"{base} has no demo app (started with --no-demo?)", 1)
    if r.status_code != 200:
        raise CliError(f"{base} answered HTTP {r.status_code}", 1)
    lines = env_lines(r.json(), base)
    lines.append(f"export ZOOMLIVE_ADMIN_TOKEN={shlex.quote(token)}")
    return "\n".join(lines)


def _saved_token(base: str) -> str | None:
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1") or parts.port is None:
        return None
    try:
        return token_file(parts.port).read_text().strip() or None
    except OSError:
        return None


def reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        return "timed out"
    return text


def bad_id(raw: str, kind: str = "meeting") -> str:
    """The one message for a bad id, wherever it came from (argument or file)."""
    return f"{raw!r} is not a {kind} id: Zoom ids are whole numbers from 1 to 9223372036854775807"


def die(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


class LazyConsole:
    """A Rich ``Console`` made on first use. ``zoomlive serve`` imports the command
    modules that print through one but never prints through it, and Rich's console
    (about forty modules) would otherwise sit in every server process's memory."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        """The ``rich.console.Console`` itself."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)

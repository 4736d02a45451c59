"""``zoomlive livestream get|update|start|stop`` and ``zoomlive token``.

Stream keys and tokens are redacted unless asked for (``--show-secrets``,
``--show-token``). Exit codes: 0 success, 1 Zoom answered with an error,
2 bad usage or input, 3 no answer (transport error).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

# The client (httpx) is imported only when a command runs: `zoomlive serve` shares
# this process and should not carry it.
if TYPE_CHECKING:
    from zoomlive.client import Client, LiveStreams

livestream = typer.Typer(help="Read, set, start and stop live streams.", no_args_is_help=True)
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

BaseUrl = Annotated[str | None, typer.Option(help="API base URL (ZOOM_API_BASE_URL).")]
OAuthUrl = Annotated[str | None, typer.Option(help="Token URL (ZOOM_OAUTH_URL).")]
Webinar = Annotated[bool, typer.Option("--webinar", help="The id is a webinar's.")]


def _client(base_url: str | None, oauth_url: str | None) -> Client:
    from zoomlive.client import Client
    from zoomlive.client.config import ClientSettings

    settings = ClientSettings.from_env(base_url=base_url, oauth_url=oauth_url)
    try:
        return Client(settings=settings)
    except ValueError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from None


def _fail(exc: Exception) -> typer.Exit:
    from zoomlive.client import ZoomAPIError, ZoomError

    if isinstance(exc, ZoomAPIError):
        err.print(f"error: HTTP {exc.status}, code {exc.code}: {exc.message}")
        return typer.Exit(1)
    if isinstance(exc, ZoomError):
        err.print(f"error: {exc}")
        return typer.Exit(3)
    err.print(f"error: {exc}")
    return typer.Exit(2)


T = TypeVar("T")


def _on_stream(
    base_url: str | None, oauth_url: str | None, webinar: bool, call: Callable[[LiveStreams], T]
) -> T:
    """Run one call on ``meetings.livestream`` or ``webinars.livestream``; map errors
    to the documented exit codes."""
    from zoomlive.client import ZoomError

    with _client(base_url, oauth_url) as client:
        ns = client.webinars if webinar else client.meetings
        try:
            result: T = call(ns.livestream)
        except (ZoomError, ValueError) as exc:
            raise _fail(exc) from None
    return result


def _what(webinar: bool, object_id: int) -> str:
    return f"{'webinar' if webinar else 'meeting'} {object_id}"


@livestream.command("get")
def get_cmd(
    object_id: int,
    webinar: Webinar = False,
    show_secrets: Annotated[bool, typer.Option(help="Print the stream key.")] = False,
    base_url: BaseUrl = None,
    oauth_url: OAuthUrl = None,
) -> None:
    """Print a live stream's configuration as JSON."""
    stream = _on_stream(base_url, oauth_url, webinar, lambda ls: ls.get(object_id))
    data = {"stream_url": stream.stream_url, "stream_key": stream.stream_key,
            "page_url": stream.page_url}  # fmt: skip
    if isinstance(stream.resolution, str):
        data["resolution"] = stream.resolution
    if not show_secrets and data["stream_key"]:
        data["stream_key"] = "***"
    out.print(json.dumps(data))


@livestream.command("update")
def update_cmd(
    object_id: int,
    stream_url: Annotated[str, typer.Option()],
    stream_key: Annotated[str, typer.Option()],
    page_url: Annotated[str, typer.Option()],
    resolution: Annotated[str | None, typer.Option()] = None,
    webinar: Webinar = False,
    base_url: BaseUrl = None,
    oauth_url: OAuthUrl = None,
) -> None:
    """Set a live stream's URL, key and page."""
    _on_stream(
        base_url,
        oauth_url,
        webinar,
        lambda ls: ls.update(
            object_id,
            stream_url=stream_url,
            stream_key=stream_key,
            page_url=page_url,
            resolution=resolution,  # type: ignore[arg-type]
        ),
    )
    out.print(f"updated {_what(webinar, object_id)}")


@livestream.command("start")
def start_cmd(
    object_id: int,
    display_name: Annotated[str | None, typer.Option()] = None,
    active_speaker_name: Annotated[bool | None, typer.Option()] = None,
    layout: Annotated[str | None, typer.Option()] = None,
    close_caption: Annotated[str | None, typer.Option()] = None,
    webinar: Webinar = False,
    base_url: BaseUrl = None,
    oauth_url: OAuthUrl = None,
) -> None:
    """Start the live stream."""
    _on_stream(
        base_url,
        oauth_url,
        webinar,
        lambda ls: ls.start(
            object_id,
            display_name=display_name,
            active_speaker_name=active_speaker_name,
            layout=layout,
            close_caption=close_caption,
        ),
    )
    out.print(f"started {_what(webinar, object_id)}")


@livestream.command("stop")
def stop_cmd(
    object_id: int, webinar: Webinar = False, base_url: BaseUrl = None, oauth_url: OAuthUrl = None
) -> None:
    """Stop the live stream."""
    _on_stream(base_url, oauth_url, webinar, lambda ls: ls.stop(object_id))
    out.print(f"stopped {_what(webinar, object_id)}")


def token_cmd(
    show_token: Annotated[bool, typer.Option(help="Print the access token itself.")] = False,
    base_url: BaseUrl = None,
    oauth_url: OAuthUrl = None,
) -> None:
    """Get a token; show its scopes and expiry (never the token, unless --show-token)."""
    from zoomlive.client import ZoomError

    with _client(base_url, oauth_url) as client:
        try:
            token = client.fetch_token()
        except (ZoomError, ValueError) as exc:
            raise _fail(exc) from None
    out.print(f"scopes: {' '.join(token.scopes)}")
    out.print(f"expires in: {int(token.expires_at - time.time())} s")
    if show_token:
        out.print(f"access_token: {token.access_token}")

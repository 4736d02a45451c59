"""``zoomlive livestream get|update|start|stop`` and ``zoomlive token``.

Stream keys and tokens are redacted unless asked for (``--show-secrets``,
``--show-token``). Exit codes: 0 success, 1 Zoom answered with an error,
2 bad usage or input, 3 no answer (transport error).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from zoomlive.cli.common import CliError, LazyConsole, bad_id, no_answer, reason
from zoomlive.cli.groups import FullSummaries

# The client (httpx) is imported only when a command runs: `zoomlive serve` shares
# this process and should not carry it.
if TYPE_CHECKING:
    from zoomlive.client import Client, LiveStreams, RetryPolicy, ZoomAPIError
    from zoomlive.client.config import ClientSettings

livestream = typer.Typer(
    cls=FullSummaries,
    help="Read, set, start and stop live streams.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,  # help text is shown as written: "zoomlive[server]"
)
out = LazyConsole(soft_wrap=True, highlight=False)
err = LazyConsole(stderr=True, soft_wrap=True, highlight=False)

BaseUrl = Annotated[str | None, typer.Option(help="API base URL (ZOOM_API_BASE_URL).")]
OAuthUrl = Annotated[str | None, typer.Option(help="Token URL (ZOOM_OAUTH_URL).")]
Webinar = Annotated[bool, typer.Option("--webinar", help="The id is a webinar's.")]
ObjectId = Annotated[
    str, typer.Argument(metavar="ID", help="Meeting id (webinar id with --webinar).")
]


class Resolution(StrEnum):
    p720 = "720p"
    p1080 = "1080p"


class Layout(StrEnum):
    follow_host = "follow_host"
    gallery_view = "gallery_view"
    speaker_view = "speaker_view"


class CloseCaption(StrEnum):
    burnt_in = "burnt-in"
    embedded = "embedded"
    off = "off"


def cli_retry() -> RetryPolicy:
    """A person is waiting: two quick tries, not the library's patient four
    (a refused connection is answered in well under 2 s)."""
    from zoomlive.client import RetryPolicy

    return RetryPolicy(max_attempts=2, max_total=10.0, backoff_base=0.2, backoff_max=0.5)


def client_settings(base_url: str | None, oauth_url: str | None) -> ClientSettings:
    """Settings from ``ZOOM_*`` and the flags, with both URLs checked (exit 2)."""
    from zoomlive.client.config import ClientSettings, check_url

    settings = ClientSettings.from_env(base_url=base_url, oauth_url=oauth_url)
    try:
        check_url(settings.base_url, "the API base URL (--base-url, ZOOM_API_BASE_URL)")
        check_url(settings.oauth_url, "the token URL (--oauth-url, ZOOM_OAUTH_URL)")
    except ValueError as exc:
        raise CliError(str(exc), 2) from None
    return settings


def _client(base_url: str | None, oauth_url: str | None) -> Client:
    from zoomlive.client import Client

    settings = client_settings(base_url, oauth_url)
    try:
        return Client(settings=settings, retry=cli_retry(), timeout=15.0)
    except ValueError as exc:
        raise CliError(str(exc), 2) from None


def describe(exc: Exception, fallback_url: str = "") -> CliError:
    """One message per error, with the documented exit code."""
    from zoomlive.client import TransportError, ZoomAPIError

    if isinstance(exc, ZoomAPIError):
        return CliError(api_error_text(exc), 1)
    if isinstance(exc, TransportError):
        return CliError(no_answer(exc.url or fallback_url, reason(exc)), 3)
    return CliError(str(exc), 2)


def api_error_text(exc: ZoomAPIError) -> str:
    """``HTTP 404, Zoom code 3001: …`` (no code part when Zoom sent none), then the
    field errors of a validation answer."""
    text = str(exc)
    if exc.status == 401:
        text += " (check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET)"
    if exc.errors:
        text += " " + "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    return text


def object_id(raw: str, webinar: bool = False) -> int:
    from zoomlive.wire.ids import parse_id

    value = parse_id(raw.strip())
    if value is None:
        raise CliError(bad_id(raw, "webinar" if webinar else "meeting"), 2)
    return value


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
            raise describe(exc, client.settings.base_url) from None
    return result


def _what(webinar: bool, object_id: int) -> str:
    return f"{'webinar' if webinar else 'meeting'} {object_id}"


@livestream.command("get")
def get_cmd(
    raw_id: ObjectId,
    webinar: Webinar = False,
    show_secrets: Annotated[bool, typer.Option(help="Print the stream key.")] = False,
    base_url: BaseUrl = None,
    oauth_url: OAuthUrl = None,
) -> None:
    """Print a live stream's configuration as JSON."""
    oid = object_id(raw_id, webinar)
    stream = _on_stream(base_url, oauth_url, webinar, lambda ls: ls.get(oid))
    data = {"stream_url": stream.stream_url, "stream_key": stream.stream_key,
            "page_url": stream.page_url}  # fmt: skip
    if isinstance(stream.resolution, str):
        data["resolution"] = stream.resolution
    if not show_secrets and data["stream_key"]:
        data["stream_key"] = "***"
    out.print(json.dumps(data), markup=False, crop=False, overflow="ignore")


@livestream.command("update")
def update_cmd(
    raw_id: ObjectId,
    stream_url: Annotated[str, typer.Option(help="RTMP URL of the platform.")],
    stream_key: Annotated[str, typer.Option(help="Stream key (never printed).")],
    page_url: Annotated[str, typer.Option(help="Page where viewers watch (a URI).")],
    resolution: Annotated[Resolution | None, typer.Option()] = None,
    webinar: Webinar = False,
    base_url: BaseUrl = None,
    oauth_url: OAuthUrl = None,
) -> None:
    """Set a live stream's URL, key and page."""
    oid = object_id(raw_id, webinar)
    _on_stream(
        base_url,
        oauth_url,
        webinar,
        lambda ls: ls.update(
            oid,
            stream_url=stream_url,
            stream_key=stream_key,
            page_url=page_url,
            resolution=resolution.value if resolution else None,
        ),
    )
    out.print(f"updated {_what(webinar, oid)}")


@livestream.command("start")
def start_cmd(
    raw_id: ObjectId,
    display_name: Annotated[str | None, typer.Option()] = None,
    active_speaker_name: Annotated[bool | None, typer.Option()] = None,
    layout: Annotated[Layout | None, typer.Option()] = None,
    close_caption: Annotated[CloseCaption | None, typer.Option()] = None,
    webinar: Webinar = False,
    base_url: BaseUrl = None,
    oauth_url: OAuthUrl = None,
) -> None:
    """Start the live stream."""
    oid = object_id(raw_id, webinar)
    _on_stream(
        base_url,
        oauth_url,
        webinar,
        lambda ls: ls.start(
            oid,
            display_name=display_name,
            active_speaker_name=active_speaker_name,
            layout=layout.value if layout else None,
            close_caption=close_caption.value if close_caption else None,
        ),
    )
    out.print(f"started {_what(webinar, oid)}")


@livestream.command("stop")
def stop_cmd(
    raw_id: ObjectId, webinar: Webinar = False, base_url: BaseUrl = None, oauth_url: OAuthUrl = None
) -> None:
    """Stop the live stream."""
    oid = object_id(raw_id, webinar)
    _on_stream(base_url, oauth_url, webinar, lambda ls: ls.stop(oid))
    out.print(f"stopped {_what(webinar, oid)}")


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
            raise describe(exc, client.settings.oauth_url) from None
    out.print(f"scopes: {' '.join(token.scopes)}")
    out.print(f"expires in: {int(token.expires_at - time.time())} s")
    if show_token:
        out.print(f"access_token: {token.access_token}")

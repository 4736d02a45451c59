"""``zoomlive meetings|webinars create|get|list|delete|end``.

One command group per kind, built by the same function. ``--json`` prints the
answer as JSON; the host's ``start_url`` (it carries the host's key) and the
passcodes are shown as ``***`` unless ``--show-secrets``. Exit codes as for
``zoomlive livestream``: 0, 1 (Zoom's error), 2 (bad input), 3 (no answer).
"""

# No ``from __future__ import annotations``: Typer reads the commands' annotations,
# and the help texts inside them name the kind (a closure variable).
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from zoomlive.cli.groups import FullSummaries
from zoomlive.cli.livestream import BaseUrl, OAuthUrl, _client, describe, out

if TYPE_CHECKING:
    from zoomlive.client.meetings import MeetingOps

T = TypeVar("T")
SECRET_KEYS = ("start_url", "password", "h323_password", "pstn_password", "encrypted_password",
               "h323_passcode", "encrypted_passcode")  # fmt: skip

Json = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]
ShowSecrets = Annotated[bool, typer.Option("--show-secrets", help="Show start_url and passcodes.")]
UserId = Annotated[str, typer.Option("--user", help="User id, email, or 'me'.")]


def _run(base_url: str | None, oauth_url: str | None, webinar: bool,
         call: Callable[["MeetingOps"], T]) -> T:  # fmt: skip
    from zoomlive.client import ZoomError

    with _client(base_url, oauth_url) as client:
        ns = client.webinars if webinar else client.meetings
        try:
            return call(ns)
        except (ZoomError, ValueError) as exc:
            raise describe(exc, client.settings.base_url) from None


def _plain(obj: Any, show_secrets: bool) -> dict[str, Any]:
    import msgspec

    data: dict[str, Any] = msgspec.to_builtins(obj)
    extra = data.pop("extra", None) or {}
    data.update(extra)
    if not show_secrets:
        for key in SECRET_KEYS:
            if data.get(key):
                data[key] = "***"
        _mask_join(data)
    return data


def _mask_join(data: dict[str, Any]) -> dict[str, Any]:
    """The passcode in a join URL (``?pwd=…``) as ``***``."""
    url = data.get("join_url")
    if isinstance(url, str) and "?pwd=" in url:
        data["join_url"] = url.partition("?pwd=")[0] + "?pwd=***"
    return data


def _print(data: dict[str, Any], as_json: bool, fields: tuple[str, ...]) -> None:
    if as_json:
        out.print(json.dumps(data, sort_keys=True), markup=False)
        return
    for name in fields:
        if name in data:
            out.print(f"{name}: {data[name]}", markup=False)


SHOWN = ("id", "topic", "type", "status", "start_time", "duration", "timezone", "host_id",
         "join_url", "start_url")  # fmt: skip


def group(kind: str) -> typer.Typer:
    """The command group for ``meetings`` or ``webinars``."""
    webinar = kind == "webinar"
    app = typer.Typer(
        cls=FullSummaries, help=f"Create, read, list, delete and end {kind}s.", no_args_is_help=True
    )

    # The help names this kind's own operation (Typer reads help, not a formatted docstring).
    @app.command("create", help=f"Create one for a user (POST /users/{{userId}}/{kind}s).")
    def create(
        topic: Annotated[str | None, typer.Option(help="Topic (at most 200 characters).")] = None,
        start_time: Annotated[str | None, typer.Option(help="yyyy-mm-ddThh:mm:ssZ.")] = None,
        duration: Annotated[int | None, typer.Option(help="Minutes.")] = None,
        timezone: Annotated[str | None, typer.Option(help="e.g. America/New_York.")] = None,
        agenda: Annotated[str | None, typer.Option(help="Description.")] = None,
        user: UserId = "me",
        as_json: Json = False,
        show_secrets: ShowSecrets = False,
        base_url: BaseUrl = None,
        oauth_url: OAuthUrl = None,
    ) -> None:
        fields = {"topic": topic, "start_time": start_time, "duration": duration,
                  "timezone": timezone, "agenda": agenda}  # fmt: skip
        made = _run(base_url, oauth_url, webinar, lambda ns: ns.create(user, **fields))
        _print(_plain(made, show_secrets), as_json, SHOWN)

    @app.command("get")
    def get(
        object_id: Annotated[int, typer.Argument(help=f"The {kind} id.")],
        as_json: Json = False,
        show_secrets: ShowSecrets = False,
        base_url: BaseUrl = None,
        oauth_url: OAuthUrl = None,
    ) -> None:
        """Show one."""
        found = _run(base_url, oauth_url, webinar, lambda ns: ns.get(object_id))
        _print(_plain(found, show_secrets), as_json, SHOWN)

    @app.command("list")
    def list_cmd(
        user: UserId = "me",
        page_size: Annotated[int | None, typer.Option(help="Items per request (≤ 300).")] = None,
        as_json: Json = False,
        base_url: BaseUrl = None,
        oauth_url: OAuthUrl = None,
    ) -> None:
        """Every one of a user's, all pages."""
        import msgspec

        items = _run(base_url, oauth_url, webinar,
                     lambda ns: list(ns.iter(user, page_size=page_size)))  # fmt: skip
        rows = [_mask_join(msgspec.to_builtins(i)) for i in items]
        if as_json:
            out.print(json.dumps(rows, sort_keys=True), markup=False)
            return
        table = [("ID", "STATUS", "TOPIC")]
        table += [(str(r["id"]), str(r.get("status", "")), str(r["topic"])) for r in rows]
        width = [max(len(line[i]) for line in table) for i in (0, 1)]
        for oid, status, topic in table:
            out.print(f"{oid:<{width[0]}}  {status:<{width[1]}}  {topic}", markup=False)

    _action(app, kind, webinar, "delete", "deleted", "Delete one.", lambda ns, i: ns.delete(i))
    ending = 'End a running one (PUT …/status {"action": "end"}).'
    _action(app, kind, webinar, "end", "ended", ending, lambda ns, i: ns.end(i))
    return app


def _action(
    app: typer.Typer,
    kind: str,
    webinar: bool,
    name: str,
    done: str,
    doc: str,
    call: Callable[["MeetingOps", int], object],
) -> None:
    """A command that acts on one id and prints ``{"id": …, <done>: true}``."""

    def command(
        object_id: Annotated[int, typer.Argument(help=f"The {kind} id.")],
        as_json: Json = False,
        base_url: BaseUrl = None,
        oauth_url: OAuthUrl = None,
    ) -> None:
        _run(base_url, oauth_url, webinar, lambda ns: call(ns, object_id))
        _print({"id": object_id, done: True}, as_json, ("id", done))

    command.__doc__ = doc
    app.command(name)(command)

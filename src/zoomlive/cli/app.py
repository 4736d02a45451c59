"""The Typer application: ``zoomlive serve``, ``env``, ``openapi``, ``livestream …``,
``meetings …``, ``webinars …``, ``token``.

``main`` is the one place errors become exit codes: a ``CliError`` is one line and
its code, and anything unexpected is one line too unless ``--debug`` asks for the
traceback (README, "Troubleshooting").
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from zoomlive.cli.common import (
    DEFAULT_URL,
    ENV_HELP,
    ENV_SUMMARY,
    SERVE_HELP,
    SERVE_SUMMARY,
    CliError,
    version,
)
from zoomlive.cli.groups import FullSummaries

app = typer.Typer(
    name="zoomlive",
    cls=FullSummaries,
    help="Zoom live streams: an offline Zoom-compatible server, and a client for real Zoom.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,  # help text is shown as written: "zoomlive[server]"
)

_debug = False


class LogLevel(StrEnum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"


def _version(value: bool) -> None:
    if value:
        print(f"zoomlive {version()}")
        raise typer.Exit()


@app.callback()
def _root(
    _show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """Zoom live streams: an offline Zoom-compatible server, and a client for real Zoom."""
    global _debug
    _debug = _debug or debug


@app.command(help=SERVE_SUMMARY)
def serve(
    host: Annotated[str, typer.Option(help=SERVE_HELP["host"])] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help=SERVE_HELP["port"])] = 8040,
    db: Annotated[str | None, typer.Option(help=SERVE_HELP["db"])] = None,
    no_demo: Annotated[bool, typer.Option("--no-demo", help=SERVE_HELP["no_demo"])] = False,
    log_level: Annotated[LogLevel, typer.Option(help=SERVE_HELP["log_level"])] = LogLevel.warning,
    access_log: Annotated[
        bool, typer.Option("--access-log", help=SERVE_HELP["access_log"])
    ] = False,
    seed: Annotated[str | None, typer.Option(help=SERVE_HELP["seed"], show_default=False)] = None,
    debug: Annotated[bool, typer.Option("--debug", help=SERVE_HELP["debug"])] = False,
    workers: Annotated[int, typer.Option(min=1, help=SERVE_HELP["workers"])] = 1,
) -> None:
    from zoomlive.cli.serve import run

    global _debug
    _debug = _debug or debug
    code = run(
        host, port, db, not no_demo, log_level.value,
        access_log=access_log, debug=_debug, seed=seed, workers=workers,
    )  # fmt: skip
    raise typer.Exit(code)


@app.command("env", help=ENV_SUMMARY)
def env_cmd(
    url: Annotated[str, typer.Option(help=ENV_HELP["url"])] = DEFAULT_URL,
    admin_token: Annotated[
        str | None, typer.Option(help=ENV_HELP["admin_token"], show_default=False)
    ] = None,
) -> None:
    from zoomlive.cli.common import env_command

    print(env_command(url, admin_token))


@app.command()
def openapi() -> None:
    """Print the server's OpenAPI document (JSON) to stdout (needs zoomlive[server])."""
    import json

    from zoomlive.server.app import openapi_document

    typer.echo(json.dumps(openapi_document(), indent=2))


def _register() -> None:
    from zoomlive.cli.bulk import apply_cmd
    from zoomlive.cli.livestream import livestream, token_cmd
    from zoomlive.cli.meetings import group

    livestream.command("apply")(apply_cmd)
    app.add_typer(livestream, name="livestream")
    app.command("token")(token_cmd)
    app.add_typer(group("meeting"), name="meetings")
    app.add_typer(group("webinar"), name="webinars")


_register()


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, prog_name="zoomlive")
    except CliError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(exc.code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if _debug:
            raise
        print(
            f"error: {type(exc).__name__}: {exc} (zoomlive --debug … shows the traceback)",
            file=sys.stderr,
        )
        sys.exit(1)

"""The Typer application: ``zoomlive serve``, ``zoomlive livestream …``, ``zoomlive token``."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="zoomlive",
    help="Zoom live streams: an offline Zoom-compatible server, and a client for real Zoom.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Zoom live streams: an offline Zoom-compatible server, and a client for real Zoom."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8040,
    db: Annotated[
        str | None,
        typer.Option(help="SQLite file path or database URL (default: ./zoomlive.db)."),
    ] = None,
    no_demo: Annotated[
        bool, typer.Option("--no-demo", help="Do not seed demo data into a new database.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    workers: Annotated[
        int,
        typer.Option(min=1, help="Server processes on the port (more than 1 needs PostgreSQL)."),
    ] = 1,
) -> None:
    """Run the Zoom-compatible live stream server (needs zoomlive[server])."""
    from zoomlive.cli.serve import run

    run(host, port, db, not no_demo, log_level, workers)


def _register() -> None:
    from zoomlive.cli.bulk import apply_cmd
    from zoomlive.cli.livestream import livestream, token_cmd

    livestream.command("apply")(apply_cmd)
    app.add_typer(livestream, name="livestream")
    app.command("token")(token_cmd)


_register()


def main() -> None:
    app()

"""``zoomlive serve``: run the emulator, and print how to call it."""

from __future__ import annotations

import shlex
from typing import Any

from rich.console import Console

_EXTRACT = shlex.quote('import json,sys; print(json.load(sys.stdin)["access_token"])')


def banner(rt: Any, base_url: str, console: Console) -> None:
    """What a newcomer needs: URLs, demo credentials, admin token, two curl lines.

    The server's own start is the one place secrets are printed: they are the
    emulator's demo credentials, and printing them is the point.
    """
    demo = rt.demo
    console.print(f"[bold]zoomlive[/bold] listening on {base_url}")
    console.print(f"  API base URL    {base_url}/v2")
    console.print(f"  OAuth token URL {base_url}/oauth/token")
    console.print(f"  Control API     {base_url}/_zoomlive  (docs: {base_url}/_zoomlive/docs)")
    console.print(f"  Admin token     {rt.admin_token}")
    console.print(f"  Database        {rt.settings.database_url}")
    if not demo:
        console.print("  (no demo data: --no-demo, or seeded elsewhere)")
        return
    console.print(f"  Demo account_id     {demo['account_id']}")
    console.print(f"  Demo client_id      {demo['client_id']}")
    console.print(f"  Demo client_secret  {demo['client_secret']}")
    creds = shlex.quote(f"{demo['client_id']}:{demo['client_secret']}")
    query = f"grant_type=account_credentials&account_id={demo['account_id']}"
    token_cmd = f"curl -s -X POST -u {creds} {shlex.quote(f'{base_url}/oauth/token?{query}')}"
    console.print("\nGet a token:", highlight=False)
    console.print(token_cmd, soft_wrap=True, highlight=False, markup=False)
    console.print("\nThe seed's PATCH with it (expects HTTP 204):", highlight=False)
    patch_cmd = (
        f"TOKEN=$({token_cmd} | python3 -c {_EXTRACT}) && "
        'curl -s -o /dev/null -w "%{http_code}\\n" -X PATCH '
        '-H "Authorization: Bearer $TOKEN" -H "Content-Type: multipart/form-data" '
        "--form 'stream_url=aute' --form 'stream_key=auteofficia' "
        "--form 'page_url=auteofficiahttps://IBrRnEbZoeJwPd.ixq+PqOQQZC-z42EWi' "
        f"{base_url}/v2/meetings/68423085/livestream"
    )
    console.print(patch_cmd, soft_wrap=True, highlight=False, markup=False)
    console.print("", highlight=False)


SQLITE_WORKERS = (
    "zoomlive: --workers > 1 needs PostgreSQL (--db postgresql://…): every process must "
    "read the others' writes, and a SQLite file is served by one process."
)


def run(
    host: str,
    port: int,
    db: str | None,
    demo: bool,
    log_level: str = "warning",
    workers: int = 1,
) -> None:
    from zoomlive.server import ServerSettings

    settings = ServerSettings.from_env(database_url=db, demo=None if demo else False)
    if workers > 1:
        if settings.is_sqlite:
            Console(stderr=True, soft_wrap=True).print(SQLITE_WORKERS, highlight=False)
            raise SystemExit(2)
        from zoomlive.cli.workers import supervise

        raise SystemExit(supervise(settings, host, port, log_level, workers))
    serve_settings(settings, host, port, log_level)


def serve_settings(
    settings: Any,
    host: str,
    port: int,
    log_level: str,
    fd: int | None = None,
    show_banner: bool = True,
) -> None:
    """One server process; on ``fd`` (a socket bound by the supervisor) if given."""
    import sys

    import uvicorn

    # Database drivers (aiosqlite) run in a helper thread; with CPython's default
    # 5 ms GIL switch interval that thread waits behind a busy event loop, and
    # every commit pays for it. 0.5 ms keeps group commits flowing.
    sys.setswitchinterval(0.0005)

    from zoomlive.server import create_app
    from zoomlive.server.protocol import uvicorn_options

    console = Console(soft_wrap=True)
    base_url = f"http://{host}:{port}"

    app = create_app(
        settings, on_start=(lambda rt: banner(rt, base_url, console)) if show_banner else None
    )
    where: dict[str, Any] = {"fd": fd} if fd is not None else {"host": host, "port": port}
    uvicorn.run(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        **where,
        **uvicorn_options(settings),
    )


def _worker(argv: list[str]) -> None:
    """One worker of ``--workers``: the server on the socket the supervisor bound
    (``cli.workers``); worker 0 prints the banner."""
    import os

    from zoomlive.cli.workers import WORKER_ENV
    from zoomlive.server import ServerSettings

    fd, host, port, log_level = int(argv[0]), argv[1], int(argv[2]), argv[3]
    index = int(os.environ.get(WORKER_ENV, "0"))
    serve_settings(ServerSettings.from_env(), host, port, log_level, fd=fd, show_banner=index == 0)


if __name__ == "__main__":
    import sys

    _worker(sys.argv[1:])

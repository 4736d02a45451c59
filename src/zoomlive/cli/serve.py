"""``zoomlive serve``: check what can be checked, bind, start, then say how to call it.

Every check that can fail runs before anything is printed, and each failure is one
line and an exit code (README, "Troubleshooting"): a bad port or database URL 2, a
port in use or a database that does not answer 1. The socket is bound here, before
the application starts, so the banner only ever names a port that is listening.
Plain ``print``: this runs in installs without the ``cli`` extra (no Rich).
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import logging
import os
import shlex
import socket
import sys
from pathlib import Path
from typing import Any

from zoomlive.cli.common import DEFAULT_URL, NEEDS_SERVER, CliError, env_lines, token_file

_EXTRACT = shlex.quote('import json,sys; print(json.load(sys.stdin)["access_token"])')
SCHEMES = "a file path, sqlite:///path, or postgresql://user@host:port/db"


def banner(rt: Any, base_url: str, out: Any = None) -> None:
    """What a newcomer needs: URLs, admin token, demo credentials as labels and as
    ``export`` lines, two curl lines, and how to stop.

    The server's own start is the one place secrets are printed: they are the
    emulator's demo credentials, and printing them is the point.
    """
    w = out or sys.stdout

    def say(line: str = "") -> None:
        print(line, file=w)

    demo = rt.demo
    say(f"zoomlive listening on {base_url}")
    say(f"  API base URL    {base_url}/v2")
    say(f"  OAuth token URL {base_url}/oauth/token")
    say(f"  Control API     {base_url}/_zoomlive  (docs: {base_url}/_zoomlive/docs)")
    say(f"  Admin token     {rt.admin_token}")
    say(f"  Database        {rt.settings.database_url}")
    say(f"  Media           {rt.media.description}")
    from zoomlive.server.ui.docs import MANUAL, manual_dir

    if manual_dir(rt.settings) is not None:
        say(f"  Manual          {base_url}{MANUAL}/  (this documentation, offline)")
    if not demo:
        say("  (no demo data: --no-demo, or seeded elsewhere)")
        say(f"\nexport ZOOMLIVE_ADMIN_TOKEN={shlex.quote(rt.admin_token)}")
        say("\nCtrl-C to stop")
        w.flush()
        return
    say(f"  Demo account_id     {demo['account_id']}")
    say(f"  Demo client_id      {demo['client_id']}")
    say(f"  Demo client_secret  {demo['client_secret']}")
    env_cmd = "zoomlive env" if base_url == DEFAULT_URL else f"zoomlive env --url {base_url}"
    say(f'\nFor a shell (or run: eval "$({env_cmd})"):')
    for line in env_lines(demo, base_url):
        say(line)
    say(f"export ZOOMLIVE_ADMIN_TOKEN={shlex.quote(rt.admin_token)}")
    creds = shlex.quote(f"{demo['client_id']}:{demo['client_secret']}")
    query = f"grant_type=account_credentials&account_id={demo['account_id']}"
    token_cmd = f"curl -s -X POST -u {creds} {shlex.quote(f'{base_url}/oauth/token?{query}')}"
    say("\nGet a token:")
    say(token_cmd)
    say("\nThe seed's PATCH with it (expects HTTP 204):")
    say(
        f"TOKEN=$({token_cmd} | python3 -c {_EXTRACT}) && "
        'curl -s -o /dev/null -w "%{http_code}\\n" -X PATCH '
        '-H "Authorization: Bearer $TOKEN" -H "Content-Type: multipart/form-data" '
        "--form 'stream_url=rtmp://live.example.com/aute' --form 'stream_key=auteofficia' "
        "--form 'page_url=auteofficiahttps://IBrRnEbZoeJwPd.ixq+PqOQQZC-z42EWi' "
        f"{base_url}/v2/meetings/68423085/livestream"
    )
    say("\nCtrl-C to stop")
    w.flush()


def check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise CliError(f"--port {port} is out of range: use 1 to 65535", 2)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or one line saying why not (with a free port to try)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            held = " and ".join(holders(port)[:3])
            by = f" by {held}" if held else ""
            raise CliError(
                f"port {port} is in use{by}; try --port {_free_after(host, port)}"
            ) from None
        if exc.errno == errno.EACCES:
            raise CliError(f"no permission to listen on port {port}; try --port 8040") from None
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def holders(port: int) -> list[str]:
    """The processes listening on TCP ``port``, as ``pid N (what)``, where the system
    shows them (Linux's /proc; none elsewhere, or where they are another user's).

    Only the process's name is shown, never its arguments (a ``--db`` URL may hold a
    password); a zoomlive process is named as such, so a worker left behind by a
    supervisor that was killed is recognisable."""
    proc = Path("/proc")
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # local address "HEX_IP:HEX_PORT", state 0A is LISTEN, then the inode.
            if len(fields) > 9 and fields[3] == "0A" and fields[1].endswith(f":{port:04X}"):
                inodes.add(f"socket:[{fields[9]}]")
    found: list[str] = []
    if not inodes:
        return found
    for pid_dir in sorted(proc.glob("[0-9]*"), key=lambda d: int(d.name)):
        try:
            if not any(os.readlink(fd) in inodes for fd in (pid_dir / "fd").iterdir()):
                continue
        except OSError:
            continue
        found.append(f"pid {pid_dir.name} ({_what(pid_dir)})")
    return found


def _what(pid_dir: Path) -> str:
    try:
        argv = (pid_dir / "cmdline").read_bytes().split(b"\0")
        name = (pid_dir / "comm").read_text().strip()
    except OSError:
        return "?"
    if b"zoomlive.cli.serve" in argv:
        return "a zoomlive --workers worker"
    # The script itself, or the interpreter running it, then the command.
    for script, command in itertools.pairwise(argv[:3]):
        if Path(script.decode(errors="replace")).name == "zoomlive" and command == b"serve":
            return "zoomlive serve"
    return name


def _free_after(host: str, port: int) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in range(port + 1, min(port + 100, 65535) + 1):
        with socket.socket(family, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, candidate))
            except OSError:
                continue
            return candidate
    return port + 1


def check_database(url: str) -> None:
    """A SQLite file's folder exists (never created behind the user's back); a
    PostgreSQL server answers and lets us in. Each failure is one line."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        raise CliError(f"not a database URL: {url!r}; use {SCHEMES}", 2) from None
    from zoomlive.server.storage.backend import backend_of

    if backend_of(url).sqlite:
        path = parsed.database or ""
        if path and path != ":memory:":
            folder = Path(path).expanduser().resolve().parent
            if not folder.is_dir():
                raise CliError(f"database folder {folder} does not exist; create it first", 2)
        return
    asyncio.run(_probe_postgres(parsed.set(drivername="postgresql")))


async def _probe_postgres(url: Any) -> None:
    import asyncpg

    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    try:
        conn = await asyncpg.connect(
            url.render_as_string(hide_password=False), timeout=5, command_timeout=5
        )
    except (OSError, TimeoutError) as exc:
        reason = (
            "connection refused"
            if isinstance(exc, ConnectionRefusedError) or "Connect call failed" in str(exc)
            else getattr(exc, "strerror", None) or type(exc).__name__
        )
        raise CliError(f"no PostgreSQL answers at {where} ({reason})", 2) from None
    except Exception as exc:  # asyncpg's own errors: bad password, unknown database, …
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CliError(f"PostgreSQL at {where} refused the connection: {first}", 2) from None
    await conn.close()


def check_seed(path: str) -> None:
    """The seed file is read and checked before anything starts (every problem, with
    its line)."""
    from zoomlive.server.seeding import SeedError, read_file

    try:
        read_file(path)
    except SeedError as exc:
        raise CliError("\n       ".join(exc.problems), 2) from None


class _OneLine(logging.Filter):
    """Without ``--debug``, a logged exception becomes its last line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            first = record.getMessage().strip().splitlines()[0]
            record.msg = f"{first}: {type(exc).__name__}: {exc}".replace("\n", " ")
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def access_line(row: tuple[Any, ...]) -> str:
    """method, path, status, Zoom code, ms, tracking id: a journal row, which holds
    no header, query or body, so never a secret."""
    _id, _at, method, path, status, code, _acct, _app, ms, _fault, tracking = row[:11]
    if method == "MEDIA":  # a stream's media state changed (its state and reason)
        return f"MEDIA {path} {row[11]} {row[12] or ''}".rstrip()
    return f"{method} {path} {status} {code if code is not None else '-'} {ms:.1f}ms {tracking}"


SQLITE_WORKERS = (
    "--workers > 1 needs PostgreSQL (--db postgresql://…): every process must read the "
    "others' writes, and a SQLite file is served by one process"
)


def run(
    host: str,
    port: int,
    db: str | None,
    demo: bool,
    log_level: str = "warning",
    *,
    access_log: bool = False,
    debug: bool = False,
    seed: str | None = None,
    workers: int = 1,
) -> int:
    """Serve until stopped; the exit status. With ``workers`` > 1 the socket bound here
    is shared by that many server processes (``cli.workers``)."""
    check_port(port)
    if workers < 1:
        raise CliError(f"--workers {workers}: at least 1", 2)
    try:
        import sqlalchemy  # noqa: F401  (the server extra: checked before anything runs)
        import uvicorn  # noqa: F401

        from zoomlive.server import ServerSettings
    except ModuleNotFoundError as exc:
        raise CliError(f"{NEEDS_SERVER} (missing module: {exc.name})", 2) from None
    try:
        settings = ServerSettings.from_env(
            database_url=db, demo=None if demo else False, seed_file=seed
        )
    except ValueError as exc:
        raise CliError(f"{exc}", 2) from None
    from zoomlive.server.storage.backend import backend_of

    if workers > 1 and not backend_of(settings.database_url).many_processes:
        raise CliError(SQLITE_WORKERS, 2)
    if settings.seed_file:
        check_seed(settings.seed_file)
    check_database(settings.database_url)
    sock = bind(host, port)
    if workers > 1:
        from zoomlive.cli.workers import supervise

        try:
            return supervise(settings, sock, host, port, log_level, workers, access_log, debug)
        finally:
            sock.close()
    return serve_on(settings, sock, host, port, log_level, access_log=access_log, debug=debug)


def serve_on(
    settings: Any,
    sock: socket.socket,
    host: str,
    port: int,
    log_level: str,
    *,
    access_log: bool = False,
    debug: bool = False,
    show_banner: bool = True,
) -> int:
    """One server process on a bound socket (its own, or one a supervisor shares)."""
    try:
        import uvicorn

        from zoomlive.server import create_app
        from zoomlive.server.protocol import uvicorn_options
    except ModuleNotFoundError as exc:
        raise CliError(f"{NEEDS_SERVER} (missing module: {exc.name})", 2) from None

    # Database drivers (aiosqlite) run in a helper thread; with CPython's default
    # 5 ms GIL switch interval that thread waits behind a busy event loop, and
    # every commit pays for it. 0.5 ms keeps group commits flowing.
    sys.setswitchinterval(0.0005)
    shown = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown}:{port}"
    if not debug:
        for name in ("uvicorn.error", "zoomlive", "zoomlive.server"):
            logging.getLogger(name).addFilter(_OneLine())
    tokens = token_file(port)

    def started(rt: Any) -> None:
        if access_log:
            rt.journal.on_add = lambda row: print(access_line(row), flush=True)
        if not show_banner:
            return
        try:
            tokens.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tokens.touch(mode=0o600)
            tokens.write_text(rt.admin_token)
        except OSError:
            pass  # `zoomlive env` then needs --admin-token
        banner(rt, base_url)

    app = create_app(settings, on_start=started)
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        **uvicorn_options(settings),
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if show_banner:
            tokens.unlink(missing_ok=True)
    if not server.started:
        print("error: the server did not start (see above; --debug shows more)", file=sys.stderr)
        return 1
    return 0


def _worker(argv: list[str]) -> int:
    """One worker of ``--workers``: the server on the socket the supervisor bound and
    passed down (``cli.workers``); worker 0 prints the banner."""
    import os

    from zoomlive.cli.workers import SUPERVISOR_FD_ENV, WORKER_ENV
    from zoomlive.server import ServerSettings

    fd, host, port, log_level, flags = int(argv[0]), argv[1], int(argv[2]), argv[3], argv[4:]
    sock = socket.socket(fileno=fd)
    index = int(os.environ.get(WORKER_ENV, "0"))
    supervisor = os.environ.get(SUPERVISOR_FD_ENV)
    if supervisor is not None:
        _die_with_supervisor(int(supervisor))
    return serve_on(
        ServerSettings.from_env(), sock, host, port, log_level,
        access_log="--access-log" in flags, debug="--debug" in flags, show_banner=index == 0,
    )  # fmt: skip


#: How long a worker whose supervisor is gone may take to stop gracefully (answers in
#: flight, the database closed) before it exits anyway.
ORPHAN_GRACE = 1.0


def _die_with_supervisor(fd: int) -> None:
    """Stop when the supervisor's end of the pipe ``fd`` closes: the supervisor ended,
    however (a SIGKILL gives it no chance to stop its workers). A worker left alone
    would keep serving the port, unsupervised, and hold it against a new supervisor.

    The kernel closes the pipe with the process, so this needs no polling and works
    wherever pipes do. SIGTERM is the graceful stop uvicorn handles; past
    ``ORPHAN_GRACE`` the worker exits anyway (committed writes are durable)."""
    import signal
    import threading
    import time

    def watch() -> None:
        try:
            while os.read(fd, 1):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(ORPHAN_GRACE)
        os._exit(1)

    threading.Thread(target=watch, name="zoomlive-supervisor-watch", daemon=True).start()


if __name__ == "__main__":
    raise SystemExit(_worker(sys.argv[1:]))

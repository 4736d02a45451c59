"""The CLI when the ``cli`` extra (Typer, Rich) is missing: ``serve`` (with the
``server`` extra), ``env``, ``--version`` and ``--help`` still work, and the other
commands say which extra to install (exit 2) instead of a traceback."""

from __future__ import annotations

import argparse

from zoomlive.cli.common import (
    DEFAULT_URL,
    ENV_HELP,
    ENV_SUMMARY,
    NEEDS_CLI,
    SERVE_HELP,
    SERVE_SUMMARY,
    CliError,
    die,
    env_command,
    version,
)
from zoomlive.wire.dist import install_hint

FULL_ONLY = ("livestream", "token", "meetings", "webinars", "openapi")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="zoomlive",
        description="Zoom live streams: an offline Zoom-compatible server, and a client "
        "for real Zoom. (This install lacks the cli extra, which the other commands "
        f"need: {install_hint('cli')}.)",
    )
    p.add_argument("--version", action="version", version=f"zoomlive {version()}")
    p.add_argument("--debug", action="store_true", help="Show tracebacks on errors.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    s = sub.add_parser("serve", help=SERVE_SUMMARY, description=SERVE_SUMMARY)
    s.add_argument("--host", default="127.0.0.1", help=SERVE_HELP["host"])
    s.add_argument("--port", type=int, default=8040, help=SERVE_HELP["port"])
    s.add_argument("--db", default=None, help=SERVE_HELP["db"])
    s.add_argument("--no-demo", action="store_true", help=SERVE_HELP["no_demo"])
    s.add_argument("--log-level", default="warning", help=SERVE_HELP["log_level"],
                   choices=["critical", "error", "warning", "info", "debug"])  # fmt: skip
    s.add_argument("--access-log", action="store_true", help=SERVE_HELP["access_log"])
    s.add_argument("--seed", default=None, help=SERVE_HELP["seed"])
    s.add_argument("--debug", action="store_true", dest="serve_debug", help=SERVE_HELP["debug"])
    s.add_argument("--workers", type=int, default=1, help=SERVE_HELP["workers"])
    e = sub.add_parser("env", help=ENV_SUMMARY, description=ENV_SUMMARY)
    e.add_argument("--url", default=DEFAULT_URL, help=ENV_HELP["url"])
    e.add_argument("--admin-token", default=None, help=ENV_HELP["admin_token"])
    for name in FULL_ONLY:
        sub.add_parser(name, help=f"(needs zoomlive[cli]) {name} commands", add_help=False)
    return p


def main(argv: list[str]) -> int:
    if argv and argv[0] in FULL_ONLY:
        return die(f"zoomlive {argv[0]}: {NEEDS_CLI}", 2)
    p = parser()
    args = p.parse_args(argv)
    try:
        if args.command == "serve":
            from zoomlive.cli.serve import run

            return run(
                args.host, args.port, args.db, not args.no_demo, args.log_level,
                access_log=args.access_log, debug=args.debug or args.serve_debug, seed=args.seed,
                workers=args.workers,
            )  # fmt: skip
        if args.command == "env":
            print(env_command(args.url, args.admin_token))
            return 0
    except CliError as exc:
        return die(exc.message, exc.code)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        return die(f"{type(exc).__name__}: {exc} (zoomlive --debug … shows the traceback)", 1)
    p.print_help()
    return 0

"""``zoomlive`` and ``python -m zoomlive``: the full CLI when the ``cli`` extra is
installed, otherwise a small one that still serves, prints credentials and the
version, and names the extra a command needs (README, "The Python client and CLI").
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # answered before Typer and Rich are imported
        from zoomlive.cli.common import version

        print(f"zoomlive {version()}")
        return
    try:
        import rich  # noqa: F401
        import typer  # noqa: F401
    except ModuleNotFoundError:
        from zoomlive.cli.bare import main as bare

        sys.exit(bare(args))
    from zoomlive.cli.app import main as full

    full(argv)


if __name__ == "__main__":
    main()

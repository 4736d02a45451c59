"""`zoomlive serve` with the live stream fast path taken out: every request goes
through the front door and then Litestar's routing and handlers.

Benchmark-only: it replaces ``fast_path`` in ``zoomlive.server.app`` with a pass-through
before the app is built, so the six live stream routes are served by their Litestar
handlers (the same endpoint code). Everything else is `zoomlive serve` unchanged.

    .venv/bin/python bench/serve_litestar_only.py PORT DB
"""

from __future__ import annotations

import sys
from typing import Any

import zoomlive.server.app as app_module
from zoomlive.cli.serve import run


def _no_fast_path(rt: Any, endpoints: Any, app: Any, *args: Any, **kwargs: Any) -> Any:
    return app


def main() -> None:
    port, db = int(sys.argv[1]), sys.argv[2]
    app_module.fast_path = _no_fast_path  # type: ignore[assignment]
    run("127.0.0.1", port, db, demo=True)


if __name__ == "__main__":
    main()

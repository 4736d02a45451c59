"""The command groups' help lists each command's whole summary.

Click shortens a command's first paragraph to what fits beside its name on one line
and ends it with ``...``, so ``zoomlive --help`` cut "(needs zoomlive[server])" off
``serve``. Every summary here is one sentence, so the list shows it all, wrapped.
"""

from __future__ import annotations

import sys
from typing import Any

from typer.core import TyperGroup


class FullSummaries(TyperGroup):
    """A Typer group whose ``--help`` never shortens a command's summary."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(sys.maxsize)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

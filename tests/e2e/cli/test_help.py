"""Help as a user reads it: ``zoomlive --help`` and each group's list every command's
whole summary, and the bare CLI an install without the cli extra runs documents and
accepts the same ``serve`` options, with the same text, as the full one."""

from __future__ import annotations

import argparse
import os
import subprocess
from typing import Any

import pytest
import typer

from tests.support import ZOOMLIVE
from zoomlive.cli import bare
from zoomlive.cli.app import app
from zoomlive.cli.serve import SQLITE_WORKERS


def _words(text: str) -> str:
    return " ".join(text.split())


def _commands() -> Any:
    return typer.main.get_command(app)


@pytest.mark.parametrize("group", [[], ["livestream"], ["meetings"]])
def test_help_lists_each_command_s_whole_summary(group: list[str]) -> None:
    env = {**os.environ, "COLUMNS": "80"}
    r = subprocess.run([ZOOMLIVE, *group, "--help"], capture_output=True, text=True, env=env,
                       timeout=60, check=True)  # fmt: skip
    listed = r.stdout.split("Commands:", 1)[1]
    assert "..." not in listed, listed
    cmd = _commands()
    for name in group:
        cmd = cmd.commands[name]
    for name, sub in cmd.commands.items():
        summary = _words(sub.help.split("\n\n")[0])
        assert f"{name} {summary}" in _words(listed), (name, listed)


def _bare_serve() -> argparse.ArgumentParser:
    sub = next(a for a in bare.parser()._actions if isinstance(a, argparse._SubParsersAction))
    serve: argparse.ArgumentParser = sub.choices["serve"]
    return serve


def test_bare_serve_has_the_full_serve_s_options_and_their_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        bare.main(["serve", "--help"])
    assert done.value.code == 0
    shown = _words(capsys.readouterr().out)
    ours = {opt: a for a in _bare_serve()._actions for opt in a.option_strings}
    full = _commands().commands["serve"]
    assert _words(full.help) in shown
    for param in full.params:
        for opt in param.opts:
            assert opt in ours, f"the bare serve lacks {opt}"
            assert ours[opt].help == param.help, opt
            assert _words(param.help) in shown, opt


def test_bare_serve_takes_workers(capsys: pytest.CaptureFixture[str]) -> None:
    # Refused for SQLite by the serve command itself: the option reached it.
    code = bare.main(["serve", "--workers", "2", "--db", "sqlite:///never-made.db"])
    assert code == 2
    err = capsys.readouterr().err
    assert SQLITE_WORKERS in err and "unrecognized" not in err, err

"""MkDocs hook: the reference pages' tables, generated at build time from the code.

A page holds a marker line, ``<!-- generated: settings -->``, ``<!-- generated: cli -->``,
``<!-- generated: zoom_api -->`` or ``<!-- generated: control_api -->``, and the build
replaces it with a table read from what the program itself uses: the frozen
``ServerSettings`` dataclass (each field's name, its ``ZOOMLIVE_*`` variable as
``ServerSettings.from_env`` reads it, its default, and its ``#:`` comment), the Typer
app behind ``zoomlive`` (every command's help, usage, arguments and options), or the
OpenAPI document the server serves (``openapi_document``, what ``zoomlive openapi``
prints: every operation's id, method, path, summary and statuses).
So a setting, an option or a route is described in one place, the code, and never
typed twice.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import html
import inspect
import re
from typing import Any

MARKER = re.compile(r"^<!-- generated: (\w+) -->$", re.M)


def on_page_markdown(markdown: str, **_: Any) -> str:
    return MARKER.sub(lambda m: GENERATORS[m.group(1)](), markdown)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("``", "`").replace("|", "\\|")


def _field_comments(cls: type) -> dict[str, str]:
    """Each field's ``#:`` comment lines, joined (Sphinx's attribute-doc convention)."""
    source = inspect.getsource(cls)
    lines = source.splitlines()
    out: dict[str, str] = {}
    for node in ast.parse(source).body[0].body:  # type: ignore[attr-defined]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            doc: list[str] = []
            i = node.lineno - 2
            while i >= 0 and lines[i].strip().startswith("#:"):
                doc.insert(0, lines[i].strip()[2:].strip())
                i -= 1
            out[node.target.id] = " ".join(doc)
    return out


def _variables(cls: Any) -> dict[str, str]:
    """Which ``ZOOMLIVE_*`` variable sets which field: each name ``from_env`` mentions,
    given alone, and the field it changes."""
    source = inspect.getsource(cls.from_env)
    base = cls.from_env({})
    out: dict[str, str] = {}
    for name in dict.fromkeys(re.findall(r'"(ZOOMLIVE_\w+)"', source)):
        for probe in ("off", "3"):
            try:
                got = cls.from_env({name: probe})
            except ValueError:
                continue
            changed = [
                f.name
                for f in dataclasses.fields(cls)
                if getattr(got, f.name) != getattr(base, f.name)
            ]
            if changed:
                out[changed[0]] = name
                break
    return out


def settings_table() -> str:
    from zoomlive.server.settings import ServerSettings

    comments = _field_comments(ServerSettings)
    variables = _variables(ServerSettings)
    defaults = ServerSettings()
    rows = ["| setting | environment variable | default | meaning |", "|---|---|---|---|"]
    for f in dataclasses.fields(ServerSettings):
        default = getattr(defaults, f.name)
        shown = "(empty)" if default == "" else "none" if default is None else repr(default)
        variable = (
            f"`{variables[f.name]}`" if f.name in variables else "(not an environment variable)"
        )
        rows.append(
            f"| `{f.name}` | {variable} | `{_cell(shown)}` | {_cell(comments.get(f.name, ''))} |"
        )
    return "\n".join(rows) + "\n"


def cli_reference() -> str:
    import typer

    from zoomlive.cli.app import app

    root = typer.main.get_command(app)
    parts: list[str] = []

    # Typer 0.28 carries its own copy of Click, so the objects are read by duck typing.
    context = root.context_class

    def walk(cmd: Any, ctx: Any, path: str) -> None:
        if cmd.hidden:
            return
        parts.append(f"## `{path}`\n")
        if cmd.help:
            parts.append(inspect.cleandoc(cmd.help) + "\n")
        parts.append(f"```text\n{cmd.get_usage(ctx).strip()}\n```\n")
        params = [p for p in cmd.get_params(ctx) if not getattr(p, "hidden", False)]
        if params:
            parts.append("| argument or option | meaning | default |\n|---|---|---|")
            for p in params:
                names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
                if p.param_type_name == "argument":
                    names = f"`{p.human_readable_name}`"
                meaning = getattr(p, "help", None) or ""
                if getattr(p.type, "choices", None):
                    meaning += f" One of: {', '.join(f'`{c}`' for c in p.type.choices)}."
                default = p.default
                shown = "" if default in (None, False, ()) or callable(default) else f"`{default}`"
                if p.required:
                    shown = "required"
                parts.append(f"| {names} | {_cell(meaning)} | {_cell(shown)} |")
            parts.append("")
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None:
                    walk(sub, context(sub, info_name=name, parent=ctx), f"{path} {name}")

    walk(root, context(root, info_name="zoomlive", **root.context_settings), "zoomlive")
    return "\n".join(parts)


#: The control API's routes; every other path is Zoom's (``/v2``, ``/oauth``).
CONTROL_PREFIX = "/_zoomlive/"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def _served_document() -> dict[str, Any]:
    from zoomlive.server.app import openapi_document

    return openapi_document()


def _operations_table(control: bool) -> str:
    """Each operation of one API, grouped by its tag in the served document's order."""
    groups: dict[str, list[str]] = {}
    for path, item in _served_document()["paths"].items():
        if path.startswith(CONTROL_PREFIX) != control:
            continue
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            statuses = ", ".join(
                f'<span title="{html.escape(_cell(r.get("description", "")))}">`{code}`</span>'
                for code, r in op["responses"].items()
            )
            tag = (op.get("tags") or ["Other"])[0]
            groups.setdefault(tag, []).append(
                f"| `{op.get('operationId', '')}` | `{method.upper()}` | `{path}` "
                f"| {_cell(op.get('summary', ''))} | {statuses} |"
            )
    if not groups:
        raise RuntimeError("the served OpenAPI document has no operations for this page")
    parts: list[str] = []
    for tag, rows in groups.items():
        parts += [f"## {tag}\n", "| operation | method | path | summary | statuses |",
                  "|---|---|---|---|---|", *rows, ""]  # fmt: skip
    return "\n".join(parts)


def zoom_api() -> str:
    return _operations_table(control=False)


def control_api() -> str:
    return _operations_table(control=True)


GENERATORS = {
    "settings": settings_table,
    "cli": cli_reference,
    "zoom_api": zoom_api,
    "control_api": control_api,
}

"""``zoomlive livestream apply FILE``: many live streams from CSV or YAML rows.

Reading the file is strict and speaks of lines and columns (a bad file is exit 2
before anything is sent). The credentials are tried once before the first row, so a
wrong secret or a server that is down is one message, not one per row (README, "The
Python client and CLI").
"""

from __future__ import annotations

import asyncio
import csv
import json
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zoomlive.cli.common import CliError, LazyConsole, bad_id
from zoomlive.cli.livestream import cli_retry, client_settings, describe

# Imported when the command runs, not when `zoomlive serve` starts.
if TYPE_CHECKING:
    from zoomlive.client.bulk import Row, RowResult

out = LazyConsole(soft_wrap=True, highlight=False)
err = LazyConsole(stderr=True, soft_wrap=True, highlight=False)

COLUMNS = ("id", "kind", "stream_url", "stream_key", "page_url", "resolution")
REQUIRED = ("id", "stream_url", "stream_key", "page_url")
KINDS = ("meeting", "webinar")


class Plan(StrEnum):
    free = "free"
    pro = "pro"
    business = "business"


class RowsError(ValueError):
    """A rows file that cannot be read: one line, with the file's line number."""


def read_rows(path: Path) -> tuple[list[Row], list[int]]:
    """Rows from a CSV file with a header, or a YAML list of mappings, and the line
    each row starts on."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RowsError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise RowsError(f"{path}: cannot read it ({exc.strerror})") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        items = _yaml_items(path, text)
    else:
        items = _csv_items(path, text)
    if not items:
        raise RowsError(f"{path}: no rows (expected {', '.join(COLUMNS)})")
    rows = [_row(path, line, item) for line, item in items]
    return rows, [line for line, _ in items]


def _csv_items(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(text.splitlines())
    items: list[tuple[int, dict[str, Any]]] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        if not any(header):
            return []
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise RowsError(
                f"{path}: line 1: the header lacks column {', '.join(missing)} "
                f"(columns: {', '.join(COLUMNS)})"
            )
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header):
                raise RowsError(
                    f"{path}: line {line}: {len(values)} values for {len(header)} columns"
                )
            items.append((line, dict(zip(header, values, strict=False))))
    except csv.Error as exc:
        raise RowsError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
    return items


def _yaml_items(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise RowsError(f"{path}: {where}{problem}") from None
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise RowsError(f"{path}: line 1: expected a list of rows (- id: …)")
    items = []
    for item, child in zip(data, node.value, strict=True):
        line = child.start_mark.line + 1
        if not isinstance(item, dict):
            raise RowsError(f"{path}: line {line}: a row is a mapping of column: value")
        items.append((line, item))
    return items


def _row(path: Path, line: int, item: dict[str, Any]) -> Row:
    from zoomlive.client.bulk import Row
    from zoomlive.wire.ids import parse_id
    from zoomlive.wire.paths import Kind

    where = f"{path}: line {line}"
    clean = {str(k).strip(): v for k, v in item.items() if v not in ("", None)}
    for name in REQUIRED:
        if name not in clean:
            raise RowsError(f"{where}: column {name} is empty")
    raw_id = str(clean["id"]).strip()
    kind = str(clean.get("kind", "meeting")).strip()
    if kind not in KINDS:
        raise RowsError(f"{where}, column kind: {kind!r} is not one of {', '.join(KINDS)}")
    oid = parse_id(raw_id)
    if oid is None:
        raise RowsError(f"{where}, column id: {bad_id(raw_id, kind)}")
    texts = {}
    for name in ("stream_url", "stream_key", "page_url", "resolution"):
        if name in clean:
            value = clean[name]
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise RowsError(f"{where}, column {name}: expected text")
            texts[name] = str(value).strip() if name != "stream_key" else str(value)
    return Row(
        id=oid,
        kind=Kind(kind),
        stream_url=texts["stream_url"],
        stream_key=texts["stream_key"],
        page_url=texts["page_url"],
        resolution=texts.get("resolution"),
    )


def apply_cmd(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV (with a header) or YAML rows.")
    ],
    dry_run: Annotated[
        bool, typer.Option(help="Check every row and show what would change; send no PATCH.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    plan: Annotated[Plan, typer.Option(help="Plan whose per-second limit to stay under.")] = (
        Plan.pro
    ),
    rate: Annotated[
        int | None, typer.Option(min=1, help="Requests per second (overrides --plan).")
    ] = None,
    no_limit: Annotated[bool, typer.Option("--no-limit", help="No client-side limit.")] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=256)] = 16,
    show_secrets: Annotated[bool, typer.Option(help="Print stream keys in diffs.")] = False,
    base_url: Annotated[str | None, typer.Option(help="API base URL.")] = None,
    oauth_url: Annotated[str | None, typer.Option(help="Token URL.")] = None,
) -> None:
    """Apply rows (id, kind, stream_url, stream_key, page_url, resolution).

    Rows already in the desired state are skipped. Exit 1 when any row failed, 2 for
    a bad file, 3 when the server does not answer.
    """
    import msgspec

    from zoomlive.client import AsyncClient, Client, ZoomError
    from zoomlive.client.auth import MemoryTokenStore
    from zoomlive.client.bulk import redact

    try:
        rows, lines = read_rows(file)
    except RowsError as exc:
        raise CliError(str(exc), 2) from None
    settings = client_settings(base_url, oauth_url)
    limit: int | str | None = None if no_limit else (rate or plan.value)
    store = MemoryTokenStore()
    try:
        client = AsyncClient(
            settings=settings, rate_limit=limit, retry=cli_retry(), token_store=store
        )
        first = Client(settings=settings, retry=cli_retry(), token_store=store)
    except ValueError as exc:
        raise CliError(str(exc), 2) from None
    if settings.access_token is None:  # one token request, shared with the run
        with first:
            try:
                first.fetch_token()
            except (ZoomError, ValueError) as exc:
                raise describe(exc, settings.oauth_url) from None

    started = time.monotonic()
    results = asyncio.run(_run(client, rows, dry_run, concurrency, as_json))
    elapsed = time.monotonic() - started
    shown = results if show_secrets else [redact(r) for r in results]
    counts = {k: sum(1 for r in results if r.outcome == k)
              for k in ("updated", "unchanged", "would-update", "failed", "not-run")}  # fmt: skip
    if as_json:
        report = {"rows": len(results), "seconds": round(elapsed, 3), "counts": counts,
                  "results": [{"line": n, **msgspec.to_builtins(r)}
                              for n, r in zip(lines, shown, strict=True)]}  # fmt: skip
        out.print(json.dumps(report), markup=False, crop=False, overflow="ignore")
    else:
        _table(shown, lines, counts, elapsed)
    stop = next((r for r in results if r.status == 401 or r.no_answer), None)
    if counts["not-run"] and stop is not None:
        reason = stop.error or ""
        if stop.no_answer:
            raise CliError(f"stopped: {reason}; {counts['not-run']} rows not run", 3)
        raise CliError(f"stopped: {reason}; {counts['not-run']} rows not run", 1)
    if counts["failed"]:
        raise typer.Exit(1)


async def _run(
    client: Any, rows: list[Row], dry_run: bool, concurrency: int, quiet: bool
) -> list[RowResult]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from zoomlive.client.bulk import apply_rows

    progress = Progress(
        TextColumn("[bold]apply"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err.console, transient=True, disable=quiet or not err.is_terminal,
    )  # fmt: skip
    async with client:
        with progress:
            task = progress.add_task("apply", total=len(rows))
            return await apply_rows(
                client, rows, dry_run=dry_run, concurrency=concurrency,
                on_result=lambda _: progress.advance(task),
            )  # fmt: skip


def _table(
    results: list[RowResult], lines: list[int], counts: dict[str, int], elapsed: float
) -> None:
    from rich.table import Table

    wide = not out.is_terminal  # a pipe or a file gets every character
    changed = [(n, r) for n, r in zip(lines, results, strict=True) if r.outcome != "unchanged"]
    if changed:
        table = Table(title="Rows that changed, would change or failed")
        for col in ("line", "kind", "id", "outcome", "details"):
            table.add_column(col, overflow="fold", no_wrap=wide)
        for n, r in changed:
            details = r.error or ", ".join(f"{c.field}: {c.old!r} → {c.new!r}" for c in r.changes)
            table.add_row(str(n), r.kind.value, str(r.id), r.outcome, details)
        _print(table, wide)
    summary = Table(title=f"Summary ({len(results)} rows, {elapsed:.1f} s)")
    for key in counts:
        summary.add_column(key, justify="right")
    summary.add_row(*(str(v) for v in counts.values()))
    _print(summary, wide)


def _print(table: Any, wide: bool) -> None:
    if wide:
        from rich.console import Console
        from rich.measure import Measurement

        console = out.console
        wide_options = console.options.update_width(100_000)
        width = max(Measurement.get(console, wide_options, table).maximum, 80)
        Console(file=console.file, width=width, highlight=False, soft_wrap=True).print(table)
    else:
        out.print(table)

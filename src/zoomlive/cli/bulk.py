"""``zoomlive livestream apply FILE``: many live streams from CSV or YAML rows."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

# Imported when the command runs, not when `zoomlive serve` starts.
if TYPE_CHECKING:
    from zoomlive.client.bulk import Row, RowResult

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def read_rows(path: Path) -> list[Row]:
    """Rows from a CSV file with a header, or a YAML list of mappings."""
    import msgspec
    import yaml

    from zoomlive.client.bulk import Row

    text = path.read_text(encoding="utf-8")
    raw: Any
    if path.suffix.lower() in (".yaml", ".yml"):
        raw = yaml.safe_load(text) or []
    else:
        raw = list(csv.DictReader(text.splitlines()))
    if not isinstance(raw, list):
        raise ValueError("the file must hold a list of rows")
    rows = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"row {n}: not a mapping")
        clean = {
            k.strip(): v for k, v in item.items() if isinstance(k, str) and v not in ("", None)
        }
        clean.setdefault("kind", "meeting")
        try:
            rows.append(msgspec.convert(clean, Row, strict=False))
        except msgspec.ValidationError as exc:
            raise ValueError(f"row {n}: {exc}") from None
    return rows


def apply_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or YAML rows.")],
    dry_run: Annotated[bool, typer.Option(help="Show what would change; send no PATCH.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    plan: Annotated[str, typer.Option(help="Plan whose limit to stay under.")] = "pro",
    rate: Annotated[
        int | None, typer.Option(help="Requests per second (overrides --plan).")
    ] = None,
    no_limit: Annotated[bool, typer.Option("--no-limit", help="No client-side limit.")] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=256)] = 16,
    show_secrets: Annotated[bool, typer.Option(help="Print stream keys in diffs.")] = False,
    base_url: Annotated[str | None, typer.Option(help="API base URL.")] = None,
    oauth_url: Annotated[str | None, typer.Option(help="Token URL.")] = None,
) -> None:
    """Apply rows (id, kind, stream_url, stream_key, page_url, resolution).

    Rows already in the desired state are skipped. Exit 1 when any row failed.
    """
    import msgspec
    import yaml
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from zoomlive.client import AsyncClient
    from zoomlive.client.bulk import apply_rows, redact
    from zoomlive.client.config import ClientSettings

    try:
        rows = read_rows(file)
    except (ValueError, yaml.YAMLError, UnicodeDecodeError) as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from None
    settings = ClientSettings.from_env(base_url=base_url, oauth_url=oauth_url)
    limit: int | str | None = None if no_limit else (rate or plan)
    try:
        client = AsyncClient(settings=settings, rate_limit=limit)
    except ValueError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from None

    started = time.monotonic()
    progress = Progress(
        TextColumn("[bold]apply"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=as_json or not err.is_terminal,
    )  # fmt: skip

    async def run() -> list[RowResult]:
        async with client:
            with progress:
                task = progress.add_task("apply", total=len(rows))
                return await apply_rows(
                    client, rows, dry_run=dry_run, concurrency=concurrency,
                    on_result=lambda _: progress.advance(task),
                )  # fmt: skip

    results = asyncio.run(run())
    elapsed = time.monotonic() - started
    shown = results if show_secrets else [redact(r) for r in results]
    counts = {k: sum(1 for r in results if r.outcome == k)
              for k in ("updated", "unchanged", "would-update", "failed")}  # fmt: skip
    if as_json:
        report = {"rows": len(results), "seconds": round(elapsed, 3), "counts": counts,
                  "results": msgspec.to_builtins(shown)}  # fmt: skip
        out.print(json.dumps(report), markup=False)
    else:
        _table(shown, counts, elapsed)
    if counts["failed"]:
        raise typer.Exit(1)


def _table(results: list[RowResult], counts: dict[str, int], elapsed: float) -> None:
    from rich.table import Table

    changed = [r for r in results if r.outcome != "unchanged"]
    if changed:
        table = Table(title="Rows that changed, would change or failed")
        for col in ("kind", "id", "outcome", "details"):
            table.add_column(col)
        for r in changed:
            details = r.error or ", ".join(f"{c.field}: {c.old!r} → {c.new!r}" for c in r.changes)
            table.add_row(r.kind.value, str(r.id), r.outcome, details)
        out.print(table)
    summary = Table(title=f"Summary ({len(results)} rows, {elapsed:.1f} s)")
    for key in counts:
        summary.add_column(key, justify="right")
    summary.add_row(*(str(v) for v in counts.values()))
    out.print(summary)

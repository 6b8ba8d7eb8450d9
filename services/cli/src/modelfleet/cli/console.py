"""Shared terminal output: one rich console, tables and error exits for every command."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error (no traceback) and exit non-zero."""
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A readable table; ``None`` shows as an em dash, floats with 4 decimals."""
    out = Table(title=title, header_style="bold cyan")
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*(_cell(v) for v in row))
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)

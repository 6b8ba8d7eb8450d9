"""``modelfleet datasets add | search | show``: the dataset catalog, straight on the database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.text import Text

from modelfleet.cli.console import console, fail, table
from modelfleet.common.errors import ModelfleetError

if TYPE_CHECKING:
    from modelfleet.trainer.facade import DatasetOut

app = typer.Typer(help="Register and find dataset files (MODELFLEET_DATABASE_URL).")


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Unique catalog name"),
    location: Path = typer.Argument(..., help="CSV or parquet file"),
    owner: str | None = typer.Option(None, help="Who answers questions about it"),
    description: str | None = typer.Option(None, help="What it holds"),
    target: str | None = typer.Option(None, help="Label column (checked)"),
    tag: list[str] = typer.Option([], "--tag", help="key:value (repeat)"),
) -> None:
    """Register a file; rows, columns, size and digest are read from it."""
    from modelfleet.trainer import facade

    try:
        meta = facade.DatasetMeta(
            name=name,
            location=str(location),
            owner=owner,
            description=description,
            target=target,
            tags=dict(facade.parse_tag(item) for item in tag),
        )
    except ModelfleetError as exc:  # a tag that is not key:value
        fail(exc.detail)
    except ValueError as exc:  # pydantic validation of the entry (e.g. the name)
        fail(str(exc).replace("\n", " "))
    try:
        entry = facade.register_dataset(meta)
    except ModelfleetError as exc:
        fail(exc.detail)
    _show(entry)


@app.command("search")
def search(
    q: str | None = typer.Argument(None, help="Text in name, description, location or tags"),
    tag: list[str] = typer.Option([], "--tag", help="key:value filter (repeat)"),
) -> None:
    """List matching datasets, newest first."""
    from modelfleet.trainer import facade

    try:
        found = facade.search_datasets(q, tag)
    except ModelfleetError as exc:
        fail(exc.detail)
    console.print(
        table(
            f"{len(found)} dataset(s)",
            ["name", "rows", "columns", "target", "tags", "owner", "location"],
            [
                (
                    d.name,
                    d.rows,
                    len(d.columns),
                    d.target,
                    ", ".join(f"{k}:{v}" for k, v in d.tags.items()),
                    d.owner,
                    d.location,
                )
                for d in found
            ],
        )
    )


@app.command("show")
def show(name: str = typer.Argument(..., help="Catalog name")) -> None:
    """Every fact of one dataset."""
    from modelfleet.trainer import facade

    try:
        entry = facade.get_dataset(name)
    except ModelfleetError as exc:
        fail(exc.detail)
    _show(entry)


def _show(entry: DatasetOut) -> None:
    """One ``field value`` line each, never wrapped: paths and digests stay copyable whole."""
    console.print(Text(entry.name, style="bold cyan"))
    for field, value in [
        ("location", entry.location),
        ("owner", entry.owner),
        ("description", entry.description),
        ("target", entry.target),
        ("tags", ", ".join(f"{k}:{v}" for k, v in entry.tags.items()) or None),
        ("rows", f"{entry.rows:,}"),
        ("columns", ", ".join(entry.columns)),
        ("size", f"{entry.size_bytes:,} bytes"),
        ("sha256", entry.digest),
        ("created", entry.created_at.isoformat(timespec="seconds")),
    ]:
        line = Text.assemble((f"  {field:<12}", "cyan"), "—" if value is None else str(value))
        console.print(line, soft_wrap=True)

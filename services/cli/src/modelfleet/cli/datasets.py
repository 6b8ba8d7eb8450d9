"""``modelfleet datasets add | search | show``: the dataset catalog, straight on the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from modelfleet.cli.console import console, fail, table
from modelfleet.common.db.engine import make_engine, make_session_factory, session_scope
from modelfleet.common.errors import ModelfleetError
from modelfleet.common.settings import DatabaseSettings
from modelfleet.trainer import catalog

app = typer.Typer(help="Register and find dataset files (MODELFLEET_DATABASE_URL).")


@contextmanager
def _session() -> Iterator[Session]:
    engine = make_engine(DatabaseSettings().resolved_database_url())
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    except ModelfleetError as exc:
        fail(exc.detail)
    except SQLAlchemyError as exc:
        fail(f"catalog unavailable ({str(exc).splitlines()[0]}); run modelfleet db upgrade")
    finally:
        engine.dispose()


def _tags(items: list[str]) -> dict[str, str]:
    try:
        return dict(catalog.parse_tag(item) for item in items)
    except ModelfleetError as exc:
        fail(exc.detail)


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
    try:
        meta = catalog.DatasetMeta(
            name=name,
            location=str(location),
            owner=owner,
            description=description,
            target=target,
            tags=_tags(tag),
        )
    except ValueError as exc:
        fail(str(exc).replace("\n", " "))
    with _session() as session:
        entry = catalog.register(session, meta)
    _show(entry)


@app.command("search")
def search(
    q: str | None = typer.Argument(None, help="Text in name, description, location or tags"),
    tag: list[str] = typer.Option([], "--tag", help="key:value filter (repeat)"),
) -> None:
    """List matching datasets, newest first."""
    with _session() as session:
        found = catalog.search(session, q, tag)
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
    with _session() as session:
        entry = catalog.get(session, name)
    _show(entry)


def _show(entry: catalog.DatasetOut) -> None:
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

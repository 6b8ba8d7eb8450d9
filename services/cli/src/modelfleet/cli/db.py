"""``modelfleet db upgrade | shell | reset``: the operator's database commands."""

from __future__ import annotations

import os
import shutil

import typer
from sqlalchemy.engine import make_url

from modelfleet.cli.console import console, fail
from modelfleet.common.db.migrate import current_revision, downgrade, upgrade
from modelfleet.common.settings import DatabaseSettings

app = typer.Typer(
    help="Database schema and access (MODELFLEET_DATABASE_URL, SQLite by default).",
    no_args_is_help=True,
)


def _url() -> str:
    return DatabaseSettings().resolved_database_url()


@app.command("upgrade")
def upgrade_cmd(revision: str = typer.Argument("head", help="Alembic revision")) -> None:
    """Apply Alembic migrations up to REVISION."""
    url = _url()
    upgrade(url, revision)
    console.print(
        f"database at [bold]{current_revision(url)}[/] "
        f"({make_url(url).render_as_string(hide_password=True)})"
    )


@app.command("shell")
def shell_cmd() -> None:
    """Open psql (PostgreSQL) or sqlite3 (SQLite) on the configured database."""
    url = make_url(_url())
    if url.get_backend_name() == "sqlite":
        tool, args = "sqlite3", [str(url.database)]
    else:
        tool = "psql"
        args = [url.set(drivername="postgresql").render_as_string(hide_password=False)]
    path = shutil.which(tool)
    if path is None:
        fail(f"{tool} is not installed; install it to open a shell on {url.get_backend_name()}")
    os.execv(path, [tool, *args])


@app.command("reset")
def reset_cmd(yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask")) -> None:
    """Drop every modelfleet table and view, then migrate again (asks unless --yes)."""
    url = _url()
    shown = make_url(url).render_as_string(hide_password=True)
    if not yes and not typer.confirm(f"Drop all modelfleet data in {shown}?", default=False):
        fail("reset cancelled")
    downgrade(url, "base")
    upgrade(url)
    console.print(f"database reset to [bold]{current_revision(url)}[/] ({shown})")

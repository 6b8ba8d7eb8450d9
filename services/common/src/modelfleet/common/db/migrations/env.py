"""Alembic environment.

The URL comes from the caller's config (``modelfleet.common.db.migrate``); plain ``alembic -c
db/alembic.ini`` falls back to the settings (``MODELFLEET_DATABASE_URL``, else the SQLite file).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from modelfleet.common.db.models import Base

config = context.config
target_metadata = Base.metadata
if not config.get_main_option("sqlalchemy.url"):
    from modelfleet.common.settings import DatabaseSettings

    config.set_main_option(
        "sqlalchemy.url", DatabaseSettings().resolved_database_url().replace("%", "%%")
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply migrations over a live connection (batch mode so SQLite can alter tables)."""
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""Wait until the database answers and its schema is at this package's Alembic head.

``python -m modelfleet.common.db.wait`` is the init container of every pod that uses the
database: while the migrations Job runs, no service starts against a missing or old schema.
A schema at a revision this package does not know counts as ready: a newer image already
migrated it (an upgrade rolling out while old pods restart).

One log line per attempt says why the database is not ready yet. Exit codes: 0 ready,
1 not ready when the timeout (``--timeout`` or ``MODELFLEET_SCHEMA_WAIT_TIMEOUT``) ran out, the
last line naming the last reason.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from modelfleet.common.db.migrate import alembic_config, current_revision
from modelfleet.common.logging import configure_logging
from modelfleet.common.settings import DatabaseSettings

logger = logging.getLogger("modelfleet.common.db.wait")  # not __name__: "__main__" under -m

CONNECT_TIMEOUT_SECONDS = 5
"""A host that drops packets must not stall one attempt for minutes (libpq waits forever)."""


class WaitSettings(DatabaseSettings):
    """The database URL plus how long to wait for it (``MODELFLEET_SCHEMA_WAIT_TIMEOUT``)."""

    schema_wait_timeout: float = 900.0
    """Seconds to wait before giving up (the 15 minutes the chart's init container always had)."""


def with_connect_timeout(url: str) -> str:
    """``url`` with libpq's ``connect_timeout`` set, unless it sets one or is not PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or "connect_timeout" in parsed.query:
        return url
    parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_SECONDS)})
    return parsed.render_as_string(hide_password=False)


def not_ready_reason(url: str, script: ScriptDirectory) -> str | None:
    """None when the schema at ``url`` is at ``script``'s head (or newer), else why not."""
    head = script.get_current_head()
    try:
        current = current_revision(url)
    except SQLAlchemyError as exc:
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return f"database not reachable: {lines[0] if lines else type(exc).__name__}"
    if current is None:
        return f"database not migrated (no Alembic revision; waiting for head {head})"
    if current == head:
        return None
    if current not in {revision.revision for revision in script.walk_revisions()}:
        logger.info("schema at %s, newer than this image's head %s: ready", current, head)
        return None
    return f"schema at revision {current}, not yet at head {head} (the migrations Job applies it)"


def wait_for_schema(url: str, *, timeout: float, interval: float) -> str | None:
    """Check until ready (None) or until ``timeout`` seconds passed (the last reason)."""
    script = ScriptDirectory.from_config(alembic_config(url))
    checked_url = with_connect_timeout(url)
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        attempt += 1
        reason = not_ready_reason(checked_url, script)
        if reason is None:
            logger.info("attempt %d: schema ready at head %s", attempt, script.get_current_head())
            return None
        remaining = deadline - time.monotonic()
        logger.info("attempt %d: not ready: %s", attempt, reason)
        if remaining <= 0:
            return reason
        time.sleep(min(interval, remaining))


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, wait, and return the exit code (0 ready, 1 timed out)."""
    settings = WaitSettings()
    parser = argparse.ArgumentParser(
        prog="python -m modelfleet.common.db.wait", description=__doc__
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=settings.schema_wait_timeout,
        help="seconds to wait before giving up (default: %(default)s)",
    )
    parser.add_argument(
        "--interval", type=float, default=2.0, help="seconds between attempts (default: 2)"
    )
    args = parser.parse_args(argv)
    configure_logging(settings.log_level, settings.log_json)
    url = settings.resolved_database_url()
    shown = make_url(url).render_as_string(hide_password=True)
    logger.info("waiting up to %gs for %s to be at this image's Alembic head", args.timeout, shown)
    reason = wait_for_schema(url, timeout=args.timeout, interval=args.interval)
    if reason is None:
        return 0
    logger.error("gave up after %gs: %s", args.timeout, reason)
    return 1


if __name__ == "__main__":
    sys.exit(main())

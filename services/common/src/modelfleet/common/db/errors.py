"""What a database failure means to a caller: unavailable (503), refused data (422), or a bug.

Used by the shared exception handler of every service with a database, and by the CLI for its
one-line errors. Both SQLAlchemy's wrapped errors and raw DB-API errors (the collector's COPY
runs on a raw psycopg2 connection) are classified by their PEP 249 class names, so one rule covers
PostgreSQL and SQLite. Messages name the problem without host, port or driver text, which would
tell an unauthenticated caller where the database lives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from modelfleet.common.errors import (
    BadRequestError,
    ConflictError,
    ModelfleetError,
    UnavailableError,
)

UNDEFINED_TABLE = "42P01"
"""PostgreSQL's SQLSTATE for a missing relation: the schema was never migrated."""

_MEANINGS = (
    ("password authentication failed", "authentication failed"),
    ("database is locked", "the database is locked"),
    ("does not exist", "the database does not exist"),
    ("timeout", "timed out"),
    ("timed out", "timed out"),
    ("connection refused", "connection refused"),
    ("could not translate host name", "host name not resolved"),
    ("server closed the connection", "the server closed the connection"),
    ("terminating connection", "the server closed the connection"),
    ("the database system is starting up", "the database is starting up"),
    ("the database system is shutting down", "the database is shutting down"),
)


def exception_types() -> tuple[type[Exception], ...]:
    """The exception classes the shared handler registers for."""
    types: list[type[Exception]] = [sa_exc.DBAPIError, sa_exc.TimeoutError]
    try:
        import psycopg2
    except ImportError:  # pragma: no cover - psycopg2 ships with the [db] extra
        pass
    else:
        types.append(psycopg2.Error)
    return tuple(types)


def describe_database_error(exc: BaseException) -> str:
    """A short, host-free description of why the database did not answer."""
    if _not_migrated(exc):
        return "the schema is not migrated (run `modelfleet db upgrade`)"
    text = str(_driver_error(exc)).lower()
    for needle, meaning in _MEANINGS:
        if needle in text:
            return meaning
    return type(_driver_error(exc)).__name__


def database_error(exc: BaseException, retry_after: int = 5) -> ModelfleetError | None:
    """The domain error a database exception stands for, or None when it is a bug (500)."""
    kinds = _kinds(exc)
    if "DataError" in kinds:
        lines = str(_driver_error(exc)).strip().splitlines()
        return BadRequestError(f"rejected by the database: {lines[0] if lines else 'bad data'}")
    if _not_migrated(exc) or kinds & {"OperationalError", "InterfaceError"} or _invalidated(exc):
        return UnavailableError(
            f"database unavailable, retry later ({describe_database_error(exc)})",
            retry_after=retry_after,
        )
    if isinstance(exc, sa_exc.TimeoutError):  # the connection pool is exhausted
        return UnavailableError("database busy, retry later (no free connection)", retry_after)
    if "IntegrityError" in kinds:
        return ConflictError("conflicts with data already stored")
    return None


@contextmanager
def domain_errors() -> Iterator[None]:
    """Outside HTTP (the CLI's facades, batch commands): database failures as domain errors,
    so a caller prints one line (``exc.detail``) instead of a traceback."""
    try:
        yield
    except exception_types() as exc:
        problem = database_error(exc)
        if problem is None:
            raise
        raise problem from exc


def _driver_error(exc: BaseException) -> BaseException:
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, BaseException) else exc


def _kinds(exc: BaseException) -> set[str]:
    """PEP 249 class names in the MRO of the error and of the driver error it wraps."""
    return {cls.__name__ for e in (exc, _driver_error(exc)) for cls in type(e).__mro__}


def _invalidated(exc: BaseException) -> bool:
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def _not_migrated(exc: BaseException) -> bool:
    driver = _driver_error(exc)
    return getattr(driver, "pgcode", None) == UNDEFINED_TABLE or "no such table" in str(driver)

"""Translate database failures into HTTP-meaningful domain errors.

An unreachable database is a 503 with ``Retry-After`` (the model-server spools the batch and
retries); data the database refuses (a NUL byte in a string …) is the caller's 422.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from sqlalchemy import exc as sa_exc

from modelfleet.common.errors import BadRequestError, UnavailableError


@contextmanager
def database_errors(retry_after: int) -> Iterator[None]:
    """Run a block of database work, re-raising failures as domain errors."""
    try:
        yield
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        raise _unavailable(exc, retry_after) from exc
    except psycopg2.DataError as exc:
        raise BadRequestError(f"rejected by the database: {_first_line(exc)}") from exc
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:
        raise _unavailable(exc, retry_after) from exc
    except sa_exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise _unavailable(exc, retry_after) from exc
        if isinstance(exc, sa_exc.DataError):
            raise BadRequestError(f"rejected by the database: {_first_line(exc.orig)}") from exc
        raise


def _first_line(exc: BaseException | None) -> str:
    return str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else "error"


def _unavailable(exc: BaseException, retry_after: int) -> UnavailableError:
    return UnavailableError(
        f"database unavailable, retry later ({_first_line(exc)})", retry_after=retry_after
    )

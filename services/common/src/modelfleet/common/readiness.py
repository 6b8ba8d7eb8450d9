"""The one readiness policy: a service is ready when every dependency check passes.

A check returns ``None`` when its dependency answers, else a short reason that ``/readyz`` shows.
Checks never raise: a dependency that is down is a normal state for a pod that starts first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import anyio.to_thread
import httpx

if TYPE_CHECKING:
    from sqlalchemy import Engine

ReadinessCheck = Callable[[], Awaitable[str | None]]
"""Returns None when ready, else the reason the service is not ready."""


def database_check(engine: Engine) -> ReadinessCheck:
    """Ready when the database answers ``SELECT 1`` (run off the event loop)."""

    def ping() -> str | None:
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception as exc:  # any driver error means "not reachable" to a probe
            from modelfleet.common.db.errors import describe_database_error

            return f"database unreachable: {describe_database_error(exc)}"
        return None

    async def check() -> str | None:
        return await anyio.to_thread.run_sync(ping)

    return check


def mlflow_check(tracking_uri: str, timeout: float = 3.0) -> ReadinessCheck:
    """Ready when the MLflow tracking server answers ``/health``; a local store needs none."""

    async def check() -> str | None:
        if not tracking_uri.startswith(("http://", "https://")):
            return None
        try:
            async with httpx.AsyncClient(timeout=timeout) as client:
                response = await client.get(tracking_uri.rstrip("/") + "/health")
        except httpx.HTTPError as exc:
            return f"MLflow unreachable at {tracking_uri}: {type(exc).__name__}"
        if response.status_code != 200:
            return f"MLflow at {tracking_uri} answered {response.status_code} on /health"
        return None

    return check


def all_of(*checks: ReadinessCheck) -> ReadinessCheck:
    """Ready when every check is; the first failing check's reason otherwise."""

    async def check() -> str | None:
        for one in checks:
            reason = await one()
            if reason is not None:
                return reason
        return None

    return check

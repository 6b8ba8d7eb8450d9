"""The drift monitor as ``modelfleet drift`` uses it: run an analysis now, list and show runs.

The CLI imports this module, never the monitor's internals, and only inside a command, because
it pulls in Evidently, pandas and SQLAlchemy. Each call builds the monitor from the monitor's own
settings (the same ``MODELFLEET_*`` variables as the service), so it works without the service
running, and closes its connections after. A database that is down or not migrated comes back
as an :class:`~modelfleet.common.errors.UnavailableError` with one line of advice. Runs come back
as their stored rows, readable after the call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from modelfleet.common.db.engine import session_scope
from modelfleet.common.db.errors import domain_errors
from modelfleet.common.db.models import DriftReport, RetrainRequest
from modelfleet.drift_monitor.config import DriftSettings
from modelfleet.drift_monitor.runs import DriftMonitor, list_reports, retrain_requests_of
from modelfleet.drift_monitor.window import WindowSpec
from modelfleet.drift_monitor.wiring import build_monitor

__all__ = ["DriftReport", "RetrainRequest", "get_run", "list_runs", "run", "run_all_served"]

T = TypeVar("T")


def run(
    model: str, version: str, *, hours: float | None = None, last: int | None = None
) -> DriftReport:
    """Analyse one version's window (default: the configured hours) and store the run."""
    return _with_monitor(lambda monitor: monitor.run(model, version, _window(hours, last)))


def run_all_served(*, hours: float | None = None, last: int | None = None) -> list[DriftReport]:
    """A run for every version with online predictions in the window."""
    return _with_monitor(lambda monitor: monitor.run_all_served(_window(hours, last)))


def list_runs(
    *,
    model: str | None = None,
    version: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[DriftReport]:
    """Stored runs, newest first."""

    def read(monitor: DriftMonitor) -> list[DriftReport]:
        with session_scope(monitor.sessions) as session:
            return list_reports(session, model=model, version=version, status=status, limit=limit)

    return _with_monitor(read)


def get_run(run_id: int) -> tuple[DriftReport | None, list[RetrainRequest]]:
    """One run (None if unknown) and the retraining requests it caused."""

    def read(monitor: DriftMonitor) -> tuple[DriftReport | None, list[RetrainRequest]]:
        with session_scope(monitor.sessions) as session:
            report = session.get(DriftReport, run_id)
            return report, retrain_requests_of(session, run_id) if report else []

    return _with_monitor(read)


def _window(hours: float | None, last: int | None) -> WindowSpec | None:
    if last is not None:
        return WindowSpec(last=last)
    if hours is not None:
        return WindowSpec(hours=hours)
    return None


def _with_monitor(work: Callable[[DriftMonitor], T]) -> T:
    monitor = build_monitor(DriftSettings())
    try:
        with domain_errors():
            return work(monitor)
    finally:
        monitor.engine.dispose()

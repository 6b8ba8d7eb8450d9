"""The collector as the ``modelfleet`` CLI uses it: golden-set evaluations, run and read.

The CLI imports this module, never the collector's internals, and only inside a command,
because it pulls in SQLAlchemy, pandas and scikit-learn. Each call reads its settings from the
environment (``MODELFLEET_DATABASE_URL`` …), opens its engine and disposes of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from modelfleet.collector.config import CollectorSettings
from modelfleet.collector.evaluation import queries
from modelfleet.collector.evaluation.job import run_evaluations
from modelfleet.collector.evaluation.runner import Outcome, Reporter
from modelfleet.collector.evaluation.targets import Target
from modelfleet.common.db.engine import make_engine
from modelfleet.common.db.errors import domain_errors
from modelfleet.common.evaluations import Comparison
from modelfleet.common.evaluations import compare as compare_versions

__all__ = [
    "Comparison",
    "Outcome",
    "Reporter",
    "Target",
    "compare",
    "evaluate",
    "evaluation",
    "evaluations",
]


@contextmanager
def _engine() -> Iterator[tuple[Engine, CollectorSettings]]:
    """The database for one call; its failures become one-line domain errors."""
    settings = CollectorSettings()
    engine = make_engine(settings.resolved_database_url())
    try:
        with domain_errors():
            yield engine, settings
    finally:
        engine.dispose()


def evaluate(
    *,
    golden: str | None,
    target: str | None,
    urls: list[str],
    discover: str | None,
    reporter: Reporter | None = None,
) -> list[Outcome]:
    """Evaluate model-servers on a golden set (versions already evaluated on it are skipped)."""
    with _engine() as (engine, settings):
        return run_evaluations(
            engine,
            settings,
            golden=golden,
            target=target,
            urls=urls,
            discover=discover,
            reporter=reporter,
        )


def evaluations(model: str | None, status: str | None, limit: int) -> list[dict[str, Any]]:
    """Evaluations, newest first."""
    with _engine() as (engine, _settings):
        return queries.list_evaluations(engine, model=model, status=status, limit=limit)


def evaluation(evaluation_id: int) -> dict[str, Any]:
    """One evaluation with its overall and per-class metrics."""
    with _engine() as (engine, _settings):
        return queries.get_evaluation(engine, evaluation_id)


def compare(model: str, baseline: str, candidate: str, metric: str, tolerance: float) -> Comparison:
    """Per-class deltas of every metric, candidate against baseline, on one golden set."""
    with _engine() as (engine, _settings), Session(engine) as session:
        return compare_versions(session, model, baseline, candidate, metric, tolerance)

"""Fixtures of the collector tests: evaluation row factories on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from modelfleet.common.db.engine import make_engine, make_session_factory
from modelfleet.common.db.models import Evaluation, EvaluationMetric

AddEvaluation = Callable[..., int]


@pytest.fixture
def pg_sessions(pg_clean: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on the emptied test database."""
    engine = make_engine(pg_clean)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def add_evaluation(pg_sessions: sessionmaker[Session]) -> AddEvaluation:
    """Insert an evaluation with the given per-class values; returns its id."""

    def _add(
        version: str,
        per_class: dict[str, dict[str, float]],
        *,
        model: str = "m",
        digest: str = "d1",
        golden: str = "golden",
        status: str = "done",
        overall: dict[str, float] | None = None,
    ) -> int:
        with pg_sessions() as session:
            evaluation = Evaluation(
                model_name=model,
                model_version=version,
                golden_name=golden,
                golden_digest=digest,
                status=status,
                finished_at=datetime.now(UTC),
            )
            session.add(evaluation)
            session.flush()
            for name, value in (overall or {}).items():
                session.add(EvaluationMetric(evaluation_id=evaluation.id, metric=name, value=value))
            for label, metrics in per_class.items():
                for name, value in metrics.items():
                    session.add(
                        EvaluationMetric(
                            evaluation_id=evaluation.id,
                            metric=name,
                            class_label=label,
                            value=value,
                        )
                    )
            session.commit()
            return evaluation.id

    return _add

"""``modelfleet.common.db.queries``: the reads of evaluations other services rely on."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from modelfleet.common.db.queries.evaluations import (
    class_metrics,
    latest_done_evaluation,
    overall_metrics,
)
from tests.conftest import AddEvaluation

pytestmark = pytest.mark.integration


def test_latest_done_evaluation_ignores_unfinished_and_other_golden_sets(
    pg_sessions: sessionmaker[Session], add_evaluation: AddEvaluation
) -> None:
    done_d1 = add_evaluation("1", {"A": {"recall": 0.9}}, digest="d1")
    done_d2 = add_evaluation("1", {"A": {"recall": 0.8}}, digest="d2")
    add_evaluation("1", {}, digest="d3", status="running")
    with pg_sessions() as session:
        assert latest_done_evaluation(session, "m", "1", "d1").id == done_d1  # type: ignore[union-attr]
        assert latest_done_evaluation(session, "m", "1").id == done_d2  # type: ignore[union-attr]
        assert latest_done_evaluation(session, "m", "1", "d3") is None
        assert latest_done_evaluation(session, "m", "2") is None


def test_metrics_are_split_into_overall_and_per_class(
    pg_sessions: sessionmaker[Session], add_evaluation: AddEvaluation
) -> None:
    evaluation = add_evaluation(
        "1",
        {"A": {"recall": 0.9, "support": 10}, "B": {"recall": 0.5}},
        overall={"accuracy": 0.7},
    )
    with pg_sessions() as session:
        assert overall_metrics(session, evaluation) == {"accuracy": 0.7}
        assert class_metrics(session, evaluation) == {
            "A": {"recall": 0.9, "support": 10.0},
            "B": {"recall": 0.5},
        }

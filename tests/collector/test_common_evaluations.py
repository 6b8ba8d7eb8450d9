"""``modelfleet.common.evaluations``: reading evaluations and comparing versions per class."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from modelfleet.common.errors import BadRequestError
from modelfleet.common.evaluations import (
    EvaluationMissingError,
    GoldenSetMismatchError,
    class_metrics,
    compare,
    latest_done_evaluation,
    overall_metrics,
)
from tests.collector.conftest import AddEvaluation

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


def test_compare_flags_per_class_drops_beyond_tolerance(
    pg_sessions: sessionmaker[Session], add_evaluation: AddEvaluation
) -> None:
    add_evaluation(
        "1",
        {"A": {"recall": 0.90, "f1": 0.8, "support": 10}, "B": {"recall": 0.60, "f1": 0.6}},
        overall={"accuracy": 0.80},
    )
    add_evaluation(
        "2",
        {"A": {"recall": 0.70, "f1": 0.79, "support": 10}, "B": {"recall": 0.59, "f1": 0.7}},
        overall={"accuracy": 0.81},
    )
    with pg_sessions() as session:
        result = compare(session, "m", "1", "2", metric="recall", tolerance=0.02)
    assert not result.passed
    assert [(d.class_label, d.metric) for d in result.regressions] == [("A", "recall")]
    a_recall = next(d for d in result.per_class if d.class_label == "A" and d.metric == "recall")
    assert a_recall.delta == pytest.approx(-0.20)
    b_recall = next(d for d in result.per_class if d.class_label == "B" and d.metric == "recall")
    assert not b_recall.regression  # -0.01 is within the tolerance
    assert "A 0.900→0.700" in result.reason()
    assert result.overall[0].metric == "accuracy" and result.overall[0].delta == pytest.approx(0.01)
    with pg_sessions() as session:
        on_f1 = compare(session, "m", "1", "2", metric="f1", tolerance=0.02)
    assert on_f1.passed  # A's F1 fell by 0.01 only


def test_a_class_the_candidate_does_not_know_is_a_regression(
    pg_sessions: sessionmaker[Session], add_evaluation: AddEvaluation
) -> None:
    add_evaluation("1", {"A": {"recall": 0.9}, "B": {"recall": 0.8}})
    add_evaluation("2", {"A": {"recall": 0.95}})
    with pg_sessions() as session:
        result = compare(session, "m", "1", "2")
    assert [d.class_label for d in result.regressions] == ["B"]
    assert result.regressions[0].candidate is None


def test_compare_needs_done_evaluations_on_one_golden_set(
    pg_sessions: sessionmaker[Session], add_evaluation: AddEvaluation
) -> None:
    add_evaluation("1", {"A": {"recall": 0.9}}, digest="d1", golden="old-golden")
    add_evaluation("2", {"A": {"recall": 0.9}}, digest="d2", golden="new-golden")
    add_evaluation("3", {"A": {"recall": 0.9}}, digest="d1", status="failed")
    with pg_sessions() as session:
        with pytest.raises(GoldenSetMismatchError, match="different golden sets"):
            compare(session, "m", "1", "2")
        with pytest.raises(EvaluationMissingError, match="version 3 has no done evaluation"):
            compare(session, "m", "1", "3")
        with pytest.raises(EvaluationMissingError, match="digest d2"):
            compare(session, "m", "1", "2", golden_digest="d2")
        with pytest.raises(BadRequestError, match="metric"):
            compare(session, "m", "1", "2", metric="support")


def test_compare_picks_the_golden_set_both_versions_share(
    pg_sessions: sessionmaker[Session], add_evaluation: AddEvaluation
) -> None:
    add_evaluation("1", {"A": {"recall": 0.9}}, digest="d1")
    add_evaluation("2", {"A": {"recall": 0.5}}, digest="d1")
    add_evaluation("2", {"A": {"recall": 0.9}}, digest="d2")
    with pg_sessions() as session:
        result = compare(session, "m", "1", "2")
    assert result.golden_digest == "d1"
    assert not result.passed

"""``modelfleet.common.evaluations``: the per-class rule, alone and on stored evaluations."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from modelfleet.common.errors import BadRequestError
from modelfleet.common.evaluations import (
    EvaluatedVersion,
    EvaluationMissingError,
    GoldenSetMismatchError,
    choose_pair,
    compare,
    compare_metrics,
)
from tests.conftest import AddEvaluation


@pytest.mark.integration
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


@pytest.mark.integration
def test_a_class_the_candidate_does_not_know_is_a_regression(
    pg_sessions: sessionmaker[Session], add_evaluation: AddEvaluation
) -> None:
    add_evaluation("1", {"A": {"recall": 0.9}, "B": {"recall": 0.8}})
    add_evaluation("2", {"A": {"recall": 0.95}})
    with pg_sessions() as session:
        result = compare(session, "m", "1", "2")
    assert [d.class_label for d in result.regressions] == ["B"]
    assert result.regressions[0].candidate is None


@pytest.mark.integration
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


@pytest.mark.integration
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


@dataclass(frozen=True)
class _Done:
    """An evaluation as :func:`choose_pair` sees one."""

    golden_name: str
    golden_digest: str


def _evaluated(version: str, per_class: dict[str, dict[str, float]]) -> EvaluatedVersion:
    return EvaluatedVersion(version, int(version), "golden", "d1", {}, per_class)


def test_the_rule_needs_no_database() -> None:
    baseline = _evaluated("1", {"A": {"recall": 0.9, "support": 10}, "B": {"recall": 0.8}})
    candidate = _evaluated("2", {"A": {"recall": 0.89, "support": 2}})
    result = compare_metrics("m", baseline, candidate, tolerance=0.02)
    assert [(d.class_label, d.candidate) for d in result.regressions] == [("B", None)]
    support = next(d for d in result.per_class if d.metric == "support")
    assert support.delta == -8 and not support.regression  # counts are never a regression
    assert compare_metrics("m", baseline, candidate, tolerance=0.25).regressions[0].delta == -0.8
    with pytest.raises(BadRequestError, match="tolerance"):
        compare_metrics("m", baseline, candidate, tolerance=2)


def test_the_pair_is_the_candidates_newest_golden_set_the_baseline_shares() -> None:
    old, new, other = _Done("old", "d1"), _Done("new", "d2"), _Done("other", "d3")
    base_on_old, base_on_new = _Done("old", "d1"), _Done("new", "d2")
    pair = choose_pair("m", ("1", [base_on_new, base_on_old]), ("2", [other, new, old]))
    assert pair == (base_on_new, new)
    assert choose_pair("m", ("1", [base_on_new, base_on_old]), ("2", [new, old]), "d1") == (
        base_on_old,
        old,
    )
    with pytest.raises(
        GoldenSetMismatchError, match=r"baseline: \['old'\], candidate: \['other'\]"
    ):
        choose_pair("m", ("1", [base_on_old]), ("2", [other]))
    with pytest.raises(EvaluationMissingError, match="version 2 has no done evaluation"):
        choose_pair("m", ("1", [base_on_old]), ("2", []))

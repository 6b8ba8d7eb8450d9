"""Reads of the collector's ``evaluations`` and ``evaluation_metrics``.

Readers: the trainer's promotion (scores and the per-class guard, through
:func:`modelfleet.common.evaluations.compare`), the collector's evaluation API and the CLI.
Only ``done`` evaluations carry complete metrics, so only those are ever compared.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from modelfleet.common.db.models import Evaluation, EvaluationMetric
from modelfleet.common.wire import EVALUATION_DONE


def _done(model: str, version: str) -> Select[Evaluation]:
    return select(Evaluation).where(
        Evaluation.model_name == model,
        Evaluation.model_version == str(version),
        Evaluation.status == EVALUATION_DONE,
    )


def _newest_first(query: Select[Evaluation]) -> Select[Evaluation]:
    return query.order_by(Evaluation.finished_at.desc().nulls_last(), Evaluation.id.desc())


def latest_done_evaluation(
    session: Session, model: str, version: str, golden_digest: str | None = None
) -> Evaluation | None:
    """The most recently finished ``done`` evaluation of a version (on that golden set if given)."""
    query = _done(model, version)
    if golden_digest is not None:
        query = query.where(Evaluation.golden_digest == golden_digest)
    return session.scalars(_newest_first(query).limit(1)).first()


def done_evaluations(session: Session, model: str, version: str) -> list[Evaluation]:
    """Every ``done`` evaluation of a version, newest first."""
    return list(session.scalars(_newest_first(_done(model, version))))


def overall_metrics(session: Session, evaluation_id: int) -> dict[str, float]:
    """``{metric: value}`` of the overall metrics (rows with ``class_label`` NULL)."""
    rows = session.execute(
        select(EvaluationMetric.metric, EvaluationMetric.value).where(
            EvaluationMetric.evaluation_id == evaluation_id,
            EvaluationMetric.class_label.is_(None),
        )
    )
    return {metric: float(value) for metric, value in rows}


def class_metrics(session: Session, evaluation_id: int) -> dict[str, dict[str, float]]:
    """``{class: {metric: value}}`` of the per-class metrics of an evaluation."""
    rows = session.execute(
        select(EvaluationMetric.class_label, EvaluationMetric.metric, EvaluationMetric.value).where(
            EvaluationMetric.evaluation_id == evaluation_id,
            EvaluationMetric.class_label.is_not(None),
        )
    )
    out: dict[str, dict[str, float]] = {}
    for label, metric, value in rows:
        out.setdefault(str(label), {})[metric] = float(value)
    return out

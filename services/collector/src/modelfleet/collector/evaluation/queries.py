"""Read side of evaluations for the API and the CLI: lists and one evaluation with metrics."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from modelfleet.common.db.models import Evaluation
from modelfleet.common.db.queries.evaluations import class_metrics, overall_metrics
from modelfleet.common.errors import NotFoundError

_FIELDS = (
    "id",
    "model_name",
    "model_version",
    "golden_name",
    "golden_digest",
    "target_url",
    "status",
    "rows_total",
    "rows_scored",
    "rows_skipped",
    "attempts",
    "error",
    "claimed_by",
    "created_at",
    "started_at",
    "finished_at",
)


def summary(evaluation: Evaluation) -> dict[str, Any]:
    return {name: getattr(evaluation, name) for name in _FIELDS}


def list_evaluations(
    engine: Engine,
    *,
    model: str | None = None,
    version: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Newest first, optionally filtered."""
    query = select(Evaluation).order_by(Evaluation.id.desc()).limit(limit)
    if model:
        query = query.where(Evaluation.model_name == model)
    if version:
        query = query.where(Evaluation.model_version == version)
    if status:
        query = query.where(Evaluation.status == status)
    with Session(engine) as session:
        return [summary(e) for e in session.scalars(query)]


def get_evaluation(engine: Engine, evaluation_id: int) -> dict[str, Any]:
    """One evaluation with its overall and per-class metrics and the skipped rows' reasons."""
    with Session(engine) as session:
        evaluation = session.get(Evaluation, evaluation_id)
        if evaluation is None:
            raise NotFoundError(f"no evaluation {evaluation_id}")
        data = summary(evaluation)
        data["skipped_reason"] = evaluation.skipped_reason
        data["metrics"] = {
            "overall": overall_metrics(session, evaluation_id),
            "per_class": class_metrics(session, evaluation_id),
        }
        return data

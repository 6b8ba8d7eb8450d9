"""Ground-truth labels: by entity id (joined to that entity's predictions) or by prediction id."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from modelfleet.common.db.models import Label, Prediction
from modelfleet.common.errors import BadRequestError
from modelfleet.common.wire import MAX_CLASS_LABEL, MAX_ENTITY_ID, LabelIn


def _check(labels: list[LabelIn]) -> None:
    for index, label in enumerate(labels):
        if (label.entity_id is None) == (label.prediction_id is None):
            raise BadRequestError(
                f"labels[{index}]: give exactly one of entity_id and prediction_id"
            )
        if not label.label or len(label.label) > MAX_CLASS_LABEL:
            raise BadRequestError(f"labels[{index}].label: 1 to {MAX_CLASS_LABEL} characters")
        if label.entity_id is not None and not label.entity_id:
            raise BadRequestError(f"labels[{index}].entity_id: must not be empty")
        if label.entity_id is not None and len(label.entity_id) > MAX_ENTITY_ID:
            raise BadRequestError(f"labels[{index}].entity_id: at most {MAX_ENTITY_ID} characters")


def store_labels(engine: Engine, labels: list[LabelIn]) -> int:
    """Insert a batch of labels in one transaction; unknown prediction ids reject the batch."""
    _check(labels)
    wanted = {label.prediction_id for label in labels if label.prediction_id is not None}
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if wanted:
            found = set(conn.scalars(select(Prediction.id).where(Prediction.id.in_(wanted))))
            for index, label in enumerate(labels):
                if label.prediction_id is not None and label.prediction_id not in found:
                    raise BadRequestError(
                        f"labels[{index}].prediction_id: no prediction {label.prediction_id}"
                    )
        conn.execute(
            insert(Label),
            [
                {
                    "entity_id": label.entity_id,
                    "prediction_id": label.prediction_id,
                    "label": label.label,
                    "observed_at": label.observed_at or now,
                    "created_at": now,
                }
                for label in labels
            ],
        )
    return len(labels)

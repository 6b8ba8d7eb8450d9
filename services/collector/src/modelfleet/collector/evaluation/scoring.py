"""Score a golden set on one model-server and turn the stored predictions into metrics.

Every prediction is stored (source ``evaluation``) as its batch comes back, keyed by the
evaluation id and the golden row index, so a resumed run asks only for the rows not stored yet
and never duplicates one. Metrics are computed from what is stored, not from memory, so they
are the same whether the run was resumed or not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, insert, select

from modelfleet.collector.evaluation.server import ModelServerClient
from modelfleet.collector.ingest.parsing import PredictionRow
from modelfleet.collector.ingest.store import PredictionWriter
from modelfleet.common.classification_metrics import ClassificationMetrics, compute_metrics
from modelfleet.common.db.models import EvaluationMetric, Prediction
from modelfleet.common.errors import BadRequestError
from modelfleet.common.wire import EVALUATION, ModelInfo

Progress = Callable[[int], None]
"""Called with the number of rows scored so far."""


def labels_as_text(series: pd.Series) -> pd.Series:
    """Target values as the class strings a model reports (``1``, not ``1.0``)."""
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        if (whole == whole.round()).all():
            series = series.astype("Int64")
    return series.astype("string")


@dataclass
class Selection:
    """The golden rows this model can be judged on, and those left out with the reason."""

    rows: np.ndarray
    truth: pd.Series
    features: list[str]
    skipped: int
    skipped_reason: dict[str, Any] | None


def select_rows(frame: pd.DataFrame, target: str, info: ModelInfo) -> Selection:
    """Keep rows whose label is one of the model's classes (a subset model is judged on its
    own classes only); record the others per reason and class."""
    if target not in frame.columns:
        raise BadRequestError(f"golden set has no target column {target!r}")
    missing = [c.name for c in info.input_schema if c.required and c.name not in frame.columns]
    if missing:
        raise BadRequestError(f"golden set lacks the model's input columns {missing}")
    truth = labels_as_text(frame[target])
    known = truth.isin(info.classes).fillna(False).to_numpy(dtype=bool)
    no_label = truth.isna().to_numpy()
    reason: dict[str, Any] = {}
    unknown = ~known & ~no_label
    if unknown.any():
        counts = truth[unknown].value_counts().to_dict()
        reason["class_not_known_to_model"] = {
            "model_classes": list(info.classes),
            "rows_by_class": {str(k): int(v) for k, v in counts.items()},
            "row_indices": np.flatnonzero(unknown).tolist(),
        }
    if no_label.any():
        reason["missing_label"] = {"row_indices": np.flatnonzero(no_label).tolist()}
    features = [c.name for c in info.input_schema if c.name in frame.columns]
    skipped = int((~known).sum())
    return Selection(np.flatnonzero(known), truth, features, skipped, reason if skipped else None)


def stored_rows(engine: Engine, evaluation_id: int) -> set[int]:
    """Golden row indices already scored by an earlier (interrupted) run."""
    with engine.connect() as conn:
        return set(
            conn.scalars(
                select(Prediction.row_index).where(Prediction.evaluation_id == evaluation_id)
            )
        )


def score(
    *,
    client: ModelServerClient,
    writer: PredictionWriter,
    frame: pd.DataFrame,
    selection: Selection,
    info: ModelInfo,
    evaluation_id: int,
    batch_size: int,
    done: set[int],
    progress: Progress,
) -> int:
    """Send the rows not stored yet in batches and store each answer; returns rows scored."""
    remaining = [int(i) for i in selection.rows if int(i) not in done]
    scored = len(selection.rows) - len(remaining)
    features = frame[selection.features]
    for start in range(0, len(remaining), batch_size):
        batch = remaining[start : start + batch_size]
        records: list[dict[str, Any]] = features.iloc[batch].to_dict(orient="records")  # type: ignore[assignment]
        began = perf_counter()
        answer = client.predict(records)
        latency = (perf_counter() - began) * 1000 / len(batch)
        now = datetime.now(UTC)
        request_id = f"eval-{evaluation_id}-{batch[0]}"
        writer.write(
            [
                PredictionRow(
                    request_id,
                    row,
                    None,
                    info.name,
                    info.version,
                    EVALUATION,
                    evaluation_id,
                    record,
                    answer_row.prediction,
                    answer_row.probabilities,
                    latency,
                    now,
                )
                for row, record, answer_row in zip(batch, records, answer.predictions, strict=True)
            ]
        )
        scored += len(batch)
        progress(scored)
    return scored


def compute_from_store(
    engine: Engine, evaluation_id: int, truth: pd.Series, classes: list[str]
) -> ClassificationMetrics:
    """Metrics over every stored prediction of the evaluation against the golden labels."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Prediction.row_index, Prediction.prediction, Prediction.probabilities)
            .where(Prediction.evaluation_id == evaluation_id)
            .order_by(Prediction.row_index)
        ).all()
    indices = [r[0] for r in rows]
    y_true = truth.to_numpy()[indices].astype(str).tolist()
    y_pred = [r[1] for r in rows]
    probabilities = None
    stored = [r[2] for r in rows]
    if rows and all(stored):
        probabilities = np.array([[(p or {}).get(c, 0.0) for c in classes] for p in stored])
    return compute_metrics(y_true, y_pred, classes, probabilities)


def store_metrics(engine: Engine, evaluation_id: int, metrics: ClassificationMetrics) -> None:
    """Replace the evaluation's metrics: overall with class NULL, then one set per class."""
    values: list[dict[str, Any]] = [
        {"evaluation_id": evaluation_id, "metric": k, "class_label": None, "value": v}
        for k, v in metrics.overall.items()
    ]
    for label, per_class in metrics.per_class.items():
        values.extend(
            {"evaluation_id": evaluation_id, "metric": k, "class_label": label, "value": v}
            for k, v in per_class.items()
        )
    with engine.begin() as conn:
        conn.execute(
            delete(EvaluationMetric).where(EvaluationMetric.evaluation_id == evaluation_id)
        )
        conn.execute(insert(EvaluationMetric), values)

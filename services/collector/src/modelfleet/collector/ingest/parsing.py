"""Parse a ``POST /v1/predictions`` body into row tuples, fast, naming the first bad row.

The shape is :class:`modelfleet.common.wire.PredictionLog`; this module checks the same
constraints by hand on ``orjson`` output because pydantic per row costs more than the COPY
itself at 1,000 rows per batch (see ``benchmarks/bench_collector.py``). A batch with any bad row
is rejected whole, so a model-server never gets half a batch stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from modelfleet.common.errors import BadRequestError
from modelfleet.common.wire import MAX_CLASS_LABEL, MAX_ENTITY_ID, ONLINE, PREDICTION_SOURCES

MAX_BATCH_ROWS = 50_000


class PredictionRow(NamedTuple):
    """One validated prediction log, in the column order of the ``predictions`` table."""

    request_id: str
    row_index: int
    entity_id: str | None
    model_name: str
    model_version: str
    source: str
    evaluation_id: int | None
    features: dict[str, Any]
    prediction: str
    probabilities: dict[str, float] | None
    latency_ms: float | None
    created_at: datetime


class _RowError(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _text(row: dict[str, Any], field: str, max_length: int, *, required: bool = True) -> Any:
    value = row.get(field)
    if value is None:
        if required:
            raise _RowError(field, "field required")
        return None
    if type(value) is not str:
        raise _RowError(field, f"must be a string, got {type(value).__name__}")
    if required and not value:
        raise _RowError(field, "must not be empty")
    if len(value) > max_length:
        raise _RowError(field, f"at most {max_length} characters")
    return value


def _number(row: dict[str, Any], field: str) -> float | None:
    value = row.get(field)
    if value is None:
        return None
    if type(value) not in (int, float):
        raise _RowError(field, f"must be a number, got {type(value).__name__}")
    return float(value)


def _timestamp(value: Any) -> datetime:
    if type(value) is not str:
        raise _RowError("created_at", "field required (ISO 8601 timestamp)")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _RowError("created_at", f"not an ISO 8601 timestamp: {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _row(row: Any) -> PredictionRow:
    if type(row) is not dict:
        raise _RowError("row", "must be an object")
    row_index = row.get("row_index")
    if type(row_index) is not int or row_index < 0:
        raise _RowError("row_index", "must be an integer >= 0")
    source = row.get("source", ONLINE)
    if source not in PREDICTION_SOURCES:
        raise _RowError("source", f"must be one of {sorted(PREDICTION_SOURCES)}, got {source!r}")
    evaluation_id = row.get("evaluation_id")
    if evaluation_id is not None and type(evaluation_id) is not int:
        raise _RowError("evaluation_id", "must be an integer")
    features = row.get("features")
    if type(features) is not dict:
        raise _RowError("features", "must be an object of feature values")
    probabilities = row.get("probabilities")
    if probabilities is not None:
        if type(probabilities) is not dict:
            raise _RowError("probabilities", "must be an object of class: probability")
        for value in probabilities.values():
            if type(value) not in (int, float):
                raise _RowError("probabilities", "values must be numbers")
    prediction = row.get("prediction")
    if type(prediction) is not str:
        if type(prediction) in (int, float, bool):
            prediction = str(prediction)
        else:
            raise _RowError("prediction", "field required (the predicted class)")
    if len(prediction) > MAX_CLASS_LABEL:
        raise _RowError("prediction", f"at most {MAX_CLASS_LABEL} characters")
    return PredictionRow(
        _text(row, "request_id", 64),
        row_index,
        _text(row, "entity_id", MAX_ENTITY_ID, required=False),
        _text(row, "model_name", 200),
        _text(row, "model_version", 20),
        source,
        evaluation_id,
        features,
        prediction,
        probabilities,
        _number(row, "latency_ms"),
        _timestamp(row.get("created_at")),
    )


def parse_prediction_batch(body: bytes) -> list[PredictionRow]:
    """Validate a whole batch; the first problem raises a 422 naming ``predictions[i].field``."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"body: not valid JSON ({exc})") from None
    if type(payload) is not dict or type(payload.get("predictions")) is not list:
        raise BadRequestError("predictions: field required (a list of prediction logs)")
    rows = payload["predictions"]
    if not rows:
        raise BadRequestError("predictions: must hold at least one prediction log")
    if len(rows) > MAX_BATCH_ROWS:
        raise BadRequestError(f"predictions: at most {MAX_BATCH_ROWS} rows per batch")
    parsed = []
    for index, row in enumerate(rows):
        try:
            parsed.append(_row(row))
        except _RowError as exc:
            raise BadRequestError(
                f"predictions[{index}].{exc.field}: {exc.problem}; the batch was not stored"
            ) from None
    return parsed

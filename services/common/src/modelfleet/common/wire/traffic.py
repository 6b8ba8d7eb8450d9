"""Traffic: the prediction logs a model-server ships to the collector, and ground-truth labels.

Servers may parse these faster than pydantic does on hot paths (the collector's ingest parser),
but the shapes and limits are fixed here and imported there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, Field

PredictionSource = Literal["online", "evaluation", "batch"]
"""Where a logged prediction came from: user traffic, a golden-set evaluation, file scoring."""

PREDICTION_SOURCES: Final[tuple[PredictionSource, ...]] = get_args(PredictionSource)
ONLINE: Final = "online"
EVALUATION: Final = "evaluation"
BATCH: Final = "batch"

SOURCE_HEADER: Final = "X-Modelfleet-Source"
"""Request header a caller sets to ``evaluation`` so a model-server does not log its traffic as
online: the collector stores golden-set predictions itself, tied to their evaluation."""

MAX_ENTITY_ID: Final = 200
"""Longest entity id a prediction or a label may carry (``predictions.entity_id``)."""

MAX_CLASS_LABEL: Final = 200
"""Longest predicted class or ground-truth label (``predictions.prediction``, ``labels.label``)."""


class PredictionLog(BaseModel):
    """One predicted row, as stored in the ``predictions`` table."""

    request_id: str = Field(min_length=1, max_length=64)
    row_index: int = Field(ge=0)
    entity_id: str | None = Field(default=None, max_length=MAX_ENTITY_ID)
    model_name: str = Field(min_length=1, max_length=200)
    model_version: str = Field(min_length=1, max_length=20)
    source: PredictionSource = ONLINE
    evaluation_id: int | None = None
    features: dict[str, Any]
    prediction: str = Field(max_length=MAX_CLASS_LABEL)
    probabilities: dict[str, float] | None = None
    latency_ms: float | None = None
    created_at: datetime


class PredictionLogBatch(BaseModel):
    """Body of ``POST /v1/predictions``; idempotent on (request_id, row_index)."""

    predictions: list[PredictionLog] = Field(min_length=1)


class LabelIn(BaseModel):
    """Ground truth for an entity id or for one prediction id (exactly one of them)."""

    entity_id: str | None = None
    prediction_id: int | None = None
    label: str
    observed_at: datetime | None = None


class LabelBatch(BaseModel):
    """Body of ``POST /v1/labels``."""

    labels: list[LabelIn] = Field(min_length=1)

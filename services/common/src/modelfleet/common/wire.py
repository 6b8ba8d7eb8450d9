"""Wire formats between services: what the model-server ships to the collector, and what the
collector (or anyone) gets from a model-server's ``/v1/model`` and ``/v1/predict``.

Servers may parse these faster than pydantic does on hot paths, but the shapes are fixed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

PredictionSource = Literal["online", "evaluation", "batch"]

SOURCE_HEADER = "X-Modelfleet-Source"
"""Request header a caller sets to ``evaluation`` so a model-server does not log its traffic as
online: the collector stores golden-set predictions itself, tied to their evaluation."""


class PredictionLog(BaseModel):
    """One predicted row, as stored in the ``predictions`` table."""

    request_id: str = Field(min_length=1, max_length=64)
    row_index: int = Field(ge=0)
    entity_id: str | None = Field(default=None, max_length=200)
    model_name: str = Field(min_length=1, max_length=200)
    model_version: str = Field(min_length=1, max_length=20)
    source: PredictionSource = "online"
    evaluation_id: int | None = None
    features: dict[str, Any]
    prediction: str = Field(max_length=200)
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


class PredictRequest(BaseModel):
    """Body of a model-server's ``POST /v1/predict``."""

    records: list[dict[str, Any]] = Field(min_length=1)
    entity_ids: list[str] | None = None


class RowPrediction(BaseModel):
    row_index: int
    entity_id: str | None = None
    prediction: str
    probabilities: dict[str, float]


class PredictResponse(BaseModel):
    """Answer of ``POST /v1/predict``."""

    request_id: str
    model_name: str
    model_version: str
    predictions: list[RowPrediction]


class InputColumn(BaseModel):
    """One column of a model's input schema (MLflow signature types: long, double, string …)."""

    name: str
    type: str
    required: bool = True


class ExecutionInfo(BaseModel):
    """How a model-server runs the version: the path that serves and why faster ones do not."""

    path: str = Field(description="compiled, numpy-preprocessing or scikit-learn")
    verified_rows: int = Field(description="sample rows the path reproduced scikit-learn on")
    max_probability_difference: float | None = None
    fallbacks: dict[str, str] = Field(
        default_factory=dict, description="faster paths that do not serve, and why"
    )


class ModelInfo(BaseModel):
    """Answer of a model-server's ``GET /v1/model``."""

    name: str
    version: str
    aliases: list[str] = Field(default_factory=list)
    run_id: str
    classes: list[str]
    target: str | None = None
    input_schema: list[InputColumn]
    training_metrics: dict[str, float] = Field(default_factory=dict)
    feature_importances: dict[str, float] = Field(default_factory=dict)
    execution: ExecutionInfo | None = None

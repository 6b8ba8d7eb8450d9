"""A model-server's own API as other services call it: ``/v1/predict`` and ``/v1/model``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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

    path: str = Field(description="compiled, treelite-gtil, numpy-preprocessing or scikit-learn")
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

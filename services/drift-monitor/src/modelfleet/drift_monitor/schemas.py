"""Request and response bodies of the drift-monitor API (also what the CLI prints)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RunRequest(BaseModel):
    """Body of ``POST /v1/drift/runs``: a version and, optionally, its window."""

    model: str = Field(min_length=1, max_length=200, description="Registered model name")
    version: str = Field(min_length=1, max_length=20, pattern=r"^\d+$", description="Version")
    window_hours: float | None = Field(
        default=None, gt=0, description="Online predictions of the last this-many hours"
    )
    last: int | None = Field(default=None, ge=1, description="The last N online predictions")

    @model_validator(mode="after")
    def _one_window(self) -> RunRequest:
        if self.window_hours is not None and self.last is not None:
            raise ValueError("give window_hours or last, not both")
        return self


class RetrainRequestOut(BaseModel):
    """A retraining request as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    training_data: str | None
    trainer_job_id: str | None
    attempts: int
    error: str | None
    created_at: datetime
    updated_at: datetime


class DriftRunOut(BaseModel):
    """A drift run (a ``drift_reports`` row) with the retraining it caused."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    model_name: str
    model_version: str
    status: str
    window_start: datetime | None
    window_end: datetime | None
    reference_rows: int
    current_rows: int
    sampled: bool
    drift_share: float | None
    dataset_drift: bool | None
    prediction_drift: bool | None
    prediction_drift_score: float | None
    column_scores: dict[str, Any] | None
    quality: dict[str, Any] | None
    decision: str | None
    reason: str | None
    report_url: str | None = None
    created_at: datetime
    retrain_requests: list[RetrainRequestOut] = Field(default_factory=list)


class DriftRunList(BaseModel):
    """Answer of ``GET /v1/drift/runs``."""

    runs: list[DriftRunOut]

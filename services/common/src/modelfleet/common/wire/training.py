"""The trainer's job API: ``POST /v1/jobs`` (also what the drift monitor submits to retrain),
its 202 answer and ``GET /v1/jobs/{id}``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, Field

JobStatus = Literal["queued", "running", "succeeded", "failed"]
JOB_STATUSES: Final[tuple[JobStatus, ...]] = get_args(JobStatus)
JOB_QUEUED: Final = "queued"
JOB_RUNNING: Final = "running"
JOB_SUCCEEDED: Final = "succeeded"
JOB_FAILED: Final = "failed"


class TrainRequest(BaseModel):
    """What to train: the body of ``POST /v1/jobs`` and the options of ``modelfleet train``."""

    data: str = Field(description="Path of a CSV/parquet file, or the name of a catalog dataset")
    target: str = Field(description="Name of the label column")
    model_type: str = Field(default="hgb", description="hgb, gbm, rf or logreg")
    params: dict[str, Any] = Field(default_factory=dict, description="Estimator parameters")
    model_name: str = Field(
        description="Registered model name in MLflow", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$"
    )
    id_columns: list[str] | None = Field(default=None, description="Override id detection")
    drop: list[str] = Field(default_factory=list, description="Columns to leave out")
    dataset_name: str | None = Field(default=None, description="Name for the lineage record")
    description: str | None = None


class JobAccepted(BaseModel):
    """The 202 answer of ``POST /v1/jobs``."""

    job_id: str
    status: JobStatus


class JobOut(BaseModel):
    """A job as ``GET /v1/jobs/{id}`` shows it."""

    job_id: str
    status: JobStatus
    model_name: str
    model_type: str
    request: dict[str, Any]
    run_id: str | None
    model_version: str | None
    metrics: dict[str, float] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

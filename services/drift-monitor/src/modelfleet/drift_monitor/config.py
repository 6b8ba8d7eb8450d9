"""Drift-monitor settings: read once in the composition root, never at import time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from modelfleet.common.settings import DatabaseSettings

DEFAULT_KEY_COLUMNS = ["AvgSessionDurationMinutes", "SessionsPerWeek"]


class DriftSettings(DatabaseSettings):
    """Settings of the drift-monitor service and of ``python -m modelfleet.drift_monitor run``."""

    port: int = 8003
    """Local default port (8080 in the cluster)."""

    trainer_url: str = "http://127.0.0.1:8001"
    """The trainer service that receives retraining jobs (``MODELFLEET_TRAINER_URL``)."""

    trainer_timeout_s: float = 60.0
    """Timeout of one call to the trainer; the dataset upload can be tens of megabytes."""

    trainer_retries: int = 2
    """Retries of one trainer call (connection errors, 429/502/503/504) before giving up."""

    window_hours: float = 24.0
    """Default current window: online predictions of the last this-many hours."""

    min_rows: int = Field(default=500, ge=1)
    """Fewer current rows than this gives status ``not_enough_data`` and no verdict."""

    max_current_rows: int | None = Field(default=None, ge=1)
    """When set, a larger window is sampled down to this many rows (recorded as ``sampled``)."""

    drift_share_threshold: float = Field(default=0.3, ge=0, le=1)
    """Retrain when the share of drifted feature columns exceeds this."""

    retrain_on_prediction_drift: bool = True
    """Retrain when the distribution of predicted labels drifted."""

    key_columns: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_KEY_COLUMNS)
    )
    """Retrain when any of these columns drifted (JSON list or comma-separated)."""

    column_methods: dict[str, str] = Field(default_factory=dict)
    """Per-column Evidently drift method overriding its default, e.g. ``{"Age": "ks"}``."""

    column_thresholds: dict[str, float] = Field(default_factory=dict)
    """Per-column drift threshold overriding the method's default."""

    cooldown_hours: float = 24.0
    """After a retraining request for a version, no new one for that version for this long."""

    label_window_hours: float = 24.0 * 30
    """Labelled traffic of this many hours (before the run) joins the retraining set."""

    min_labelled_rows: int = Field(default=50, ge=1)
    """Fewer labelled online rows than this gives the retraining status ``no_labels``."""

    max_retrain_attempts: int = Field(default=5, ge=1)
    """A pending retraining (trainer down, no labels) is retried on later runs this many times."""

    @field_validator("key_columns", mode="before")
    @classmethod
    def _split_columns(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def drift_dir(self) -> Path:
        """Root of the monitor's files: reference cache, HTML reports, Evidently workspace."""
        return self.state_dir / "drift"

    @property
    def reference_cache_dir(self) -> Path:
        return self.drift_dir / "reference"

    @property
    def reports_dir(self) -> Path:
        return self.drift_dir / "reports"

    @property
    def workspace_dir(self) -> Path:
        """Evidently workspace (one project per model): ``evidently ui --workspace <this>``."""
        return self.drift_dir / "workspace"

    @property
    def training_dir(self) -> Path:
        """Training sets built for retraining requests before they are uploaded."""
        return self.drift_dir / "training"

"""The trainer's promotion API: ``POST /v1/promotions`` and what it answers."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, Field

RANKING_METRICS: Final = (
    "accuracy",
    "f1_macro",
    "f1_weighted",
    "precision_macro",
    "precision_weighted",
    "recall_macro",
    "recall_weighted",
    "roc_auc_ovr",
)
"""Overall metrics a promotion may rank versions by (checked by the trainer, 422 otherwise)."""


class PromotionRequest(BaseModel):
    """Body of ``POST /v1/promotions`` and the options of ``modelfleet promote``."""

    model_name: str = Field(min_length=1)
    metric: str = Field(default="f1_macro", description="Overall metric that ranks versions")
    tolerance: float = Field(default=0.02, ge=0, le=1, description="Allowed per-class recall drop")
    force: bool = Field(default=False, description="Promote despite a per-class regression")
    version: str | None = Field(default=None, description="Promote this version, not the best")


class PromotionResult(BaseModel):
    """What moved and why."""

    model_name: str
    metric: str
    source: str
    champion: str
    challenger: str | None
    previous_champion: str | None
    changed: bool
    forced: bool
    scores: dict[str, float]
    regressions: list[str]
    reason: str

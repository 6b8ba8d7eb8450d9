"""The demo's knobs: how much data, how many simulated days, when the drift starts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class DemoConfig:
    """Sizes of one demo run; ``fast()`` is small enough for an end-to-end test."""

    model_name: str = "engagement"
    train_rows: int = 20_000
    golden_rows: int = 5_000
    days: int = 8
    rows_per_day: int = 1_500
    drift_from_day: int = 4
    label_delay_days: int = 2
    request_rows: int = 50
    """Rows per ``/v1/predict`` request of the simulated traffic."""
    concurrency: int = 4
    """Simulated clients sending requests at the same time."""
    models: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "rf": {"n_estimators": 120, "max_depth": 12},
            "hgb": {"max_iter": 150},
        }
    )
    """The two first versions: model type → estimator parameters."""
    seed: int = 7

    @property
    def golden_name(self) -> str:
        """Catalog name of the golden set (by size: a fast run and a full run keep both)."""
        return f"gaming-golden-{self.golden_rows}"

    @classmethod
    def fast(cls) -> DemoConfig:
        """A few thousand rows and four days: the loop in a couple of minutes."""
        return cls(
            train_rows=4_000,
            golden_rows=1_500,
            days=4,
            rows_per_day=600,
            drift_from_day=2,
            label_delay_days=1,
            models={"rf": {"n_estimators": 40, "max_depth": 10}, "hgb": {"max_iter": 60}},
        )

    def with_days(self, days: int | None) -> DemoConfig:
        """Same sizes over ``days`` days; the drift starts halfway through."""
        if days is None:
            return self
        if days < 2:
            raise ValueError("the demo needs at least 2 days (one before the drift, one after)")
        return replace(self, days=days, drift_from_day=max(1, days // 2))

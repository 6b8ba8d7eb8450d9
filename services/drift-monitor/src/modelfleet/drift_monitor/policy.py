"""The retraining rule: when does a drift run ask the trainer for a new version?

Retrain when the share of drifted feature columns exceeds a threshold, or the predicted label's
distribution drifted, or any key column drifted; never on fewer than ``min_rows`` current rows; and
at most once per cooldown per model version, so one drift episode gives one retraining.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from modelfleet.drift_monitor.analysis import Analysis
from modelfleet.drift_monitor.config import DriftSettings

RETRAIN = "retrain"
NO_DRIFT = "no_retrain"
COOLDOWN = "cooldown"


@dataclass(frozen=True)
class Decision:
    """What the policy decided and why (the reasons are stored on the drift report)."""

    decision: str
    reasons: list[str] = field(default_factory=list)

    @property
    def retrain(self) -> bool:
        return self.decision == RETRAIN

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons) or "no retraining rule fired"


@dataclass(frozen=True)
class Policy:
    """The rule's knobs; ``from_settings`` reads them from the service settings."""

    drift_share_threshold: float = 0.3
    retrain_on_prediction_drift: bool = True
    key_columns: tuple[str, ...] = ()
    min_rows: int = 500
    cooldown: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: DriftSettings) -> Policy:
        return cls(
            drift_share_threshold=settings.drift_share_threshold,
            retrain_on_prediction_drift=settings.retrain_on_prediction_drift,
            key_columns=tuple(settings.key_columns),
            min_rows=settings.min_rows,
            cooldown=timedelta(hours=settings.cooldown_hours),
        )

    def enough_rows(self, rows: int) -> bool:
        return rows >= self.min_rows

    def triggers(self, analysis: Analysis) -> list[str]:
        """Every rule that fires on this analysis, as a readable reason."""
        reasons = []
        if analysis.drift_share > self.drift_share_threshold:
            reasons.append(
                f"drift share {analysis.drift_share:.2f} > {self.drift_share_threshold:.2f}"
            )
        if self.retrain_on_prediction_drift and analysis.prediction.drifted:
            reasons.append(
                f"prediction drifted ({analysis.prediction.method} "
                f"{analysis.prediction.score:.3f}, threshold {analysis.prediction.threshold:.3f})"
            )
        key_drifted = [
            c for c in self.key_columns if c in analysis.columns and analysis.columns[c].drifted
        ]
        if key_drifted:
            reasons.append("key column(s) drifted: " + ", ".join(key_drifted))
        return reasons

    def decide(
        self, analysis: Analysis, last_request_at: datetime | None, now: datetime
    ) -> Decision:
        """Retrain, hold off for the cooldown after the version's last request, or nothing."""
        reasons = self.triggers(analysis)
        if not reasons:
            return Decision(NO_DRIFT)
        if last_request_at is not None and now - last_request_at < self.cooldown:
            until = last_request_at + self.cooldown
            return Decision(
                COOLDOWN,
                [
                    *reasons,
                    f"retraining already requested at {last_request_at:%Y-%m-%d %H:%M} "
                    f"UTC; cooldown until {until:%Y-%m-%d %H:%M} UTC",
                ],
            )
        return Decision(RETRAIN, reasons)

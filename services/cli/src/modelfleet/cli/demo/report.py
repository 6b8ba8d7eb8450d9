"""What the demo saw, step by step: the facts the final summary is made of."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class VersionFacts:
    """One registered version: where it came from and how it scored."""

    version: str
    model_type: str
    origin: str
    job_id: str
    test_metrics: dict[str, float] = field(default_factory=dict)
    url: str | None = None
    evaluation_id: int | None = None
    golden: dict[str, float] = field(default_factory=dict)
    golden_recall: dict[str, float] = field(default_factory=dict)


@dataclass
class DayFacts:
    """One simulated day of traffic and the drift run after it."""

    day: int
    version: str
    rows: int
    drift_injected: bool
    labels_posted: int = 0
    run_id: int | None = None
    status: str | None = None
    drift_share: float | None = None
    key_columns_drifted: list[str] = field(default_factory=list)
    decision: str | None = None
    reason: str | None = None
    retrain_job: str | None = None
    retrain_status: str | None = None
    """Status of a retraining the policy asked for but could not submit (e.g. no labels yet)."""


@dataclass
class PromotionFacts:
    """One call to the trainer's promotion."""

    after: str
    promoted: bool
    champion: str | None
    challenger: str | None
    reason: str


@dataclass
class DemoReport:
    """Everything the summary shows."""

    versions: dict[str, VersionFacts] = field(default_factory=dict)
    days: list[DayFacts] = field(default_factory=list)
    promotions: list[PromotionFacts] = field(default_factory=list)
    champion: str | None = None
    challenger: str | None = None
    latest_report_url: str | None = None
    seconds: float = 0.0

    def champion_url(self) -> str | None:
        facts = self.versions.get(self.champion or "")
        return facts.url if facts else None

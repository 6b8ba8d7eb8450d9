"""Read golden-set evaluations and compare two versions class by class.

Shared by the collector (``GET /v1/evaluations/compare``, the CLI) and the trainer's promotion
guard, so both judge a candidate the same way. Two versions are only comparable on the same
golden set (same digest): metrics on different data say nothing about a regression.

A class the baseline knew but the candidate was not evaluated on (a model trained on fewer
classes) counts as 0 for the quality metrics of the candidate: it cannot predict that class,
which is exactly the regression the guard exists to catch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from modelfleet.common.db.models import Evaluation, EvaluationMetric
from modelfleet.common.errors import BadRequestError, ConflictError, NotFoundError

DONE = "done"
QUALITY_METRICS = frozenset(
    {
        "accuracy",
        "precision",
        "recall",
        "f1",
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "precision_weighted",
        "recall_weighted",
        "f1_weighted",
        "roc_auc_ovr",
    }
)
"""Higher is better: a drop beyond the tolerance is a regression. Counts are never flagged."""

GUARD_METRICS = ("precision", "recall", "f1")
"""Per-class metrics a comparison (and the promotion guard) may be judged on."""


class EvaluationMissingError(NotFoundError):
    """A version has no finished evaluation (on the requested golden set)."""


class GoldenSetMismatchError(ConflictError):
    """Two versions were evaluated, but never on the same golden set."""


def latest_done_evaluation(
    session: Session, model: str, version: str, golden_digest: str | None = None
) -> Evaluation | None:
    """The most recently finished ``done`` evaluation of a version (on that golden set if given)."""
    query = select(Evaluation).where(
        Evaluation.model_name == model,
        Evaluation.model_version == str(version),
        Evaluation.status == DONE,
    )
    if golden_digest is not None:
        query = query.where(Evaluation.golden_digest == golden_digest)
    query = query.order_by(Evaluation.finished_at.desc().nulls_last(), Evaluation.id.desc())
    return session.scalars(query.limit(1)).first()


def done_evaluations(session: Session, model: str, version: str) -> list[Evaluation]:
    """Every ``done`` evaluation of a version, newest first."""
    query = (
        select(Evaluation)
        .where(
            Evaluation.model_name == model,
            Evaluation.model_version == str(version),
            Evaluation.status == DONE,
        )
        .order_by(Evaluation.finished_at.desc().nulls_last(), Evaluation.id.desc())
    )
    return list(session.scalars(query))


def overall_metrics(session: Session, evaluation_id: int) -> dict[str, float]:
    """``{metric: value}`` of the overall metrics (rows with ``class_label`` NULL)."""
    rows = session.execute(
        select(EvaluationMetric.metric, EvaluationMetric.value).where(
            EvaluationMetric.evaluation_id == evaluation_id,
            EvaluationMetric.class_label.is_(None),
        )
    )
    return {metric: float(value) for metric, value in rows}


def class_metrics(session: Session, evaluation_id: int) -> dict[str, dict[str, float]]:
    """``{class: {metric: value}}`` of the per-class metrics of an evaluation."""
    rows = session.execute(
        select(EvaluationMetric.class_label, EvaluationMetric.metric, EvaluationMetric.value).where(
            EvaluationMetric.evaluation_id == evaluation_id,
            EvaluationMetric.class_label.is_not(None),
        )
    )
    out: dict[str, dict[str, float]] = {}
    for label, metric, value in rows:
        out.setdefault(str(label), {})[metric] = float(value)
    return out


@dataclass(frozen=True)
class MetricDelta:
    """One metric of one class (``class_label`` None: overall) in both versions."""

    metric: str
    class_label: str | None
    baseline: float | None
    candidate: float | None
    delta: float | None
    regression: bool


@dataclass
class Comparison:
    """Candidate against baseline on one golden set, with every delta and the verdict."""

    model: str
    baseline_version: str
    candidate_version: str
    baseline_evaluation_id: int
    candidate_evaluation_id: int
    golden_name: str
    golden_digest: str
    metric: str
    tolerance: float
    overall: list[MetricDelta] = field(default_factory=list)
    per_class: list[MetricDelta] = field(default_factory=list)

    @property
    def regressions(self) -> list[MetricDelta]:
        """Per-class drops of the chosen metric beyond the tolerance: what blocks promotion."""
        return [d for d in self.per_class if d.metric == self.metric and d.regression]

    @property
    def passed(self) -> bool:
        return not self.regressions

    def reason(self) -> str:
        """One sentence for logs, refusals and audit records."""
        if self.passed:
            return (
                f"{self.model} v{self.candidate_version}: no per-class {self.metric} drop beyond "
                f"{self.tolerance} against v{self.baseline_version} on {self.golden_name}"
            )
        parts = ", ".join(
            f"{d.class_label} {d.baseline:.3f}→{_fmt(d.candidate)}" for d in self.regressions
        )
        return (
            f"{self.model} v{self.candidate_version} regressed on {self.metric} against "
            f"v{self.baseline_version} (tolerance {self.tolerance}) on {self.golden_name}: {parts}"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        data["regressions"] = [asdict(d) for d in self.regressions]
        data["reason"] = self.reason()
        return data


def _fmt(value: float | None) -> str:
    return "absent" if value is None else f"{value:.3f}"


def _delta(
    metric: str,
    label: str | None,
    baseline: float | None,
    candidate: float | None,
    tolerance: float,
    *,
    missing_is_zero: bool,
) -> MetricDelta:
    quality = metric in QUALITY_METRICS
    effective = candidate
    if effective is None and missing_is_zero and quality:
        effective = 0.0
    delta = None if baseline is None or effective is None else effective - baseline
    regression = quality and delta is not None and delta < -tolerance
    return MetricDelta(metric, label, baseline, candidate, delta, regression)


def _pick_pair(
    session: Session, model: str, baseline: str, candidate: str, golden_digest: str | None
) -> tuple[Evaluation, Evaluation]:
    base_evals = done_evaluations(session, model, baseline)
    cand_evals = done_evaluations(session, model, candidate)
    for version, evals in ((baseline, base_evals), (candidate, cand_evals)):
        if not evals:
            raise EvaluationMissingError(f"{model} version {version} has no done evaluation")
    if golden_digest is not None:
        base = next((e for e in base_evals if e.golden_digest == golden_digest), None)
        cand = next((e for e in cand_evals if e.golden_digest == golden_digest), None)
        for version, found in ((baseline, base), (candidate, cand)):
            if found is None:
                raise EvaluationMissingError(
                    f"{model} version {version} has no done evaluation on golden set "
                    f"digest {golden_digest}"
                )
        assert base is not None and cand is not None
        return base, cand
    # The candidate's newest golden set that the baseline was evaluated on too.
    base_by_digest = {e.golden_digest: e for e in reversed(base_evals)}
    for cand in cand_evals:
        if cand.golden_digest in base_by_digest:
            return base_by_digest[cand.golden_digest], cand
    raise GoldenSetMismatchError(
        f"{model} versions {baseline} and {candidate} were evaluated on different golden sets "
        f"(baseline: {sorted({e.golden_name for e in base_evals})}, "
        f"candidate: {sorted({e.golden_name for e in cand_evals})}); evaluate both on the same one"
    )


def compare(
    session: Session,
    model: str,
    baseline_version: str,
    candidate_version: str,
    metric: str = "recall",
    tolerance: float = 0.02,
    golden_digest: str | None = None,
) -> Comparison:
    """Per-class and overall deltas of every metric, candidate minus baseline, same golden set.

    Raises :class:`EvaluationMissingError` (404) when either version has no done evaluation and
    :class:`GoldenSetMismatchError` (409) when they share no golden set.
    """
    if metric not in GUARD_METRICS:
        raise BadRequestError(f"metric: must be one of {', '.join(GUARD_METRICS)}, got {metric!r}")
    if not 0 <= tolerance <= 1:
        raise BadRequestError(f"tolerance: must be between 0 and 1, got {tolerance}")
    base, cand = _pick_pair(
        session, model, str(baseline_version), str(candidate_version), golden_digest
    )
    comparison = Comparison(
        model=model,
        baseline_version=str(baseline_version),
        candidate_version=str(candidate_version),
        baseline_evaluation_id=base.id,
        candidate_evaluation_id=cand.id,
        golden_name=cand.golden_name,
        golden_digest=cand.golden_digest,
        metric=metric,
        tolerance=tolerance,
    )
    base_overall = overall_metrics(session, base.id)
    cand_overall = overall_metrics(session, cand.id)
    for name in sorted(set(base_overall) | set(cand_overall)):
        comparison.overall.append(
            _delta(
                name,
                None,
                base_overall.get(name),
                cand_overall.get(name),
                tolerance,
                missing_is_zero=False,
            )
        )
    base_classes = class_metrics(session, base.id)
    cand_classes = class_metrics(session, cand.id)
    for label in sorted(set(base_classes) | set(cand_classes)):
        b, c = base_classes.get(label, {}), cand_classes.get(label, {})
        for name in sorted(set(b) | set(c)):
            comparison.per_class.append(
                _delta(
                    name,
                    label,
                    b.get(name),
                    c.get(name),
                    tolerance,
                    missing_is_zero=label not in cand_classes,
                )
            )
    return comparison

"""Judging a candidate version against a baseline, class by class, on one golden set.

The one rule shared by the collector (``GET /v1/evaluations/compare``, the CLI) and the trainer's
promotion guard, so both judge a candidate the same way. Two versions are only comparable on the
same golden set (same digest): metrics on different data say nothing about a regression.

A class the baseline knew but the candidate was not evaluated on (a model trained on fewer
classes) counts as 0 for the quality metrics of the candidate: it cannot predict that class,
which is exactly the regression the guard exists to catch.

The rule itself (:func:`choose_pair`, :func:`compare_metrics`) works on plain values; only
:func:`compare` reads the stored evaluations, through :mod:`modelfleet.common.db.queries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from modelfleet.common.errors import BadRequestError, ConflictError, NotFoundError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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


class GoldenSetEvaluation(Protocol):
    """What choosing a golden set needs of an evaluation (a stored ``Evaluation`` has it)."""

    @property
    def golden_name(self) -> str: ...

    @property
    def golden_digest(self) -> str: ...


E = TypeVar("E", bound=GoldenSetEvaluation)


@dataclass(frozen=True)
class EvaluatedVersion:
    """One version's metrics from one evaluation on one golden set."""

    version: str
    evaluation_id: int
    golden_name: str
    golden_digest: str
    overall: dict[str, float] = field(default_factory=dict)
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)


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


def _check_rule(metric: str, tolerance: float) -> None:
    if metric not in GUARD_METRICS:
        raise BadRequestError(f"metric: must be one of {', '.join(GUARD_METRICS)}, got {metric!r}")
    if not 0 <= tolerance <= 1:
        raise BadRequestError(f"tolerance: must be between 0 and 1, got {tolerance}")


def choose_pair(
    model: str,
    baseline: tuple[str, Sequence[E]],
    candidate: tuple[str, Sequence[E]],
    golden_digest: str | None = None,
) -> tuple[E, E]:
    """The two evaluations to compare, from each version's done ones (newest first).

    On ``golden_digest`` when given, else on the candidate's newest golden set that the baseline
    was evaluated on too. Raises :class:`EvaluationMissingError` (404) when a version has none
    (on that golden set) and :class:`GoldenSetMismatchError` (409) when they share none.
    """
    (base_version, base_evals), (cand_version, cand_evals) = baseline, candidate
    for version, evals in (baseline, candidate):
        if not evals:
            raise EvaluationMissingError(f"{model} version {version} has no done evaluation")
    if golden_digest is not None:
        base = next((e for e in base_evals if e.golden_digest == golden_digest), None)
        cand = next((e for e in cand_evals if e.golden_digest == golden_digest), None)
        for version, found in ((base_version, base), (cand_version, cand)):
            if found is None:
                raise EvaluationMissingError(
                    f"{model} version {version} has no done evaluation on golden set "
                    f"digest {golden_digest}"
                )
        assert base is not None and cand is not None
        return base, cand
    base_by_digest = {e.golden_digest: e for e in reversed(base_evals)}
    for cand in cand_evals:
        if cand.golden_digest in base_by_digest:
            return base_by_digest[cand.golden_digest], cand
    raise GoldenSetMismatchError(
        f"{model} versions {base_version} and {cand_version} were evaluated on different golden "
        f"sets (baseline: {sorted({e.golden_name for e in base_evals})}, "
        f"candidate: {sorted({e.golden_name for e in cand_evals})}); evaluate both on the same one"
    )


def compare_metrics(
    model: str,
    baseline: EvaluatedVersion,
    candidate: EvaluatedVersion,
    metric: str = "recall",
    tolerance: float = 0.02,
) -> Comparison:
    """Per-class and overall deltas of every metric, candidate minus baseline.

    Both must come from the same golden set (see :func:`choose_pair`); the comparison is
    labelled with the candidate's.
    """
    _check_rule(metric, tolerance)
    comparison = Comparison(
        model=model,
        baseline_version=baseline.version,
        candidate_version=candidate.version,
        baseline_evaluation_id=baseline.evaluation_id,
        candidate_evaluation_id=candidate.evaluation_id,
        golden_name=candidate.golden_name,
        golden_digest=candidate.golden_digest,
        metric=metric,
        tolerance=tolerance,
    )
    base, cand = baseline.overall, candidate.overall
    comparison.overall = [
        _delta(name, None, base.get(name), cand.get(name), tolerance, missing_is_zero=False)
        for name in sorted(set(base) | set(cand))
    ]
    base_classes, cand_classes = baseline.per_class, candidate.per_class
    for label in sorted(set(base_classes) | set(cand_classes)):
        b, c = base_classes.get(label, {}), cand_classes.get(label, {})
        missing = label not in cand_classes
        comparison.per_class.extend(
            _delta(name, label, b.get(name), c.get(name), tolerance, missing_is_zero=missing)
            for name in sorted(set(b) | set(c))
        )
    return comparison


def compare(
    session: Session,
    model: str,
    baseline_version: str,
    candidate_version: str,
    metric: str = "recall",
    tolerance: float = 0.02,
    golden_digest: str | None = None,
) -> Comparison:
    """:func:`compare_metrics` of two stored versions on the golden set :func:`choose_pair` picks.

    The entry point of every caller (the collector's compare API, the CLI, the promotion guard),
    so none of them can pick the evaluations differently.
    """
    # Imported here so that the rule above needs no database stack (the ``db`` extra).
    from modelfleet.common.db.queries import evaluations as stored

    _check_rule(metric, tolerance)
    baseline, candidate = str(baseline_version), str(candidate_version)
    base, cand = choose_pair(
        model,
        (baseline, stored.done_evaluations(session, model, baseline)),
        (candidate, stored.done_evaluations(session, model, candidate)),
        golden_digest,
    )
    evaluated = [
        EvaluatedVersion(
            version,
            e.id,
            e.golden_name,
            e.golden_digest,
            stored.overall_metrics(session, e.id),
            stored.class_metrics(session, e.id),
        )
        for version, e in ((baseline, base), (candidate, cand))
    ]
    return compare_metrics(model, evaluated[0], evaluated[1], metric, tolerance)

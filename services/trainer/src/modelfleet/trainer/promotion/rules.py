"""The decisions of a promotion, on plain values: which scores, who ranks first, whether the
per-class guard lets the new champion through, and the reasons recorded on the versions.

Nothing here reads MLflow or the database (:mod:`.evidence` does), so every decision is
testable on its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from modelfleet.common.errors import BadRequestError, ConflictError
from modelfleet.common.evaluations import Comparison

MLFLOW_SOURCE = "MLflow test metrics"
_AVERAGES = {"macro", "weighted"}


class DoneEvaluation(Protocol):
    """What choosing scores needs of a done evaluation (a stored ``Evaluation`` has it)."""

    @property
    def id(self) -> int: ...

    @property
    def golden_name(self) -> str: ...

    @property
    def golden_digest(self) -> str: ...

    @property
    def finished_at(self) -> datetime | None: ...


E = TypeVar("E", bound=DoneEvaluation)


@dataclass(frozen=True)
class Scores:
    """One score per version, all from the same source so they compare like with like."""

    values: dict[str, float]
    source: str


@dataclass(frozen=True)
class Ranking:
    champion: str
    challenger: str | None
    explicit: bool
    """The champion was named in the request rather than ranked first."""


@dataclass(frozen=True)
class Guard:
    """The per-class check of the new champion against the current one."""

    summary: str
    regressions: list[str] = field(default_factory=list)


NO_CHAMPION = Guard("no current champion")


def choose_scores(
    done: Mapping[str, Sequence[E]],
    overall: Callable[[E], Mapping[str, float]],
    run_metrics: Callable[[str], Mapping[str, float]],
    metric: str,
) -> Scores:
    """Evaluation scores on the newest golden set every version shares, else MLflow test ones.

    ``done`` holds each version's done evaluations, newest first; ``overall`` reads one's
    overall metrics and ``run_metrics`` a version's MLflow run metrics, only when needed.
    """
    return _evaluation_scores(done, overall, metric) or _mlflow_scores(done, run_metrics, metric)


def _evaluation_scores(
    done: Mapping[str, Sequence[E]], overall: Callable[[E], Mapping[str, float]], metric: str
) -> Scores | None:
    common = set.intersection(*({e.golden_digest for e in evals} for evals in done.values()))
    if not common:
        return None
    newest = max(
        (e for evals in done.values() for e in evals if e.golden_digest in common),
        key=lambda e: (e.finished_at is not None, e.finished_at, e.id),
    )
    values: dict[str, float] = {}
    for version, evals in done.items():
        latest = next(e for e in evals if e.golden_digest == newest.golden_digest)
        metrics = overall(latest)
        if metric not in metrics:
            return None
        values[version] = metrics[metric]
    return Scores(values, f"evaluation on golden set {newest.golden_name}")


def _mlflow_scores(
    versions: Iterable[str], run_metrics: Callable[[str], Mapping[str, float]], metric: str
) -> Scores:
    key = f"test_{metric}"
    values: dict[str, float] = {}
    for version in versions:
        metrics = run_metrics(version)
        if key not in metrics:
            raise BadRequestError(f"metric: version {version} has no {key} in its MLflow run")
        values[version] = metrics[key]
    return Scores(values, MLFLOW_SOURCE)


def rank(model: str, metric: str, scores: Scores, version: str | None = None) -> Ranking:
    """Best score first (the newer version first on equal scores), or ``version`` if named.

    A tie for first place moves nothing: a ConflictError asks for an explicit version.
    """
    values = scores.values
    ranked = sorted(values, key=lambda v: (values[v], int(v)), reverse=True)
    best = ranked[0] if version is None else version
    if (
        version is None
        and len(ranked) > 1
        and math.isclose(values[ranked[0]], values[ranked[1]], abs_tol=1e-9)
    ):
        raise ConflictError(
            f"versions {ranked[0]} and {ranked[1]} of {model} tie on "
            f"{metric} ({values[best]:.4f}, {scores.source}); "
            "nothing moved — promote one explicitly with version"
        )
    runner_up = next((v for v in ranked if v != best), None)
    return Ranking(best, runner_up, explicit=version is not None)


def drops_in(comparison: Comparison) -> list[str]:
    """The regressions of an evaluation comparison, as ``class before→after``."""
    return [
        f"{d.class_label} {d.baseline:.3f}→{(d.candidate or 0.0):.3f}"
        for d in comparison.regressions
    ]


def recall_drops(
    baseline: Mapping[str, float], candidate: Mapping[str, float], tolerance: float
) -> list[str]:
    """Per-class ``test_recall_<class>`` drops beyond ``tolerance`` between two MLflow runs; a
    class the candidate does not know counts as recall 0."""
    base, cand = _class_recalls(baseline), _class_recalls(candidate)
    return [
        f"{label} {value:.3f}→{cand.get(label, 0.0):.3f}"
        for label, value in sorted(base.items())
        if cand.get(label, 0.0) < value - tolerance
    ]


def _class_recalls(metrics: Mapping[str, float]) -> dict[str, float]:
    prefix = "test_recall_"
    return {
        key[len(prefix) :]: value
        for key, value in metrics.items()
        if key.startswith(prefix) and key[len(prefix) :] not in _AVERAGES
    }


def guard(
    model: str,
    champion: str,
    current: str,
    regressions: list[str],
    source: str,
    *,
    tolerance: float,
    force: bool,
) -> Guard:
    """Let ``champion`` replace ``current`` unless it regressed on a class (or ``force``)."""
    if regressions and not force:
        raise ConflictError(
            f"refusing to promote {model} v{champion}: per-class recall drops "
            f"beyond {tolerance} against champion v{current} ({source}): "
            f"{'; '.join(regressions)}; use force to promote anyway"
        )
    found = "; ".join(regressions) if regressions else f"no drop beyond {tolerance}"
    return Guard(f"per-class recall against v{current} ({source}): {found}", regressions)


def reasons(
    metric: str, scores: Scores, ranking: Ranking, checked: Guard
) -> tuple[str, str | None]:
    """The promotion reasons tagged on the champion and on the challenger (if any)."""
    values, champion, challenger = scores.values, ranking.champion, ranking.challenger
    choice = "chosen explicitly" if ranking.explicit else "best"
    champion_reason = (
        f"champion: {choice} by {metric} {values[champion]:.4f} ({scores.source})"
        + (f" over v{challenger} {values[challenger]:.4f}" if challenger else "")
        + f"; {checked.summary}"
        + ("; FORCED despite the regression" if checked.regressions else "")
    )
    if challenger is None:
        return champion_reason, None
    return champion_reason, (
        f"challenger: runner-up by {metric} {values[challenger]:.4f} "
        f"({scores.source}) behind champion v{champion}"
    )

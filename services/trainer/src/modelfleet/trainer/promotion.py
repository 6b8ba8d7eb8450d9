"""Promotion: move alias ``champion`` to the best version and ``challenger`` to the runner-up.

Scores come from one source for every version so they compare like with like: the collector's
golden-set evaluations when every version has a ``done`` evaluation on one common golden set,
otherwise each run's test metrics in MLflow. The regression guard compares the new champion with
the current one class by class (recall), on the evaluations when both share a golden set
(:func:`modelfleet.common.evaluations.compare`), else on the runs' ``test_recall_<class>``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from sqlalchemy.orm import Session

from modelfleet.common import evaluations
from modelfleet.common import model_contract as contract
from modelfleet.common.db.queries import evaluations as stored
from modelfleet.common.errors import BadRequestError, ConflictError, NotFoundError, UnavailableError
from modelfleet.common.mlflow_registry import versions_of
from modelfleet.common.wire import RANKING_METRICS, PromotionRequest, PromotionResult

_AVERAGES = {"macro", "weighted"}


@dataclass
class _Scores:
    values: dict[str, float]
    source: str


def promote(session: Session, client: MlflowClient, request: PromotionRequest) -> PromotionResult:
    """Rank, guard against per-class regressions, move the aliases and record the reason."""
    if request.metric not in RANKING_METRICS:
        raise BadRequestError(
            f"metric: must be one of {', '.join(RANKING_METRICS)}, got {request.metric!r}"
        )
    versions = {str(mv.version): mv for mv in versions_of(client, request.model_name)}
    if not versions:
        raise NotFoundError(f"registered model {request.model_name!r} has no versions")
    if request.version is not None and request.version not in versions:
        raise NotFoundError(f"{request.model_name} has no version {request.version}")
    scores = _scores(session, client, request.model_name, versions, request.metric)
    ranked = sorted(scores.values, key=lambda v: (scores.values[v], int(v)), reverse=True)
    if request.version is None:
        best = ranked[0]
        if len(ranked) > 1 and math.isclose(
            scores.values[ranked[0]], scores.values[ranked[1]], abs_tol=1e-9
        ):
            raise ConflictError(
                f"versions {ranked[0]} and {ranked[1]} of {request.model_name} tie on "
                f"{request.metric} ({scores.values[best]:.4f}, {scores.source}); "
                "nothing moved — promote one explicitly with version"
            )
    else:
        best = request.version
    runner_up = next((v for v in ranked if v != best), None)
    current = _alias_holder(client, request.model_name, contract.CHAMPION_ALIAS)

    regressions: list[str] = []
    guard = "no current champion"
    if current is not None and current != best:
        regressions, guard_source = _regressions(
            session, client, request.model_name, current, best, request.tolerance
        )
        guard = f"per-class recall against v{current} ({guard_source}): " + (
            "; ".join(regressions) if regressions else f"no drop beyond {request.tolerance}"
        )
        if regressions and not request.force:
            raise ConflictError(
                f"refusing to promote {request.model_name} v{best}: per-class recall drops "
                f"beyond {request.tolerance} against champion v{current} ({guard_source}): "
                f"{'; '.join(regressions)}; use force to promote anyway"
            )
    choice = "chosen explicitly" if request.version else "best"
    reason = (
        f"champion: {choice} by {request.metric} {scores.values[best]:.4f} ({scores.source})"
        + (f" over v{runner_up} {scores.values[runner_up]:.4f}" if runner_up else "")
        + f"; {guard}"
        + ("; FORCED despite the regression" if regressions else "")
    )
    _set_alias(client, request.model_name, contract.CHAMPION_ALIAS, best, reason)
    if runner_up is not None:
        _set_alias(
            client,
            request.model_name,
            contract.CHALLENGER_ALIAS,
            runner_up,
            f"challenger: runner-up by {request.metric} {scores.values[runner_up]:.4f} "
            f"({scores.source}) behind champion v{best}",
        )
    return PromotionResult(
        model_name=request.model_name,
        metric=request.metric,
        source=scores.source,
        champion=best,
        challenger=runner_up,
        previous_champion=current,
        changed=current != best,
        forced=bool(regressions),
        scores=scores.values,
        regressions=regressions,
        reason=reason,
    )


def _alias_holder(client: MlflowClient, model: str, alias: str) -> str | None:
    """Read from the registered model: version search results do not always carry aliases."""
    try:
        aliases = client.get_registered_model(model).aliases or {}
    except MlflowException as exc:
        raise UnavailableError(f"cannot read the aliases of {model}: {exc}") from exc
    holder = aliases.get(alias)
    return None if holder is None else str(holder)


def _scores(
    session: Session,
    client: MlflowClient,
    model: str,
    versions: dict[str, ModelVersion],
    metric: str,
) -> _Scores:
    """Evaluation scores on the newest golden set every version shares, else MLflow test ones."""
    done = {v: stored.done_evaluations(session, model, v) for v in versions}
    common = set.intersection(*({e.golden_digest for e in evals} for evals in done.values()))
    if common:
        newest = max(
            (e for evals in done.values() for e in evals if e.golden_digest in common),
            key=lambda e: (e.finished_at is not None, e.finished_at, e.id),
        )
        values: dict[str, float] = {}
        for version, evals in done.items():
            latest = next(e for e in evals if e.golden_digest == newest.golden_digest)
            overall = stored.overall_metrics(session, latest.id)
            if metric not in overall:
                break
            values[version] = overall[metric]
        else:
            return _Scores(values, f"evaluation on golden set {newest.golden_name}")
    values = {}
    for version, mv in versions.items():
        run_metrics = _run_metrics(client, mv)
        key = f"test_{metric}"
        if key not in run_metrics:
            raise BadRequestError(f"metric: version {version} has no {key} in its MLflow run")
        values[version] = run_metrics[key]
    return _Scores(values, "MLflow test metrics")


def _regressions(
    session: Session,
    client: MlflowClient,
    model: str,
    baseline: str,
    candidate: str,
    tolerance: float,
) -> tuple[list[str], str]:
    """Per-class recall drops beyond ``tolerance`` of ``candidate`` against ``baseline``."""
    try:
        comparison = evaluations.compare(
            session, model, baseline, candidate, metric="recall", tolerance=tolerance
        )
    except (evaluations.EvaluationMissingError, evaluations.GoldenSetMismatchError):
        pass
    else:
        found = [
            f"{d.class_label} {d.baseline:.3f}→{(d.candidate or 0.0):.3f}"
            for d in comparison.regressions
        ]
        return found, f"evaluation on golden set {comparison.golden_name}"
    versions = {str(mv.version): mv for mv in versions_of(client, model)}
    base = _class_recalls(_run_metrics(client, versions[baseline]))
    cand = _class_recalls(_run_metrics(client, versions[candidate]))
    found = [
        f"{label} {value:.3f}→{cand.get(label, 0.0):.3f}"
        for label, value in sorted(base.items())
        if cand.get(label, 0.0) < value - tolerance
    ]
    return found, "MLflow test metrics"


def _class_recalls(metrics: dict[str, float]) -> dict[str, float]:
    prefix = "test_recall_"
    return {
        key[len(prefix) :]: value
        for key, value in metrics.items()
        if key.startswith(prefix) and key[len(prefix) :] not in _AVERAGES
    }


def _run_metrics(client: MlflowClient, mv: ModelVersion) -> dict[str, float]:
    if not mv.run_id:
        return {}
    try:
        return dict(client.get_run(mv.run_id).data.metrics)
    except MlflowException as exc:
        raise UnavailableError(f"cannot read the run of version {mv.version}: {exc}") from exc


def _set_alias(client: MlflowClient, model: str, alias: str, version: str, reason: str) -> None:
    try:
        client.set_registered_model_alias(model, alias, version)
        client.set_model_version_tag(model, version, contract.TAG_PROMOTION_REASON, reason)
    except MlflowException as exc:
        raise UnavailableError(f"cannot move alias {alias} of {model}: {exc}") from exc

"""What a promotion decides on, read from the MLflow registry and the collector's evaluations."""

from __future__ import annotations

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from sqlalchemy.orm import Session

from modelfleet.common import evaluations
from modelfleet.common.db.queries import evaluations as stored
from modelfleet.common.errors import NotFoundError, UnavailableError
from modelfleet.common.mlflow_registry import versions_of
from modelfleet.trainer.promotion.rules import MLFLOW_SOURCE, Scores, choose_scores, drops_in
from modelfleet.trainer.promotion.rules import recall_drops as run_recall_drops

Versions = dict[str, ModelVersion]


def registered_versions(client: MlflowClient, model: str) -> Versions:
    """``{version: ModelVersion}``, newest first; NotFoundError when there is none."""
    versions = {str(mv.version): mv for mv in versions_of(client, model)}
    if not versions:
        raise NotFoundError(f"registered model {model!r} has no versions")
    return versions


def scores(
    session: Session, client: MlflowClient, model: str, versions: Versions, metric: str
) -> Scores:
    """Every version's score on ``metric`` (see :func:`rules.choose_scores` for the source)."""
    done = {v: stored.done_evaluations(session, model, v) for v in versions}
    return choose_scores(
        done,
        lambda evaluation: stored.overall_metrics(session, evaluation.id),
        lambda version: run_metrics(client, versions[version]),
        metric,
    )


def recall_drops(
    session: Session,
    client: MlflowClient,
    model: str,
    versions: Versions,
    baseline: str,
    candidate: str,
    tolerance: float,
) -> tuple[list[str], str]:
    """Per-class recall drops of ``candidate`` against ``baseline`` and where they come from:
    the golden-set evaluations when both share one, else the runs' test metrics."""
    try:
        comparison = evaluations.compare(
            session, model, baseline, candidate, metric="recall", tolerance=tolerance
        )
    except (evaluations.EvaluationMissingError, evaluations.GoldenSetMismatchError):
        pass
    else:
        return drops_in(comparison), f"evaluation on golden set {comparison.golden_name}"
    base = run_metrics(client, versions[baseline])
    cand = run_metrics(client, versions[candidate])
    return run_recall_drops(base, cand, tolerance), MLFLOW_SOURCE


def run_metrics(client: MlflowClient, mv: ModelVersion) -> dict[str, float]:
    """The metrics of the run a version was registered from (none without a run)."""
    if not mv.run_id:
        return {}
    try:
        return dict(client.get_run(mv.run_id).data.metrics)
    except MlflowException as exc:
        raise UnavailableError(f"cannot read the run of version {mv.version}: {exc}") from exc

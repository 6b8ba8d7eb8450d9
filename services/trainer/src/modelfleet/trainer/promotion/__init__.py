"""Promotion: move alias ``champion`` to the best version and ``challenger`` to the runner-up.

Scores come from one source for every version so they compare like with like: the collector's
golden-set evaluations when every version has a ``done`` evaluation on one common golden set,
otherwise each run's test metrics in MLflow. The regression guard compares the new champion with
the current one class by class (recall), on the evaluations when both share a golden set
(:func:`modelfleet.common.evaluations.compare`), else on the runs' ``test_recall_<class>``.

:func:`promote` reads the evidence (:mod:`.evidence`), ranks and guards (:mod:`.rules`, no I/O)
and moves the aliases (:mod:`.aliases`).
"""

from __future__ import annotations

from mlflow import MlflowClient
from sqlalchemy.orm import Session

from modelfleet.common import model_contract as contract
from modelfleet.common.errors import BadRequestError, NotFoundError
from modelfleet.common.wire import RANKING_METRICS, PromotionRequest, PromotionResult
from modelfleet.trainer.promotion import aliases, evidence, rules


def promote(session: Session, client: MlflowClient, request: PromotionRequest) -> PromotionResult:
    """Rank, guard against per-class regressions, move the aliases and record the reason."""
    model, metric = request.model_name, request.metric
    if metric not in RANKING_METRICS:
        raise BadRequestError(
            f"metric: must be one of {', '.join(RANKING_METRICS)}, got {metric!r}"
        )
    versions = evidence.registered_versions(client, model)
    if request.version is not None and request.version not in versions:
        raise NotFoundError(f"{model} has no version {request.version}")
    scores = evidence.scores(session, client, model, versions, metric)
    ranking = rules.rank(model, metric, scores, request.version)
    current = aliases.holder(client, model, contract.CHAMPION_ALIAS)
    checked = rules.NO_CHAMPION
    if current is not None and current != ranking.champion:
        drops, source = evidence.recall_drops(
            session, client, model, versions, current, ranking.champion, request.tolerance
        )
        checked = rules.guard(
            model,
            ranking.champion,
            current,
            drops,
            source,
            tolerance=request.tolerance,
            force=request.force,
        )
    champion_reason, challenger_reason = rules.reasons(metric, scores, ranking, checked)
    aliases.move(client, model, contract.CHAMPION_ALIAS, ranking.champion, champion_reason)
    if ranking.challenger is not None and challenger_reason is not None:
        aliases.move(
            client, model, contract.CHALLENGER_ALIAS, ranking.challenger, challenger_reason
        )
    return PromotionResult(
        model_name=model,
        metric=metric,
        source=scores.source,
        champion=ranking.champion,
        challenger=ranking.challenger,
        previous_champion=current,
        changed=current != ranking.champion,
        forced=bool(checked.regressions),
        scores=scores.values,
        regressions=checked.regressions,
        reason=champion_reason,
    )

"""Promotion over HTTP: ranking, challenger, ties, the per-class regression guard, reasons."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from modelfleet.common import model_contract as contract
from modelfleet.common.db.models import Evaluation, EvaluationMetric, utcnow
from modelfleet.trainer.training import TrainRequest, train_and_register
from tests.trainer.conftest import TrainerService

pytestmark = pytest.mark.integration
CLASSES = ("High", "Low", "Medium")


def _alias(client: MlflowClient, name: str, alias: str) -> str | None:
    holder = client.get_registered_model(name).aliases.get(alias)
    return None if holder is None else str(holder)


def _version_without_training(client: MlflowClient, name: str, test_f1: float) -> str:
    """A registered version whose run has only a test_f1_macro (scores come from evaluations)."""
    if not client.search_registered_models(f"name = '{name}'"):
        client.create_registered_model(name)
    experiment = client.get_experiment_by_name(name) or client.get_experiment(
        client.create_experiment(name)
    )
    run = client.create_run(experiment.experiment_id)
    client.log_metric(run.info.run_id, "test_f1_macro", test_f1)
    client.set_terminated(run.info.run_id)
    mv = client.create_model_version(name, f"runs:/{run.info.run_id}/model", run.info.run_id)
    return str(mv.version)


def _evaluate(session: Session, name: str, version: str, f1: float, recall: dict[str, float]):
    evaluation = Evaluation(
        model_name=name,
        model_version=version,
        golden_name="golden-gaming",
        golden_digest="d" * 64,
        status="done",
        rows_total=100,
        rows_scored=100,
        finished_at=utcnow(),
    )
    session.add(evaluation)
    session.flush()
    session.add(EvaluationMetric(evaluation_id=evaluation.id, metric="f1_macro", value=f1))
    for label, value in recall.items():
        session.add(
            EvaluationMetric(
                evaluation_id=evaluation.id, metric="recall", class_label=label, value=value
            )
        )


def test_evaluations_rank_versions_refuse_ties_and_regressions(
    trainer: TrainerService, mlflow_client: MlflowClient, model_name: str, pg_clean: str
) -> None:
    # MLflow test metrics say the opposite of the evaluations: the evaluations must win.
    unknown_model = trainer.client.post("/v1/promotions", json={"model_name": model_name})
    assert unknown_model.status_code == 404
    assert model_name in unknown_model.json()["detail"]
    for field, value in (("metric", "vibes"), ("tolerance", 3)):
        bad = trainer.client.post("/v1/promotions", json={"model_name": model_name, field: value})
        assert bad.status_code == 422
        assert field in bad.json()["detail"]

    versions = [_version_without_training(mlflow_client, model_name, f1) for f1 in (0.9, 0.5, 0.4)]
    engine = create_engine(pg_clean)
    with Session(engine) as session, session.begin():
        _evaluate(session, model_name, versions[0], 0.80, dict.fromkeys(CLASSES, 0.80))
        slight_drop = {**dict.fromkeys(CLASSES, 0.8), "Low": 0.79}
        _evaluate(session, model_name, versions[1], 0.85, slight_drop)
        _evaluate(session, model_name, versions[2], 0.85, dict.fromkeys(CLASSES, 0.80))

    tie = trainer.client.post("/v1/promotions", json={"model_name": model_name})
    assert tie.status_code == 409, tie.text
    assert "tie" in tie.json()["detail"]
    assert _alias(mlflow_client, model_name, contract.CHAMPION_ALIAS) is None

    chosen = trainer.client.post(
        "/v1/promotions", json={"model_name": model_name, "version": versions[0]}
    )
    assert chosen.status_code == 200, chosen.text
    assert _alias(mlflow_client, model_name, contract.CHAMPION_ALIAS) == versions[0]

    # v3 becomes the best overall but loses 0.2 of recall on Medium.
    with Session(engine) as session, session.begin():
        third = session.query(Evaluation).filter_by(model_version=versions[2]).one()
        for metric, label, value in (("f1_macro", None, 0.90), ("recall", "Medium", 0.60)):
            session.execute(
                update(EvaluationMetric)
                .where(
                    EvaluationMetric.evaluation_id == third.id,
                    EvaluationMetric.metric == metric,
                    EvaluationMetric.class_label.is_(None)
                    if label is None
                    else EvaluationMetric.class_label == label,
                )
                .values(value=value)
            )
    engine.dispose()

    refused = trainer.client.post("/v1/promotions", json={"model_name": model_name})
    assert refused.status_code == 409, refused.text
    assert "Medium" in refused.json()["detail"] and "0.800→0.600" in refused.json()["detail"]
    assert _alias(mlflow_client, model_name, contract.CHAMPION_ALIAS) == versions[0]

    moved = trainer.client.post(
        "/v1/promotions", json={"model_name": model_name, "tolerance": 0.25}
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["champion"], body["challenger"], body["previous_champion"]) == (
        versions[2],
        versions[1],
        versions[0],
    )
    assert body["source"] == "evaluation on golden set golden-gaming"
    assert body["scores"] == {versions[0]: 0.8, versions[1]: 0.85, versions[2]: 0.9}
    assert _alias(mlflow_client, model_name, contract.CHAMPION_ALIAS) == versions[2]
    assert _alias(mlflow_client, model_name, contract.CHALLENGER_ALIAS) == versions[1]
    reason = mlflow_client.get_model_version(model_name, versions[2]).tags[
        contract.TAG_PROMOTION_REASON
    ]
    assert "f1_macro 0.9000" in reason and f"v{versions[0]}" in reason
    challenger_reason = mlflow_client.get_model_version(model_name, versions[1]).tags
    assert "runner-up" in challenger_reason[contract.TAG_PROMOTION_REASON]


def test_test_metrics_guard_a_model_that_lost_a_class_unless_forced(
    trainer: TrainerService,
    tiny_gaming_csv: Path,
    mlflow_uri: str,
    mlflow_client: MlflowClient,
    model_name: str,
    tmp_path: Path,
) -> None:
    two_class = tmp_path / "no_medium.csv"
    frame = pd.read_csv(tiny_gaming_csv)
    frame[frame["EngagementLevel"] != "Medium"].to_csv(two_class, index=False)
    trained = []
    with threadpool_limits(1):
        for data, model_type in ((tiny_gaming_csv, "hgb"), (two_class, "logreg")):
            request = TrainRequest(
                data=str(data),
                target="EngagementLevel",
                model_type=model_type,
                params={"max_iter": 30} if model_type == "hgb" else {},
                model_name=model_name,
            )
            trained.append(
                train_and_register(
                    request, tracking_uri=mlflow_uri, data_path=data, permutation_rows=200
                )
            )
    full, partial = trained

    first = trainer.client.post(
        "/v1/promotions", json={"model_name": model_name, "version": full.version}
    )
    assert first.status_code == 200, first.text
    assert first.json()["source"] == "MLflow test metrics"
    assert first.json()["scores"] == {
        full.version: pytest.approx(full.metrics["test_f1_macro"]),
        partial.version: pytest.approx(partial.metrics["test_f1_macro"]),
    }

    refused = trainer.client.post(
        "/v1/promotions", json={"model_name": model_name, "version": partial.version}
    )
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert "Medium" in detail and "force" in detail
    assert _alias(mlflow_client, model_name, contract.CHAMPION_ALIAS) == full.version

    forced = trainer.client.post(
        "/v1/promotions",
        json={"model_name": model_name, "version": partial.version, "force": True},
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["forced"] is True
    assert _alias(mlflow_client, model_name, contract.CHAMPION_ALIAS) == partial.version
    assert _alias(mlflow_client, model_name, contract.CHALLENGER_ALIAS) == full.version
    tags = mlflow_client.get_model_version(model_name, partial.version).tags
    assert "FORCED" in tags[contract.TAG_PROMOTION_REASON]
    assert "Medium" in tags[contract.TAG_PROMOTION_REASON]

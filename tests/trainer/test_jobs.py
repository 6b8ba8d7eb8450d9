"""The job queue over real HTTP: lifecycle to a registered version, FIFO, restart, auth."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient
from sqlalchemy import create_engine, text

from modelfleet.common import model_contract as contract
from tests.trainer.conftest import StartTrainer, TrainerService

pytestmark = pytest.mark.integration


def _job(data: Path | str, model_name: str, model_type: str = "hgb", **extra: object) -> dict:
    params = {"hgb": {"max_iter": 30}, "logreg": {}, "rf": {"n_estimators": 20}}[model_type]
    return {
        "data": str(data),
        "target": "EngagementLevel",
        "model_type": model_type,
        "params": params,
        "model_name": model_name,
        **extra,
    }


def _artifact_paths(client: MlflowClient, run_id: str, path: str | None = None) -> set[str]:
    found: set[str] = set()
    for item in client.list_artifacts(run_id, path):
        found.add(item.path)
        if item.is_dir:
            found |= _artifact_paths(client, run_id, item.path)
    return found


def test_jobs_run_fifo_to_registered_versions_with_every_artifact(
    trainer: TrainerService,
    tiny_gaming_csv: Path,
    model_name: str,
    mlflow_client: MlflowClient,
    tmp_path: Path,
) -> None:
    first = trainer.client.post("/v1/jobs", json=_job(tiny_gaming_csv, model_name))
    second = trainer.client.post("/v1/jobs", json=_job(tiny_gaming_csv, model_name, "logreg"))
    assert first.status_code == 202, first.text
    assert second.status_code == 202, second.text
    assert first.json()["status"] == "queued"
    assert first.headers["location"] == f"/v1/jobs/{first.json()['job_id']}"

    job1 = trainer.wait_job(first.json()["job_id"])
    job2 = trainer.wait_job(second.json()["job_id"])
    assert job1["status"] == "succeeded", job1["error"]
    assert job2["status"] == "succeeded", job2["error"]
    # One at a time, oldest first.
    assert datetime.fromisoformat(job2["started_at"]) >= datetime.fromisoformat(job1["finished_at"])
    assert (job1["model_version"], job2["model_version"]) == ("1", "2")
    listed = trainer.client.get("/v1/jobs", params={"status": "succeeded"}).json()
    assert {j["job_id"] for j in listed} == {job1["job_id"], job2["job_id"]}

    run = mlflow_client.get_run(job1["run_id"])
    metrics = run.data.metrics
    classes = sorted(pd.read_csv(tiny_gaming_csv)["EngagementLevel"].unique())
    for name in ("test_accuracy", "test_f1_macro", "test_f1_weighted", "test_roc_auc_ovr"):
        assert 0 < metrics[name] <= 1, name
        assert job1["metrics"][name] == pytest.approx(metrics[name])
    for label in classes:
        for name in ("precision", "recall", "f1"):
            assert f"test_{name}_{label}" in metrics
            assert f"train_{name}_{label}" in metrics
    assert metrics["test_accuracy"] > 1 / len(classes) + 0.1, "no better than chance"

    artifacts = _artifact_paths(mlflow_client, run.info.run_id)
    for path in (
        contract.CONFUSION_MATRIX_ARTIFACT,
        contract.FEATURE_IMPORTANCE_ARTIFACT,
        contract.FEATURE_IMPORTANCE_PLOT,
        contract.REFERENCE_ARTIFACT,
    ):
        assert path in artifacts, path
    png = mlflow_client.download_artifacts(
        run.info.run_id, contract.CONFUSION_MATRIX_ARTIFACT, str(tmp_path)
    )
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    importance = json.loads(
        Path(
            mlflow_client.download_artifacts(
                run.info.run_id, contract.FEATURE_IMPORTANCE_ARTIFACT, str(tmp_path)
            )
        ).read_text()
    )
    assert "PlayerID" not in importance["importances"]
    assert len(importance["importances"]) == 11
    reference = pd.read_parquet(
        mlflow_client.download_artifacts(
            run.info.run_id, contract.REFERENCE_ARTIFACT, str(tmp_path)
        )
    )
    assert {"EngagementLevel", "prediction", "PlayTimeHours"} <= set(reference.columns)

    assert run.inputs.dataset_inputs, "dataset lineage missing"
    dataset = run.inputs.dataset_inputs[0].dataset
    assert json.loads(dataset.source)  # source recorded
    assert run.data.tags[contract.TAG_DATASET_DIGEST]

    version = mlflow_client.get_model_version(model_name, "1")
    assert version.tags[contract.TAG_CANDIDATE] == "true"
    assert version.run_id == job1["run_id"]
    model_dir = Path(
        mlflow.artifacts.download_artifacts(
            f"models:/{model_name}/1", dst_path=str(tmp_path / "model")
        )
    )
    mlmodel = (model_dir / "MLmodel").read_text()
    assert "signature:" in mlmodel and "PlayTimeHours" in mlmodel
    assert "PlayerID" not in mlmodel
    assert "saved_input_example_info" in mlmodel

    scraped = trainer.client.get("/metrics").text
    assert 'modelfleet_training_jobs{status="succeeded"} 2.0' in scraped
    duration = 'modelfleet_training_duration_seconds_count{model_type="hgb",outcome="succeeded"}'
    assert f"{duration} 1.0" in scraped


def test_queued_and_interrupted_jobs_survive_a_restart(
    start_trainer: StartTrainer, tiny_gaming_csv: Path, model_name: str, pg_clean: str
) -> None:
    idle = start_trainer(MODELFLEET_WORKER_ENABLED="false")
    queued = idle.client.post("/v1/jobs", json=_job(tiny_gaming_csv, model_name)).json()
    assert idle.client.get(f"/v1/jobs/{queued['job_id']}").json()["status"] == "queued"
    idle.process.process.kill()  # SIGKILL: no shutdown hook runs
    idle.process.process.wait(10)

    # A job a crash left half-way: marked running, never finished.
    interrupted = str(uuid.uuid4())
    engine = create_engine(pg_clean)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO training_jobs (id, status, request, model_name, model_type, "
                "created_at, started_at) VALUES (:id, 'running', :req, :name, 'logreg', "
                "now() + interval '1 second', now())"
            ),
            {
                "id": interrupted,
                "req": json.dumps(_job(tiny_gaming_csv, model_name, "logreg")),
                "name": model_name,
            },
        )
    engine.dispose()

    restarted = start_trainer()
    done_queued = restarted.wait_job(queued["job_id"])
    done_interrupted = restarted.wait_job(interrupted)
    assert done_queued["status"] == "succeeded", done_queued["error"]
    assert done_interrupted["status"] == "succeeded", done_interrupted["error"]
    assert {done_queued["model_version"], done_interrupted["model_version"]} == {"1", "2"}


def test_mutating_endpoints_need_the_token_and_unknown_jobs_are_404(
    trainer: TrainerService, tiny_gaming_csv: Path
) -> None:
    response = trainer.client.get("/v1/jobs/does-not-exist")
    assert response.status_code == 404
    assert "does-not-exist" in response.json()["detail"]
    assert trainer.client.get("/v1/jobs", params={"status": "done"}).status_code == 422
    anonymous = httpx.Client(base_url=trainer.url, timeout=10)
    wrong = httpx.Client(base_url=trainer.url, headers={"Authorization": "Bearer nope"}, timeout=10)
    for client in (anonymous, wrong):
        for path, body in (
            ("/v1/jobs", _job(tiny_gaming_csv, "auth-test")),
            ("/v1/datasets", {"name": "x", "location": str(tiny_gaming_csv)}),
            ("/v1/promotions", {"model_name": "auth-test"}),
        ):
            response = client.post(path, json=body)
            assert response.status_code == 401, (path, response.text)
            assert response.json()["detail"]
    assert anonymous.get("/v1/jobs").status_code == 200
    assert anonymous.get("/v1/datasets").status_code == 200
    assert trainer.client.get("/v1/jobs").json() == []  # nothing was queued
    anonymous.close()
    wrong.close()

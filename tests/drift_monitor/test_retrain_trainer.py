"""The whole retraining path against a real trainer process and a real MLflow registry."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mlflow import MlflowClient

from modelfleet.cli.processes import ManagedProcess, free_port, start_process, wait_until_ready
from modelfleet.cli.synthetic import DriftSpec
from modelfleet.common import model_contract as contract
from modelfleet.common.db.migrate import upgrade
from tests.drift_monitor.conftest import (
    AUTH,
    TOKEN,
    TrafficWriter,
    monitor_env,
    run_drift,
    start_monitor,
)
from tests.polling import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """PostgreSQL, and the one-machine default where monitor and trainer share a SQLite file
    (a transaction held open across the trainer call used to lock the trainer out)."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_clean"))
    url = f"sqlite:///{tmp_path / 'fleet.db'}"
    upgrade(url)
    return url


@pytest.fixture
def trainer(
    database_url: str, registered_model: dict[str, str], tmp_path: Path
) -> Iterator[ManagedProcess]:
    """``python -m modelfleet.trainer`` with its production environment variables."""
    port = free_port()
    proc = start_process(
        "trainer",
        [sys.executable, "-m", "modelfleet.trainer"],
        url=f"http://127.0.0.1:{port}",
        log_path=tmp_path / "trainer.log",
        env={
            "MODELFLEET_DATABASE_URL": database_url,
            "MLFLOW_TRACKING_URI": registered_model["tracking_uri"],
            "MODELFLEET_API_TOKEN": TOKEN,
            "MODELFLEET_STATE_DIR": str(tmp_path / "trainer-state"),
            "MODELFLEET_DATA_DIR": str(tmp_path / "trainer-data"),
            "MODELFLEET_PORT": str(port),
            "MODELFLEET_WORKER_POLL_SECONDS": "0.5",
            "MODELFLEET_THREADS": "1",
        },
        cwd=tmp_path,
    )
    try:
        wait_until_ready(proc, timeout=120)
        yield proc
    finally:
        proc.stop()


def wait_for_job(trainer: ManagedProcess, job_id: str, timeout: float = 300) -> dict[str, object]:
    def finished() -> dict[str, object] | None:
        job = httpx.get(f"{trainer.url}/v1/jobs/{job_id}", headers=AUTH, timeout=10).json()
        return dict(job) if job["status"] in ("succeeded", "failed") else None

    try:
        return wait_for(finished, timeout=timeout, what=f"job {job_id} to finish", interval=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}:\n{trainer.log_tail()}") from None


def test_drift_retrains_through_the_trainer_into_a_new_candidate(
    trainer: ManagedProcess,
    write_traffic: TrafficWriter,
    registered_model: dict[str, str],
    database_url: str,
    tmp_path: Path,
) -> None:
    name, version = registered_model["name"], registered_model["version"]
    write_traffic(1200, seed=21, drift=DriftSpec.key_columns(), labelled=True)
    monitor = start_monitor(
        monitor_env(
            database_url,
            registered_model["tracking_uri"],
            tmp_path / "monitor-state",
            MODELFLEET_TRAINER_URL=trainer.url,
        ),
        tmp_path,
    )
    try:
        run = run_drift(monitor.url, {"model": name, "version": version})
    finally:
        monitor.stop()

    assert run["decision"] == "retrain", run["reason"]
    [request] = run["retrain_requests"]
    assert request["status"] == "submitted", request["error"]
    job = wait_for_job(trainer, request["trainer_job_id"])
    assert job["status"] == "succeeded", job["error"]

    dataset = httpx.get(f"{trainer.url}/v1/datasets/{request['training_data']}").json()
    assert dataset["rows"] == run["reference_rows"] + 1200  # reference + labelled traffic
    assert dataset["target"] == "EngagementLevel"
    assert dataset["tags"]["drift_report"] == str(run["id"])
    client = MlflowClient(registered_model["tracking_uri"])
    new = client.get_model_version(name, str(job["model_version"]))
    assert int(new.version) > int(version)
    assert new.tags.get(contract.TAG_CANDIDATE) == "true"
    assert not new.aliases  # a candidate: the monitor never promotes
    trained_on = client.get_run(new.run_id).data.tags[contract.TAG_DATASET_NAME]
    assert trained_on == request["training_data"]

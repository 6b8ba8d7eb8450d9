"""Trainer fixtures: the service as a real process over HTTP, MLflow helpers, small data files."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from mlflow import MlflowClient

from modelfleet.cli.processes import ManagedProcess, free_port, start_process, wait_until_ready
from tests.polling import wait_for

TOKEN = "trainer-test-token"


@dataclass
class TrainerService:
    """A running ``python -m modelfleet.trainer`` and an authenticated client for it."""

    process: ManagedProcess
    client: httpx.Client
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.process.url

    def wait_job(self, job_id: str, timeout: float = 240) -> dict[str, Any]:
        """Poll until the job is finished (succeeded or failed) and return it."""

        def finished() -> dict[str, Any] | None:
            job: dict[str, Any] = self.client.get(f"/v1/jobs/{job_id}").json()
            return job if job["status"] in {"succeeded", "failed"} else None

        try:
            return wait_for(finished, timeout=timeout, what=f"job {job_id} to finish", interval=0.3)
        except AssertionError as exc:
            raise AssertionError(f"{exc}:\n{self.process.log_tail()}") from None


StartTrainer = Callable[..., TrainerService]


@pytest.fixture
def start_trainer(pg_clean: str, mlflow_uri: str, tmp_path: Path) -> Iterator[StartTrainer]:
    """Start the trainer as production does (environment only); every one is stopped after."""
    started: list[TrainerService] = []

    def _start(**extra_env: str) -> TrainerService:
        port = free_port()
        env = {
            "MODELFLEET_DATABASE_URL": pg_clean,
            "MLFLOW_TRACKING_URI": mlflow_uri,
            "MODELFLEET_PORT": str(port),
            "MODELFLEET_API_TOKEN": TOKEN,
            "MODELFLEET_DATA_DIR": str(tmp_path / "data"),
            "MODELFLEET_WORKER_POLL_SECONDS": "0.5",
            "MODELFLEET_PERMUTATION_ROWS": "300",
            "MODELFLEET_THREADS": "1",
            **extra_env,
        }
        proc = start_process(
            "trainer",
            [sys.executable, "-m", "modelfleet.trainer"],
            url=f"http://127.0.0.1:{port}",
            log_path=tmp_path / f"trainer-{len(started)}.log",
            env=env,
        )
        wait_until_ready(proc, timeout=90)
        client = httpx.Client(
            base_url=proc.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )
        service = TrainerService(proc, client, env)
        started.append(service)
        return service

    yield _start
    for service in started:
        service.client.close()
        service.process.stop()


@pytest.fixture
def trainer(start_trainer: StartTrainer) -> TrainerService:
    return start_trainer()


@pytest.fixture
def model_name() -> str:
    """A registered-model name of its own per test (the MLflow server lives for the session)."""
    return f"m-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def mlflow_client(mlflow_uri: str) -> MlflowClient:
    return MlflowClient(mlflow_uri)


def run_count(client: MlflowClient) -> int:
    """Every run in every experiment of the server (to prove a bad request logged none)."""
    experiments = [e.experiment_id for e in client.search_experiments()]
    return len(client.search_runs(experiments, max_results=5000)) if experiments else 0


@pytest.fixture(scope="session")
def tiny_gaming_csv(gaming_training_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,200 rows of the synthetic gaming file: enough for three classes, fits in a second."""
    path = tmp_path_factory.mktemp("tiny") / "gaming_tiny.csv"
    pd.read_csv(gaming_training_csv).head(1200).to_csv(path, index=False)
    return path

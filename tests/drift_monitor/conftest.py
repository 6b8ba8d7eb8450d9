"""Fixtures of the drift-monitor tests: traffic factories and the monitor as a real process."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, insert

from modelfleet.cli.processes import ManagedProcess, free_port, start_process, wait_until_ready
from modelfleet.cli.synthetic import ID_COLUMN, TARGET, DriftSpec, GamingGenerator
from modelfleet.common.db.models import Label, Prediction
from tests.polling import wait_for

TOKEN = "drift-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TrafficWriter = Callable[..., pd.DataFrame]


@pytest.fixture(scope="session")
def served_model(registered_model: dict[str, str]) -> Any:
    """The registered version's fitted pipeline, to give logged traffic its real predictions."""
    mlflow.set_tracking_uri(registered_model["tracking_uri"])
    return mlflow.sklearn.load_model(
        f"models:/{registered_model['name']}/{registered_model['version']}"
    )


@pytest.fixture
def database_url(pg_clean: str) -> str:
    """The prediction store the traffic is written to (a test module may override it)."""
    return pg_clean


@pytest.fixture
def write_traffic(
    database_url: str, registered_model: dict[str, str], served_model: Any
) -> Iterator[TrafficWriter]:
    """Log ``rows`` online predictions of the registered version, like the collector stores them.

    ``drift`` draws them with the generator's drift knobs; ``labelled`` also stores ground truth
    for every entity id; ``age`` is how long ago they were made.
    """
    engine = create_engine(database_url)

    def write(
        rows: int,
        *,
        seed: int = 5,
        drift: DriftSpec | None = None,
        labelled: bool = False,
        age: timedelta = timedelta(minutes=5),
        version: str | None = None,
    ) -> pd.DataFrame:
        frame = GamingGenerator(seed=seed).generate(rows, drift=drift)
        features = frame.drop(columns=[ID_COLUMN, TARGET])
        predicted = np.asarray(served_model.predict(features)).astype(str)
        created = datetime.now(UTC) - age
        request = uuid.uuid4().hex
        records = features.to_dict(orient="records")
        with engine.begin() as conn:
            conn.execute(
                insert(Prediction),
                [
                    {
                        "request_id": request,
                        "row_index": i,
                        "entity_id": f"{request[:8]}-{frame[ID_COLUMN].iat[i]}",
                        "model_name": registered_model["name"],
                        "model_version": version or registered_model["version"],
                        "source": "online",
                        "features": records[i],
                        "prediction": predicted[i],
                        "created_at": created,
                    }
                    for i in range(rows)
                ],
            )
            if labelled:
                conn.execute(
                    insert(Label),
                    [
                        {
                            "entity_id": f"{request[:8]}-{frame[ID_COLUMN].iat[i]}",
                            "label": str(frame[TARGET].iat[i]),
                            "observed_at": created + timedelta(minutes=1),
                        }
                        for i in range(rows)
                    ],
                )
        frame["prediction"] = predicted
        return frame

    yield write
    engine.dispose()


def monitor_env(pg_url: str, tracking_uri: str, state_dir: Path, **extra: str) -> dict[str, str]:
    """The production environment variables of the drift monitor."""
    return {
        "MODELFLEET_DATABASE_URL": pg_url,
        "MLFLOW_TRACKING_URI": tracking_uri,
        "MODELFLEET_API_TOKEN": TOKEN,
        "MODELFLEET_STATE_DIR": str(state_dir),
        "MODELFLEET_MIN_ROWS": "300",
        "MODELFLEET_TRAINER_RETRIES": "1",
        "MODELFLEET_TRAINER_TIMEOUT_S": "5",
        "MODELFLEET_MIN_LABELLED_ROWS": "100",
        "MODELFLEET_LOG_JSON": "true",
        **extra,
    }


def start_monitor(env: dict[str, str], log_dir: Path) -> ManagedProcess:
    """``python -m modelfleet.drift_monitor`` on a free port, ready to answer."""
    port = free_port()
    proc = start_process(
        "drift-monitor",
        [sys.executable, "-m", "modelfleet.drift_monitor"],
        url=f"http://127.0.0.1:{port}",
        log_path=log_dir / f"drift-monitor-{port}.log",
        env={**env, "MODELFLEET_PORT": str(port), "MODELFLEET_HOST": "127.0.0.1"},
        cwd=log_dir,
    )
    try:
        wait_until_ready(proc, timeout=90)
    except BaseException:
        proc.stop()
        raise
    return proc


@dataclass
class Monitor:
    """A running monitor process and its state directory."""

    process: ManagedProcess
    state_dir: Path

    @property
    def url(self) -> str:
        return self.process.url


@pytest.fixture(scope="session")
def monitor(
    pg_url: str,
    registered_model: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Monitor]:
    """One monitor process for the HTTP tests; its trainer URL points at a closed port."""
    state = tmp_path_factory.mktemp("drift-state")
    env = monitor_env(
        pg_url,
        registered_model["tracking_uri"],
        state,
        MODELFLEET_TRAINER_URL=f"http://127.0.0.1:{free_port()}",
    )
    proc = start_monitor(env, state)
    yield Monitor(proc, state)
    proc.stop()


def run_drift(base_url: str, body: dict[str, Any], timeout: float = 180) -> dict[str, Any]:
    """POST a run and poll it until it leaves ``running``."""
    started = httpx.post(f"{base_url}/v1/drift/runs", json=body, headers=AUTH, timeout=30)
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]

    def finished() -> dict[str, Any] | None:
        run: dict[str, Any] = httpx.get(f"{base_url}/v1/drift/runs/{run_id}", timeout=30).json()
        return run if run["status"] != "running" else None

    return wait_for(finished, timeout=timeout, what=f"drift run {run_id} to finish", interval=0.5)

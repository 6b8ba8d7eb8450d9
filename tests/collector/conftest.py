"""Fixtures of the collector tests: collector processes on the real PostgreSQL, row factories."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelfleet.cli.processes import ManagedProcess, free_port, start_process, wait_until_ready

TOKEN = "collector-test-token"


def start_collector(database_url: str, log_dir: Path, **env: str) -> ManagedProcess:
    """``python -m modelfleet.collector`` on a free port, configured like production."""
    port = free_port()
    proc = start_process(
        "collector",
        [sys.executable, "-m", "modelfleet.collector"],
        url=f"http://127.0.0.1:{port}",
        log_path=log_dir / f"collector-{port}.log",
        env={
            "MODELFLEET_DATABASE_URL": database_url,
            "MODELFLEET_PORT": str(port),
            "MODELFLEET_API_TOKEN": TOKEN,
            "MODELFLEET_RETRY_AFTER_SECONDS": "7",
            **env,
        },
    )
    wait_until_ready(proc, "/healthz", timeout=60)
    return proc


@pytest.fixture(scope="session")
def collector_process(
    pg_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ManagedProcess]:
    proc = start_collector(pg_url, tmp_path_factory.mktemp("collector"))
    yield proc
    proc.stop()


@pytest.fixture
def collector(collector_process: ManagedProcess, pg_clean: str) -> Iterator[httpx.Client]:
    """An authenticated HTTP client of the collector, on an emptied database."""
    with httpx.Client(
        base_url=collector_process.url,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    ) as client:
        yield client


def prediction_logs(
    n: int, *, request_id: str = "req-1", model: str = "m", version: str = "1", start: int = 0
) -> list[dict[str, Any]]:
    """``n`` prediction logs as a model-server ships them."""
    now = datetime.now(UTC).isoformat()
    return [
        {
            "request_id": request_id,
            "row_index": start + i,
            "entity_id": f"player-{start + i}",
            "model_name": model,
            "model_version": version,
            "source": "online",
            "features": {"Age": 20 + i % 30, "GameGenre": "RPG", "PlayTimeHours": i * 0.5},
            "prediction": ("High", "Medium", "Low")[i % 3],
            "probabilities": {"High": 0.5, "Medium": 0.3, "Low": 0.2},
            "latency_ms": 1.5,
            "created_at": now,
        }
        for i in range(n)
    ]


def start_model_server(
    tracking_uri: str, name: str, version: str, log_dir: Path, port: int | None = None
) -> ManagedProcess:
    """A real ``python -m modelfleet.model_server`` for one registered version."""
    port = port or free_port()
    proc = start_process(
        f"model-server-{name}-{version}",
        [sys.executable, "-m", "modelfleet.model_server"],
        url=f"http://127.0.0.1:{port}",
        log_path=log_dir / f"model-server-{port}.log",
        env={
            "MLFLOW_TRACKING_URI": tracking_uri,
            "MODELFLEET_MODEL_NAME": name,
            "MODELFLEET_MODEL_VERSION": version,
            "MODELFLEET_PORT": str(port),
            "MODELFLEET_STATE_DIR": str(log_dir / f"state-{port}"),
            "MODELFLEET_GRPC_PORT": "0",  # several servers run at once; none needs gRPC
        },
    )
    wait_until_ready(proc, "/readyz", timeout=180)
    return proc


@pytest.fixture(scope="session")
def golden_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-row golden file from the synthetic gaming generator (another seed than training)."""
    from modelfleet.cli.synthetic import GamingGenerator

    path = tmp_path_factory.mktemp("golden") / "gaming_golden.csv"
    GamingGenerator(seed=23).generate(3000).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def model_server_v1(
    registered_model: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ManagedProcess]:
    proc = start_model_server(
        registered_model["tracking_uri"],
        registered_model["name"],
        registered_model["version"],
        tmp_path_factory.mktemp("model-server"),
    )
    yield proc
    proc.stop()

"""Fixtures of the model-server tests: server processes on the real MLflow server, row factories."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from modelfleet.cli.processes import ManagedProcess, free_port, start_process, wait_until_ready
from modelfleet.common.wire import ExecutionInfo, ModelInfo
from modelfleet.model_server.execution import TOLERANCE

TOKEN = "model-server-test-token"
StartServer = Callable[..., ManagedProcess]
RECEIVER = Path(__file__).with_name("receiver.py")
StartReceiver = Callable[..., ManagedProcess]


def server_env(model: dict[str, str], port: int, state_dir: Path, **env: str) -> dict[str, str]:
    """The production environment of one model server for ``model`` (version unless overridden)."""
    base = {
        "MLFLOW_TRACKING_URI": model["tracking_uri"],
        "MODELFLEET_MODEL_NAME": model["name"],
        "MODELFLEET_MODEL_VERSION": model["version"],
        "MODELFLEET_PORT": str(port),
        "MODELFLEET_API_TOKEN": TOKEN,
        "MODELFLEET_STATE_DIR": str(state_dir),
        "MODELFLEET_LOAD_RETRY_SECONDS": "0.5",
        "MODELFLEET_LOAD_RETRY_MAX": "1",
        # one worker unless a test asks for more (tests/model_server/test_workers.py)
        "MODELFLEET_WORKERS": "1",
        "MODELFLEET_GRPC_PORT": "0",  # KServe's fixed 8081 cannot be shared: off unless asked
    }
    base.update(env)
    return {k: v for k, v in base.items() if v != ""}


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartServer]:
    """Start ``python -m modelfleet.model_server`` processes; all are stopped at the end.

    Pass ``port=`` to reuse a port (restart), ``ready=False`` not to wait for ``/readyz``,
    and environment overrides as keyword arguments (an empty string removes a variable).
    """
    started: list[ManagedProcess] = []
    logs = tmp_path_factory.mktemp("model-server-logs")

    def _start(
        model: dict[str, str],
        *,
        state_dir: Path,
        port: int | None = None,
        ready: bool = True,
        args: tuple[str, ...] = (),
        **env: str,
    ) -> ManagedProcess:
        port = port or free_port()
        proc = start_process(
            "model-server",
            [sys.executable, "-m", "modelfleet.model_server", *args],
            url=f"http://127.0.0.1:{port}",
            log_path=logs / f"model-server-{port}.log",
            env=server_env(model, port, state_dir, **env),
        )
        started.append(proc)
        # two workers each importing the stack and verifying the model take over a minute on
        # a 2-core machine shared with other test suites
        wait_until_ready(proc, "/readyz" if ready else "/healthz", timeout=180)
        return proc

    yield _start
    for proc in started:
        proc.stop()


@pytest.fixture
def start_receiver(tmp_path: Path) -> Iterator[StartReceiver]:
    started: list[ManagedProcess] = []

    def _start(port: int, out: Path, status: int = 200) -> ManagedProcess:
        proc = start_process(
            "receiver",
            [sys.executable, str(RECEIVER), str(port), str(out), str(status)],
            url=f"http://127.0.0.1:{port}",
            log_path=tmp_path / f"receiver-{port}.log",
        )
        started.append(proc)
        wait_until_ready(proc, "/healthz", timeout=60)
        return proc

    yield _start
    for proc in started:
        proc.stop()


@pytest.fixture(scope="session")
def served_grpc_port() -> int:
    """The gRPC port of ``served``."""
    return free_port()


@pytest.fixture(scope="session")
def served(
    registered_model: dict[str, str],
    start_server: StartServer,
    served_grpc_port: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> ManagedProcess:
    """One model server for ``registered_model`` shared by the read-only protocol tests."""
    return start_server(
        registered_model,
        state_dir=tmp_path_factory.mktemp("served-state"),
        MODELFLEET_GRPC_PORT=str(served_grpc_port),
    )


@pytest.fixture(scope="session")
def reference_pipeline(registered_model: dict[str, str]) -> Any:
    """The registered pipeline loaded in the test process: the ground truth for predictions."""
    import mlflow.sklearn

    mlflow.set_tracking_uri(registered_model["tracking_uri"])
    return mlflow.sklearn.load_model(
        f"models:/{registered_model['name']}/{registered_model['version']}"
    )


@pytest.fixture(scope="session")
def gaming_rows(gaming_training_csv: Path) -> pd.DataFrame:
    """Feature rows of the synthetic training file (no id, no target)."""
    frame = pd.read_csv(gaming_training_csv)
    return frame.drop(columns=["PlayerID", "EngagementLevel"], errors="ignore")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready records (NaN as null)."""
    out = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [{str(k): v for k, v in row.items()} for row in out]


def verified_execution(server: ManagedProcess, path: str) -> ExecutionInfo:
    """The served version's execution (``/v1/model``): ``path``, verified within TOLERANCE."""
    info = ModelInfo.model_validate(httpx.get(server.url + "/v1/model").json())
    execution = info.execution
    assert execution is not None and execution.path == path, execution
    assert execution.verified_rows > 100
    assert execution.max_probability_difference is not None
    assert execution.max_probability_difference <= TOLERANCE
    return execution

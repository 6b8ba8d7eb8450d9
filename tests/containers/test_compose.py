"""``compose.yaml``: the fleet comes up healthy with the engine's compose client.

``up`` with the images `make images` built (and the resolved PostgreSQL and MLflow images) must
bring every service to healthy and run the one-shot services to success; once two versions are
trained through the trainer, both listed model servers turn healthy and answer. ``down -v``
leaves nothing of the project behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelfleet.cli.processes import free_port
from tests.polling import wait_for

from .api import predict, train, upload_dataset, write_training_csv
from .conftest import ROOT, unavailable
from .engine import Engine

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]

MODEL = "compose-gaming"
LONG_RUNNING = ("postgresql", "mlflow", "trainer", "collector", "drift-monitor")
ONE_SHOT = ("mlflow-database", "migrations")
MODEL_SERVERS = ("model-server-v1", "model-server-v2")
PORTS = ("MLFLOW_PORT", "TRAINER_PORT", "COLLECTOR_PORT", "DRIFT_MONITOR_PORT",
         "MODEL_SERVER_V1_PORT", "MODEL_SERVER_V2_PORT")  # fmt: skip


def compose_command() -> list[str]:
    """Docker's compose plugin when the client has it, else Debian's docker-compose."""
    plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if plugin.returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    unavailable("no compose client: run `make engine` (installs Debian's docker-compose)")
    raise AssertionError("unreachable")


class Project:
    """One compose project of this run, with its settings."""

    def __init__(self, engine: Engine, env: dict[str, str]) -> None:
        self.engine = engine
        self.name = engine.name("compose").replace("-", "")
        self.env = env
        self.base = [*compose_command(), "-f", str(ROOT / "compose.yaml"), "-p", self.name]

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.base, *args], capture_output=True, text=True, env=self.env,
            timeout=timeout, check=False, cwd=ROOT,
        )  # fmt: skip
        assert result.returncode == 0, f"compose {' '.join(args)}:\n{result.stderr[-4000:]}"
        return result

    def container(self, service: str) -> str:
        (cid,) = self.run("ps", "-a", "-q", service).stdout.split()
        return cid

    def state(self, service: str) -> dict[str, str]:
        template = (
            "{{.State.Status}} {{.State.ExitCode}} "
            "{{if .State.Health}}{{.State.Health.Status}}{{end}}"
        )
        out = self.engine.run("inspect", "--format", template, self.container(service)).stdout
        status, code, *health = out.split()
        return {"status": status, "exit": code, "health": health[0] if health else ""}

    def wait_healthy(self, services: tuple[str, ...], timeout: float) -> None:
        """Until every one of ``services`` is healthy; fail at once if one exits, and at the
        deadline with each service's state and log tail (unhealthy may still recover)."""

        def healthy() -> bool:
            states = {s: self.state(s) for s in services}
            for service, state in states.items():
                if state["status"] == "exited":
                    raise AssertionError(f"{service} exited: {state}\n{self.tail(service)}")
            return all(state["health"] == "healthy" for state in states.values())

        try:
            wait_for(healthy, timeout=timeout, interval=2.0, what=f"{', '.join(services)} healthy")
        except AssertionError as exc:
            report = "\n".join(f"{s}: {self.state(s)}\n{self.tail(s)}" for s in services)
            raise AssertionError(f"{exc}\n{report}") from exc

    def tail(self, service: str) -> str:
        return f"--- {service} log tail ---\n{self.engine.logs(self.container(service), 30)}"

    def leftovers(self) -> list[str]:
        label = f"label=com.docker.compose.project={self.name}"
        found = []
        for kind in (["ps", "-aq"], ["volume", "ls", "-q"], ["network", "ls", "-q"]):
            found += self.engine.run(*kind, "--filter", label).stdout.split()
        return found


@pytest.fixture(scope="module")
def project(engine: Engine, images: dict[str, str], bases: dict[str, str]) -> Iterator[Project]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MODELFLEET_")},
        "IMAGE_REPO": images["IMAGE_REPO"],
        "IMAGE_TAG": images["IMAGE_TAG"],
        "POSTGRES_IMAGE": bases["POSTGRES_IMAGE"],
        "MLFLOW_IMAGE": bases["MLFLOW_IMAGE"],
        "MODELFLEET_API_TOKEN": uuid.uuid4().hex,
        "POSTGRES_PASSWORD": uuid.uuid4().hex,
        "MODEL_NAME": MODEL,
        **{port: str(free_port()) for port in PORTS},
    }
    project = Project(engine, env)
    try:
        project.run("up", "-d", "--no-build", timeout=900)
        yield project
    finally:
        subprocess.run([*project.base, "down", "-v", "--remove-orphans"], env=env, cwd=ROOT,
                       capture_output=True, timeout=300, check=False)  # fmt: skip
    assert not project.leftovers(), project.leftovers()


def test_compose_up_brings_the_fleet_up_healthy(project: Project) -> None:
    project.wait_healthy(LONG_RUNNING, timeout=600)
    for service in ONE_SHOT:
        assert project.state(service) == {"status": "exited", "exit": "0", "health": ""}, service


def test_listed_model_servers_serve_once_their_versions_are_trained(
    project: Project, tmp_path: Path
) -> None:
    project.wait_healthy(LONG_RUNNING, timeout=600)
    trainer = f"http://127.0.0.1:{project.env['TRAINER_PORT']}"
    token = project.env["MODELFLEET_API_TOKEN"]
    upload_dataset(trainer, token, write_training_csv(tmp_path / "gaming.csv"), "compose-data")
    assert [train(trainer, token, "compose-data", MODEL) for _ in MODEL_SERVERS] == ["1", "2"]
    project.wait_healthy(MODEL_SERVERS, timeout=300)
    for service, port in zip(MODEL_SERVERS, PORTS[-2:], strict=True):
        predictions = predict(f"http://127.0.0.1:{project.env[port]}", rows=5)
        assert {p["prediction"] for p in predictions} <= {"High", "Low", "Medium"}, service

"""What the local fleet runs: every service's command, port and environment, from one place.

The services get exactly the variables they get in the cluster (``MLFLOW_TRACKING_URI``,
``MODELFLEET_DATABASE_URL``, peer URLs …), so on one machine they talk to each other over HTTP
just as they do in Kubernetes. Ports and the state directory come from the environment
(``MODELFLEET_MLFLOW_PORT``, ``MODELFLEET_STATE_DIR`` …) so tests can run a fleet on free ports.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from modelfleet.cli.processes import mlflow_server_command
from modelfleet.common.settings import DatabaseSettings

Kind = Literal["core", "model-server"]

CORE_SERVICES = ("mlflow", "trainer", "collector", "drift-monitor")
"""Started by ``modelfleet up``, in this order."""


class FleetSettings(DatabaseSettings):
    """Where the local fleet keeps its state and which ports it uses."""

    mlflow_port: int = 5000
    """MLflow tracking server (UI, registry and artifact proxy)."""

    trainer_port: int = 8001
    collector_port: int = 8002
    drift_monitor_port: int = 8003

    model_server_base_port: int = 8100
    """First port tried for a deployed model version; each deployment takes the next free one."""

    ready_timeout: float = 180.0
    """Seconds ``up`` and ``deploy`` wait for a service to answer its readiness probe."""

    @property
    def root(self) -> Path:
        """The state directory as an absolute path (children may run in another directory)."""
        return self.state_dir.resolve()

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def state_file(self) -> Path:
        return self.root / "fleet.json"

    @property
    def mlflow_url(self) -> str:
        return f"http://{self.host}:{self.mlflow_port}"

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}"


@dataclass(frozen=True)
class ServiceSpec:
    """One process of the fleet: how to start it and how to tell it is ready."""

    name: str
    kind: Kind
    cmd: list[str]
    port: int
    url: str
    env: dict[str, str] = field(default_factory=dict)
    ready_path: str = "/readyz"
    model: str | None = None
    version: str | None = None
    alias: str | None = None


def _python_module(module: str) -> list[str]:
    return [sys.executable, "-m", module]


def _common_env(settings: FleetSettings, port: int) -> dict[str, str]:
    return {
        "MLFLOW_TRACKING_URI": settings.mlflow_url,
        "MODELFLEET_HOST": settings.host,
        "MODELFLEET_PORT": str(port),
        "MODELFLEET_STATE_DIR": str(settings.root),
        "MODELFLEET_DATABASE_URL": settings.resolved_database_url(),
        "MODELFLEET_LOG_JSON": "false",
        "PYTHONUNBUFFERED": "1",
    }


def mlflow_spec(settings: FleetSettings) -> ServiceSpec:
    """``mlflow server`` with a SQLite backend and served local artifacts."""
    cmd, env = mlflow_server_command(settings.root / "mlflow", settings.host, settings.mlflow_port)
    return ServiceSpec(
        name="mlflow",
        kind="core",
        cmd=cmd,
        port=settings.mlflow_port,
        url=settings.url(settings.mlflow_port),
        env=env,
        ready_path="/health",
    )


def _trainer_threads() -> str:
    """Half the cores: the fleet and its clients share this machine, and OpenMP estimators
    (HistGradientBoosting) slow down several times over when their threads outnumber the cores
    they really get (measured here: 0.9 s with 1 thread against 6.9 s with all, under load)."""
    return str(max(1, (os.cpu_count() or 2) // 2))


def core_specs(settings: FleetSettings) -> dict[str, ServiceSpec]:
    """The always-on services, keyed by name, in start order."""
    trainer_url = settings.url(settings.trainer_port)
    collector_url = settings.url(settings.collector_port)
    trainer_env = {
        **_common_env(settings, settings.trainer_port),
        "MODELFLEET_DATA_DIR": str(settings.root / "data"),
        "MODELFLEET_THREADS": os.environ.get("MODELFLEET_THREADS") or _trainer_threads(),
    }
    collector_env = {
        **_common_env(settings, settings.collector_port),
        "MODELFLEET_FLEET_STATE_FILE": str(settings.state_file),
    }
    drift_env = {
        **_common_env(settings, settings.drift_monitor_port),
        "MODELFLEET_TRAINER_URL": trainer_url,
        "MODELFLEET_COLLECTOR_URL": collector_url,
    }
    return {
        "mlflow": mlflow_spec(settings),
        "trainer": ServiceSpec(
            name="trainer",
            kind="core",
            cmd=_python_module("modelfleet.trainer"),
            port=settings.trainer_port,
            url=trainer_url,
            env=trainer_env,
        ),
        "collector": ServiceSpec(
            name="collector",
            kind="core",
            cmd=_python_module("modelfleet.collector"),
            port=settings.collector_port,
            url=collector_url,
            env=collector_env,
        ),
        "drift-monitor": ServiceSpec(
            name="drift-monitor",
            kind="core",
            cmd=_python_module("modelfleet.drift_monitor"),
            port=settings.drift_monitor_port,
            url=settings.url(settings.drift_monitor_port),
            env=drift_env,
        ),
    }


def deployment_name(model: str, ref: str) -> str:
    """``engagement-v3`` for a version, ``engagement-champion`` for an alias."""
    return f"{model}-v{ref}" if ref.isdigit() else f"{model}-{ref}"


def model_server_spec(settings: FleetSettings, model: str, ref: str, port: int) -> ServiceSpec:
    """A model-server for one registered version (``ref`` all digits) or alias."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", model) or not re.fullmatch(r"[A-Za-z0-9_-]+", ref):
        raise ValueError(f"not a valid model name / version or alias: {model!r} {ref!r}")
    name = deployment_name(model, ref)
    env = {
        **_common_env(settings, port),
        # Each server spools its prediction logs in its own directory.
        "MODELFLEET_STATE_DIR": str(settings.root / "servers" / name),
        "MODELFLEET_MODEL_NAME": model,
        "MODELFLEET_COLLECTOR_URL": settings.url(settings.collector_port),
        # One worker each: a local fleet runs several servers beside MLflow and the services on
        # one machine; MODELFLEET_WORKERS in the environment gives each server more.
        "MODELFLEET_WORKERS": os.environ.get("MODELFLEET_WORKERS", "1"),
        # KServe's fixed gRPC port 8081 cannot be shared by the servers of one machine; a
        # server started by hand with MODELFLEET_GRPC_PORT=<port> serves gRPC locally
        "MODELFLEET_GRPC_PORT": "0",
    }
    version, alias = (ref, None) if ref.isdigit() else (None, ref)
    env["MODELFLEET_MODEL_VERSION" if version else "MODELFLEET_MODEL_ALIAS"] = ref
    return ServiceSpec(
        name=name,
        kind="model-server",
        cmd=_python_module("modelfleet.model_server"),
        port=port,
        url=settings.url(port),
        env=env,
        model=model,
        version=version,
        alias=alias,
    )

"""The servers ``bench_model_server.py`` compares, each started as a process on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from modelfleet.cli.processes import ManagedProcess, free_port, start_process, wait_until_ready

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MLSERVER_VENV = ROOT / "benchmarks" / ".venvs" / "mlserver"
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Given to the servers compared against: modelfleet runs model calls on one thread, and on a busy
2-core machine OpenMP threads spin-waiting inside HistGradientBoosting would otherwise cost them
far more than the inference (an artefact, not a property of those servers)."""

MLSERVER_PACKAGES = [
    "mlserver==1.7.1",
    "mlserver-mlflow==1.7.1",
    "uvloop==0.21.0",  # with uvloop 0.23 MLServer's parallel inference worker dies at start
    "pandas<3",
]


def uv_binary() -> str:
    """uv as the Makefile runs it (``UV``), else on PATH, else where its installer puts it."""
    found = os.environ.get("UV") or shutil.which("uv")
    if found:
        return found
    local = Path.home() / ".local" / "bin" / "uv"
    if local.exists():
        return str(local)
    raise RuntimeError("uv not found: run the benchmark through `make bench-serving`")


def start_http_floor(workdir: Path, workers: int) -> ManagedProcess:
    """A pure ASGI app with a fixed answer on the model-server's uvicorn settings."""
    port = free_port()
    proc = start_process(
        "http-floor",
        [sys.executable, str(ROOT / "benchmarks" / "http_floor.py"), str(port), str(workers)],
        url=f"http://127.0.0.1:{port}",
        log_path=workdir / "http-floor.log",
    )
    wait_until_ready(proc, "/", timeout=60)
    return proc


def start_modelfleet(
    tracking_uri: str, name: str, version: str, workdir: Path, **env: str
) -> ManagedProcess:
    port = free_port()
    proc = start_process(
        "modelfleet",
        [sys.executable, "-m", "modelfleet.model_server"],
        url=f"http://127.0.0.1:{port}",
        log_path=workdir / f"modelfleet-{port}.log",
        env={
            "MLFLOW_TRACKING_URI": tracking_uri,
            "MODELFLEET_MODEL_NAME": name,
            "MODELFLEET_MODEL_VERSION": version,
            "MODELFLEET_PORT": str(port),
            "MODELFLEET_STATE_DIR": str(workdir / f"state-{port}"),
            "MODELFLEET_LOG_LEVEL": "WARNING",
            "MODELFLEET_GRPC_PORT": "0",
            **env,
        },
    )
    wait_until_ready(proc, "/readyz", timeout=180)
    return proc


def start_mlflow_serve(tracking_uri: str, name: str, version: str, workdir: Path) -> ManagedProcess:
    """``mlflow models serve`` of the registered version; it shells out to a bare ``uvicorn``."""
    port = free_port()
    proc = start_process(
        "mlflow-serve",
        [
            *(str(BIN / "mlflow"), "models", "serve", "-m", f"models:/{name}/{version}"),
            *("--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)),
        ],
        url=f"http://127.0.0.1:{port}",
        log_path=workdir / "mlflow-serve.log",
        env={
            "MLFLOW_TRACKING_URI": tracking_uri,
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            **SINGLE_THREADED,
        },
    )
    wait_until_ready(proc, "/ping", timeout=180)
    return proc


def ensure_mlserver_venv() -> Path:
    """MLServer pins fastapi<0.116, so it lives in its own virtualenv (created once)."""
    python = MLSERVER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([uv_binary(), "venv", "-q", "-p", "3.11", str(MLSERVER_VENV)], check=True)
    versions = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sklearn, skops, mlflow; "
            "print(sklearn.__version__, skops.__version__, mlflow.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # the model loads only with the scikit-learn/skops/mlflow versions that saved it
    pins = [
        f"scikit-learn=={versions[0]}",
        f"skops=={versions[1]}",
        f"mlflow-skinny=={versions[2]}",
    ]
    subprocess.run(
        [uv_binary(), "pip", "install", "-q", "-p", str(python), *MLSERVER_PACKAGES, *pins],
        check=True,
    )
    return MLSERVER_VENV / "bin"


def start_mlserver(
    model_dir: Path,
    workdir: Path,
    bin_dir: Path,
    *,
    batch_size: int = 32,
    batch_time: float = 0.005,
    parallel_workers: int = 0,
) -> ManagedProcess:
    """MLServer 1.7.1 with the MLflow runtime, adaptive batching and ``parallel_workers``
    inference processes (0: inference on the server's own event loop)."""
    config = workdir / f"mlserver-{batch_size}-{batch_time}-{parallel_workers}"
    config.mkdir(parents=True, exist_ok=True)
    port = free_port()
    settings = {
        "http_port": port,
        "grpc_port": free_port(),
        "metrics_port": free_port(),
        "metrics_dir": str(config / "metrics"),  # else MLServer writes .metrics/ into the cwd
        "host": "127.0.0.1",
        "debug": False,
        "parallel_workers": parallel_workers,
    }
    (config / "settings.json").write_text(json.dumps(settings))
    model_settings = {
        "name": "gaming",
        "implementation": "mlserver_mlflow.MLflowRuntime",
        "parameters": {"uri": str(model_dir)},
        "max_batch_size": batch_size,
        "max_batch_time": batch_time,
    }
    (config / "model-settings.json").write_text(json.dumps(model_settings))
    proc = start_process(
        "mlserver",
        [str(bin_dir / "mlserver"), "start", str(config)],
        url=f"http://127.0.0.1:{port}",
        log_path=config / "mlserver.log",
        env={
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(bin_dir.parent),
            **SINGLE_THREADED,
        },
    )
    wait_until_ready(proc, "/v2/models/gaming/ready", timeout=240)
    return proc

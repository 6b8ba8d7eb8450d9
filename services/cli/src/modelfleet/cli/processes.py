"""Start a service process and wait for it to answer: used by the local fleet and by tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ManagedProcess:
    """A child process with its log file and the URL it serves."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL to its whole process group after ``timeout``."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._signal_group(signal.SIGKILL)  # children its own shutdown left behind

    def kill(self) -> None:
        """SIGKILL to the process and every process it started: a crash, as of a pod."""
        self._signal_group(signal.SIGKILL)
        self.process.wait()

    def _signal_group(self, sig: signal.Signals) -> None:
        # started with start_new_session=True: the process group id is the process id
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)


def start_process(
    name: str,
    cmd: list[str],
    *,
    url: str,
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> ManagedProcess:
    """Start ``cmd`` in its own session with stdout/stderr appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    return ManagedProcess(name=name, process=process, url=url, log_path=log_path)


def wait_until_ready(proc: ManagedProcess, path: str = "/readyz", timeout: float = 60.0) -> None:
    """Poll ``url + path`` until it answers 200; raise with the log tail if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise RuntimeError(
                f"{proc.name} exited with {proc.process.returncode}:\n{proc.log_tail()}"
            )
        try:
            if httpx.get(proc.url + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(
        f"{proc.name} not ready at {proc.url}{path} after {timeout}s:\n{proc.log_tail()}"
    )


def mlflow_server_command(home: Path, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """``mlflow server`` with a SQLite backend and artifacts served from ``home``, and its env.

    The one-machine tracking server of the local fleet, the tests and the benchmarks. MLflow
    shells out to uvicorn by bare name, so this venv's ``bin`` goes on PATH; its GenAI job runner
    (a dozen worker processes) is switched off because it only costs CPU here. Its Prometheus
    exporter serves ``/metrics`` (multiprocess files under ``home/prometheus``; counters carry on
    across restarts, as the files of earlier processes are summed too).
    """
    bindir = Path(sys.executable).parent
    cmd = [
        str(bindir / "mlflow"), "server", "--host", host, "--port", str(port),
        "--backend-store-uri", f"sqlite:///{home / 'mlflow.db'}",
        "--artifacts-destination", str(home / "artifacts"), "--serve-artifacts",
        "--workers", "1", "--expose-prometheus", str(home / "prometheus"),
    ]  # fmt: skip
    env = {
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "PATH": f"{bindir}:{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    }
    return cmd, env


def start_mlflow_server(home: Path, timeout: float = 180.0) -> ManagedProcess:
    """A private ``mlflow server`` on a free port, ready to answer (tests and benchmarks)."""
    port = free_port()
    cmd, env = mlflow_server_command(home, "127.0.0.1", port)
    proc = start_process("mlflow", cmd, url=f"http://127.0.0.1:{port}",
                         log_path=home / "mlflow.log", env=env)  # fmt: skip
    try:
        wait_until_ready(proc, "/health", timeout=timeout)
    except BaseException:
        proc.stop()
        raise
    return proc

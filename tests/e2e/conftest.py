"""The end-to-end demo: the real CLI process, the whole fleet, the real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.helpers import fleet_env, group_alive


@dataclass
class DemoRun:
    """A finished ``modelfleet demo --fast`` whose fleet is still running."""

    env: dict[str, str]
    state_dir: Path
    stdout: str
    stderr: str
    returncode: int
    seconds: float

    @property
    def mlflow_url(self) -> str:
        return f"http://127.0.0.1:{self.env['MODELFLEET_MLFLOW_PORT']}"

    @property
    def drift_url(self) -> str:
        return f"http://127.0.0.1:{self.env['MODELFLEET_DRIFT_MONITOR_PORT']}"


def _cli(env: dict[str, str], *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelfleet.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def demo_run(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """Run the demo once for the module, on a database emptied first; stop the fleet after."""
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE predictions, labels, evaluation_metrics, evaluations, retrain_requests, "
                "drift_reports, training_jobs, datasets RESTART IDENTITY CASCADE"
            )
        )
    engine.dispose()
    state_dir = tmp_path_factory.mktemp("demo") / "state"
    env = fleet_env(state_dir, pg_url)
    started = time.monotonic()
    try:
        done = _cli(env, "demo", "--fast", timeout=1500)
        yield DemoRun(
            env,
            state_dir,
            done.stdout,
            done.stderr,
            done.returncode,
            time.monotonic() - started,
        )
    finally:
        import json

        state_file = state_dir / "fleet.json"
        processes = json.loads(state_file.read_text())["processes"] if state_file.exists() else {}
        _cli(env, "down", timeout=180)
        for record in processes.values():
            for pid in group_alive(int(record["pid"])) if record["pid"] else []:
                os.kill(pid, 9)

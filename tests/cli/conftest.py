"""Fixtures for the local fleet: a state directory and free ports per test, the CLI as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelfleet.cli.main import app
from tests.cli.helpers import fleet_env, group_alive


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


class FleetCli:
    """Runs ``modelfleet`` commands against one isolated fleet.

    The command runs in this process (importing the CLI once, not per call, keeps the tests
    fast on a loaded machine); everything it starts is a real process. ``as_process`` runs the
    real executable, for the checks that need a separate process.
    """

    def __init__(self, state_dir: Path, env: dict[str, str]) -> None:
        self.state_dir = state_dir
        self.env = env

    def __call__(self, *args: str) -> CliResult:
        result = CliRunner().invoke(app, list(args), env=self.env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    def as_process(self, *args: str, timeout: float = 300) -> CliResult:
        done = subprocess.run(
            [sys.executable, "-m", "modelfleet.cli", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    def state(self) -> dict[str, dict[str, object]]:
        path = self.state_dir / "fleet.json"
        return json.loads(path.read_text())["processes"] if path.exists() else {}

    def pids(self) -> dict[str, int]:
        return {n: int(r["pid"]) for n, r in self.state().items() if r["pid"] is not None}


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[FleetCli]:
    """An isolated fleet; whatever a test leaves running is stopped (and its groups killed)."""
    cli = FleetCli(tmp_path / "state", fleet_env(tmp_path / "state"))
    yield cli
    pids = cli.pids()
    cli("down")
    for pgid in pids.values():
        for pid in group_alive(pgid):
            os.kill(pid, 9)

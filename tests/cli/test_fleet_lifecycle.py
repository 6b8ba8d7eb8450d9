"""``modelfleet up | status | logs | down`` against real processes (the MLflow tracking server)."""

from __future__ import annotations

import os
import signal
import socket

import httpx
import pytest

from tests.cli.conftest import CliResult, FleetCli
from tests.cli.helpers import group_alive
from tests.polling import wait_for

pytestmark = pytest.mark.integration


def _line(result: CliResult, service: str) -> str:
    """The line of ``modelfleet status`` about one service."""
    return next(ln for ln in result.stdout.splitlines() if service in ln)


def test_status_of_a_fleet_that_never_ran(fleet: FleetCli) -> None:
    result = fleet("status")
    assert result.returncode == 0, result.stderr
    for service in ("mlflow", "trainer", "collector", "drift-monitor"):
        assert service in result.stdout
    assert "running" not in result.stdout
    assert fleet("down").stdout.strip() == "nothing was running"


def test_up_twice_status_crash_and_down_without_orphans(fleet: FleetCli) -> None:
    first = fleet.as_process("up", "mlflow")
    assert first.returncode == 0, first.stdout + first.stderr
    mlflow = fleet.state()["mlflow"]
    url, pgid = str(mlflow["url"]), int(str(mlflow["pid"]))
    assert httpx.get(f"{url}/health", timeout=5).status_code == 200
    members = group_alive(pgid)
    assert len(members) >= 2, "mlflow server and its uvicorn worker share the process group"

    second = fleet("up", "mlflow")
    assert second.returncode == 0
    assert "already running" in second.stdout
    assert fleet.pids()["mlflow"] == pgid, "a second up must not start another server"

    status = fleet("status")
    assert status.returncode == 0
    line = _line(status, "mlflow")
    assert "running" in line and url in line and str(pgid) in line

    os.kill(pgid, signal.SIGKILL)  # the leader dies; its worker is left behind in the group
    crashed = wait_for(
        lambda: "crashed" in _line(status := fleet("status"), "mlflow") and status,
        timeout=10,
        what="status to report the killed mlflow as crashed",
    )
    assert "modelfleet: starting mlflow" in crashed.stdout, "the log tail is shown"

    down = fleet("down")
    assert down.returncode == 0
    assert "mlflow" in down.stdout
    assert group_alive(pgid) == [], "down must stop every process of the group"
    assert all(member not in group_alive(pgid) for member in members)
    assert fleet.state()["mlflow"]["pid"] is None
    assert "stopped" in _line(fleet("status"), "mlflow")


def test_logs_show_and_name_unknown_services(fleet: FleetCli) -> None:
    log_dir = fleet.state_dir / "logs"
    log_dir.mkdir(parents=True)
    (log_dir / "trainer.log").write_text("line one\nline two\n")
    assert fleet("logs", "trainer", "-n", "1").stdout.strip() == "line two"
    missing = fleet("logs", "nope")
    assert missing.returncode == 1
    assert "no log for 'nope'" in missing.stderr and "trainer" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_busy_port_is_a_clear_error(fleet: FleetCli) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", int(fleet.env["MODELFLEET_MLFLOW_PORT"])))
        busy.listen()
        result = fleet("up", "mlflow")
    assert result.returncode == 1
    assert "is taken by another program" in result.stderr
    assert "Traceback" not in result.stderr
    assert fleet.pids() == {}


def test_deploy_needs_a_running_fleet_and_unknown_service_is_refused(fleet: FleetCli) -> None:
    result = fleet("deploy", "engagement", "1")
    assert result.returncode == 1
    assert "run `modelfleet up` first" in result.stderr
    unknown = fleet("up", "postgres")
    assert unknown.returncode == 1
    assert "unknown service(s) postgres" in unknown.stderr
    assert fleet("undeploy", "engagement", "1").returncode == 1

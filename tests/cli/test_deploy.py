"""``modelfleet deploy | undeploy``: one real model-server process per registered version."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from mlflow import MlflowClient

from modelfleet.trainer.training import TrainRequest, train_and_register
from tests.cli.conftest import FleetCli
from tests.cli.helpers import group_alive

pytestmark = pytest.mark.integration

MODEL = "fleet-deploy-test"


def test_deploy_versions_and_aliases_then_undeploy(
    fleet: FleetCli, gaming_training_csv: Path
) -> None:
    assert fleet("up", "mlflow").returncode == 0
    mlflow_url = str(fleet.state()["mlflow"]["url"])
    request = TrainRequest(
        data=str(gaming_training_csv),
        target="EngagementLevel",
        model_type="logreg",
        model_name=MODEL,
    )
    version = train_and_register(
        request, tracking_uri=mlflow_url, data_path=gaming_training_csv
    ).version
    MlflowClient(tracking_uri=mlflow_url).set_registered_model_alias(MODEL, "champion", version)

    unknown = fleet("deploy", MODEL, "99")
    assert unknown.returncode == 1
    assert "does not exist" in unknown.stderr and "Traceback" not in unknown.stderr

    by_version = fleet("deploy", MODEL, version)
    assert by_version.returncode == 0, by_version.stdout + by_version.stderr
    by_alias = fleet("deploy", MODEL, "champion")
    assert by_alias.returncode == 0, by_alias.stdout + by_alias.stderr
    servers = {n: r for n, r in fleet.state().items() if r["kind"] == "model-server"}
    assert set(servers) == {f"{MODEL}-v{version}", f"{MODEL}-champion"}
    ports = sorted(int(str(r["port"])) for r in servers.values())
    assert ports[0] == int(fleet.env["MODELFLEET_MODEL_SERVER_BASE_PORT"])
    assert ports[1] > ports[0], "each deployment gets its own port"
    for record in servers.values():
        info = httpx.get(f"{record['url']}/v1/model", timeout=10).json()
        assert (info["name"], str(info["version"])) == (MODEL, version)

    again = fleet("deploy", MODEL, version)
    assert again.returncode == 0 and "already running" in again.stdout
    status = fleet("status").stdout
    assert f"{MODEL}-champion" in status and f"{version} (@champion)" in status

    pgids = [int(str(r["pid"])) for r in servers.values()]
    assert fleet("undeploy", MODEL, version).returncode == 0
    assert fleet("undeploy", MODEL, "champion").returncode == 0
    assert all(group_alive(pgid) == [] for pgid in pgids)
    assert not any(r["kind"] == "model-server" for r in fleet.state().values())
    missing = fleet("undeploy", MODEL, version)
    assert missing.returncode == 1 and "is not deployed here" in missing.stderr

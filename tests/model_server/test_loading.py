"""Loading: alias resolution, and a missing version that becomes ready once it is registered."""

from __future__ import annotations

import httpx
import mlflow
import pytest
from mlflow import MlflowClient

from tests.model_server.conftest import StartServer
from tests.polling import wait_for

pytestmark = pytest.mark.integration


def test_alias_resolves_to_the_concrete_version(
    registered_model: dict[str, str],
    start_server: StartServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    client = MlflowClient(registered_model["tracking_uri"])
    client.set_registered_model_alias(
        registered_model["name"], "champion", registered_model["version"]
    )
    server = start_server(
        registered_model,
        state_dir=tmp_path_factory.mktemp("alias"),
        MODELFLEET_MODEL_VERSION="",
        MODELFLEET_MODEL_ALIAS="champion",
    )
    info = httpx.get(server.url + "/v1/model").json()
    assert info["version"] == registered_model["version"]
    assert "champion" in info["aliases"]


def test_missing_version_is_not_ready_then_ready_once_registered(
    registered_model: dict[str, str],
    start_server: StartServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    name = "late-model"
    server = start_server(
        {**registered_model, "name": name, "version": "1"},
        state_dir=tmp_path_factory.mktemp("late"),
        ready=False,
    )
    # A second attempt shows it retries instead of exiting.
    ready = wait_for(
        lambda: (
            (r := httpx.get(server.url + "/readyz")).status_code == 503
            and "attempt 2" in r.json()["detail"]
            and r
        ),
        timeout=30,
        what="a second load attempt reported by /readyz",
    )
    assert server.process.poll() is None, "the server must wait, not exit"
    assert "does not exist" in ready.json()["detail"]
    assert httpx.get(server.url + "/v2/health/ready").status_code == 503
    predict = httpx.post(server.url + "/v1/predict", json={"records": [{}]})
    assert predict.status_code == 503 and predict.headers.get("retry-after")
    assert "Traceback" not in server.log_tail(200)

    client = MlflowClient(registered_model["tracking_uri"])
    existing = client.get_model_version(registered_model["name"], registered_model["version"])
    mlflow.set_tracking_uri(registered_model["tracking_uri"])
    mlflow.register_model(existing.source, name)  # same logged model, new registered name

    wait_for(
        lambda: httpx.get(server.url + "/readyz").status_code == 200,
        timeout=60,
        what=f"readiness once registered; log: {server.log_tail(5)}",
    )
    assert httpx.get(server.url + "/v1/model").json()["name"] == name

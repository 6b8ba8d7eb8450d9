"""Every service of a local fleet, MLflow's tracking server included, serves Prometheus metrics
that prometheus_client's own parser reads."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from modelfleet.trainer.training import TrainRequest, train_and_register
from tests.cli.conftest import FleetCli

pytestmark = pytest.mark.integration

MODEL = "fleet-metrics-test"
EXPECTED = {
    "mlflow": {"mlflow_http_request"},
    "trainer": {"modelfleet_http_requests"},
    "collector": {
        "modelfleet_collector_rows_ingested",
        "modelfleet_collector_duplicate_rows",
        "modelfleet_collector_rows_rejected",
        "modelfleet_evaluation_runs",
    },
    "drift-monitor": {"modelfleet_drift_share", "modelfleet_http_requests"},
    "model-server": {
        "modelfleet_rows_predicted",
        "modelfleet_inference_duration_seconds",
        "modelfleet_batch_rows",
    },
}
"""Families (as the parser names them: without ``_total``) each service must expose."""


def families(url: str) -> dict[str, list[dict[str, str]]]:
    response = httpx.get(url + "/metrics", timeout=10)
    assert response.status_code == 200, response.text
    return {
        family.name: [sample.labels for sample in family.samples]
        for family in text_string_to_metric_families(response.text)
    }


def test_every_service_exposes_parseable_metrics(
    fleet: FleetCli, gaming_training_csv: Path
) -> None:
    up = fleet("up")
    assert up.returncode == 0, up.stdout + up.stderr
    state = fleet.state()
    mlflow_url = str(state["mlflow"]["url"])
    request = TrainRequest(
        data=str(gaming_training_csv),
        target="EngagementLevel",
        model_type="logreg",
        model_name=MODEL,
    )
    version = train_and_register(
        request, tracking_uri=mlflow_url, data_path=gaming_training_csv
    ).version
    deployed = fleet("deploy", MODEL, version)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    server = str(fleet.state()[f"{MODEL}-v{version}"]["url"])
    row = httpx.get(server + "/v1/model").json()["input_schema"]
    assert row  # the server answers; one prediction makes its per-model series appear
    example = {c["name"]: (1.0 if c["type"] in ("long", "double") else "x") for c in row}
    assert httpx.post(server + "/v1/predict", json={"records": [example]}).status_code == 200

    urls = {name: str(state[name]["url"]) for name in ("mlflow", "trainer", "collector")}
    urls["drift-monitor"] = str(state["drift-monitor"]["url"])
    urls["model-server"] = server
    for service, url in urls.items():
        httpx.get(url + ("/health" if service == "mlflow" else "/healthz"))
        found = families(url)
        missing = EXPECTED[service] - set(found)
        assert not missing, f"{service} lacks {missing}; has {sorted(found)}"
    predicted = families(server)["modelfleet_rows_predicted"]
    assert {"model": MODEL, "version": version, "source": "online"} in predicted

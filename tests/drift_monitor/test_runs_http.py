"""Drift runs through the real service: PostgreSQL traffic, MLflow reference, HTTP API."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from modelfleet.cli.synthetic import KEY_COLUMNS, DriftSpec
from tests.drift_monitor.conftest import AUTH, Monitor, TrafficWriter, run_drift

pytestmark = pytest.mark.integration


def test_traffic_like_training_data_shows_no_drift(
    monitor: Monitor, write_traffic: TrafficWriter, registered_model: dict[str, str]
) -> None:
    write_traffic(1500, seed=5)

    run = run_drift(
        monitor.url, {"model": registered_model["name"], "version": registered_model["version"]}
    )

    assert run["status"] == "done", run["reason"]
    assert run["current_rows"] == 1500
    assert run["drift_share"] <= 0.1
    assert not run["prediction_drift"]
    assert not any(c["drifted"] for name, c in run["column_scores"].items() if name in KEY_COLUMNS)
    assert run["decision"] == "no_retrain"
    assert run["retrain_requests"] == []


def test_drifted_traffic_requests_retraining_once_per_cooldown(
    monitor: Monitor, write_traffic: TrafficWriter, registered_model: dict[str, str]
) -> None:
    write_traffic(1500, seed=6, drift=DriftSpec.key_columns(), labelled=True)
    body = {"model": registered_model["name"], "version": registered_model["version"]}

    first = run_drift(monitor.url, body)

    assert first["status"] == "done", first["reason"]
    assert all(first["column_scores"][c]["drifted"] for c in KEY_COLUMNS)
    assert first["prediction_drift"]
    assert first["decision"] == "retrain"
    assert "key column(s) drifted" in first["reason"]
    [request] = first["retrain_requests"]
    # The fixture's trainer URL is a closed port: a clear status, kept for a retry.
    assert request["status"] == "trainer_unavailable"
    assert "unreachable" in request["error"]

    second = run_drift(monitor.url, body)

    assert second["status"] == "done"
    assert second["decision"] == "cooldown"
    assert second["retrain_requests"] == []
    retried = httpx.get(f"{monitor.url}/v1/drift/runs/{first['id']}").json()["retrain_requests"]
    assert [r["attempts"] for r in retried] == [2]


def test_too_few_rows_give_no_verdict(
    monitor: Monitor, write_traffic: TrafficWriter, registered_model: dict[str, str]
) -> None:
    write_traffic(120, drift=DriftSpec.key_columns())

    run = run_drift(
        monitor.url,
        {"model": registered_model["name"], "version": registered_model["version"], "last": 5000},
    )

    assert run["status"] == "not_enough_data"
    assert run["current_rows"] == 120
    assert run["drift_share"] is None and run["decision"] is None
    assert "at least 300" in run["reason"]
    assert httpx.get(f"{monitor.url}/v1/drift/runs/{run['id']}/report.html").status_code == 404


def test_unknown_version_reports_missing_reference(
    monitor: Monitor, pg_clean: str, registered_model: dict[str, str]
) -> None:
    run = run_drift(monitor.url, {"model": registered_model["name"], "version": "999"})

    assert run["status"] == "reference_missing"
    assert "999" in run["reason"]


def test_html_report_workspace_snapshot_and_gauges(
    monitor: Monitor, write_traffic: TrafficWriter, registered_model: dict[str, str]
) -> None:
    write_traffic(800, seed=8, drift=DriftSpec.key_columns())
    name, version = registered_model["name"], registered_model["version"]

    run = run_drift(monitor.url, {"model": name, "version": version, "window_hours": 1})

    page = httpx.get(f"{monitor.url}{run['report_url']}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "AvgSessionDurationMinutes" in page.text
    snapshots = list((monitor.state_dir / "drift" / "workspace").glob("*/snapshots/*.json"))
    names = {json.loads(Path(p).read_text()).get("name") for p in snapshots}
    assert f"drift-report-{run['id']}" in names
    metrics = httpx.get(f"{monitor.url}/metrics").text
    labels = f'model="{name}",version="{version}"'
    assert f"modelfleet_drift_share{{{labels}}} {run['drift_share']}" in metrics
    assert f"modelfleet_drift_prediction_drift{{{labels}}} 1.0" in metrics
    assert f'modelfleet_drift_column_score{{column="SessionsPerWeek",{labels}}}' in metrics


def test_bad_requests_are_4xx_json(monitor: Monitor) -> None:
    no_token = httpx.post(f"{monitor.url}/v1/drift/runs", json={"model": "m", "version": "1"})
    both = httpx.post(
        f"{monitor.url}/v1/drift/runs",
        json={"model": "m", "version": "1", "last": 10, "window_hours": 2},
        headers=AUTH,
    )
    bad_version = httpx.post(
        f"{monitor.url}/v1/drift/runs", json={"model": "m", "version": "x"}, headers=AUTH
    )
    missing = httpx.get(f"{monitor.url}/v1/drift/runs/987654")

    assert no_token.status_code == 401
    assert both.status_code == 422 and "not both" in both.json()["detail"]
    assert bad_version.status_code == 422 and "version" in bad_version.json()["detail"]
    assert missing.status_code == 404 and "987654" in missing.json()["detail"]

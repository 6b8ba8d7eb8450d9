"""``modelfleet demo --fast`` on the real PostgreSQL: what must be true after the loop."""

from __future__ import annotations

import httpx
import pytest
from mlflow import MlflowClient
from sqlalchemy import create_engine, text

from tests.e2e.conftest import DemoRun

pytestmark = pytest.mark.e2e

MODEL = "engagement"


def _scalar(url: str, sql: str, **params: object) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


def test_demo_closes_the_loop(demo_run: DemoRun) -> None:
    assert demo_run.returncode == 0, demo_run.stdout[-4000:] + demo_run.stderr[-4000:]
    assert "versions of engagement" in demo_run.stdout
    assert "Traceback" not in demo_run.stderr

    # versions and aliases in MLflow: two initial versions plus the retrained one
    client = MlflowClient(tracking_uri=demo_run.mlflow_url)
    versions = {v.version: v for v in client.search_model_versions(f"name='{MODEL}'")}
    assert set(versions) >= {"1", "2", "3"}
    champion = client.get_model_version_by_alias(MODEL, "champion").version
    assert champion in versions
    assert client.get_model_version_by_alias(MODEL, "challenger").version != champion

    db = demo_run.env["MODELFLEET_DATABASE_URL"]
    # every version evaluated on the golden set, with per-class metrics
    for version in ("1", "2", "3"):
        done = _scalar(
            db,
            "SELECT COUNT(*) FROM evaluations WHERE model_name = :m AND model_version = :v "
            "AND status = 'done'",
            m=MODEL,
            v=version,
        )
        assert done == 1, f"v{version} evaluated once"
    per_class = _scalar(
        db,
        "SELECT COUNT(DISTINCT class_label) FROM evaluation_metrics m "
        "JOIN evaluations e ON e.id = m.evaluation_id WHERE e.model_version = '3'",
    )
    assert per_class == 3, "High, Low and Medium metrics of the retrained version"

    # the simulated traffic, and only it, stored as online predictions with player-day ids
    online = _scalar(db, "SELECT COUNT(*) FROM predictions WHERE source = 'online'")
    traffic = _scalar(
        db,
        "SELECT COUNT(*) FROM predictions WHERE source = 'online' AND entity_id LIKE '%-d%'",
    )
    assert traffic >= 3 * 600, "days 0-2 of traffic to the champion"
    assert online == traffic, "golden-set evaluation calls are not logged as online traffic"
    assert _scalar(db, "SELECT COUNT(*) FROM labels") >= 600
    assert _scalar(db, "SELECT COALESCE(SUM(labelled), 0) FROM v_online_accuracy") >= 600

    # drift detected after the knobs moved, with a report, and a retrain request sent
    retrain_run = _scalar(
        db,
        "SELECT MIN(id) FROM drift_reports WHERE decision = 'retrain' AND status = 'done'",
    )
    report = httpx.get(f"{demo_run.drift_url}/v1/drift/runs/{retrain_run}/report.html", timeout=30)
    assert report.status_code == 200
    assert "<html" in report.text.lower()
    calm = _scalar(
        db,
        "SELECT COUNT(*) FROM drift_reports WHERE id < :id AND decision = 'retrain'",
        id=retrain_run,
    )
    assert calm == 0, "no retraining before the drift was injected"
    submitted = _scalar(
        db,
        "SELECT COUNT(*) FROM retrain_requests WHERE drift_report_id = :id "
        "AND trainer_job_id IS NOT NULL",
        id=retrain_run,
    )
    assert submitted == 1
    assert (
        _scalar(
            db,
            "SELECT COUNT(*) FROM training_jobs WHERE model_version = '3' AND status = 'succeeded'",
        )
        == 1
    )

"""The collector's ``/metrics`` read with prometheus_client's parser: ingestion, evaluations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from modelfleet.common.db.models import Evaluation
from tests.collector.conftest import prediction_logs

pytestmark = pytest.mark.integration


def scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics`` by name and labels."""
    text = client.get("/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_ingest_counts_rows_duplicates_and_refusals(collector: httpx.Client) -> None:
    before = scrape(collector)
    batch = {"predictions": prediction_logs(40, model="churn", version="3")}
    assert collector.post("/v1/predictions", json=batch).status_code == 200
    assert collector.post("/v1/predictions", json=batch).status_code == 200  # a replay
    bad = prediction_logs(7, request_id="req-bad")
    bad[5]["row_index"] = -1
    assert collector.post("/v1/predictions", json={"predictions": bad}).status_code == 422
    assert collector.post("/v1/predictions", content=b"{not json").status_code == 422
    after = scrape(collector)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    received = "modelfleet_collector_rows_received_total"
    assert delta(received, model="churn", version="3", source="online") == 80
    assert delta("modelfleet_collector_rows_ingested_total") == 40
    assert delta("modelfleet_collector_duplicate_rows_total") == 40
    assert delta("modelfleet_collector_rows_rejected_total") == 7
    assert delta("modelfleet_collector_batches_rejected_total") == 2


def test_evaluation_runs_and_durations_come_from_the_store(
    collector: httpx.Client, pg_sessions: sessionmaker[Session]
) -> None:
    """Read at scrape time, so the evaluation CronJob's runs (another process) show too."""
    finished = datetime.now(UTC)
    with pg_sessions() as session:
        for version, status, seconds in (("1", "done", 42.5), ("2", "failed", 3.0)):
            session.add(
                Evaluation(
                    model_name="churn",
                    model_version=version,
                    golden_name="golden",
                    golden_digest="d1",
                    status=status,
                    started_at=finished - timedelta(seconds=seconds),
                    finished_at=finished,
                )
            )
        session.add(
            Evaluation(
                model_name="churn",
                model_version="3",
                golden_name="golden",
                golden_digest="d1",
                status="running",
                started_at=finished,
            )
        )
        session.commit()
    samples = scrape(collector)
    runs = "modelfleet_evaluation_runs"
    assert value(samples, runs, model="churn", version="1", status="done") == 1
    assert value(samples, runs, model="churn", version="2", status="failed") == 1
    assert value(samples, runs, model="churn", version="3", status="running") == 1
    duration = "modelfleet_evaluation_duration_seconds"
    assert value(samples, duration, model="churn", version="1") == pytest.approx(42.5)
    assert value(samples, duration, model="churn", version="2") == pytest.approx(3.0)
    assert (duration, (("model", "churn"), ("version", "3"))) not in samples
    stamp = value(
        samples, "modelfleet_evaluation_last_finished_timestamp_seconds", model="churn", version="1"
    )
    assert stamp == pytest.approx(finished.timestamp())

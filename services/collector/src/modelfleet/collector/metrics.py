"""Prometheus metrics of the collector: ingestion counters, and evaluations read at scrape time.

Evaluations are read from the ``evaluations`` table when Prometheus scrapes (as the drift monitor
does for its runs), so runs of the evaluation CronJob, another process, show too. Every replica
reports the same table: aggregate them with ``max``, not ``sum``.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from modelfleet.collector.ingest.parsing import PredictionRow
from modelfleet.common.db.models import Evaluation

logger = logging.getLogger(__name__)

MODEL = ["model", "version"]


class IngestMetrics:
    """Rows received per model version, stored, skipped as duplicates, and refused."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.received = Counter(
            "modelfleet_collector_rows_received_total",
            "Prediction log rows of accepted batches",
            [*MODEL, "source"],
            registry=registry,
        )
        self.ingested = Counter(
            "modelfleet_collector_rows_ingested_total",
            "Prediction log rows stored",
            registry=registry,
        )
        self.duplicates = Counter(
            "modelfleet_collector_duplicate_rows_total",
            "Prediction log rows skipped because they were already stored (a replayed batch)",
            registry=registry,
        )
        self.rejected = Counter(
            "modelfleet_collector_rows_rejected_total",
            "Prediction log rows of refused batches (a batch with one bad row is refused whole)",
            registry=registry,
        )
        self.rejected_batches = Counter(
            "modelfleet_collector_batches_rejected_total",
            "Prediction log batches refused (bad JSON, a bad row, too many rows)",
            registry=registry,
        )
        self.labels = Counter(
            "modelfleet_collector_labels_stored_total",
            "Ground-truth labels stored",
            registry=registry,
        )

    def stored(self, rows: Sequence[PredictionRow], inserted: int) -> None:
        groups = Tally((r.model_name, r.model_version, r.source) for r in rows)
        for labels, count in groups.items():
            self.received.labels(*labels).inc(count)
        self.ingested.inc(inserted)
        self.duplicates.inc(len(rows) - inserted)

    def refused(self, rows: int) -> None:
        self.rejected_batches.inc()
        self.rejected.inc(rows)


class EvaluationCollector(Collector):
    """Evaluations per model version and status, and how long the latest finished one took."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        runs = GaugeMetricFamily(
            "modelfleet_evaluation_runs",
            "Evaluations (a version on a golden set) in the store, by status",
            labels=[*MODEL, "status"],
        )
        duration = GaugeMetricFamily(
            "modelfleet_evaluation_duration_seconds",
            "Wall time of the latest finished evaluation of each version",
            labels=MODEL,
        )
        finished = GaugeMetricFamily(
            "modelfleet_evaluation_last_finished_timestamp_seconds",
            "Unix time the latest evaluation of each version finished",
            labels=MODEL,
        )
        try:
            self._read(runs, duration, finished)
        except SQLAlchemyError as exc:  # /metrics still answers while the database is down
            logger.warning("evaluation metrics unavailable: %s", exc)
        yield from (runs, duration, finished)

    def _read(
        self, runs: GaugeMetricFamily, duration: GaugeMetricFamily, finished: GaugeMetricFamily
    ) -> None:
        with Session(self.engine) as session:
            counts = session.execute(
                select(
                    Evaluation.model_name, Evaluation.model_version, Evaluation.status, func.count()
                ).group_by(Evaluation.model_name, Evaluation.model_version, Evaluation.status)
            )
            for model, version, status, count in counts:
                runs.add_metric([model, version, status], count)
            latest = (
                select(func.max(Evaluation.id))
                .where(Evaluation.finished_at.is_not(None))
                .group_by(Evaluation.model_name, Evaluation.model_version)
            )
            for row in session.scalars(select(Evaluation).where(Evaluation.id.in_(latest))):
                labels = [row.model_name, row.model_version]
                assert row.finished_at is not None
                finished.add_metric(labels, row.finished_at.timestamp())
                if row.started_at is not None:
                    seconds = (row.finished_at - row.started_at).total_seconds()
                    duration.add_metric(labels, seconds)

"""Prometheus metrics of the trainer: jobs by status (read from the queue) and training time."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from modelfleet.common.db.engine import session_scope
from modelfleet.trainer import job_queue

logger = logging.getLogger(__name__)


class JobStatusCollector(Collector):
    """``modelfleet_training_jobs{status}`` counted in the database at scrape time, so the
    figure is right after a restart and across every process that shares the queue."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "modelfleet_training_jobs", "Training jobs by status", labels=["status"]
        )
        try:
            with session_scope(self._factory) as session:
                counts = job_queue.counts_by_status(session)
        except SQLAlchemyError as exc:
            logger.warning("cannot count jobs for /metrics: %s", exc)
            return
        for status, count in counts.items():
            family.add_metric([status], count)
        yield family


class TrainerMetrics:
    """The trainer's own metrics on the service registry."""

    def __init__(self, registry: CollectorRegistry, session_factory: sessionmaker[Session]):
        registry.register(JobStatusCollector(session_factory))
        self.training_seconds = Histogram(
            "modelfleet_training_duration_seconds",
            "Wall time of one training job, from claim to registered version or failure",
            ["model_type", "outcome"],
            registry=registry,
            buckets=(1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800),
        )

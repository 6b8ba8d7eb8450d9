"""Prometheus gauges per model version, read from ``drift_reports`` at scrape time.

Reading at scrape time (rather than setting gauges after each run) means the gauges also show the
runs of the CronJob, which happen in another process.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from modelfleet.common.db.models import DriftReport

LABELS = ["model", "version"]


class DriftCollector(Collector):
    """Latest analysed run of every model version, plus the time of its latest run of any kind."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        share = GaugeMetricFamily(
            "modelfleet_drift_share",
            "Share of drifted feature columns in the latest run",
            labels=LABELS,
        )
        column = GaugeMetricFamily(
            "modelfleet_drift_column_score",
            "Evidently drift score per column in the latest run (method per column in the report)",
            labels=[*LABELS, "column"],
        )
        drifted = GaugeMetricFamily(
            "modelfleet_drift_column_drifted",
            "1 when Evidently found the column drifted in the latest run",
            labels=[*LABELS, "column"],
        )
        prediction = GaugeMetricFamily(
            "modelfleet_drift_prediction_drift",
            "1 when the predicted label's distribution drifted in the latest run",
            labels=LABELS,
        )
        prediction_score = GaugeMetricFamily(
            "modelfleet_drift_prediction_score",
            "Drift score of the predicted label in the latest run",
            labels=LABELS,
        )
        last_run = GaugeMetricFamily(
            "modelfleet_drift_last_run_timestamp_seconds",
            "Unix time of the latest drift run (any status)",
            labels=LABELS,
        )
        with self.sessions() as session:
            for row in self._latest(session, done_only=True):
                labels = [row.model_name, row.model_version]
                share.add_metric(labels, row.drift_share or 0.0)
                prediction.add_metric(labels, 1.0 if row.prediction_drift else 0.0)
                prediction_score.add_metric(labels, row.prediction_drift_score or 0.0)
                for name, scores in (row.column_scores or {}).items():
                    column.add_metric([*labels, name], float(scores["score"]))
                    drifted.add_metric([*labels, name], 1.0 if scores["drifted"] else 0.0)
            for row in self._latest(session, done_only=False):
                last_run.add_metric([row.model_name, row.model_version], row.created_at.timestamp())
        yield from (share, column, drifted, prediction, prediction_score, last_run)

    @staticmethod
    def _latest(session: Session, *, done_only: bool) -> list[DriftReport]:
        latest = select(func.max(DriftReport.id)).group_by(
            DriftReport.model_name, DriftReport.model_version
        )
        if done_only:
            latest = latest.where(DriftReport.status == "done")
        return list(session.scalars(select(DriftReport).where(DriftReport.id.in_(latest))))

"""Prometheus metrics of the model server (HTTP metrics come from ``common.api``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServerMetrics:
    """Every metric the model server exports."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.rows = Counter(
            "modelfleet_rows_predicted_total", "Rows predicted", ["source"], registry=self.registry
        )
        self.classes = Counter(
            "modelfleet_predicted_class_total",
            "Predicted rows per class",
            ["label"],
            registry=self.registry,
        )
        self.batch_rows = Histogram(
            "modelfleet_batch_rows",
            "Rows per model call",
            registry=self.registry,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384),
        )
        self.log_queue = Gauge(
            "modelfleet_log_queue_rows",
            "Prediction logs waiting in memory",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.logs = Counter(
            "modelfleet_prediction_logs_total",
            "Prediction log rows by outcome (shipped, spooled, dropped, dead_letter)",
            ["outcome"],
            registry=self.registry,
        )
        self.execution = Gauge(
            "modelfleet_model_execution",
            "1 for the path that serves the model (compiled, numpy-preprocessing, scikit-learn)",
            ["path"],
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.spool_batches = Gauge(
            "modelfleet_log_spool_batches",
            "Log batches waiting on disk",
            registry=self.registry,
            multiprocess_mode="livesum",
        )

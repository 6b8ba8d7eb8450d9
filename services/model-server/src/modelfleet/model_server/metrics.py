"""Prometheus metrics of the model server (HTTP metrics come from ``common.api``).

Everything about predictions is labelled with the served model's name and version, so one
dashboard covers every model-server of the fleet and a version swap shows as a new series.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

MODEL = ["model", "version"]
SOURCES = ("online", "evaluation", "batch")


class ModelMetrics:
    """The label children of one model version, resolved once (``labels()`` costs a lock)."""

    def __init__(self, metrics: ServerMetrics, name: str, version: str) -> None:
        self._metrics = metrics
        self._key = (name, version)
        self.rows = {source: metrics.rows.labels(name, version, source) for source in SOURCES}
        self.succeeded = metrics.inference.labels(name, version, "success")
        self.failed = metrics.inference.labels(name, version, "fail")
        self.last_inference = metrics.last_inference.labels(name, version)
        self.batch_rows = metrics.batch_rows.labels(name, version)
        self._classes: dict[str, Any] = {}

    def predicted(self, label: str, count: int) -> None:
        counter = self._classes.get(label)
        if counter is None:
            counter = self._classes[label] = self._metrics.classes.labels(*self._key, label)
        counter.inc(count)

    def adapted(self, adaptation: str) -> None:
        self._metrics.adapted.labels(*self._key, adaptation).inc()


class ServerMetrics:
    """Every metric the model server exports."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.rows = Counter(
            "modelfleet_rows_predicted_total",
            "Rows predicted, by traffic source",
            [*MODEL, "source"],
            registry=self.registry,
        )
        self.classes = Counter(
            "modelfleet_predicted_class_total",
            "Predicted rows per class",
            [*MODEL, "label"],
            registry=self.registry,
        )
        self.inference = Histogram(
            "modelfleet_inference_duration_seconds",
            "Time from a request's checked rows to their predictions (batch wait included), "
            "by outcome (success, fail)",
            [*MODEL, "outcome"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.last_inference = Gauge(
            "modelfleet_last_inference_timestamp_seconds",
            "Unix time of the latest prediction",
            MODEL,
            registry=self.registry,
        )
        self.batch_rows = Histogram(
            "modelfleet_batch_rows",
            "Rows per model call",
            MODEL,
            registry=self.registry,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384),
        )
        self.adapted = Counter(
            "modelfleet_invocations_adapted_total",
            "/invocations requests accepted only after adapting the input as `mlflow models "
            "serve` does (extra_columns, index_column, numeric_strings, scalar_inputs, "
            "extra_fields)",
            [*MODEL, "adaptation"],
            registry=self.registry,
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
            "1 for the path that serves the model (compiled, treelite-gtil, numpy-preprocessing, "
            "scikit-learn)",
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
        self._models: dict[tuple[str, str], ModelMetrics] = {}

    def model(self, name: str, version: str) -> ModelMetrics:
        """The metrics of one model version (created on first use)."""
        found = self._models.get((name, version))
        if found is None:
            found = self._models[(name, version)] = ModelMetrics(self, name, version)
        return found

    def batch_observer(self, name: str, version: str) -> Callable[[int], None]:
        """What the batcher calls with the rows of every model call of this version."""
        return self.model(name, version).batch_rows.observe

    def sample(self, name: str, labels: dict[str, str]) -> float:
        """The current value of one sample (0 when it was never observed)."""
        return self.registry.get_sample_value(name, labels) or 0.0

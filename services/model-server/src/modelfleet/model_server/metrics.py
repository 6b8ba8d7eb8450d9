"""Prometheus metrics of the model server and a pure-ASGI middleware that records them.

``BaseHTTPMiddleware`` (what ``@app.middleware`` installs) costs a task and a memory stream per
request; on a server whose requests take a fraction of a millisecond that is measurable, so the
shared ``HttpMetrics`` counters are fed from a plain ASGI wrapper instead.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelfleet.common.api import HttpMetrics


class ServerMetrics:
    """Every metric the model server exports."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.http = HttpMetrics(self.registry, "model-server")
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
            "modelfleet_log_queue_rows", "Prediction logs waiting in memory", registry=self.registry
        )
        self.logs = Counter(
            "modelfleet_prediction_logs_total",
            "Prediction log rows by outcome (shipped, spooled, dropped, dead_letter)",
            ["outcome"],
            registry=self.registry,
        )
        self.spool_batches = Gauge(
            "modelfleet_log_spool_batches", "Log batches waiting on disk", registry=self.registry
        )


class MetricsMiddleware:
    """Counts requests and observes latency by route template and status."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            key = (scope["method"], getattr(route, "path", "unmatched"), str(status))
            children = self._children.get(key)
            if children is None:
                service = self.metrics.service
                children = (
                    self.metrics.requests.labels(service, *key),
                    self.metrics.latency.labels(service, key[0], key[1]),
                )
                self._children[key] = children
            children[0].inc()
            children[1].observe(time.perf_counter() - start)

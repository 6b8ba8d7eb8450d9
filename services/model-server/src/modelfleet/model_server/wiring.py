"""Composition root of the model server: everything is built here from ``Settings``.

``__main__`` (HTTP serving), file scoring and tests all call :func:`build_dataplane`; the app
factory only mounts routers on the plane it is given.
"""

from __future__ import annotations

import functools

import httpx
from threadpoolctl import threadpool_limits

from modelfleet.model_server.config import ModelServerSettings
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.loader import Loader, ModelHolder
from modelfleet.model_server.logging_shipper import LogShipper
from modelfleet.model_server.metrics import ServerMetrics
from modelfleet.model_server.runtime import LoadedModel, load
from modelfleet.model_server.serving import ServedModel
from modelfleet.model_server.spool import Spool


def build_dataplane(
    settings: ModelServerSettings,
    *,
    loader: Loader | None = None,
    metrics: ServerMetrics | None = None,
) -> DataPlane:
    """The data plane for the configured version, with its loader, batching and log shipper."""
    metrics = metrics or ServerMetrics()
    holder = ModelHolder(
        settings.model_ref.uri,
        loader or registry_loader(settings),
        functools.partial(prepare, settings, metrics),
        first_delay=settings.load_retry_seconds,
        max_delay=settings.load_retry_max,
    )
    return DataPlane(holder, metrics, log_shipper(settings, metrics))


def registry_loader(settings: ModelServerSettings) -> Loader:
    """Load the configured version (or alias) through the tracking server."""
    return functools.partial(
        load,
        settings.model_ref,
        settings.mlflow_tracking_uri,
        unknown=settings.unknown_columns,
        max_rows=settings.max_rows,
        compile_preprocessing=settings.compiled_preprocessing,
    )


def prepare(
    settings: ModelServerSettings, metrics: ServerMetrics, model: LoadedModel
) -> ServedModel:
    """Make a freshly loaded model servable; runs on the event loop's thread, which predicts.

    OpenMP/BLAS threads are capped here, after the load: threadpoolctl only reaches libraries
    already loaded, and OpenMP keeps the setting per thread.
    """
    threadpool_limits(limits=settings.inference_threads)
    on_batch = metrics.batch_observer(model.name, model.version)
    if not settings.batching:
        return ServedModel.direct(model, on_batch)
    return ServedModel.batched(
        model,
        max_batch_size=settings.max_batch_size,
        max_wait=settings.max_batch_wait_ms / 1000.0,
        on_batch=on_batch,
    )


def log_shipper(settings: ModelServerSettings, metrics: ServerMetrics) -> LogShipper | None:
    """The shipper to the collector, or None when no collector is configured."""
    if not settings.collector_url:
        return None
    token = settings.collector_bearer()
    client = httpx.AsyncClient(
        base_url=settings.collector_url.rstrip("/"),
        headers={"Authorization": f"Bearer {token}"} if token else {},
        timeout=httpx.Timeout(10.0, connect=2.0),
    )
    return LogShipper(
        client,
        Spool(settings.resolved_spool_dir(), settings.spool_max_bytes),
        metrics,
        batch_rows=settings.log_batch_size,
        flush_seconds=settings.log_flush_seconds,
        max_queue_rows=settings.log_queue_rows,
        max_backoff=settings.log_retry_max_seconds,
    )

"""App factory and composition root of the model server."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from threadpoolctl import threadpool_limits

from modelfleet.common.api import health_router, install_error_handlers
from modelfleet.model_server import ui
from modelfleet.model_server.batching import Batcher
from modelfleet.model_server.config import ModelServerSettings
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.loader import Loader, ModelHolder
from modelfleet.model_server.logging_shipper import LogShipper
from modelfleet.model_server.metrics import MetricsMiddleware, ServerMetrics
from modelfleet.model_server.protocols import mlflow, v1, v2
from modelfleet.model_server.runtime import load
from modelfleet.model_server.spool import Spool


def limit_threads(threads: int) -> None:
    """Cap OpenMP/BLAS threads for model calls made on the calling thread.

    Call it on the thread that predicts, after the model is loaded: threadpoolctl only reaches
    libraries already loaded, and OpenMP keeps the setting per thread.
    """
    threadpool_limits(limits=threads)


def default_loader(settings: ModelServerSettings) -> Loader:
    """Load the configured version (or alias) through the tracking server."""
    return functools.partial(
        load,
        settings.model_ref,
        settings.mlflow_tracking_uri,
        unknown=settings.unknown_columns,
        max_rows=settings.max_rows,
        compile_preprocessing=settings.compiled_preprocessing,
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


def create_app(settings: ModelServerSettings, *, loader: Loader | None = None) -> FastAPI:
    """The HTTP service; the model loads in the background once the app starts."""
    metrics = ServerMetrics()
    holder = ModelHolder(settings.model_ref.uri)
    plane = DataPlane(holder, metrics)
    shipper = log_shipper(settings, metrics)
    plane.sink = shipper

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if shipper is not None:
            shipper.start()
        if settings.batching:
            plane.batcher = Batcher(
                plane.predict_now,
                max_batch_size=settings.max_batch_size,
                max_wait=settings.max_batch_wait_ms / 1000.0,
                on_batch=metrics.batch_rows.observe,
            )
            plane.batcher.start()
        loading = asyncio.create_task(
            holder.load_forever(
                loader or default_loader(settings),
                settings.load_retry_seconds,
                settings.load_retry_max,
                on_loaded=lambda _model: limit_threads(settings.inference_threads),
            )
        )
        try:
            yield
        finally:
            loading.cancel()
            await asyncio.gather(loading, return_exceptions=True)
            if plane.batcher is not None:
                await plane.batcher.stop()
            if shipper is not None:
                await shipper.stop()
                await shipper.client.aclose()

    app = FastAPI(
        title="modelfleet model server",
        summary=f"Serves {settings.model_ref.uri}",
        lifespan=lifespan,
    )
    app.state.dataplane = plane
    app.state.settings = settings
    app.state.max_body_bytes = settings.max_body_bytes
    install_error_handlers(app)
    app.include_router(health_router(metrics.registry, holder.readiness))
    app.include_router(v1.router)
    app.include_router(v2.router)
    app.include_router(mlflow.router)
    app.include_router(ui.router)
    app.add_middleware(MetricsMiddleware, metrics=metrics.http)
    return app

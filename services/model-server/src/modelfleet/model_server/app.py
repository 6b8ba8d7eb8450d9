"""App factory and composition root of the model server."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator

from fastapi import FastAPI

from modelfleet.common.api import health_router, install_error_handlers
from modelfleet.model_server.batching import Batcher
from modelfleet.model_server.config import ModelServerSettings
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.loader import Loader, ModelHolder
from modelfleet.model_server.metrics import MetricsMiddleware, ServerMetrics
from modelfleet.model_server.protocols import v1
from modelfleet.model_server.runtime import load


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


def create_app(settings: ModelServerSettings, *, loader: Loader | None = None) -> FastAPI:
    """The HTTP service; the model loads in the background once the app starts."""
    metrics = ServerMetrics()
    holder = ModelHolder(settings.model_ref.uri)
    plane = DataPlane(holder, metrics)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
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
            )
        )
        try:
            yield
        finally:
            loading.cancel()
            await asyncio.gather(loading, return_exceptions=True)
            if plane.batcher is not None:
                await plane.batcher.stop()

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
    app.add_middleware(MetricsMiddleware, metrics=metrics.http)
    return app

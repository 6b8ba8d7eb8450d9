"""App factory of the model server: mounts the protocol routers on a data plane."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from modelfleet.common.api import health_router, install_error_handlers, install_http_metrics
from modelfleet.model_server.config import ModelServerSettings
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.grpc_server import GrpcServer
from modelfleet.model_server.protocols import form, kserve_v1, mlflow, v1, v2
from modelfleet.model_server.protocols.http import BodyReader


def create_app(settings: ModelServerSettings, plane: DataPlane) -> FastAPI:
    """The HTTP service around ``plane`` (and its gRPC server, sharing the event loop and the
    plane); the model loads in the background once it starts."""
    # worker processes of one server share its gRPC port as they share the HTTP socket
    grpc = GrpcServer(plane, settings, reuse_port=settings.resolved_workers() > 1)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await plane.start()
        try:
            await grpc.start()
            yield
        finally:
            await grpc.stop()
            await plane.stop()

    app = FastAPI(
        title="modelfleet model server",
        summary=f"Serves {settings.model_ref.uri}",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    body = BodyReader(settings.max_body_bytes)
    metrics = plane.metrics.registry
    app.include_router(health_router(metrics, plane.ready, settings.prometheus_multiproc_dir))
    app.include_router(v1.router(plane, body))
    app.include_router(kserve_v1.router(plane, body))
    app.include_router(v2.router(plane, body, settings))
    app.include_router(mlflow.router(plane, body, settings.invocations_input))
    app.include_router(form.router(plane, body))
    install_http_metrics(app, plane.metrics.registry, "model-server")
    return app

"""The trainer's HTTP service: app factory and readiness (the composition root is ``__main__``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from modelfleet.common.api import (
    bearer_auth,
    health_router,
    install_error_handlers,
    install_http_metrics,
)
from modelfleet.common.db.engine import make_engine, make_session_factory
from modelfleet.common.readiness import all_of, database_check, mlflow_check
from modelfleet.trainer.config import TrainerSettings
from modelfleet.trainer.context import TrainerContext
from modelfleet.trainer.metrics import TrainerMetrics
from modelfleet.trainer.routes import datasets, jobs, promotions
from modelfleet.trainer.worker import TrainingWorker

logger = logging.getLogger(__name__)


def create_app(settings: TrainerSettings, *, engine: Engine | None = None) -> FastAPI:
    """Build the app; the worker starts with the app's lifespan (unless ``worker_enabled`` is
    off) and nothing connects before that."""
    engine = engine or make_engine(settings.resolved_database_url())
    factory = make_session_factory(engine)
    registry = CollectorRegistry()
    metrics = TrainerMetrics(registry, factory)
    worker = TrainingWorker(settings, factory, metrics) if settings.worker_enabled else None
    ctx = TrainerContext(settings=settings, session_factory=factory, worker=worker)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if worker is not None:
            await run_in_threadpool(worker.start)
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            engine.dispose()

    app = FastAPI(
        title="modelfleet trainer",
        version="0.1.0",
        summary="Train, register and promote scikit-learn models; the dataset catalog.",
        lifespan=lifespan,
    )
    install_error_handlers(app, database=True)
    auth = bearer_auth(settings.api_token)
    readiness = all_of(database_check(engine), mlflow_check(settings.mlflow_tracking_uri))
    app.include_router(health_router(registry, readiness))
    app.include_router(jobs.router(ctx, auth))
    app.include_router(datasets.router(ctx, auth))
    app.include_router(promotions.router(ctx, auth))
    install_http_metrics(app, registry, "trainer")
    return app

"""Composition root of the collector: engine, routes, health, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from modelfleet.collector.config import CollectorSettings
from modelfleet.collector.evaluation.targets import ApiClientFactory, load_api_client
from modelfleet.collector.metrics import EvaluationCollector, IngestMetrics
from modelfleet.collector.routes.evaluations import evaluations_router
from modelfleet.collector.routes.ingest import ingest_router
from modelfleet.common.api import health_router, install_error_handlers, install_http_metrics
from modelfleet.common.db.engine import make_engine
from modelfleet.common.readiness import database_check


def create_app(
    settings: CollectorSettings,
    engine: Engine | None = None,
    api_client_factory: ApiClientFactory = load_api_client,
) -> FastAPI:
    """The collector's FastAPI app; ``engine`` defaults to one built from the settings."""
    if engine is None:
        engine = make_engine(settings.resolved_database_url(), pool_size=settings.db_pool_size)
    database = engine

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        database.dispose()

    app = FastAPI(
        title="modelfleet prediction collector",
        version="0.1.0",
        description="Store of record for predictions and labels; golden-set evaluations.",
        lifespan=lifespan,
    )
    install_error_handlers(app, database=True, retry_after=settings.retry_after_seconds)
    registry = CollectorRegistry()
    registry.register(EvaluationCollector(engine))
    app.include_router(health_router(registry, database_check(engine)))
    app.include_router(ingest_router(engine, settings, IngestMetrics(registry)))
    app.include_router(evaluations_router(engine, settings, api_client_factory))
    install_http_metrics(app, registry, "collector")

    return app

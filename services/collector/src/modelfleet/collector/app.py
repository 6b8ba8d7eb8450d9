"""Composition root of the collector: engine, routes, health, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine, text

from modelfleet.collector.config import CollectorSettings
from modelfleet.collector.evaluation.targets import ApiClientFactory, load_api_client
from modelfleet.collector.routes.evaluations import evaluations_router
from modelfleet.collector.routes.ingest import ingest_router
from modelfleet.common.api import HttpMetrics, health_router, install_error_handlers
from modelfleet.common.db.engine import make_engine


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
    install_error_handlers(app)
    registry = CollectorRegistry()
    HttpMetrics(registry, "collector").install(app)

    def _ping() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    async def readiness() -> str | None:
        try:
            await run_in_threadpool(_ping)
        except Exception as exc:
            return f"database unreachable: {str(exc).splitlines()[0]}"
        return None

    app.include_router(health_router(registry, readiness))
    app.include_router(ingest_router(engine, settings))
    app.include_router(evaluations_router(engine, settings, api_client_factory))

    return app

"""HTTP API of the drift monitor: routes translate HTTP, ``runs.DriftMonitor`` does the work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from prometheus_client import CollectorRegistry

from modelfleet.common.api import (
    bearer_auth,
    health_router,
    install_error_handlers,
    install_http_metrics,
)
from modelfleet.common.db.engine import session_scope
from modelfleet.common.db.models import DriftReport
from modelfleet.common.errors import NotFoundError
from modelfleet.common.readiness import all_of, database_check, mlflow_check
from modelfleet.drift_monitor.config import DriftSettings
from modelfleet.drift_monitor.metrics import DriftCollector
from modelfleet.drift_monitor.runs import DriftMonitor, list_reports, retrain_requests_of
from modelfleet.drift_monitor.schemas import (
    DriftRunList,
    DriftRunOut,
    RetrainRequestOut,
    RunRequest,
)
from modelfleet.drift_monitor.window import WindowSpec

SERVICE = "drift-monitor"


def create_app(settings: DriftSettings, monitor: DriftMonitor) -> FastAPI:
    """The FastAPI app around ``monitor``; runs execute one at a time on a worker thread."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drift-run")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(monitor.fail_interrupted)
        yield
        executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="modelfleet drift-monitor",
        version="0.1.0",
        description="Evidently drift of served versions, stored reports, retraining requests.",
        lifespan=lifespan,
    )
    install_error_handlers(app, database=True)
    registry = CollectorRegistry()
    registry.register(DriftCollector(monitor.sessions))
    readiness = all_of(database_check(monitor.engine), mlflow_check(settings.mlflow_tracking_uri))
    app.include_router(health_router(registry, readiness))
    app.include_router(_runs_router(settings, monitor, executor))
    install_http_metrics(app, registry, SERVICE)
    return app


def _runs_router(
    settings: DriftSettings, monitor: DriftMonitor, executor: ThreadPoolExecutor
) -> APIRouter:
    api = APIRouter(prefix="/v1/drift/runs", tags=["drift"])
    auth = bearer_auth(settings.api_token)

    @api.post("", status_code=202, dependencies=[Depends(auth)])
    async def start_run(body: RunRequest, response: Response) -> DriftRunOut:
        """Start a run; it executes in the background, poll ``GET /v1/drift/runs/{id}``."""
        spec = (
            WindowSpec(last=body.last)
            if body.last is not None
            else WindowSpec(hours=body.window_hours or settings.window_hours)
        )
        row = await run_in_threadpool(monitor.start, body.model, body.version)
        asyncio.get_running_loop().run_in_executor(executor, monitor.execute, row.id, spec)
        response.headers["Location"] = f"/v1/drift/runs/{row.id}"
        return _out(monitor, row)

    @api.get("")
    def list_runs(
        model: str | None = None,
        version: str | None = None,
        status: str | None = None,
        limit: int = Query(50, ge=1, le=1000),
    ) -> DriftRunList:
        with session_scope(monitor.sessions) as session:
            rows = list_reports(session, model=model, version=version, status=status, limit=limit)
        return DriftRunList(runs=[_out(monitor, row, with_requests=False) for row in rows])

    @api.get("/{run_id}")
    def show_run(run_id: int) -> DriftRunOut:
        return _out(monitor, _get(monitor, run_id))

    @api.get("/{run_id}/report.html", response_class=FileResponse)
    def report_html(run_id: int) -> FileResponse:
        row = _get(monitor, run_id)
        if not row.report_path or not Path(row.report_path).is_file():
            raise NotFoundError(
                f"drift run {run_id} has no HTML report (status {row.status!r}: "
                f"{row.reason or 'not analysed'})"
            )
        return FileResponse(row.report_path, media_type="text/html")

    return api


def _get(monitor: DriftMonitor, run_id: int) -> DriftReport:
    with session_scope(monitor.sessions) as session:
        row = session.get(DriftReport, run_id)
    if row is None:
        raise NotFoundError(f"drift run {run_id} does not exist")
    return row


def _out(monitor: DriftMonitor, row: DriftReport, *, with_requests: bool = True) -> DriftRunOut:
    out = DriftRunOut.model_validate(row)
    if row.report_path:
        out.report_url = f"/v1/drift/runs/{row.id}/report.html"
    if with_requests:
        with session_scope(monitor.sessions) as session:
            requests = retrain_requests_of(session, row.id)
        out.retrain_requests = [RetrainRequestOut.model_validate(r) for r in requests]
    return out

"""``/v1/jobs``: queue a training, read one job or the recent ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Query, Response

from modelfleet.common.wire import JobAccepted, JobOut, TrainRequest
from modelfleet.trainer import job_queue
from modelfleet.trainer.context import TrainerContext


def router(ctx: TrainerContext, auth: Callable[..., Awaitable[None]]) -> APIRouter:
    api = APIRouter(prefix="/v1/jobs", tags=["jobs"])

    @api.post("", status_code=202, dependencies=[Depends(auth)])
    def submit(request: TrainRequest, response: Response) -> JobAccepted:
        """Validate the request (model, parameters, data, columns) and queue it."""
        with ctx.session() as session:
            accepted = job_queue.submit(session, request, ctx.settings.seed)
        if ctx.worker is not None:
            ctx.worker.notify()
        response.headers["Location"] = f"/v1/jobs/{accepted.job_id}"
        return accepted

    @api.get("")
    def list_jobs(
        status: str | None = Query(None, description="queued, running, succeeded or failed"),
        limit: int = Query(100, ge=1, le=1000),
    ) -> list[JobOut]:
        with ctx.session() as session:
            return job_queue.list_jobs(session, status, limit)

    @api.get("/{job_id}")
    def get_job(job_id: str) -> JobOut:
        with ctx.session() as session:
            return job_queue.get(session, job_id)

    return api

"""``/v1/evaluations``: run the job, list and read evaluations, compare two versions."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from modelfleet.collector.config import CollectorSettings
from modelfleet.collector.evaluation.queries import get_evaluation, list_evaluations
from modelfleet.collector.evaluation.targets import ApiClientFactory
from modelfleet.common.api import bearer_auth
from modelfleet.common.evaluations import compare


class EvaluationRequest(BaseModel):
    """Body of ``POST /v1/evaluations``."""

    golden: str | None = Field(
        default=None, description="catalog dataset name or file path; default MODELFLEET_GOLDEN"
    )
    target: str | None = Field(default=None, description="target column of a golden file")
    targets: list[str] = Field(default_factory=list, description="model-server URLs")
    discover: Literal["k8s", "local"] | None = None
    wait: bool = Field(default=True, description="false: answer 202 at once, run in background")


def evaluations_router(
    engine: Engine, settings: CollectorSettings, api_client_factory: ApiClientFactory
) -> APIRouter:
    router = APIRouter(prefix="/v1/evaluations", tags=["evaluations"])

    def _run(body: EvaluationRequest) -> list[dict[str, Any]]:
        # Imported on first use: pandas and scikit-learn would slow every collector's start,
        # while most replicas only ingest.
        from modelfleet.collector.evaluation.job import run_evaluations

        outcomes = run_evaluations(
            engine,
            settings,
            golden=body.golden,
            target=body.target,
            urls=body.targets,
            discover=body.discover,
            api_client_factory=api_client_factory,
        )
        return [o.to_dict() for o in outcomes]

    @router.post("", dependencies=[Depends(bearer_auth(settings.api_token))], response_model=None)
    async def start(body: EvaluationRequest, background: BackgroundTasks) -> Any:
        """Evaluate the targets on the golden set (skipping versions already evaluated)."""
        if not body.wait:
            background.add_task(_run, body)
            return JSONResponse({"status": "accepted"}, status_code=202)
        return {"outcomes": await run_in_threadpool(_run, body)}

    def _compare(
        model: str, baseline: str, candidate: str, metric: str, tolerance: float, golden: str | None
    ) -> dict[str, Any]:
        with Session(engine) as session:
            return compare(session, model, baseline, candidate, metric, tolerance, golden).to_dict()

    @router.get("/compare")
    async def compare_versions(
        model: str,
        baseline: str,
        candidate: str,
        metric: str = "recall",
        tolerance: float = Query(0.02, ge=0, le=1),
        golden_digest: str | None = None,
    ) -> dict[str, Any]:
        """Per-class deltas (candidate minus baseline) of every metric on the same golden set."""
        return await run_in_threadpool(
            _compare, model, baseline, candidate, metric, tolerance, golden_digest
        )

    def _list(**filters: Any) -> list[dict[str, Any]]:
        return list_evaluations(engine, **filters)

    @router.get("")
    async def list_all(
        model: str | None = None,
        version: str | None = None,
        status: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
    ) -> dict[str, Any]:
        evaluations = await run_in_threadpool(
            _list, model=model, version=version, status=status, limit=limit
        )
        return {"evaluations": evaluations}

    def _get(evaluation_id: int) -> dict[str, Any]:
        return get_evaluation(engine, evaluation_id)

    @router.get("/{evaluation_id}")
    async def get_one(evaluation_id: int) -> dict[str, Any]:
        return await run_in_threadpool(_get, evaluation_id)

    return router

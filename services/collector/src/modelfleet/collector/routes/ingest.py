"""``POST /v1/predictions`` and ``POST /v1/labels``."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from modelfleet.collector.config import CollectorSettings
from modelfleet.collector.ingest.labels import store_labels
from modelfleet.collector.ingest.parsing import parse_prediction_batch
from modelfleet.collector.ingest.store import PredictionWriter
from modelfleet.collector.metrics import IngestMetrics
from modelfleet.common.api import bearer_auth
from modelfleet.common.errors import BadRequestError
from modelfleet.common.wire import LabelBatch


def ingest_router(engine: Engine, settings: CollectorSettings, metrics: IngestMetrics) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["ingest"])
    writer = PredictionWriter(engine)
    auth = [Depends(bearer_auth(settings.api_token))]

    def _ingest(body: bytes) -> dict[str, int]:
        try:
            rows = parse_prediction_batch(body)
        except BadRequestError:
            metrics.refused(_declared_rows(body))
            raise
        inserted = writer.write(rows)
        metrics.stored(rows, inserted)
        return {"received": len(rows), "inserted": inserted, "duplicates": len(rows) - inserted}

    @router.post("/predictions", dependencies=auth)
    async def ingest_predictions(request: Request) -> dict[str, int]:
        """Store a batch of prediction logs (idempotent on request_id + row_index).

        The body is a ``PredictionLogBatch``; it is parsed by hand for speed.
        """
        body = await request.body()
        return await run_in_threadpool(_ingest, body)

    def _labels(batch: LabelBatch) -> dict[str, Any]:
        stored = store_labels(engine, batch.labels)
        metrics.labels.inc(stored)
        return {"stored": stored}

    @router.post("/labels", dependencies=auth)
    async def ingest_labels(batch: LabelBatch) -> dict[str, Any]:
        """Store ground truth by entity id or by prediction id."""
        return await run_in_threadpool(_labels, batch)

    return router


def _declared_rows(body: bytes) -> int:
    """How many rows a refused batch held (0 when it is not even a JSON batch)."""
    try:
        rows = orjson.loads(body).get("predictions")
    except (orjson.JSONDecodeError, AttributeError):
        return 0
    return len(rows) if isinstance(rows, list) else 0

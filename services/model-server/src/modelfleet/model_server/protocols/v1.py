"""The native protocol: ``POST /v1/predict`` and ``GET /v1/model`` (shapes in ``common.wire``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from modelfleet.common.errors import BadRequestError
from modelfleet.common.wire import ModelInfo, PredictRequest, PredictResponse
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.protocols.http import (
    BodyReader,
    json_response,
    parse_json_object,
    traffic_source,
)
from modelfleet.model_server.schema import Batch


def router(plane: DataPlane, body: BodyReader) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["native"])

    @api.post(
        "/predict",
        response_model=PredictResponse,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": PredictRequest.model_json_schema()}},
            }
        },
    )
    async def predict(request: Request) -> Response:
        """Records in; request id, model name/version, per-row prediction and probabilities."""
        schema = plane.model.schema

        def parse(raw: bytes) -> tuple[Batch, Any]:
            document = parse_json_object(raw)
            if "records" not in document:
                raise BadRequestError("records: field required (a list of row objects)")
            unknown = set(document) - {"records", "entity_ids"}
            if unknown:
                raise BadRequestError(f"unknown field(s): {', '.join(sorted(unknown))}")
            return schema.from_records(document["records"]), document.get("entity_ids")

        batch, entity_ids = await body.decode(request, parse)
        scored = await plane.infer(batch, entity_ids=entity_ids, source=traffic_source(request))
        classes = scored.model.classes
        ids = scored.entity_ids
        rows = [
            {
                "row_index": i,
                "entity_id": ids[i] if ids else None,
                "prediction": label,
                "probabilities": dict(zip(classes, proba.tolist(), strict=True)),
            }
            for i, (label, proba) in enumerate(
                zip(scored.prediction.labels, scored.prediction.probabilities, strict=True)
            )
        ]
        return json_response(
            {
                "request_id": scored.request_id,
                "model_name": scored.model.name,
                "model_version": scored.model.version,
                "predictions": rows,
            }
        )

    @api.get("/model", response_model=ModelInfo)
    async def model_info() -> Response:
        """Name, version, aliases, run, classes, input schema, training metrics, importances."""
        return json_response(plane.model_info().model_dump())

    return api

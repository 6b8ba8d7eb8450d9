"""KServe's v1 protocol (TensorFlow-Serving style), beside the native ``/v1/predict``.

``GET /v1/models`` and ``GET /v1/models/{name}`` answer what KServe's probes and
``InferenceRESTClient`` ask (``{"name", "ready"}``, 503 while loading);
``POST /v1/models/{name}:predict`` takes ``{"instances": [...]}`` (row objects, or rows of values
in the order of the model metadata's inputs) and answers ``{"predictions": [label, …]}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from modelfleet.common.errors import BadRequestError
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.protocols import oip
from modelfleet.model_server.protocols.http import BodyReader, json_response, traffic_source
from modelfleet.model_server.protocols.shapes import KServeV1Route
from modelfleet.model_server.schema import InputSchema


def router(plane: DataPlane, body: BodyReader) -> APIRouter:
    api = APIRouter(prefix="/v1/models", tags=["kserve-v1"], route_class=KServeV1Route)

    @api.get("")
    async def models() -> Response:
        return json_response({"models": [plane.model.name]})

    @api.get("/{name}")
    async def model_ready(name: str) -> Response:
        model = oip.served(plane, name, None)
        return json_response({"name": model.name, "ready": True})

    @api.post("/{name}:predict")
    async def predict(request: Request, name: str) -> Response:
        model = oip.served(plane, name, None)
        document = await body.json_object(request)
        present = [key for key in ("instances", "inputs") if key in document]
        if len(present) != 1:
            raise BadRequestError("instances: field required (a list of rows)")
        rows = _rows(model.schema, document[present[0]])
        scored = await plane.infer(model.schema.from_records(rows), source=traffic_source(request))
        return json_response({"predictions": scored.prediction.labels})

    return api


def _rows(schema: InputSchema, instances: Any) -> Any:
    """Row objects; rows given as lists are read in schema order."""
    if not isinstance(instances, list) or not any(isinstance(row, list) for row in instances):
        return instances
    rows = []
    for index, row in enumerate(instances):
        if not isinstance(row, list) or len(row) != len(schema.names):
            raise BadRequestError(
                f"instances[{index}]: expected {len(schema.names)} values in the order "
                f"{', '.join(schema.names)}"
            )
        rows.append(dict(zip(schema.names, row, strict=True)))
    return rows

"""The Open Inference Protocol (KServe v2) REST endpoints, so KServe and Triton clients work.

Every input column is one tensor (``shape [n]`` or ``[n, 1]``; BYTES for strings, FP64/INT64 for
numbers); the outputs are ``label`` (BYTES ``[n]``) and ``probabilities`` (FP64 ``[n, classes]``).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request, Response

from modelfleet.common.errors import BadRequestError, NotFoundError
from modelfleet.model_server.dataplane import DataPlane, Scored
from modelfleet.model_server.protocols.http import BodyReader, json_response
from modelfleet.model_server.runtime import LoadedModel

NUMERIC_DATATYPES = frozenset(
    {"FP64", "FP32", "FP16", "INT64", "INT32", "INT16", "INT8", "UINT64", "UINT32", "UINT16"}
)
OUTPUTS = ("label", "probabilities")
V2_DATATYPES = {"long": "INT64", "integer": "INT32", "double": "FP64", "float": "FP32"}
"""Open Inference Protocol datatype of each MLflow signature type; anything else is BYTES."""


def router(plane: DataPlane, body: BodyReader) -> APIRouter:
    api = APIRouter(prefix="/v2", tags=["open-inference-v2"])

    def served(name: str, version: str | None) -> LoadedModel:
        model = plane.model
        if name != model.name:
            raise NotFoundError(
                f"model {name!r} is not served here; this one serves {model.name!r}"
            )
        if version is not None and version != model.version:
            raise NotFoundError(
                f"version {version!r} of {name!r} is not served here (this server serves "
                f"version {model.version})"
            )
        return model

    @api.get("")
    async def server_metadata() -> Response:
        return json_response(plane.server_metadata())

    @api.get("/health/live")
    async def live() -> Response:
        return json_response({"live": plane.live()})

    @api.get("/health/ready")
    async def ready() -> Response:
        reason = await plane.ready()
        if reason is None:
            return json_response({"ready": True})
        return json_response({"ready": False, "detail": reason}, status_code=503)

    @api.get("/models/{name}")
    @api.get("/models/{name}/versions/{version}")
    async def model_metadata(name: str, version: str | None = None) -> Response:
        return json_response(_metadata(served(name, version)))

    @api.get("/models/{name}/ready")
    @api.get("/models/{name}/versions/{version}/ready")
    async def model_ready(name: str, version: str | None = None) -> Response:
        model = served(name, version)
        return json_response({"name": model.name, "ready": True})

    @api.post("/models/{name}/infer")
    @api.post("/models/{name}/versions/{version}/infer")
    async def infer(request: Request, name: str, version: str | None = None) -> Response:
        model = served(name, version)
        document = await body.json_object(request)
        columns = _columns(model, document.get("inputs"))
        wanted = _requested_outputs(document.get("outputs"))
        request_id = document.get("id")
        if request_id is not None and (not isinstance(request_id, str) or len(request_id) > 64):
            raise BadRequestError("id must be a string of at most 64 characters")
        scored = await plane.infer(model.schema.from_columns(columns), request_id=request_id)
        return json_response(_response(scored.model, scored, wanted))

    return api


def _metadata(model: LoadedModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "versions": [model.version],
        "platform": "sklearn",
        "inputs": [
            {"name": c.name, "datatype": V2_DATATYPES.get(c.type, "BYTES"), "shape": [-1]}
            for c in model.schema.columns
        ],
        "outputs": [
            {"name": "label", "datatype": "BYTES", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP64", "shape": [-1, len(model.classes)]},
        ],
        "parameters": {"classes": model.classes},
    }


def _response(model: LoadedModel, scored: Scored, wanted: list[str]) -> dict[str, Any]:
    n, k = scored.batch.size, len(model.classes)
    tensors = {
        "label": {
            "name": "label",
            "datatype": "BYTES",
            "shape": [n],
            "data": scored.prediction.labels,
        },
        "probabilities": {
            "name": "probabilities",
            "datatype": "FP64",
            "shape": [n, k],
            "data": scored.prediction.probabilities.ravel(),
            "parameters": {"classes": model.classes},
        },
    }
    return {
        "model_name": model.name,
        "model_version": model.version,
        "id": scored.request_id,
        "parameters": {},
        "outputs": [tensors[name] for name in wanted],
    }


def _columns(model: LoadedModel, inputs: Any) -> dict[str, list[Any]]:
    """One list of values per input tensor, after checking names, datatypes and shapes."""
    if not isinstance(inputs, list) or not inputs:
        raise BadRequestError("inputs: expected a non-empty list of tensors, one per column")
    types = {c.name: c for c in model.schema.columns}
    columns: dict[str, list[Any]] = {}
    for position, tensor in enumerate(inputs):
        if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
            raise BadRequestError(f"inputs[{position}]: expected an object with a name")
        name = tensor["name"]
        datatype, shape, data = tensor.get("datatype"), tensor.get("shape"), tensor.get("data")
        column = types.get(name)
        if column is not None:
            expected = "a numeric datatype" if column.numeric else "BYTES"
            fits = datatype in NUMERIC_DATATYPES if column.numeric else datatype == "BYTES"
            if not fits:
                raise BadRequestError(f"input {name!r}: datatype {datatype!r}, expected {expected}")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise BadRequestError(f"input {name!r}: shape must be a list of non-negative integers")
        if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
            raise BadRequestError(f"input {name!r}: shape must be [rows] or [rows, 1], got {shape}")
        if not isinstance(data, list):
            raise BadRequestError(f"input {name!r}: data must be a list")
        flat = _flatten(data)
        if len(flat) != math.prod(shape):
            raise BadRequestError(
                f"input {name!r}: shape {shape} needs {math.prod(shape)} values, got {len(flat)}"
            )
        if name in columns:
            raise BadRequestError(f"input {name!r} is given twice")
        columns[name] = flat
    return columns


def _flatten(data: list[Any]) -> list[Any]:
    if not any(isinstance(v, list) for v in data):
        return data
    flat: list[Any] = []
    for value in data:
        if isinstance(value, list):
            flat.extend(_flatten(value))
        else:
            flat.append(value)
    return flat


def _requested_outputs(outputs: Any) -> list[str]:
    if outputs is None:
        return list(OUTPUTS)
    if not isinstance(outputs, list) or not all(
        isinstance(o, dict) and o.get("name") in OUTPUTS for o in outputs
    ):
        raise BadRequestError(f"outputs: expected a list of {{'name': …}} with names {OUTPUTS}")
    return [o["name"] for o in outputs]

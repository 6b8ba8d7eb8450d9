"""Triton's REST extensions that its clients call, answered for the one version served here.

Model configuration (``…/config``), the model repository index and statistics (``…/stats``).
Statistics come from the Prometheus metrics, so both always agree; they are per process.
Loading and unloading are refused: a model-server serves one version for its whole life.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response

from modelfleet.common.errors import BadRequestError
from modelfleet.model_server.config import ModelServerSettings
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.protocols import oip, v2_body
from modelfleet.model_server.protocols.http import BodyReader, json_response
from modelfleet.model_server.protocols.shapes import OpenInferenceRoute
from modelfleet.model_server.runtime import LoadedModel

CONFIG_TYPES = {"BYTES": "TYPE_STRING"}
"""Triton configuration type of an Open Inference datatype (else ``TYPE_`` + datatype)."""


def router(plane: DataPlane, body: BodyReader, settings: ModelServerSettings) -> APIRouter:
    api = APIRouter(route_class=OpenInferenceRoute)

    @api.get("/models/stats")
    @api.get("/models/{name}/stats")
    @api.get("/models/{name}/versions/{version}/stats")
    async def statistics(name: str | None = None, version: str | None = None) -> Response:
        model = plane.model if name is None else oip.served(plane, name, version)
        return json_response({"model_stats": [_statistics(plane, model)]})

    @api.get("/models/{name}/config")
    @api.get("/models/{name}/versions/{version}/config")
    async def config(name: str, version: str | None = None) -> Response:
        return json_response(_config(oip.served(plane, name, version), settings))

    @api.post("/repository/index")
    async def repository_index(request: Request) -> Response:
        raw = await body.bytes(request)
        ready_only = bool(raw.strip()) and v2_body.split(raw, None)[0].get("ready") is True
        reason = await plane.ready()
        if reason is None:
            model = plane.model
            entry = {"name": model.name, "version": model.version, "state": "READY"}
        elif ready_only:
            return json_response([])
        else:
            ref = settings.model_ref
            entry = {
                "name": ref.name,
                "version": ref.version or ref.alias or "",
                "state": "LOADING",
                "reason": reason,
            }
        return json_response([entry])

    @api.post("/repository/models/{name}/load")
    @api.post("/repository/models/{name}/unload")
    async def model_control(request: Request, name: str) -> Response:
        action = request.url.path.rsplit("/", 1)[-1]
        raise BadRequestError(
            f"cannot {action} {name!r}: each model-server serves one version for its whole life "
            "(deploy another server for another version)"
        )

    return api


def _statistics(plane: DataPlane, model: LoadedModel) -> dict[str, Any]:
    labels = {"model": model.name, "version": model.version}
    sample = plane.metrics.sample

    def duration(outcome: str) -> dict[str, int]:
        where = {**labels, "outcome": outcome}
        return {
            "count": int(sample("modelfleet_inference_duration_seconds_count", where)),
            "ns": int(sample("modelfleet_inference_duration_seconds_sum", where) * 1e9),
        }

    rows = sum(
        sample("modelfleet_rows_predicted_total", {**labels, "source": source})
        for source in ("online", "evaluation", "batch")
    )
    return {
        "name": model.name,
        "version": model.version,
        "last_inference": int(sample("modelfleet_last_inference_timestamp_seconds", labels) * 1e3),
        "inference_count": int(rows),
        "execution_count": int(sample("modelfleet_batch_rows_count", labels)),
        "inference_stats": {"success": duration("success"), "fail": duration("fail")},
        "batch_stats": [],
    }


def _config(model: LoadedModel, settings: ModelServerSettings) -> dict[str, Any]:
    def tensor(name: str, datatype: str, dims: list[int], **extra: Any) -> dict[str, Any]:
        kind = CONFIG_TYPES.get(datatype, f"TYPE_{datatype}")
        return {"name": name, "data_type": kind, "dims": dims, **extra}

    batching = (
        f"adaptive, up to {settings.max_batch_size} rows, waiting {settings.max_batch_wait_ms} ms"
        if settings.batching
        else "off"
    )
    return {
        "name": model.name,
        "platform": "sklearn",
        "backend": "modelfleet",
        "version_policy": {"specific": {"versions": [model.version]}},
        # 0: the batch dimension is part of every shape below, as in the model metadata
        "max_batch_size": 0,
        "input": [
            tensor(c.name, oip.datatype(c.type), [-1], optional=not c.required)
            for c in model.schema.columns
        ],
        "output": [
            tensor("label", "BYTES", [-1]),
            tensor("probabilities", "FP64", [-1, len(model.classes)]),
        ],
        "instance_group": [{"name": model.name, "kind": "KIND_CPU", "count": 1}],
        "parameters": {
            "classes": {"string_value": json.dumps(model.classes)},
            "mlflow_run_id": {"string_value": model.info.run_id},
            "batching": {"string_value": batching},
            "max_rows_per_request": {"string_value": str(settings.max_rows)},
        },
    }

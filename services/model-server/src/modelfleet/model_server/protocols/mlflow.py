"""MLflow's scoring protocol as ``mlflow models serve`` answers it, so its clients work unchanged.

``POST /invocations`` (JSON, CSV or parquet; see :mod:`.mlflow_input`) answers
``{"predictions": [label, …]}``, what MLflow returns for a scikit-learn classifier; errors are
400 ``{"error_code": "BAD_REQUEST", "message": …}``. ``/ping`` and ``/health`` answer 200 once the
model is loaded (``ScoringServerClient.wait_server_ready`` polls ``/ping``), ``/version`` the
MLflow version whose scoring protocol this follows.
"""

from __future__ import annotations

from importlib.metadata import version as package_version
from typing import Literal

from fastapi import APIRouter, Request, Response

from modelfleet.common.errors import UnavailableError, UnsupportedMediaTypeError
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.protocols.http import BodyReader, json_response, traffic_source
from modelfleet.model_server.protocols.mlflow_input import Adaptations, InvocationsInput
from modelfleet.model_server.protocols.shapes import MlflowRoute

CONTENT_TYPES = ("application/json", "text/csv", "application/vnd.apache.parquet")


def router(
    plane: DataPlane, body: BodyReader, input_mode: Literal["mlflow", "strict"] = "mlflow"
) -> APIRouter:
    api = APIRouter(tags=["mlflow"], route_class=MlflowRoute)

    @api.post("/invocations")
    async def invocations(request: Request) -> Response:
        """Predict in any of MLflow's input formats; answer ``{"predictions": [...]}``."""
        model = plane.model
        media_type = _media_type(request.headers.get("content-type", "application/json"))
        notes = Adaptations(lenient=input_mode == "mlflow")
        reader = InvocationsInput(model.schema, notes)
        raw = await body.bytes(request)
        if media_type == "text/csv":
            batch = reader.from_csv(raw)
        elif media_type == "application/json":
            batch = reader.from_json(raw)
        else:
            batch = reader.from_parquet(raw)
        scored = await plane.infer(batch, source=traffic_source(request))
        counters = plane.metrics.model(scored.model.name, scored.model.version)
        for kind in sorted(notes.kinds):
            counters.adapted(kind)
        response = json_response({"predictions": scored.prediction.labels})
        response.headers.update(notes.headers())
        return response

    async def ping() -> Response:
        reason = await plane.ready()
        if reason is not None:
            raise UnavailableError(f"model not ready: {reason}")
        return Response("\n", media_type="application/json")

    api.get("/ping")(ping)
    api.get("/health")(ping)

    @api.get("/version")
    async def mlflow_version() -> Response:
        return Response(package_version("mlflow-skinny"), media_type="application/json")

    return api


def _media_type(content_type: str) -> str:
    """The media type, refusing what MLflow refuses (415): other types, charsets, parameters."""
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    options = dict(p.partition("=")[::2] for p in parameters if p)
    if options.get("charset", "utf-8").lower() != "utf-8":
        raise UnsupportedMediaTypeError("the scoring server only reads UTF-8 bodies")
    if set(options) - {"charset"}:
        raise UnsupportedMediaTypeError(
            f"content type parameters {', '.join(sorted(set(options) - {'charset'}))} are "
            "not recognised"
        )
    if media_type not in CONTENT_TYPES:
        raise UnsupportedMediaTypeError(
            f"content type {media_type!r} is not supported; use {', '.join(CONTENT_TYPES)}"
        )
    return media_type

"""The Open Inference Protocol (KServe v2) REST endpoints, so KServe and Triton clients work.

JSON and binary tensor bodies (:mod:`.v2_body`), gzip/deflate request bodies (``BodyReader``),
Triton's extensions (:mod:`.triton`), and ``{"error": …}`` with the protocol's statuses on every
route under ``/v2``, unknown ones included.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from modelfleet.common.errors import NotFoundError
from modelfleet.model_server.config import ModelServerSettings
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.protocols import oip, triton, v2_body
from modelfleet.model_server.protocols.http import BodyReader, json_response, traffic_source
from modelfleet.model_server.protocols.shapes import OpenInferenceRoute


def router(plane: DataPlane, body: BodyReader, settings: ModelServerSettings) -> APIRouter:
    api = APIRouter(prefix="/v2", tags=["open-inference-v2"], route_class=OpenInferenceRoute)
    # first: /models/stats must not be read as the metadata of a model called "stats"
    api.include_router(triton.router(plane, body, settings))

    @api.get("")
    async def server_metadata() -> Response:
        return json_response(oip.server_metadata(plane))

    @api.get("/health/live")
    async def live() -> Response:
        return json_response({"live": plane.live()})

    @api.get("/health/ready")
    async def ready() -> Response:
        reason = await plane.ready()
        if reason is None:
            return json_response({"ready": True})
        return json_response({"ready": False, "error": reason}, status_code=503)

    @api.get("/models/{name}")
    @api.get("/models/{name}/versions/{version}")
    async def model_metadata(name: str, version: str | None = None) -> Response:
        return json_response(oip.model_metadata(oip.served(plane, name, version)))

    @api.get("/models/{name}/ready")
    @api.get("/models/{name}/versions/{version}/ready")
    async def model_ready(name: str, version: str | None = None) -> Response:
        model = oip.served(plane, name, version)
        return json_response({"name": model.name, "ready": True})

    @api.post("/models/{name}/infer")
    @api.post("/models/{name}/versions/{version}/infer")
    async def infer(request: Request, name: str, version: str | None = None) -> Response:
        """JSON or binary tensors in; ``label`` and ``probabilities`` out, as JSON or binary."""
        model = oip.served(plane, name, version)
        document, blob = v2_body.split(
            await body.bytes(request), request.headers.get(v2_body.HEADER_LENGTH)
        )
        columns = oip.columns(model, v2_body.inputs(document.get("inputs"), blob))
        wanted = v2_body.requested(document)
        scored = await plane.infer(
            model.schema.from_columns(columns),
            request_id=oip.request_id(document.get("id")),
            source=traffic_source(request),
        )
        return v2_body.response(scored, wanted)

    @api.api_route(
        "/{path:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False
    )
    async def unknown(request: Request, path: str) -> Response:
        raise NotFoundError(
            f"{request.method} /v2/{path} is not an Open Inference Protocol endpoint of this server"
        )

    return api

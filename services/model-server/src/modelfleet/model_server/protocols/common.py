"""What every transport shares: reading a bounded body, parsing JSON, answering with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request, Response

from modelfleet.common.errors import BadRequestError, ModelfleetError
from modelfleet.common.wire import SOURCE_HEADER, PredictionSource
from modelfleet.model_server.dataplane import DataPlane


class PayloadTooLargeError(ModelfleetError):
    status_code = 413


class UnsupportedMediaError(ModelfleetError):
    status_code = 415


def dataplane(request: Request) -> DataPlane:
    plane: DataPlane = request.app.state.dataplane
    return plane


async def read_body(request: Request) -> bytes:
    """The request body, refusing anything over the configured size before reading it all."""
    limit: int = request.app.state.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(
            f"request body of {declared} bytes is over the {limit}-byte limit"
        )
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"request body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request) -> Any:
    body = await read_body(request)
    if not body:
        raise BadRequestError("empty body: expected a JSON document")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"malformed JSON: {exc}") from exc


async def read_json_object(request: Request) -> dict[str, Any]:
    document = await read_json(request)
    if not isinstance(document, dict):
        raise BadRequestError("expected a JSON object")
    return document


def json_response(content: Any, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY),
        status_code=status_code,
        media_type="application/json",
    )


def traffic_source(request: Request) -> PredictionSource:
    """``evaluation`` when the caller says so in the source header, else ``online``."""
    return "evaluation" if request.headers.get(SOURCE_HEADER) == "evaluation" else "online"

"""What every transport shares: reading a bounded body, parsing JSON, answering with orjson."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from fastapi import Request, Response

from modelfleet.common.errors import BadRequestError, PayloadTooLargeError
from modelfleet.common.wire import SOURCE_HEADER, PredictionSource

OFF_LOOP_BYTES = 64 * 1024
"""Bodies at least this large are decoded on a worker thread: parsing and checking a 10 MB
body takes long enough to stall every other request on the event loop (``/healthz`` too)."""

T = TypeVar("T")


class BodyReader:
    """Reads request bodies up to a size limit, refusing larger ones before reading them all."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    async def decode(self, request: Request, parse: Callable[[bytes], T]) -> T:
        """``parse(body)``, on a worker thread when the body is large."""
        body = await self.bytes(request)
        if len(body) < OFF_LOOP_BYTES:
            return parse(body)
        return await asyncio.to_thread(parse, body)

    async def bytes(self, request: Request) -> bytes:
        limit = self.max_bytes
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

    async def json(self, request: Request) -> Any:
        return await self.decode(request, parse_json)

    async def json_object(self, request: Request) -> dict[str, Any]:
        return await self.decode(request, parse_json_object)


def parse_json(body: bytes) -> Any:
    if not body:
        raise BadRequestError("empty body: expected a JSON document")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"malformed JSON: {exc}") from exc


def parse_json_object(body: bytes) -> dict[str, Any]:
    document = parse_json(body)
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

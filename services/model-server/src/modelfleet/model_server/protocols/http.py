"""What every transport shares: reading a bounded body, parsing JSON, answering with orjson."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from fastapi import Request, Response

from modelfleet.common.errors import (
    BadRequestError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from modelfleet.common.wire import SOURCE_HEADER, PredictionSource

OFF_LOOP_BYTES = 64 * 1024
"""Bodies at least this large are decoded on a worker thread: parsing and checking a 10 MB
body takes long enough to stall every other request on the event loop (``/healthz`` too)."""

T = TypeVar("T")

WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
"""zlib window bits per ``Content-Encoding``; ``deflate`` is the zlib format (RFC 9110)."""


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
        """The body, decoded per its ``Content-Encoding``; both sizes are bounded."""
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
        body = b"".join(chunks)
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding in ("", "identity"):
            return body
        return decompress(body, encoding, limit)

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


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """The decoded body, refusing one that inflates past ``limit`` before inflating it all."""
    wbits = WBITS.get(encoding)
    if wbits is None:
        raise UnsupportedMediaTypeError(
            f"Content-Encoding {encoding!r} is not supported; use gzip or deflate"
        )
    try:
        return _inflate(body, wbits, encoding, limit)
    except zlib.error:
        if encoding != "deflate":
            raise BadRequestError(f"request body is not valid {encoding} data") from None
    try:  # raw DEFLATE without the zlib header, as some clients send it
        return _inflate(body, -zlib.MAX_WBITS, encoding, limit)
    except zlib.error:
        raise BadRequestError("request body is not valid deflate data") from None


def _inflate(body: bytes, wbits: int, encoding: str, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    data = inflater.decompress(body, limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(f"decompressed request body is over the {limit}-byte limit")
    if not inflater.eof:
        raise BadRequestError(f"request body is truncated {encoding} data")
    return data


def json_response(content: Any, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY),
        status_code=status_code,
        media_type="application/json",
    )


def traffic_source(request: Request) -> PredictionSource:
    """``evaluation`` when the caller says so in the source header, else ``online``."""
    return "evaluation" if request.headers.get(SOURCE_HEADER) == "evaluation" else "online"

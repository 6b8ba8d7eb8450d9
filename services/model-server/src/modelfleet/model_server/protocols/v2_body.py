"""Bodies of Open Inference REST inference: JSON, and the binary tensor data extension.

A binary request is a JSON header of ``Inference-Header-Content-Length`` bytes followed by the
raw data of every input whose ``parameters.binary_data_size`` says how many bytes it takes, in the
order of ``inputs``. Outputs come back binary when the request's ``binary_data_output`` parameter
or the output's own ``binary_data`` parameter says so (tritonclient asks for that by default);
the response is then framed the same way.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

from modelfleet.common.errors import BadRequestError
from modelfleet.model_server.dataplane import Scored
from modelfleet.model_server.protocols import oip, tensors
from modelfleet.model_server.protocols.oip import InputTensor, OutputTensor, RequestedOutput

HEADER_LENGTH = "inference-header-content-length"


def split(raw: bytes, header_length: str | None) -> tuple[dict[str, Any], bytes]:
    """The JSON document of a request body and the binary data after it."""
    if header_length is None:
        return _document(raw), b""
    if not header_length.isdigit() or int(header_length) > len(raw):
        raise BadRequestError(
            f"Inference-Header-Content-Length {header_length!r} must be the length of the JSON "
            f"header, at most the body's {len(raw)} bytes"
        )
    length = int(header_length)
    return _document(raw[:length]), raw[length:]


def _document(raw: bytes) -> dict[str, Any]:
    if not raw:
        raise BadRequestError("empty body: expected a JSON inference request")
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"malformed JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise BadRequestError("expected a JSON object (an inference request)")
    return document


def parameters(holder: dict[str, Any], where: str) -> dict[str, Any]:
    found = holder.get("parameters")
    if found is None:
        return {}
    if not isinstance(found, dict):
        raise BadRequestError(f"{where}parameters must be an object")
    return found


def inputs(items: Any, blob: bytes) -> list[InputTensor]:
    """Every input tensor, its values from JSON ``data`` or from its slice of the binary data."""
    if not isinstance(items, list) or not items:
        raise BadRequestError("inputs: expected a non-empty list of tensors, one per column")
    found: list[InputTensor] = []
    offset = 0
    for position, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise BadRequestError(f"inputs[{position}]: expected an object with a name")
        name = item["name"]
        datatype, shape = item.get("datatype"), item.get("shape")
        if not isinstance(datatype, str):
            raise BadRequestError(f"input {name!r}: datatype must be a string")
        size = parameters(item, f"input {name!r}: ").get("binary_data_size")
        if size is None:
            data = item.get("data")
            if not isinstance(data, list):
                raise BadRequestError(f"input {name!r}: data must be a list")
            found.append(InputTensor(name, datatype, shape, _flatten(data)))
            continue
        if "data" in item:
            raise BadRequestError(f"input {name!r}: give either data or binary_data_size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise BadRequestError(f"input {name!r}: binary_data_size must be a byte count")
        if offset + size > len(blob):
            raise BadRequestError(
                f"input {name!r}: binary_data_size {size} runs past the end of the body"
            )
        count = oip.check_shape(name, shape)
        values = tensors.decode(name, datatype, blob[offset : offset + size], count)
        found.append(InputTensor(name, datatype, shape, values))
        offset += size
    if offset != len(blob):
        raise BadRequestError(
            f"{len(blob) - offset} bytes of binary data follow the last binary input"
        )
    return found


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


def requested(document: dict[str, Any]) -> list[RequestedOutput]:
    """The outputs to return (all by default) and whether each goes back as binary data."""
    default_binary = parameters(document, "").get("binary_data_output") is True
    items = document.get("outputs")
    if items is None:
        return [RequestedOutput(name, default_binary) for name in oip.OUTPUTS]
    if not isinstance(items, list):
        raise BadRequestError("outputs: expected a list of {'name': …}")
    wanted = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadRequestError(f"outputs[{position}]: expected an object with a name")
        options = parameters(item, f"outputs[{position}]: ")
        oip.check_output(item.get("name"), options)
        binary = options.get("binary_data", default_binary)
        wanted.append(RequestedOutput(item["name"], binary is True))
    return wanted


def response(scored: Scored, wanted: list[RequestedOutput]) -> Response:
    """The inference response, JSON or JSON header plus binary data."""
    entries: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    for tensor, want in zip(oip.outputs(scored, wanted), wanted, strict=True):
        entry: dict[str, Any] = {
            "name": tensor.name,
            "datatype": tensor.datatype,
            "shape": tensor.shape,
        }
        options = dict(tensor.parameters)
        if want.binary:
            raw = _raw(tensor)
            options["binary_data_size"] = len(raw)
            blobs.append(raw)
        else:
            entry["data"] = tensor.data if isinstance(tensor.data, list) else tensor.data.ravel()
        if options:
            entry["parameters"] = options
        entries.append(entry)
    header = orjson.dumps(
        {
            "model_name": scored.model.name,
            "model_version": scored.model.version,
            "id": scored.request_id,
            "parameters": {},
            "outputs": entries,
        },
        option=orjson.OPT_SERIALIZE_NUMPY,
    )
    if not blobs:
        return Response(header, media_type="application/json")
    return Response(
        b"".join([header, *blobs]),
        media_type="application/octet-stream",
        headers={"Inference-Header-Content-Length": str(len(header))},
    )


def _raw(tensor: OutputTensor) -> bytes:
    if tensor.datatype == "BYTES":
        return tensors.encode_strings(tensor.data)
    return tensors.encode_fp64(tensor.data)

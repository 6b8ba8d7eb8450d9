"""The Open Inference Protocol (KServe v2) without its transport: shared by REST and gRPC.

Every input column is one tensor (shape ``[n]`` or ``[n, 1]``; BYTES for strings, a numeric
datatype for numbers); the outputs are ``label`` (BYTES ``[n]``) and ``probabilities``
(FP64 ``[n, classes]``, classes in the order of the metadata's ``classes`` parameter).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from modelfleet.common.errors import BadRequestError, NotFoundError
from modelfleet.model_server.dataplane import DataPlane, Scored
from modelfleet.model_server.protocols.tensors import NUMPY_TYPES
from modelfleet.model_server.runtime import LoadedModel

NUMERIC_DATATYPES = frozenset(NUMPY_TYPES) - {"BOOL"}
OUTPUTS = ("label", "probabilities")
V2_DATATYPES = {"long": "INT64", "integer": "INT32", "double": "FP64", "float": "FP32"}
"""Open Inference Protocol datatype of each MLflow signature type; anything else is BYTES."""

EXTENSIONS = ("binary_tensor_data", "model_configuration", "model_repository", "statistics")
"""The protocol extensions (Triton's names) this server implements, in server metadata."""

MAX_ID_LENGTH = 64


@dataclass
class InputTensor:
    """One input as a transport decoded it: its values flattened to a list."""

    name: str
    datatype: str
    shape: Any
    """As sent; :func:`columns` checks it."""
    values: list[Any]


@dataclass
class RequestedOutput:
    name: str
    binary: bool = False
    """The caller wants the raw bytes (HTTP binary extension), not JSON data."""


@dataclass
class OutputTensor:
    name: str
    datatype: str
    shape: list[int]
    data: Any
    """A list (BYTES) or a numpy array (FP64)."""
    parameters: dict[str, Any] = field(default_factory=dict)


def served(plane: DataPlane, name: str, version: str | None) -> LoadedModel:
    """The served model if it is the one asked for (404 otherwise, 503 while loading)."""
    model = plane.model
    if name != model.name:
        raise NotFoundError(f"model {name!r} is not served here; this one serves {model.name!r}")
    if version and version != model.version:
        raise NotFoundError(
            f"version {version!r} of {name!r} is not served here (this server serves "
            f"version {model.version})"
        )
    return model


def server_metadata(plane: DataPlane) -> dict[str, Any]:
    return {**plane.server_metadata(), "extensions": list(EXTENSIONS)}


def model_metadata(model: LoadedModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "versions": [model.version],
        "platform": "sklearn",
        "inputs": [
            {"name": c.name, "datatype": datatype(c.type), "shape": [-1]}
            for c in model.schema.columns
        ],
        "outputs": [
            {"name": "label", "datatype": "BYTES", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP64", "shape": [-1, len(model.classes)]},
        ],
        "parameters": {"classes": model.classes},
    }


def datatype(signature_type: str) -> str:
    return V2_DATATYPES.get(signature_type, "BYTES")


def check_shape(name: str, shape: Any) -> int:
    """The element count of a valid input shape (``[rows]`` or ``[rows, 1]``)."""
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise BadRequestError(f"input {name!r}: shape must be a list of non-negative integers")
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
        raise BadRequestError(f"input {name!r}: shape must be [rows] or [rows, 1], got {shape}")
    return math.prod(shape)


def columns(model: LoadedModel, tensors: list[InputTensor]) -> dict[str, list[Any]]:
    """One list of values per input column, after checking names, datatypes and element counts."""
    if not tensors:
        raise BadRequestError("inputs: expected a non-empty list of tensors, one per column")
    types = {c.name: c for c in model.schema.columns}
    found: dict[str, list[Any]] = {}
    for tensor in tensors:
        name = tensor.name
        column = types.get(name)
        if column is not None:
            expected = "a numeric datatype" if column.numeric else "BYTES"
            fits = (
                tensor.datatype in NUMERIC_DATATYPES
                if column.numeric
                else tensor.datatype == "BYTES"
            )
            if not fits:
                raise BadRequestError(
                    f"input {name!r}: datatype {tensor.datatype!r}, expected {expected}"
                )
        count = check_shape(name, tensor.shape)
        if len(tensor.values) != count:
            raise BadRequestError(
                f"input {name!r}: shape {tensor.shape} needs {count} values, "
                f"got {len(tensor.values)}"
            )
        if name in found:
            raise BadRequestError(f"input {name!r} is given twice")
        found[name] = tensor.values
    return found


def request_id(value: Any) -> str | None:
    """The caller's request id, echoed in the response and kept in the prediction log."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH:
        raise BadRequestError(f"id must be a string of at most {MAX_ID_LENGTH} characters")
    return value


def check_output(name: Any, parameters: dict[str, Any]) -> None:
    if name not in OUTPUTS:
        raise BadRequestError(f"outputs: unknown output {name!r}; this model has {OUTPUTS}")
    if parameters.get("classification") or parameters.get("class_count"):
        raise BadRequestError(
            f"output {name!r}: the classification extension is not supported; "
            "read the label and probabilities outputs"
        )


def outputs(scored: Scored, wanted: list[RequestedOutput]) -> list[OutputTensor]:
    """The requested output tensors of one scored request, in the order asked."""
    model = scored.model
    n, k = scored.batch.size, len(model.classes)
    tensors = {
        "label": OutputTensor("label", "BYTES", [n], scored.prediction.labels),
        "probabilities": OutputTensor(
            "probabilities",
            "FP64",
            [n, k],
            scored.prediction.probabilities,
            {"classes": model.classes},
        ),
    }
    return [tensors[output.name] for output in wanted]

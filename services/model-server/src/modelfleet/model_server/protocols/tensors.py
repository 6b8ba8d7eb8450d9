"""Raw tensor bytes of the Open Inference Protocol: HTTP's binary extension and gRPC's raw contents.

Both carry a tensor as its flattened row-major elements, little-endian, without padding; a BYTES
element is a 4-byte little-endian length followed by that many bytes. Values come out as plain
Python lists, the form :class:`~modelfleet.model_server.schema.InputSchema` checks.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from modelfleet.common.errors import BadRequestError

NUMPY_TYPES = {
    "BOOL": np.dtype("?"),
    "UINT8": np.dtype("<u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "INT8": np.dtype("<i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
}
"""Fixed-size datatypes and their little-endian numpy types (BF16 has none and is refused)."""

_LENGTH = struct.Struct("<I")


def decode(name: str, datatype: str, raw: bytes, count: int) -> list[Any]:
    """``count`` elements of input ``name`` from their raw bytes."""
    if datatype == "BYTES":
        return _decode_bytes(name, raw, count)
    dtype = NUMPY_TYPES.get(datatype)
    if dtype is None:
        raise BadRequestError(f"input {name!r}: datatype {datatype!r} cannot be sent as raw bytes")
    if len(raw) != count * dtype.itemsize:
        raise BadRequestError(
            f"input {name!r}: {len(raw)} bytes of {datatype}, expected {count * dtype.itemsize} "
            f"for {count} elements"
        )
    values: list[Any] = np.frombuffer(raw, dtype=dtype).tolist()
    return values


def _decode_bytes(name: str, raw: bytes, count: int) -> list[Any]:
    values: list[Any] = []
    offset, end = 0, len(raw)
    view = memoryview(raw)
    while offset < end:
        if offset + 4 > end:
            raise BadRequestError(f"input {name!r}: BYTES element {len(values)} is truncated")
        (length,) = _LENGTH.unpack_from(raw, offset)
        offset += 4
        if offset + length > end:
            raise BadRequestError(f"input {name!r}: BYTES element {len(values)} is truncated")
        values.append(text(name, bytes(view[offset : offset + length]), len(values)))
        offset += length
    if len(values) != count:
        raise BadRequestError(
            f"input {name!r}: {len(values)} BYTES elements, the shape needs {count}"
        )
    return values


def text(name: str, value: bytes, index: int) -> str:
    """A BYTES element as the string a string column needs."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError(f"input {name!r}: element {index} is not UTF-8 text") from None


def encode_strings(values: Sequence[str]) -> bytes:
    """A BYTES tensor's raw bytes."""
    parts = []
    for value in values:
        data = value.encode("utf-8")
        parts.append(_LENGTH.pack(len(data)))
        parts.append(data)
    return b"".join(parts)


def encode_fp64(values: np.ndarray) -> bytes:
    """An FP64 tensor's raw bytes."""
    return np.ascontiguousarray(values, dtype="<f8").tobytes()

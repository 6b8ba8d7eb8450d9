"""MLflow's scoring protocol: ``POST /invocations`` as ``mlflow models serve`` answers it.

JSON bodies hold exactly one of ``dataframe_split``, ``dataframe_records``, ``instances`` or
``inputs`` (plus optional ``params``); ``text/csv`` bodies are a header line and rows. The answer is
``{"predictions": [label, …]}``, what MLflow returns for a scikit-learn classifier.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Request, Response

from modelfleet.common.errors import BadRequestError, UnsupportedMediaTypeError
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.protocols.http import BodyReader, json_response
from modelfleet.model_server.schema import Batch, InputSchema

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def router(plane: DataPlane, body: BodyReader) -> APIRouter:
    api = APIRouter(tags=["mlflow"])

    @api.post("/invocations")
    async def invocations(request: Request) -> Response:
        """Predict in any of MLflow's input formats; answer ``{"predictions": [...]}``."""
        schema = plane.model.schema
        content_type = request.headers.get("content-type", "application/json")
        content_type = content_type.split(";")[0].strip()
        if content_type == "text/csv":
            batch = from_csv(schema, (await body.bytes(request)).decode("utf-8", errors="replace"))
        elif content_type == "application/json":
            batch = from_json(schema, await body.json_object(request))
        else:
            raise UnsupportedMediaTypeError(
                f"content type {content_type!r} is not supported; use application/json or text/csv"
            )
        scored = await plane.infer(batch)
        return json_response({"predictions": scored.prediction.labels})

    return api


def from_json(schema: InputSchema, body: dict[str, Any]) -> Batch:
    """The batch in one of MLflow's JSON formats."""
    present = [key for key in FORMATS if key in body]
    unknown = set(body) - {*FORMATS, "params"}
    if len(present) != 1 or unknown:
        raise BadRequestError(
            "the body must be a JSON object with exactly one of the fields "
            f"{', '.join(FORMATS)} (and optional params); got {', '.join(sorted(body)) or 'none'}"
        )
    key = present[0]
    payload = body[key]
    if key == "dataframe_split":
        return _split(schema, payload)
    if isinstance(payload, dict) and key in ("instances", "inputs"):
        return schema.from_columns(payload)
    return schema.from_records(payload)


def _split(schema: InputSchema, payload: Any) -> Batch:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise BadRequestError("dataframe_split must be an object with columns and data")
    columns = payload.get("columns")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise BadRequestError("dataframe_split.columns must be a list of column names")
    rows = []
    for index, row in enumerate(payload["data"]):
        if not isinstance(row, list) or len(row) != len(columns):
            raise BadRequestError(
                f"dataframe_split.data row {index}: expected a list of {len(columns)} values"
            )
        rows.append(dict(zip(columns, row, strict=True)))
    return schema.from_records(rows)


def from_csv(schema: InputSchema, text: str) -> Batch:
    """A CSV document with a header line; numbers are parsed per the schema, empty is missing."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise BadRequestError("empty CSV: expected a header line and at least one row")
    rows: list[dict[str, Any]] = []
    for row in reader:
        if None in row:
            raise BadRequestError(f"CSV line {reader.line_num}: more values than header columns")
        rows.append({k: (None if v == "" else v) for k, v in row.items()})
    # line 1 is the header, so row 0 is line 2 of the document
    return schema.from_records(rows, coerce=True, first_line=2, unit="CSV line")

"""The inputs of ``POST /invocations``, read as ``mlflow models serve`` reads them.

JSON bodies hold exactly one of ``dataframe_split``, ``dataframe_records``, ``instances`` or
``inputs`` (plus optional ``params``), with ``NaN``/``Infinity`` allowed as MLflow's parser allows
them (a NaN is a missing value); CSV bodies are a header line and rows; parquet bodies a frame.

By default (``MODELFLEET_INVOCATIONS_INPUT=mlflow``) what MLflow accepts and predicts correctly
is accepted too, after an adaptation that is counted and named: columns the signature does not
know (pandas' index column of a CSV among them) are ignored, numbers sent as strings are
converted for numeric columns, a columnar ``inputs`` of scalars is one row, and top-level fields
other than the formats are ignored. ``strict`` refuses all of these with a 4xx naming them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

import orjson

from modelfleet.common.errors import BadRequestError
from modelfleet.model_server.schema import Batch, InputSchema

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
INDEX_COLUMNS = frozenset({"", "Unnamed: 0"})
"""Header of the index column pandas' ``to_csv()`` writes, and how ``read_csv`` names it."""


@dataclass
class Adaptations:
    """What was changed to accept a request as MLflow does (empty when strict or not needed)."""

    lenient: bool
    ignored: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)

    def ignore(self, names: Any, kind: str = "extra_columns") -> None:
        for name in names:
            if name not in self.ignored:
                self.ignored.append(name)
        self.kinds.add(kind)

    def convert(self, name: str) -> None:
        if name not in self.converted:
            self.converted.append(name)
        self.kinds.add("numeric_strings")

    def headers(self) -> dict[str, str]:
        """Response headers naming the ignored and converted columns."""
        found = {}
        if self.ignored:
            found["X-Modelfleet-Ignored-Columns"] = ", ".join(self.ignored)
        if self.converted:
            found["X-Modelfleet-Converted-Columns"] = ", ".join(self.converted)
        return found


class InvocationsInput:
    """Reads one request body into a checked batch for ``schema``."""

    def __init__(self, schema: InputSchema, notes: Adaptations) -> None:
        self.schema = schema
        self.notes = notes
        self._known = frozenset(schema.names)
        self._strings = [name for name in schema.names if name not in schema.numeric]

    # -- JSON --------------------------------------------------------------------------------

    def from_json(self, raw: bytes) -> Batch:
        body, had_nan = _parse_json(raw)
        if not isinstance(body, dict):
            raise BadRequestError(
                "the body must be a JSON object with exactly one of the fields "
                f"{', '.join(FORMATS)}; got a {type(body).__name__}"
            )
        present = [key for key in FORMATS if key in body]
        unknown = sorted(set(body) - {*FORMATS, "params"})
        if len(present) != 1 or (unknown and not self.notes.lenient):
            fields = ", ".join(sorted(body)) or "none"
            raise BadRequestError(
                "the body must be a JSON object with exactly one of the fields "
                f"{', '.join(FORMATS)} (and optional params); got {fields}"
            )
        if unknown:
            self.notes.kinds.add("extra_fields")
        key = present[0]
        payload = body[key]
        if key == "dataframe_split":
            return self._records(_split(payload), had_nan)
        if isinstance(payload, dict) and key in ("instances", "inputs"):
            return self._columns(payload, had_nan)
        return self._records(payload, had_nan)

    def _records(self, records: Any, had_nan: bool) -> Batch:
        if isinstance(records, list) and (had_nan or self.notes.lenient):
            records = [self._row(r, had_nan) if isinstance(r, dict) else r for r in records]
        return self.schema.from_records(records)

    def _row(self, row: dict[str, Any], had_nan: bool) -> dict[str, Any]:
        if self.notes.lenient:
            if row.keys() - self._known:
                self.notes.ignore([k for k in row if k not in self._known])
                row = {k: v for k, v in row.items() if k in self._known}
            for name in self.schema.numeric:
                value = row.get(name)
                if type(value) is str:
                    row[name] = self._number(name, value)
        if had_nan:
            for name in self._strings:
                if _is_nan(row.get(name)):
                    row[name] = None
            for name in self.schema.numeric:
                _check_finite(name, row.get(name))
        return row

    def _columns(self, columns: dict[str, Any], had_nan: bool) -> Batch:
        if self.notes.lenient:
            if columns and not any(isinstance(v, list) for v in columns.values()):
                columns = {name: [value] for name, value in columns.items()}
                self.notes.kinds.add("scalar_inputs")
            extra = [name for name in columns if name not in self._known]
            if extra:
                self.notes.ignore(extra)
                columns = {k: v for k, v in columns.items() if k in self._known}
            for name in self.schema.numeric:
                values = columns.get(name)
                if isinstance(values, list) and any(type(v) is str for v in values):
                    columns[name] = [self._number(name, v) if type(v) is str else v for v in values]
        if had_nan:
            for name in self._strings:
                values = columns.get(name)
                if isinstance(values, list):
                    columns[name] = [None if _is_nan(v) else v for v in values]
            for name in self.schema.numeric:
                values = columns.get(name)
                for value in values if isinstance(values, list) else ():
                    _check_finite(name, value)
        return self.schema.from_columns(columns)

    def _number(self, name: str, value: str) -> Any:
        """A numeric string as its number; anything else is left for the schema to refuse."""
        try:
            number = float(value.strip())
        except ValueError:
            return value
        self.notes.convert(name)
        return number

    # -- CSV and parquet -------------------------------------------------------------------------

    def from_csv(self, raw: bytes) -> Batch:
        """A CSV document with a header line; numbers parsed per the schema, empty is missing."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestError("the CSV body is not UTF-8 text") from None
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise BadRequestError("empty CSV: expected a header line and at least one row")
        drop = self._dropped_csv_columns(list(reader.fieldnames))
        rows: list[dict[str, Any]] = []
        for row in reader:
            if None in row:
                raise BadRequestError(
                    f"CSV line {reader.line_num}: more values than header columns"
                )
            rows.append({k: (None if v == "" else v) for k, v in row.items() if k not in drop})
        # line 1 is the header, so row 0 is line 2 of the document
        return self.schema.from_records(rows, coerce=True, first_line=2, unit="CSV line")

    def _dropped_csv_columns(self, header: list[str]) -> set[str]:
        if not self.notes.lenient:
            return set()
        drop = set()
        if header[0] in INDEX_COLUMNS and header[0] not in self._known:
            drop.add(header[0])
            self.notes.ignore([header[0] or "(index)"], "index_column")
        extra = [name for name in header[1 if drop else 0 :] if name not in self._known]
        if extra:
            drop.update(extra)
            self.notes.ignore(extra)
        return drop

    def from_parquet(self, raw: bytes) -> Batch:
        import pandas as pd

        try:
            frame = pd.read_parquet(io.BytesIO(raw))
        except Exception as exc:  # pyarrow raises several unrelated types for bad files
            raise BadRequestError(f"the body is not a parquet file: {exc}") from None
        records = [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]
        return self._records(records, had_nan=True)  # pandas writes a missing value as NaN


def _parse_json(raw: bytes) -> tuple[Any, bool]:
    """The document, and whether it needed the NaN/Infinity-tolerant parser."""
    if not raw:
        raise BadRequestError("empty body: expected a JSON document")
    try:
        return orjson.loads(raw), False
    except orjson.JSONDecodeError as exc:
        strict_error = exc
    try:  # the standard parser reads NaN, Infinity and -Infinity, as MLflow's does
        return json.loads(raw), True
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError(f"malformed JSON: {strict_error}") from None


def _split(payload: Any) -> list[dict[str, Any]]:
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
    return rows


def _is_nan(value: Any) -> bool:
    return type(value) is float and math.isnan(value)


def _check_finite(name: str, value: Any) -> None:
    """Infinity parses, but no fitted imputer or scaler takes it (MLflow answers 400 too)."""
    if type(value) is float and math.isinf(value):
        raise BadRequestError(f"column {name!r}: {value} is not a value the model can use")

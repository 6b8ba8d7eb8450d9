"""A catalogue of ``/invocations`` requests: every MLflow format and ways to get one wrong.

Shared by the differential test (the real ``mlflow models serve`` against ours) and readable as
the list of what ``/invocations`` is held to. A case is built from a few rows of feature data.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

JSON = "application/json"
CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"


@dataclass(frozen=True)
class Request:
    body: bytes
    content_type: str | None


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[pd.DataFrame], Request]


def _json(document: object) -> Request:
    # the standard encoder, as MLflow's client uses it: NaN and Infinity are written bare
    return Request(json.dumps(document).encode(), JSON)


def _split(frame: pd.DataFrame) -> Request:
    return _json({"dataframe_split": frame.to_dict(orient="split")})


def _records(frame: pd.DataFrame) -> Request:
    return _json({"dataframe_records": frame.to_dict(orient="records")})


def _csv(text: str) -> Request:
    return Request(text.encode(), CSV)


def _with(frame: pd.DataFrame, column: str, value: object, row: int = 0) -> pd.DataFrame:
    changed = frame.astype(object).copy()
    changed.loc[row, column] = value
    return changed


def _parquet(frame: pd.DataFrame) -> Request:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return Request(buffer.getvalue(), PARQUET)


CASES = [
    # -- every format, well formed ---------------------------------------------------------------
    Case("dataframe_split", _split),
    Case("dataframe_records", _records),
    Case("instances-records", lambda f: _json({"instances": f.to_dict(orient="records")})),
    Case("inputs-columnar", lambda f: _json({"inputs": f.to_dict(orient="list")})),
    Case("inputs-records", lambda f: _json({"inputs": f.to_dict(orient="records")})),
    Case(
        "inputs-scalar-columnar",
        lambda f: _json({"inputs": {k: v[0] for k, v in f.head(1).to_dict(orient="list").items()}}),
    ),
    Case("instances-rows-of-values", lambda f: _json({"instances": f.values.tolist()})),
    Case("csv", lambda f: _csv(f.to_csv(index=False))),
    Case("csv-pandas-default-with-index", lambda f: _csv(f.to_csv())),
    Case("parquet", _parquet),
    Case("json-charset-utf8", lambda f: Request(_split(f).body, "application/json; charset=utf-8")),
    Case("with-params", lambda f: _json({"dataframe_split": f.to_dict("split"), "params": {}})),
    # -- missing values --------------------------------------------------------------------------
    Case("nan-in-float-column", lambda f: _split(_with(f, "PlayTimeHours", float("nan")))),
    Case("nan-in-string-column", lambda f: _split(_with(f, "Location", float("nan")))),
    Case("null-in-string-column", lambda f: _records(_with(f, "Location", None))),
    Case("nan-in-integer-column", lambda f: _split(_with(f, "Age", float("nan")))),
    Case("null-in-integer-column", lambda f: _records(_with(f, "Age", None))),
    Case(
        "csv-empty-float-cell",
        lambda f: _csv(_with(f, "PlayTimeHours", None).to_csv(index=False)),
    ),
    Case("csv-empty-integer-cell", lambda f: _csv(_with(f, "Age", None).to_csv(index=False))),
    Case("infinity-in-float-column", lambda f: _split(_with(f, "PlayTimeHours", float("inf")))),
    # -- columns -------------------------------------------------------------------------------
    Case("extra-column", lambda f: _records(f.assign(Shoe=42))),
    Case("extra-column-csv", lambda f: _csv(f.assign(Shoe=42).to_csv(index=False))),
    Case("missing-column", lambda f: _records(f.drop(columns=["Age"]))),
    Case("missing-column-csv", lambda f: _csv(f.drop(columns=["Age"]).to_csv(index=False))),
    Case("columns-reordered", lambda f: _records(f[list(reversed(f.columns))])),
    # -- types ---------------------------------------------------------------------------------
    Case("numeric-string-integer", lambda f: _records(_with(f, "Age", "30"))),
    Case("numeric-string-float", lambda f: _records(_with(f, "PlayTimeHours", "12.5"))),
    Case("word-for-number", lambda f: _records(_with(f, "Age", "old"))),
    Case("word-for-number-csv", lambda f: _csv(_with(f, "Age", "old").to_csv(index=False))),
    Case("float-for-integer", lambda f: _records(_with(f, "Age", 30.5))),
    Case("number-for-string", lambda f: _records(_with(f, "Gender", 3))),
    Case("bool-for-number", lambda f: _records(_with(f, "Age", True))),
    # -- malformed bodies --------------------------------------------------------------------------
    Case("malformed-json", lambda f: Request(b'{"dataframe_split": ', JSON)),
    Case("json-list", lambda f: _json(f.to_dict(orient="records"))),
    Case("no-format-field", lambda f: _json({"rows": f.to_dict(orient="records")})),
    Case(
        "two-formats",
        lambda f: _json(
            {"dataframe_records": f.to_dict(orient="records"), "instances": f.to_dict("records")}
        ),
    ),
    Case(
        "unknown-top-level-field",
        lambda f: _json({"dataframe_records": f.to_dict(orient="records"), "extra": 1}),
    ),
    Case("empty-records", lambda f: _json({"dataframe_records": []})),
    Case("empty-json-body", lambda f: Request(b"", JSON)),
    Case("csv-ragged-row", lambda f: _csv(f.to_csv(index=False) + ",".join("1" * 13) + "\n")),
    Case("csv-header-only", lambda f: _csv(f.head(0).to_csv(index=False))),
    Case("empty-csv", lambda f: _csv("")),
    Case("not-parquet", lambda f: Request(b"PAR1 not really", PARQUET)),
    Case("not-utf8-csv", lambda f: Request(b"Age\n\xff\xfe\n", CSV)),
    # -- content types -------------------------------------------------------------------------
    Case("text-plain", lambda f: Request(_split(f).body, "text/plain")),
    Case("charset-latin1", lambda f: Request(_split(f).body, "application/json; charset=latin-1")),
    Case("content-type-parameter", lambda f: Request(_split(f).body, "application/json; v=2")),
    Case("no-content-type", lambda f: Request(_split(f).body, None)),
]

"""Stream a SELECT over ``predictions`` into a pandas frame without the ORM.

On PostgreSQL the SELECT runs inside ``COPY (…) TO STDOUT (FORMAT csv)``: the server expands the
JSONB ``features`` into one typed column per feature, a thread pipes the CSV stream into
``pandas.read_csv`` as it arrives, so the database and the parser work at the same time and no
Python object is built per row. On SQLite (the one-machine default) the same expressions run with
``json_extract`` and rows are fetched in chunks.

SQL is written with ``%(name)s`` placeholders; values always travel as parameters.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from modelfleet.common.db.engine import is_postgres

CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class Column:
    """One output column: its name, SQL expression and whether it is numeric."""

    name: str
    expression: str
    numeric: bool = False


def feature_columns(
    engine: Engine, numeric: Sequence[str], categorical: Sequence[str]
) -> tuple[list[Column], dict[str, Any]]:
    """Expressions extracting each feature from the JSON ``features`` column, and their params.

    A numeric feature whose logged value is not a JSON number reads as missing; a categorical one
    reads as its text.
    """
    columns: list[Column] = []
    params: dict[str, Any] = {}
    postgres = is_postgres(engine)
    for i, name in enumerate([*numeric, *categorical]):
        key = f"f{i}"
        is_numeric = i < len(numeric)
        if postgres:
            params[key] = name
            value = f"features->>%({key})s"
            if is_numeric:
                # Numbers travel as their JSON text and are parsed by pandas: a float8 cast on
                # the server, printed back to text for COPY, costs three times the extraction.
                value = f"CASE WHEN jsonb_typeof(features->%({key})s) = 'number' THEN {value} END"
        else:
            params[key] = '$."' + name.replace('"', '\\"') + '"'
            value = f"json_extract(features, %({key})s)"
            if is_numeric:
                value = (
                    f"CASE WHEN json_type(features, %({key})s) IN ('integer', 'real') "
                    f"THEN {value} END"
                )
        columns.append(Column(name, value, is_numeric))
    return columns, params


def read_frame(
    engine: Engine,
    columns: Sequence[Column],
    from_where: str,
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """``SELECT <columns> <from_where>`` as a frame: numeric columns float64, others category.

    Text columns come back as pandas categoricals: a few distinct values over a million rows
    take a fraction of the memory of Python strings, and Evidently's per-column statistics on
    them run several times faster (same results).
    """
    select = "SELECT " + ", ".join(c.expression for c in columns) + " " + from_where
    if is_postgres(engine):
        return _read_postgres(engine, select, params, columns)
    return _read_sqlite(engine, select, params, columns)


def _dtypes(columns: Sequence[Column]) -> dict[Hashable, str]:
    return {c.name: "float64" if c.numeric else "category" for c in columns}


def _read_postgres(
    engine: Engine, select: str, params: Mapping[str, Any], columns: Sequence[Column]
) -> pd.DataFrame:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        query = cursor.mogrify(select, dict(params)).decode()
        copy_sql = f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"
        read_fd, write_fd = os.pipe()
        failure: list[BaseException] = []

        def produce() -> None:
            with os.fdopen(write_fd, "wb", buffering=1 << 20) as sink:
                try:
                    cursor.copy_expert(copy_sql, sink)
                except BaseException as exc:  # re-raised in the reading thread
                    failure.append(exc)

        writer = threading.Thread(target=produce, name="copy-to-stdout", daemon=True)
        writer.start()
        try:
            with os.fdopen(read_fd, "rb", buffering=1 << 20) as source:
                frame = _parse_csv(source, columns)
        finally:
            writer.join()
        if failure:
            raise failure[0]
        raw.rollback()
        return frame
    finally:
        raw.close()


def _parse_csv(source: Any, columns: Sequence[Column]) -> pd.DataFrame:
    try:
        return pd.read_csv(
            source,
            header=None,
            names=[c.name for c in columns],
            dtype=_dtypes(columns),
            keep_default_na=False,
            na_values=[""],
            low_memory=False,
        )
    except pd.errors.EmptyDataError:
        return _empty(columns)


def _read_sqlite(
    engine: Engine, select: str, params: Mapping[str, Any], columns: Sequence[Column]
) -> pd.DataFrame:
    sql = re.sub(r"%\((\w+)\)s", r":\1", select)
    chunks: list[pd.DataFrame] = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql, dict(params))
        while rows := cursor.fetchmany(CHUNK_ROWS):
            chunks.append(pd.DataFrame.from_records(rows, columns=[c.name for c in columns]))
    finally:
        raw.close()
    if not chunks:
        return _empty(columns)
    return pd.concat(chunks, ignore_index=True).astype(_dtypes(columns))


def _empty(columns: Sequence[Column]) -> pd.DataFrame:
    dtypes = _dtypes(columns)
    return pd.DataFrame({c.name: pd.Series(dtype=dtypes[c.name]) for c in columns})

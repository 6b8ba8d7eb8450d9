"""Stream a selection of :mod:`modelfleet.common.db.queries.predictions` into a pandas frame.

On PostgreSQL the SELECT runs inside ``COPY (…) TO STDOUT (FORMAT csv)``: the server expands the
JSONB ``features`` into one typed column per feature, a thread pipes the CSV stream into
``pandas.read_csv`` as it arrives, so the database and the parser work at the same time and no
Python object is built per row. On SQLite (the one-machine default) the same expressions run with
``json_extract`` and rows are fetched in chunks.

The SQL (``%(name)s`` placeholders, values always as parameters) comes from the queries module;
this module only runs it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from modelfleet.common.db.engine import is_postgres
from modelfleet.common.db.queries.predictions import Column, Selection, named

CHUNK_ROWS = 50_000


def read_frame(
    engine: Engine,
    columns: Sequence[Column],
    selection: Selection,
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """``SELECT <columns> <selection>`` as a frame: numeric columns float64, others category.

    ``params`` are those of the column expressions, added to the selection's own.

    Text columns come back as pandas categoricals: a few distinct values over a million rows
    take a fraction of the memory of Python strings, and Evidently's per-column statistics on
    them run several times faster (same results).
    """
    select = "SELECT " + ", ".join(c.expression for c in columns) + " " + selection.sql
    values = {**selection.params, **params}
    if is_postgres(engine):
        return _read_postgres(engine, select, values, columns)
    return _read_sqlite(engine, select, values, columns)


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
    sql = named(select)
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

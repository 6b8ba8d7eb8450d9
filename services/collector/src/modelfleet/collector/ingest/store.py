"""Bulk writes of prediction rows: COPY + ``ON CONFLICT DO NOTHING`` on PostgreSQL, a bulk
``INSERT … ON CONFLICT DO NOTHING`` on SQLite. Both are idempotent on (request_id, row_index).

PostgreSQL's COPY has no ``ON CONFLICT``. A batch is first copied straight into ``predictions``
inside a savepoint: new batches (nearly all of them) cost one COPY, the physical limit. When the
batch holds a row already stored (a model-server replaying its spool), the COPY fails on the
unique key, the savepoint is rolled back and the rows go to a per-connection temporary table
(``ON COMMIT DELETE ROWS``) and are moved with one ``INSERT … SELECT … ON CONFLICT DO NOTHING``:
a replayed batch stores nothing twice. ``optimistic=False`` always takes the merge path.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from psycopg2 import errors as pg_errors
from sqlalchemy import Engine
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from modelfleet.collector.ingest.parsing import PredictionRow
from modelfleet.common.db.engine import is_postgres
from modelfleet.common.db.models import Prediction

COLUMNS = PredictionRow._fields
_COLUMN_LIST = ", ".join(COLUMNS)
_TEMP = "_ingest_predictions"
_CREATE_TEMP = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_TEMP} (
    request_id text, row_index integer, entity_id text, model_name text, model_version text,
    source text, evaluation_id bigint, features jsonb, prediction text, probabilities jsonb,
    latency_ms double precision, created_at timestamptz
) ON COMMIT DELETE ROWS
"""
_MOVE = (
    f"INSERT INTO predictions ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {_TEMP} "
    "ON CONFLICT (request_id, row_index) DO NOTHING"
)
_COPY = f"COPY {_TEMP} ({_COLUMN_LIST}) FROM STDIN"
_COPY_DIRECT = f"COPY predictions ({_COLUMN_LIST}) FROM STDIN"
_SQLITE_CHUNK = 500
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str | None) -> str:
    """A value in COPY's text format: ``\\N`` for NULL, specials backslash-escaped."""
    if value is None:
        return "\\N"
    if _NEEDS_ESCAPE(value):
        return value.translate(_ESCAPES)
    return value


def _json(value: Any) -> str:
    if value is None:
        return "\\N"
    # orjson escapes control characters itself; only backslashes need doubling for COPY.
    return orjson.dumps(value).decode().replace("\\", "\\\\")


def copy_payload(rows: Sequence[PredictionRow]) -> bytes:
    """Rows in PostgreSQL's COPY text format."""
    lines = []
    stamps: dict[datetime, str] = {}  # rows of one request share a timestamp
    for r in rows:
        stamp = stamps.get(r.created_at)
        if stamp is None:
            stamp = stamps[r.created_at] = r.created_at.isoformat()
        lines.append(
            "\t".join(
                (
                    _text(r.request_id),
                    str(r.row_index),
                    _text(r.entity_id),
                    _text(r.model_name),
                    _text(r.model_version),
                    r.source,
                    "\\N" if r.evaluation_id is None else str(r.evaluation_id),
                    _json(r.features),
                    _text(r.prediction),
                    _json(r.probabilities),
                    "\\N" if r.latency_ms is None else repr(r.latency_ms),
                    stamp,
                )
            )
        )
    lines.append("")
    return "\n".join(lines).encode()


class PredictionWriter:
    """Writes validated rows; returns how many were new (the rest were already stored)."""

    def __init__(self, engine: Engine, *, optimistic: bool = True) -> None:
        self.engine = engine
        self.optimistic = optimistic
        self._postgres = is_postgres(engine)

    def write(self, rows: Sequence[PredictionRow]) -> int:
        if not rows:
            return 0
        return self._copy(rows) if self._postgres else self._insert(rows)

    def _copy(self, rows: Sequence[PredictionRow]) -> int:
        payload = copy_payload(rows)
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            inserted = None
            if self.optimistic:
                cursor.execute("SAVEPOINT direct_copy")
                try:
                    cursor.copy_expert(_COPY_DIRECT, io.BytesIO(payload))
                    inserted = len(rows)
                except pg_errors.UniqueViolation:
                    cursor.execute("ROLLBACK TO SAVEPOINT direct_copy")
            if inserted is None:
                if not connection.info.get(_TEMP):
                    # Idempotent, and only remembered once committed: a rolled-back batch
                    # rolls the CREATE back too.
                    cursor.execute(_CREATE_TEMP)
                cursor.copy_expert(_COPY, io.BytesIO(payload))
                cursor.execute(_MOVE)
                inserted = int(cursor.rowcount)
                connection.commit()
                connection.info[_TEMP] = True
            else:
                connection.commit()
            return inserted
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()

    def _insert(self, rows: Sequence[PredictionRow]) -> int:
        inserted = 0
        with self.engine.begin() as conn:
            # SQLite limits the bound parameters of one statement, so insert in chunks.
            for start in range(0, len(rows), _SQLITE_CHUNK):
                chunk = rows[start : start + _SQLITE_CHUNK]
                statement = (
                    sqlite_insert(Prediction)
                    .values([dict(zip(COLUMNS, row, strict=True)) for row in chunk])
                    .on_conflict_do_nothing(index_elements=["request_id", "row_index"])
                )
                inserted += conn.execute(statement).rowcount
        return inserted

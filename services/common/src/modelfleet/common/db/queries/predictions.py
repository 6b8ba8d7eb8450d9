"""Reads of the collector's ``predictions`` and of labels (view ``v_labelled_predictions``).

Reader: the drift monitor, for its current window (a version's online traffic), the versions
being served, and the labelled traffic it retrains on. The JSON ``features`` column is read one
expression per feature, so the database does the extraction (see :func:`feature_columns`).

SQL is written with ``%(name)s`` placeholders, values always travel as parameters: the drift
monitor runs the same text inside ``COPY (…) TO STDOUT`` with psycopg2, and :func:`bind` turns
it into a SQLAlchemy statement everywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, TextClause, text

from modelfleet.common.db.engine import is_postgres
from modelfleet.common.wire import ONLINE

_ONLINE_OF_VERSION = (
    "FROM predictions WHERE model_name = %(model)s AND model_version = %(version)s "
    "AND source = %(source)s"
)
_LABELLED_SINCE = (
    "FROM v_labelled_predictions v JOIN predictions p ON p.id = v.prediction_id "
    "WHERE v.model_name = %(model)s AND v.model_version = %(version)s "
    "AND v.created_at >= %(since)s AND v.label IS NOT NULL"
)
PREDICTED_CLASS = "prediction"
"""Expression of the predicted class in a :func:`online_window` selection."""
LABEL = "v.label"
"""Expression of the ground-truth label in a :func:`labelled_since` selection."""


@dataclass(frozen=True)
class Column:
    """One output column: its name, SQL expression and whether it is numeric."""

    name: str
    expression: str
    numeric: bool = False


@dataclass(frozen=True)
class Selection:
    """``FROM … WHERE …`` (maybe ``ORDER BY … LIMIT``) choosing rows, with its parameters."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


def online_window(
    model: str,
    version: str,
    *,
    last: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Selection:
    """A version's online predictions: the ``last`` N, or those made in [start, end)."""
    params: dict[str, Any] = {"model": model, "version": version, "source": ONLINE}
    if last is not None:
        params["last"] = last
        return Selection(f"{_ONLINE_OF_VERSION} ORDER BY created_at DESC LIMIT %(last)s", params)
    params["start"], params["end"] = start, end
    sql = f"{_ONLINE_OF_VERSION} AND created_at >= %(start)s AND created_at < %(end)s"
    return Selection(sql, params)


def sampled(selection: Selection, fraction: float) -> Selection:
    """About ``fraction`` of the selected rows, drawn by the server (PostgreSQL only)."""
    sql = f"FROM (SELECT * {selection.sql}) w WHERE random() < %(fraction)s"
    return Selection(sql, {**selection.params, "fraction": fraction})


def labelled_since(model: str, version: str, since: datetime) -> Selection:
    """A version's online predictions since ``since`` that have a label (:data:`LABEL`)."""
    return Selection(_LABELLED_SINCE, {"model": model, "version": version, "since": since})


def count_rows(
    engine: Engine, selection: Selection
) -> tuple[int, datetime | None, datetime | None]:
    """How many rows a selection holds, and their first and last ``created_at``."""
    sql = (
        "SELECT COUNT(*), MIN(created_at), MAX(created_at) "
        f"FROM (SELECT created_at {selection.sql}) w"
    )
    with engine.connect() as conn:
        rows, first, last = conn.execute(bind(sql), selection.params).one()
    return int(rows), _aware(first), _aware(last)


def served_versions(engine: Engine, since: datetime) -> list[tuple[str, str]]:
    """Every (model, version) with online predictions since ``since``."""
    sql = (
        "SELECT DISTINCT model_name, model_version FROM predictions "
        "WHERE source = %(source)s AND created_at >= %(since)s ORDER BY model_name, model_version"
    )
    with engine.connect() as conn:
        return [(m, v) for m, v in conn.execute(bind(sql), {"source": ONLINE, "since": since})]


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


def named(sql: str) -> str:
    """Our ``%(name)s`` placeholders as ``:name`` (SQLAlchemy text, the sqlite3 driver)."""
    return re.sub(r"%\((\w+)\)s", r":\1", sql)


def bind(sql: str) -> TextClause:
    return text(named(sql))


def _aware(value: datetime | str | None) -> datetime | None:
    """SQLite returns naive datetimes (or strings); every timestamp we store is UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)

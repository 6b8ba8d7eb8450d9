"""The current data of a drift run: a version's online predictions in a window, streamed.

Rows are counted first, so a window below the minimum is answered without reading it, and a window
above ``max_current_rows`` is sampled server-side (``random() < p``) before it leaves the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine, text

from modelfleet.common.db.engine import is_postgres
from modelfleet.drift_monitor.frames import Column, feature_columns, read_frame
from modelfleet.drift_monitor.reference import PREDICTION_COLUMN, Reference

_WHERE = (
    "FROM predictions WHERE model_name = %(model)s AND model_version = %(version)s "
    "AND source = 'online'"
)


@dataclass(frozen=True)
class WindowSpec:
    """Either the last ``hours`` before ``end`` (default now), or the ``last`` N online rows."""

    hours: float | None = None
    last: int | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        if (self.hours is None) == (self.last is None):
            raise ValueError("give exactly one of hours or last")

    def bounds(self) -> tuple[datetime, datetime]:
        """Start and end of a time window."""
        end = self.end or datetime.now(UTC)
        return end - timedelta(hours=self.hours or 0), end


@dataclass
class WindowCount:
    """How many online rows the window holds, and the time span they cover."""

    rows: int
    start: datetime | None
    end: datetime | None


@dataclass
class CurrentData:
    """The current frame (reference feature columns plus ``prediction``)."""

    frame: pd.DataFrame
    sampled: bool


def _scope(model: str, version: str, spec: WindowSpec) -> tuple[str, dict[str, Any]]:
    """FROM/WHERE (and LIMIT) selecting the window's rows."""
    params: dict[str, Any] = {"model": model, "version": version}
    if spec.last is not None:
        params["last"] = spec.last
        return f"{_WHERE} ORDER BY created_at DESC LIMIT %(last)s", params
    params["start"], params["end"] = spec.bounds()
    return f"{_WHERE} AND created_at >= %(start)s AND created_at < %(end)s", params


def count_window(engine: Engine, model: str, version: str, spec: WindowSpec) -> WindowCount:
    """Rows in the window and their time span (for ``last`` N, the span of those N rows)."""
    scope, params = _scope(model, version, spec)
    sql = f"SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM (SELECT created_at {scope}) w"
    with engine.connect() as conn:
        rows, first, last = conn.execute(_text(sql), params).one()
    if spec.hours is not None:
        first, last = spec.bounds()
    return WindowCount(int(rows), _aware(first), _aware(last))


def read_window(
    engine: Engine,
    reference: Reference,
    spec: WindowSpec,
    rows: int,
    max_rows: int | None = None,
) -> CurrentData:
    """Stream the window's features (as typed in the reference) and predictions into a frame."""
    columns, params = feature_columns(
        engine, reference.numeric_columns, reference.categorical_columns
    )
    columns.append(Column(PREDICTION_COLUMN, "prediction"))
    scope, scope_params = _scope(reference.model_name, reference.model_version, spec)
    params.update(scope_params)
    if max_rows is None or rows <= max_rows:
        return CurrentData(frame=read_frame(engine, columns, scope, params), sampled=False)
    if not is_postgres(engine):  # the one-machine default: small enough to sample in memory
        frame = read_frame(engine, columns, scope, params)
        frame = frame.sample(min(max_rows, len(frame)), random_state=0)
        return CurrentData(frame=frame, sampled=True)
    # Oversample a little so that the cut to max_rows rarely leaves fewer than asked.
    params["fraction"] = min(1.0, max_rows * 1.05 / rows)
    scope = f"FROM (SELECT * {scope}) w WHERE random() < %(fraction)s"
    frame = read_frame(engine, columns, scope, params)
    return CurrentData(frame=frame.iloc[:max_rows], sampled=True)


def served_versions(engine: Engine, since: datetime) -> list[tuple[str, str]]:
    """Every (model, version) with online predictions since ``since``."""
    sql = (
        "SELECT DISTINCT model_name, model_version FROM predictions "
        "WHERE source = 'online' AND created_at >= %(since)s ORDER BY model_name, model_version"
    )
    with engine.connect() as conn:
        return [(m, v) for m, v in conn.execute(_text(sql), {"since": since})]


def _text(sql: str) -> Any:
    """Our ``%(name)s`` placeholders as SQLAlchemy ``:name`` binds."""
    return text(re.sub(r"%\((\w+)\)s", r":\1", sql))


def _aware(value: datetime | str | None) -> datetime | None:
    """SQLite returns naive datetimes (or strings); every timestamp we store is UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)

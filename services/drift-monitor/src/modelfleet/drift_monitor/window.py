"""The current data of a drift run: a version's online predictions in a window, streamed.

The SQL over the collector's ``predictions`` is in :mod:`modelfleet.common.db.queries.predictions`.

Rows are counted first, so a window below the minimum is answered without reading it, and a window
above ``max_current_rows`` is sampled server-side (``random() < p``) before it leaves the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine

from modelfleet.common.db.engine import is_postgres
from modelfleet.common.db.queries import predictions as queries
from modelfleet.drift_monitor.frames import read_frame
from modelfleet.drift_monitor.reference import PREDICTION_COLUMN, Reference


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


def _selection(model: str, version: str, spec: WindowSpec) -> queries.Selection:
    if spec.last is not None:
        return queries.online_window(model, version, last=spec.last)
    start, end = spec.bounds()
    return queries.online_window(model, version, start=start, end=end)


def count_window(engine: Engine, model: str, version: str, spec: WindowSpec) -> WindowCount:
    """Rows in the window and their time span (for ``last`` N, the span of those N rows)."""
    rows, first, last = queries.count_rows(engine, _selection(model, version, spec))
    if spec.hours is not None:
        first, last = spec.bounds()
    return WindowCount(rows, first, last)


def read_window(
    engine: Engine,
    reference: Reference,
    spec: WindowSpec,
    rows: int,
    max_rows: int | None = None,
) -> CurrentData:
    """Stream the window's features (as typed in the reference) and predictions into a frame."""
    columns, params = queries.feature_columns(
        engine, reference.numeric_columns, reference.categorical_columns
    )
    columns.append(queries.Column(PREDICTION_COLUMN, queries.PREDICTED_CLASS))
    selection = _selection(reference.model_name, reference.model_version, spec)
    if max_rows is None or rows <= max_rows:
        return CurrentData(frame=read_frame(engine, columns, selection, params), sampled=False)
    if not is_postgres(engine):  # the one-machine default: small enough to sample in memory
        frame = read_frame(engine, columns, selection, params)
        frame = frame.sample(min(max_rows, len(frame)), random_state=0)
        return CurrentData(frame=frame, sampled=True)
    # Oversample a little so that the cut to max_rows rarely leaves fewer than asked.
    selection = queries.sampled(selection, min(1.0, max_rows * 1.05 / rows))
    frame = read_frame(engine, columns, selection, params)
    return CurrentData(frame=frame.iloc[:max_rows], sampled=True)

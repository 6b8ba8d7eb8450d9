"""The one data plane every protocol calls: check readiness, predict (batched), count, log."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from modelfleet.common.errors import BadRequestError
from modelfleet.common.wire import PredictionSource
from modelfleet.model_server.batching import Batcher
from modelfleet.model_server.loader import ModelHolder
from modelfleet.model_server.metrics import ServerMetrics
from modelfleet.model_server.runtime import LoadedModel, Prediction
from modelfleet.model_server.schema import Batch

MAX_ENTITY_ID = 200
"""Longest entity id the ``predictions`` table (``wire.PredictionLog``) accepts."""


@dataclass
class Scored:
    """One request's prediction with what a log entry or a response needs."""

    request_id: str
    model: LoadedModel
    batch: Batch
    prediction: Prediction
    entity_ids: list[str] | None
    latency_ms: float
    created_at: datetime
    source: PredictionSource


class LogSink(Protocol):
    """Where scored requests go for the prediction log (non-blocking)."""

    def record(self, scored: Scored) -> None: ...


class DataPlane:
    """Predicts for every protocol through the batcher and hands each result to the log sink."""

    def __init__(
        self,
        holder: ModelHolder,
        metrics: ServerMetrics,
        *,
        batcher: Batcher | None = None,
        sink: LogSink | None = None,
    ) -> None:
        self.holder = holder
        self.metrics = metrics
        self.batcher = batcher
        self.sink = sink
        self._class_counters: dict[str, Any] = {}
        self._rows = {
            source: metrics.rows.labels(source) for source in ("online", "evaluation", "batch")
        }

    @property
    def model(self) -> LoadedModel:
        return self.holder.model

    async def infer(
        self,
        batch: Batch,
        *,
        entity_ids: Any = None,
        request_id: str | None = None,
        source: PredictionSource = "online",
    ) -> Scored:
        """Predict ``batch`` (already checked against the schema) for one caller."""
        model = self.holder.model
        ids = _entity_ids(entity_ids, batch.size)
        start = time.perf_counter()
        if self.batcher is not None:
            prediction = await self.batcher.submit(batch)
        else:
            self.metrics.batch_rows.observe(batch.size)
            prediction = model.predict(batch)
        scored = Scored(
            request_id=request_id or uuid.uuid4().hex,
            model=model,
            batch=batch,
            prediction=prediction,
            entity_ids=ids,
            latency_ms=(time.perf_counter() - start) * 1000.0,
            created_at=datetime.now(UTC),
            source=source,
        )
        self._count(scored)
        # The collector stores golden-set predictions itself, tied to their evaluation; shipping
        # them again would count evaluation traffic as live traffic for drift and accuracy.
        if self.sink is not None and source != "evaluation":
            self.sink.record(scored)
        return scored

    def predict_now(self, batch: Batch) -> Prediction:
        """The batcher's model call: whatever model is loaded at the time."""
        return self.holder.model.predict(batch)

    def _count(self, scored: Scored) -> None:
        self._rows[scored.source].inc(scored.batch.size)
        for label, count in Counter(scored.prediction.labels).items():
            counter = self._class_counters.get(label)
            if counter is None:
                counter = self._class_counters[label] = self.metrics.classes.labels(label)
            counter.inc(count)


def _entity_ids(entity_ids: Any, rows: int) -> list[str] | None:
    if entity_ids is None:
        return None
    if not isinstance(entity_ids, list) or not all(
        isinstance(e, str | int) and not isinstance(e, bool) for e in entity_ids
    ):
        raise BadRequestError("entity_ids must be a list of strings, one per record")
    if len(entity_ids) != rows:
        raise BadRequestError(
            f"entity_ids has {len(entity_ids)} values for {rows} records; give one per record"
        )
    ids = [str(e) for e in entity_ids]
    too_long = next((i for i, e in enumerate(ids) if len(e) > MAX_ENTITY_ID), None)
    if too_long is not None:
        raise BadRequestError(f"entity_ids[{too_long}] is longer than {MAX_ENTITY_ID} characters")
    return ids

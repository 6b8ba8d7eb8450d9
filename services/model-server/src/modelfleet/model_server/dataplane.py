"""The one data plane every protocol calls: health, model description, predict, count, log.

Protocol routers only translate their wire format to these calls. The plane neither knows nor
cares whether the served model batches (see :mod:`modelfleet.model_server.serving`).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from typing import Any, Protocol

from modelfleet.common.errors import BadRequestError
from modelfleet.common.wire import (
    MAX_ENTITY_ID,
    ExecutionInfo,
    InputColumn,
    ModelInfo,
    PredictionSource,
)
from modelfleet.model_server.loader import ModelHolder
from modelfleet.model_server.metrics import ServerMetrics
from modelfleet.model_server.runtime import LoadedModel, Prediction
from modelfleet.model_server.schema import Batch
from modelfleet.model_server.workers import WorkerSlot, WorkerSlots

SERVER_NAME = "modelfleet-model-server"


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
    """Where scored requests go for the prediction log."""

    def record(self, scored: Scored) -> None:
        """Queue without waiting (online traffic never waits for logging)."""

    async def put(self, scored: Scored) -> None:
        """Queue, waiting for room (batch scoring applies backpressure instead of dropping)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


class DataPlane:
    """Predicts for every protocol and hands each result to the log sink."""

    def __init__(
        self,
        holder: ModelHolder,
        metrics: ServerMetrics,
        sink: LogSink | None = None,
        *,
        slots: WorkerSlots | None = None,
        slot: WorkerSlot | None = None,
    ) -> None:
        self.holder = holder
        self.metrics = metrics
        self.sink = sink
        self.slots = slots
        self.slot = slot

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start shipping logs and loading the model in the background."""
        if self.sink is not None:
            self.sink.start()
        self.holder.start()

    async def load_now(self) -> LoadedModel:
        """Start shipping logs and load the model at once, failing fast (batch scoring)."""
        if self.sink is not None:
            self.sink.start()
        return (await self.holder.load_now()).model

    async def stop(self) -> None:
        await self.holder.stop()
        if self.sink is not None:
            await self.sink.stop()
        if self.slot is not None:
            self.slot.release()

    # -- health and description ----------------------------------------------------------------

    def live(self) -> bool:
        return True

    async def ready(self) -> str | None:
        """None when this worker's model is loaded and verified and every other worker's is."""
        if not self.holder.loaded:
            return self.holder.reason
        return self.slots.not_ready() if self.slots is not None else None

    @property
    def model(self) -> LoadedModel:
        """The served model; UnavailableError (503) while it is loading."""
        return self.holder.served.model

    def server_metadata(self) -> dict[str, str]:
        """Name and version of this server (protocols add what they implement)."""
        return {"name": SERVER_NAME, "version": package_version(SERVER_NAME)}

    def model_info(self) -> ModelInfo:
        model = self.model
        return ModelInfo(
            name=model.name,
            version=model.version,
            aliases=model.info.aliases,
            run_id=model.info.run_id,
            classes=model.classes,
            target=model.target,
            input_schema=[
                InputColumn(name=c.name, type=c.type, required=c.required)
                for c in model.schema.columns
            ],
            training_metrics=model.info.metrics,
            feature_importances=model.importances,
            execution=ExecutionInfo(**vars(model.execution_report)),
        )

    # -- inference -------------------------------------------------------------------------------

    async def infer(
        self,
        batch: Batch,
        *,
        entity_ids: Any = None,
        request_id: str | None = None,
        source: PredictionSource = "online",
    ) -> Scored:
        """Predict ``batch`` (already checked against the schema) for one caller."""
        served = self.holder.served
        ids = _entity_ids(entity_ids, batch.size)
        counters = self.metrics.model(served.model.name, served.model.version)
        start = time.perf_counter()
        try:
            prediction = await served.predict(batch)
        except Exception:
            counters.failed.observe(time.perf_counter() - start)
            raise
        elapsed = time.perf_counter() - start
        scored = Scored(
            request_id=request_id or os.urandom(16).hex(),
            model=served.model,
            batch=batch,
            prediction=prediction,
            entity_ids=ids,
            latency_ms=elapsed * 1000.0,
            created_at=datetime.now(UTC),
            source=source,
        )
        counters.succeeded.observe(elapsed)
        counters.last_inference.set(scored.created_at.timestamp())
        counters.rows[source].inc(batch.size)
        for label, count in Counter(prediction.labels).items():
            counters.predicted(label, count)
        await self._log(scored)
        return scored

    async def _log(self, scored: Scored) -> None:
        # The collector stores golden-set predictions itself, tied to their evaluation; shipping
        # them again would count evaluation traffic as live traffic for drift and accuracy.
        if self.sink is None or scored.source == "evaluation":
            return
        if scored.source == "batch":
            await self.sink.put(scored)
        else:
            self.sink.record(scored)


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

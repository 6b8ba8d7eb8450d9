"""Ships every prediction to the collector in batches, without ever making inference wait.

``record`` only appends to a bounded in-memory queue. A background task turns the queue into
``PredictionLogBatch`` bodies and POSTs them to ``{collector}/v1/predictions``. When the collector
is down or slow, bodies go to the disk spool, and from then on every new body goes behind them, so
delivery stays in order; the spool is replayed with backoff, also after a restart. A 4xx other
than 408/429 means the collector will never accept that body: it moves to the dead-letter folder,
is counted and logged. Rows that fit neither the queue nor the spool are dropped, counted and
logged — never silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from pathlib import Path
from typing import Any

import httpx
import orjson

from modelfleet.model_server.dataplane import Scored
from modelfleet.model_server.metrics import ServerMetrics
from modelfleet.model_server.spool import Spool, SpooledBatch

logger = logging.getLogger(__name__)

RETRYABLE = frozenset({408, 429})


class LogShipper:
    """Bounded queue → batches → collector, with the spool behind it."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        spool: Spool,
        metrics: ServerMetrics,
        *,
        batch_rows: int = 1000,
        flush_seconds: float = 1.0,
        max_queue_rows: int = 100_000,
        max_backoff: float = 30.0,
    ) -> None:
        self.client = client
        self.spool = spool
        self.metrics = metrics
        self.batch_rows = batch_rows
        self.flush_seconds = flush_seconds
        self.max_queue_rows = max_queue_rows
        self.max_backoff = max_backoff
        self._queue: deque[Scored] = deque()
        self._rows = 0
        self._wakeup = asyncio.Event()
        self._space = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._retry_at = 0.0
        self._backoff = 0.5
        self._last_refusal = ""
        self._outcome = {
            name: metrics.logs.labels(name)
            for name in ("shipped", "spooled", "dropped", "dead_letter")
        }
        metrics.spool_batches.set(len(spool))

    # -- producer side -------------------------------------------------------------------------

    def record(self, scored: Scored) -> None:
        """Queue one request's rows; drop (counted, logged) when the queue is full."""
        rows = scored.batch.size
        if self._rows + rows > self.max_queue_rows:
            self._outcome["dropped"].inc(rows)
            logger.error(
                "prediction log queue full (%d rows): dropped %d rows of request %s",
                self._rows,
                rows,
                scored.request_id,
            )
            return
        self._queue.append(scored)
        self._rows += rows
        self.metrics.log_queue.set(self._rows)
        if self._rows >= self.batch_rows:
            self._wakeup.set()

    async def put(self, scored: Scored) -> None:
        """Queue rows, waiting for room instead of dropping (batch scoring applies backpressure)."""
        while self._rows and self._rows + scored.batch.size > self.max_queue_rows:
            self._space.clear()
            self._wakeup.set()
            await self._space.wait()
        self.record(scored)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="log-shipper")

    async def stop(self, drain_timeout: float = 5.0) -> None:
        """Let the task finish the send it is in, spool what is still in memory, give the
        collector one chance, close.

        A send is cancelled only when it outlasts ``drain_timeout``: cancelled, its body is
        spooled and sent again later, although the collector may have stored it already.
        """
        if self._task is not None:
            self._stopping = True
            self._wakeup.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), drain_timeout)
            except TimeoutError:
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while self._queue:
            body, rows = self._next_body()
            self._to_spool(body, rows)
        try:
            await asyncio.wait_for(self._drain_spool(ignore_backoff=True), drain_timeout)
        except TimeoutError:
            logger.warning("collector did not take the spool before shutdown; it stays on disk")
        if len(self.spool):
            logger.warning(
                "%d prediction log batches stay spooled in %s for the next start",
                len(self.spool),
                self.spool.directory,
            )
        await self.client.aclose()

    # -- consumer side ---------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.flush_seconds)
            self._wakeup.clear()
            if self._stopping:
                return  # stop() spools the queue and drains the spool itself
            try:
                await self._ship_queue()
            except Exception:
                logger.exception("prediction log shipping failed; retrying")
                await asyncio.sleep(1.0)

    async def _ship_queue(self) -> None:
        await self._drain_spool()
        while self._queue:
            body, rows = self._next_body()
            if len(self.spool) or time.monotonic() < self._retry_at:
                self._to_spool(body, rows)
                continue
            try:
                outcome = await self._send(body, rows)
            except asyncio.CancelledError:
                # Stopped mid-send: keep the body. The collector may have stored it already;
                # a replay is idempotent on (request_id, row_index), so nothing is stored twice.
                self._to_spool(body, rows)
                raise
            if outcome == "retry":
                self._to_spool(body, rows)
            elif outcome == "refused":
                target = self.spool.reject(body, rows, self._last_refusal)
                self._refused(rows, target)

    async def _drain_spool(self, ignore_backoff: bool = False) -> None:
        while (batch := self.spool.oldest()) is not None:
            if not ignore_backoff and time.monotonic() < self._retry_at:
                return
            body = await asyncio.to_thread(batch.read)
            outcome = await self._send(body, batch.rows)
            if outcome == "retry":
                return
            if outcome == "refused":
                self._dead_letter(batch)
            else:
                self.spool.remove(batch)
            self.metrics.spool_batches.set(len(self.spool))

    async def _send(self, body: bytes, rows: int) -> str:
        """POST one body: ``ok``, ``retry`` (down, 5xx, 408, 429) or ``refused`` (other 4xx)."""
        try:
            response = await self.client.post(
                "/v1/predictions", content=body, headers={"content-type": "application/json"}
            )
        except httpx.HTTPError as exc:
            self._failed(f"{type(exc).__name__}: {exc}")
            return "retry"
        if response.status_code < 300:
            self._outcome["shipped"].inc(rows)
            self._backoff = 0.5
            self._retry_at = 0.0
            return "ok"
        if response.status_code >= 500 or response.status_code in RETRYABLE:
            self._failed(f"HTTP {response.status_code}")
            return "retry"
        self._last_refusal = f"HTTP {response.status_code}: {response.text[:2000]}"
        return "refused"

    def _failed(self, problem: str) -> None:
        logger.warning(
            "collector unavailable (%s); spooling prediction logs, retry in %.1fs",
            problem,
            self._backoff,
        )
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self.max_backoff)

    def _dead_letter(self, batch: SpooledBatch) -> None:
        self._refused(batch.rows, self.spool.dead_letter(batch, self._last_refusal))

    def _refused(self, rows: int, target: Path) -> None:
        self._outcome["dead_letter"].inc(rows)
        reason = self._last_refusal
        logger.error("collector refused %d prediction logs (%s); kept in %s", rows, reason, target)

    def _to_spool(self, body: bytes, rows: int) -> None:
        if self.spool.append(body, rows):
            self._outcome["spooled"].inc(rows)
            self.metrics.spool_batches.set(len(self.spool))
        else:
            self._outcome["dropped"].inc(rows)
            logger.error(
                "prediction log spool full (%d bytes in %s): dropped %d rows",
                self.spool.bytes,
                self.spool.directory,
                rows,
            )

    def _next_body(self) -> tuple[bytes, int]:
        """Up to ``batch_rows`` rows (whole requests) from the queue as one JSON body."""
        rows: list[dict[str, Any]] = []
        limit = self.batch_rows
        while self._queue and (not rows or len(rows) + self._queue[0].batch.size <= limit):
            rows.extend(log_rows(self._queue.popleft()))
        self._rows -= len(rows)
        self.metrics.log_queue.set(self._rows)
        self._space.set()
        return orjson.dumps({"predictions": rows}, option=orjson.OPT_SERIALIZE_NUMPY), len(rows)


def log_rows(scored: Scored) -> list[dict[str, Any]]:
    """The ``PredictionLog`` rows of one scored request."""
    model = scored.model
    classes = model.classes
    created = scored.created_at.isoformat()
    ids = scored.entity_ids
    probabilities = scored.prediction.probabilities.tolist()
    return [
        {
            "request_id": scored.request_id,
            "row_index": i,
            "entity_id": ids[i] if ids else None,
            "model_name": model.name,
            "model_version": model.version,
            "source": scored.source,
            "features": features,
            "prediction": label,
            "probabilities": dict(zip(classes, proba, strict=True)),
            "latency_ms": scored.latency_ms,
            "created_at": created,
        }
        for i, (features, label, proba) in enumerate(
            zip(scored.batch.rows(), scored.prediction.labels, probabilities, strict=True)
        )
    ]

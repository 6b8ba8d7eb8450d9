"""Adaptive batching: concurrent requests are coalesced into one model call.

Requests that arrive while the model is busy wait in one queue; when it is free, everything queued
(up to ``max_batch_size`` rows) goes into a single call and the result is split back per request.
``max_wait`` optionally holds an idle model back for more requests. A batch of up to
``inline_rows`` rows (a call cheaper than a thread hand-over) is predicted on the event loop;
a larger one on the inference thread (``executor``): while it predicts, the loop keeps reading,
parsing and answering other requests, which form the next batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor

from modelfleet.model_server.runtime import Prediction
from modelfleet.model_server.schema import Batch

logger = logging.getLogger(__name__)

Predict = Callable[[Batch], Prediction]


class Batcher:
    """Queues requests and runs them through ``predict`` in coalesced batches."""

    def __init__(
        self,
        predict: Predict,
        executor: Executor,
        *,
        max_batch_size: int,
        max_wait: float = 0.0,
        on_batch: Callable[[int], None] | None = None,
        inline_rows: int = 0,
    ) -> None:
        self._predict = predict
        self._executor = executor
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait
        self._on_batch = on_batch or (lambda _rows: None)
        self.inline_rows = inline_rows
        self._pending: deque[tuple[Batch, asyncio.Future[Prediction]]] = deque()
        self._rows = 0
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while self._pending:
            _batch, future = self._pending.popleft()
            if not future.done():
                future.cancel()

    async def submit(self, batch: Batch) -> Prediction:
        future: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        self._pending.append((batch, future))
        self._rows += batch.size
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self._gather_more()
            while self._pending:
                await self._run_one(self._take())

    async def _gather_more(self) -> None:
        """Give requests already read from sockets a chance to join before the model runs."""
        seen = -1
        for _ in range(4):
            if len(self._pending) == seen or self._rows >= self.max_batch_size:
                break
            seen = len(self._pending)
            await asyncio.sleep(0)
        if self.max_wait > 0 and self._rows < self.max_batch_size:
            deadline = asyncio.get_running_loop().time() + self.max_wait
            while self._rows < self.max_batch_size:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                self._wakeup.clear()
                try:
                    await asyncio.wait_for(self._wakeup.wait(), remaining)
                except TimeoutError:
                    break

    def _take(self) -> list[tuple[Batch, asyncio.Future[Prediction]]]:
        """The next batch: while the first request fits the inline budget, only as many as keep
        the batch inline (several inline calls cost about what one larger call costs, without
        two thread hand-overs, which a busy machine can delay by milliseconds each)."""
        items = [self._pending.popleft()]
        rows = items[0][0].size
        limit = self.inline_rows if rows <= self.inline_rows else self.max_batch_size
        while self._pending and rows + self._pending[0][0].size <= limit:
            item = self._pending.popleft()
            items.append(item)
            rows += item[0].size
        self._rows -= rows
        return items

    async def _run_one(self, items: list[tuple[Batch, asyncio.Future[Prediction]]]) -> None:
        live = [(batch, future) for batch, future in items if not future.cancelled()]
        if not live:
            return
        combined = Batch.concat([batch for batch, _ in live])
        self._on_batch(combined.size)
        try:
            result = await self._call(combined)
        except Exception:
            if len(live) > 1:
                logger.warning(
                    "batched predict failed; predicting its %d requests alone", len(live)
                )
            for batch, future in live:
                await self._settle(future, batch)
            return
        start = 0
        for batch, future in live:
            end = start + batch.size
            if not future.done():
                future.set_result(
                    Prediction(result.labels[start:end], result.probabilities[start:end])
                )
            start = end

    async def _call(self, batch: Batch) -> Prediction:
        if batch.size <= self.inline_rows:
            return self._predict(batch)
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._predict, batch
        )

    async def _settle(self, future: asyncio.Future[Prediction], batch: Batch) -> None:
        try:
            result = await self._call(batch)
        except Exception as exc:
            _fail(future, exc)
            return
        if not future.done():
            future.set_result(result)


def _fail(future: asyncio.Future[Prediction], exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc)

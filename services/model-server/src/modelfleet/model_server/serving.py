"""A loaded model ready for traffic: its predict (batched or not) is fixed once, at load time.

The data plane only ever awaits ``ServedModel.predict``; whether concurrent requests are
coalesced is decided by :mod:`modelfleet.model_server.wiring` when the model is loaded, the way
MLServer's ``load_batching`` wraps a model's predict. Either way a call the serving path makes
within the inline budget (``inline_rows``, from the cost measured at load) runs on the event loop
itself, where it costs less than handing it over; a larger one runs on one inference thread of
its own, so the event loop keeps parsing and answering while it computes (the tree predictors and
scikit-learn's Cython release the GIL while they walk the trees).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from threadpoolctl import threadpool_limits

from modelfleet.model_server.batching import Batcher
from modelfleet.model_server.runtime import LoadedModel, Prediction
from modelfleet.model_server.schema import Batch

AsyncPredict = Callable[[Batch], Awaitable[Prediction]]
BatchObserver = Callable[[int], None]


@dataclass
class ServedModel:
    """A model with the predict callers await and what to do when it stops being served."""

    model: LoadedModel
    predict: AsyncPredict
    close: Callable[[], Awaitable[None]]
    inline_rows: int = 0
    """Batches up to this many rows are predicted on the event loop (0: none)."""

    @classmethod
    def direct(
        cls, model: LoadedModel, threads: int, on_batch: BatchObserver, *, inline_rows: int = 0
    ) -> ServedModel:
        """Every request is one model call."""
        executor = inference_thread(threads)

        async def predict(batch: Batch) -> Prediction:
            on_batch(batch.size)
            if batch.size <= inline_rows:
                return model.predict(batch)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(executor, model.predict, batch)

        async def close() -> None:
            executor.shutdown(wait=False, cancel_futures=True)

        return cls(model, predict, close, inline_rows)

    @classmethod
    def batched(
        cls,
        model: LoadedModel,
        threads: int,
        *,
        max_batch_size: int,
        max_wait: float,
        on_batch: BatchObserver,
        inline_rows: int = 0,
    ) -> ServedModel:
        """Concurrent requests are coalesced into one model call (needs a running loop)."""
        executor = inference_thread(threads)
        batcher = Batcher(
            model.predict,
            executor,
            max_batch_size=max_batch_size,
            max_wait=max_wait,
            on_batch=on_batch,
            inline_rows=inline_rows,
        )
        batcher.start()

        async def close() -> None:
            await batcher.stop()
            executor.shutdown(wait=False, cancel_futures=True)

        return cls(model, batcher.submit, close, inline_rows)


def inference_thread(threads: int) -> ThreadPoolExecutor:
    """The one thread a model predicts on, its OpenMP/BLAS pools capped at ``threads``.

    The cap is set on that thread (OpenMP keeps it per thread) once the model is loaded
    (threadpoolctl only reaches libraries already loaded).
    """
    return ThreadPoolExecutor(
        max_workers=1,
        thread_name_prefix="inference",
        initializer=threadpool_limits,
        initargs=(threads,),
    )

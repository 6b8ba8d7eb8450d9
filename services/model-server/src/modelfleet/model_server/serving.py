"""A loaded model ready for traffic: its predict (batched or not) is fixed once, at load time.

The data plane only ever awaits ``ServedModel.predict``; whether concurrent requests are
coalesced is decided by :mod:`modelfleet.model_server.wiring` when the model is loaded, the way
MLServer's ``load_batching`` wraps a model's predict. Either way the model runs on one inference
thread of its own, so the event loop keeps parsing and answering while it computes (the compiled
predictor and scikit-learn's Cython release the GIL while they walk the trees).
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

    @classmethod
    def direct(cls, model: LoadedModel, threads: int, on_batch: BatchObserver) -> ServedModel:
        """Every request is one model call."""
        executor = inference_thread(threads)

        async def predict(batch: Batch) -> Prediction:
            on_batch(batch.size)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(executor, model.predict, batch)

        async def close() -> None:
            executor.shutdown(wait=False, cancel_futures=True)

        return cls(model, predict, close)

    @classmethod
    def batched(
        cls,
        model: LoadedModel,
        threads: int,
        *,
        max_batch_size: int,
        max_wait: float,
        on_batch: BatchObserver,
    ) -> ServedModel:
        """Concurrent requests are coalesced into one model call (needs a running loop)."""
        executor = inference_thread(threads)
        batcher = Batcher(
            model.predict,
            executor,
            max_batch_size=max_batch_size,
            max_wait=max_wait,
            on_batch=on_batch,
        )
        batcher.start()

        async def close() -> None:
            await batcher.stop()
            executor.shutdown(wait=False, cancel_futures=True)

        return cls(model, batcher.submit, close)


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

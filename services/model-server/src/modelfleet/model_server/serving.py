"""A loaded model ready for traffic: its predict (batched or not) is fixed once, at load time.

The data plane only ever awaits ``ServedModel.predict``; whether concurrent requests are
coalesced is decided by :mod:`modelfleet.model_server.wiring` when the model is loaded, the way
MLServer's ``load_batching`` wraps a model's predict.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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
    def direct(cls, model: LoadedModel, on_batch: BatchObserver) -> ServedModel:
        """Every request is one model call."""

        async def predict(batch: Batch) -> Prediction:
            on_batch(batch.size)
            return model.predict(batch)

        async def close() -> None:
            return None

        return cls(model, predict, close)

    @classmethod
    def batched(
        cls, model: LoadedModel, *, max_batch_size: int, max_wait: float, on_batch: BatchObserver
    ) -> ServedModel:
        """Concurrent requests are coalesced into one model call (needs a running loop)."""
        batcher = Batcher(
            model.predict, max_batch_size=max_batch_size, max_wait=max_wait, on_batch=on_batch
        )
        batcher.start()
        return cls(model, batcher.submit, batcher.stop)

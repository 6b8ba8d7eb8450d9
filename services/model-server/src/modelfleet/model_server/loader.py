"""Keeps the served model: loads it in the background and retries with backoff until it works.

A version that does not exist yet, or a tracking server that is down, is a normal state for a
pod that starts before its dependencies: the server stays up (``/healthz``), reports why it is not
ready (``/readyz``), logs one clear line per attempt and tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from modelfleet.common.errors import ModelfleetError, UnavailableError
from modelfleet.model_server.runtime import LoadedModel
from modelfleet.model_server.serving import ServedModel

logger = logging.getLogger(__name__)

Loader = Callable[[], LoadedModel]
"""Loads the configured version (blocking; run in a thread)."""

Preparer = Callable[[LoadedModel], ServedModel]
"""Makes a loaded model servable on the event loop's thread (thread caps, batching)."""


class ModelHolder:
    """The served model, or the reason there is none yet."""

    def __init__(
        self,
        description: str,
        load: Loader,
        prepare: Preparer,
        *,
        first_delay: float = 1.0,
        max_delay: float = 30.0,
    ) -> None:
        self.description = description
        self._load = load
        self._prepare = prepare
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._served: ServedModel | None = None
        self._task: asyncio.Task[None] | None = None
        self.reason = f"loading {description}"

    @property
    def served(self) -> ServedModel:
        """The served model; UnavailableError (503 with Retry-After) while it is not loaded."""
        if self._served is None:
            raise UnavailableError(f"model not ready: {self.reason}")
        return self._served

    @property
    def loaded(self) -> bool:
        return self._served is not None

    def start(self) -> None:
        """Load in the background, retrying until it works."""
        self._task = asyncio.create_task(self._load_forever(), name="model-loader")

    async def load_now(self) -> ServedModel:
        """Load once, here and now; a failure raises (batch jobs fail fast instead of waiting)."""
        model = await asyncio.to_thread(self._load)
        return self._publish(model)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._served is not None:
            await self._served.close()

    async def _load_forever(self) -> None:
        """Call the loader in a thread until it succeeds, doubling the delay after each failure."""
        delay = self._first_delay
        attempt = 1
        while self._served is None:
            try:
                model = await asyncio.to_thread(self._load)
            except Exception as exc:
                problem = exc.detail if isinstance(exc, ModelfleetError) else _describe(exc)
                self.reason = f"{problem} (attempt {attempt}, next in {delay:.0f}s)"
                logger.warning(
                    "cannot load %s: %s; retrying in %.1fs",
                    self.description,
                    problem,
                    delay,
                    extra={"attempt": attempt},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_delay)
                attempt += 1
                continue
            self._publish(model)

    def _publish(self, model: LoadedModel) -> ServedModel:
        served = self._prepare(model)
        self._served = served
        self.reason = ""
        report = model.execution_report
        logger.info(
            "serving %s version %s (run %s) through %s",
            model.name,
            model.version,
            model.info.run_id,
            report.summary(),
            extra={
                "aliases": model.info.aliases,
                "execution": report.path,
                "verified_rows": report.verified_rows,
                "max_probability_difference": report.max_probability_difference,
                "inline_rows": served.inline_rows,
            },
        )
        return served


def _describe(exc: Exception) -> str:
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

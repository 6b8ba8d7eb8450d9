"""Keeps the served model: loads it in the background and retries with backoff until it works.

A version that does not exist yet, or a tracking server that is down, is a normal state for a
pod that starts before its dependencies: the server stays up (``/healthz``), reports why it is not
ready (``/readyz``), logs one clear line per attempt and tries again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from modelfleet.common.errors import ModelfleetError, UnavailableError
from modelfleet.model_server.runtime import LoadedModel

logger = logging.getLogger(__name__)

Loader = Callable[[], LoadedModel]


class ModelHolder:
    """The loaded model, or the reason there is none yet."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.loaded: LoadedModel | None = None
        self.reason = f"loading {description}"

    @property
    def model(self) -> LoadedModel:
        """The model; UnavailableError (503 with Retry-After) while it is not loaded."""
        if self.loaded is None:
            raise UnavailableError(f"model not ready: {self.reason}")
        return self.loaded

    async def readiness(self) -> str | None:
        return None if self.loaded is not None else self.reason

    async def load_forever(
        self,
        loader: Loader,
        first_delay: float,
        max_delay: float,
        on_loaded: Callable[[LoadedModel], None] | None = None,
    ) -> None:
        """Call ``loader`` in a thread until it succeeds, doubling the delay after each failure.

        ``on_loaded`` runs on the event loop's thread (the one that predicts) before the model is
        published, e.g. to cap the OpenMP threads the model's libraries have just loaded.
        """
        delay = first_delay
        attempt = 1
        while self.loaded is None:
            try:
                model = await asyncio.to_thread(loader)
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
                delay = min(delay * 2, max_delay)
                attempt += 1
                continue
            if on_loaded is not None:
                on_loaded(model)
            self.loaded = model
            self.reason = ""
            logger.info(
                "serving %s version %s (run %s, %s preprocessing)",
                model.name,
                model.version,
                model.info.run_id,
                "compiled" if model.compiled is not None else "scikit-learn",
                extra={"aliases": model.info.aliases},
            )


def _describe(exc: Exception) -> str:
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

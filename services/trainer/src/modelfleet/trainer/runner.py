"""Run one training request in this process: shared by the worker, the CLI and ``train``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from modelfleet.common.db.engine import session_scope
from modelfleet.common.errors import BadRequestError
from modelfleet.trainer import catalog
from modelfleet.trainer.config import TrainerSettings
from modelfleet.trainer.training import Progress, TrainRequest, TrainResult, train_and_register


def resolve(
    request: TrainRequest, session_factory: sessionmaker[Session] | None
) -> tuple[TrainRequest, Path]:
    """The data file of a request; a catalog dataset also names the MLflow dataset input.

    A plain file path needs no database, so ``modelfleet train --data file.csv`` works on a
    machine whose database was never migrated.
    """
    path = Path(request.data).expanduser()
    if path.is_file() or session_factory is None:
        return request, path
    with session_scope(session_factory) as session:
        path, name = catalog.resolve_data(session, request.data)
    if name is not None and request.dataset_name is None:
        request = request.model_copy(update={"dataset_name": name})
    return request, path


def run_training(
    request: TrainRequest,
    settings: TrainerSettings,
    session_factory: sessionmaker[Session] | None,
    progress: Progress | None = None,
) -> TrainResult:
    """Resolve the data and train, log and register one version with the configured knobs."""
    request, path = resolve(request, session_factory)
    with threadpool_limits(limits=settings.threads):
        return train_and_register(
            request,
            tracking_uri=settings.mlflow_tracking_uri,
            data_path=path,
            reference_rows=settings.reference_rows,
            test_size=settings.test_size,
            seed=settings.seed,
            permutation_rows=settings.permutation_rows,
            progress=progress,
        )


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["max_iter=50", "learning_rate=0.05"]`` → ``{"max_iter": 50, "learning_rate": 0.05}``.

    Values are read as JSON when they parse (numbers, ``true``, ``null``), else kept as text.
    """
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise BadRequestError(f"param: {pair!r} must look like name=value")
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    return params

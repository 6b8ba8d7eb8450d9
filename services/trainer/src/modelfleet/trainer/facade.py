"""The trainer as the ``modelfleet`` CLI uses it: train, promote, the dataset catalog.

The CLI imports this module, never the trainer's internals, and only inside a command, because
it pulls in MLflow, scikit-learn and SQLAlchemy. Each call reads its settings from the
environment (``MODELFLEET_*``, ``MLFLOW_TRACKING_URI``), opens what it needs and closes it. A
database or MLflow failure comes back as an :class:`~modelfleet.common.errors.UnavailableError`
whose ``detail`` is one line of advice, so a command only prints ``exc.detail`` for any
:class:`~modelfleet.common.errors.ModelfleetError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from modelfleet.common.db.engine import make_engine, make_session_factory, session_scope
from modelfleet.common.db.errors import describe_database_error
from modelfleet.common.errors import BadRequestError, UnavailableError
from modelfleet.common.settings import DatabaseSettings
from modelfleet.common.wire import (
    DatasetMeta,
    DatasetOut,
    PromotionRequest,
    PromotionResult,
    TrainRequest,
)
from modelfleet.trainer import catalog
from modelfleet.trainer.config import TrainerSettings
from modelfleet.trainer.promotion import promote as promote_versions
from modelfleet.trainer.training import Progress, TrainResult
from modelfleet.trainer.worker import run_training

__all__ = [
    "DatasetMeta",
    "DatasetOut",
    "Progress",
    "PromotionRequest",
    "PromotionResult",
    "TrainRequest",
    "TrainResult",
    "get_dataset",
    "parse_params",
    "parse_tag",
    "promote",
    "register_dataset",
    "search_datasets",
    "train",
]


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


def parse_tag(tag: str) -> tuple[str, str]:
    """``generation:3`` → ``("generation", "3")``."""
    return catalog.parse_tag(tag)


def train(request: TrainRequest, progress: Progress | None = None) -> TrainResult:
    """Train, log and register one version in this process (a file path needs no database)."""
    settings = TrainerSettings()
    engine = make_engine(settings.resolved_database_url())
    try:
        with _unavailable(settings, "dataset catalog"):
            return run_training(request, settings, make_session_factory(engine), progress)
    finally:
        engine.dispose()


def promote(request: PromotionRequest) -> PromotionResult:
    """Move champion and challenger as ``POST /v1/promotions`` does."""
    settings = DatabaseSettings()
    with _session(settings, "database") as session:
        return promote_versions(session, MlflowClient(settings.mlflow_tracking_uri), request)


def register_dataset(meta: DatasetMeta) -> DatasetOut:
    """Add a file the CLI's machine can read to the catalog."""
    with _session(DatabaseSettings(), "catalog") as session:
        return catalog.register(session, meta)


def search_datasets(q: str | None, tags: list[str]) -> list[DatasetOut]:
    """Entries matching text and every ``key:value`` tag, newest first."""
    with _session(DatabaseSettings(), "catalog") as session:
        return catalog.search(session, q, tags)


def get_dataset(name: str) -> DatasetOut:
    with _session(DatabaseSettings(), "catalog") as session:
        return catalog.get(session, name)


@contextmanager
def _session(settings: DatabaseSettings, what: str) -> Iterator[Session]:
    engine = make_engine(settings.resolved_database_url())
    try:
        with _unavailable(settings, what), session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


@contextmanager
def _unavailable(settings: DatabaseSettings, what: str) -> Iterator[None]:
    """MLflow and database failures as one line that says which one and what to do."""
    try:
        yield
    except MlflowException as exc:
        detail = f"MLflow at {settings.mlflow_tracking_uri}: {str(exc).splitlines()[0]}"
        raise UnavailableError(detail) from exc
    except SQLAlchemyError as exc:
        detail = f"{what} unavailable: {describe_database_error(exc)}"
        raise UnavailableError(detail) from exc

"""What the routes share: settings, the session factory, the worker and the MLflow client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mlflow import MlflowClient
from sqlalchemy.orm import Session, sessionmaker

from modelfleet.common.db.engine import session_scope
from modelfleet.trainer.config import TrainerSettings
from modelfleet.trainer.worker import TrainingWorker


@dataclass
class TrainerContext:
    """Built once by :func:`modelfleet.trainer.app.create_app`, handed to every router."""

    settings: TrainerSettings
    session_factory: sessionmaker[Session]
    worker: TrainingWorker | None

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.session_factory) as session:
            yield session

    def mlflow(self) -> MlflowClient:
        return MlflowClient(self.settings.mlflow_tracking_uri)

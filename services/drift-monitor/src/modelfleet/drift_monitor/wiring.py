"""Composition root of the drift monitor: builds its engine, clients and stores from settings."""

from __future__ import annotations

from mlflow import MlflowClient

from modelfleet.common.db.engine import make_engine, make_session_factory
from modelfleet.common.http_client import ServiceClient
from modelfleet.drift_monitor.config import DriftSettings
from modelfleet.drift_monitor.reference import ReferenceStore
from modelfleet.drift_monitor.retrain import Retrainer
from modelfleet.drift_monitor.runs import DriftMonitor
from modelfleet.drift_monitor.trainer_client import TrainerClient
from modelfleet.drift_monitor.workspace import WorkspaceStore


def build_monitor(settings: DriftSettings) -> DriftMonitor:
    """Wire a DriftMonitor from settings (no connection is opened until it is used)."""
    engine = make_engine(settings.resolved_database_url())
    token = settings.api_token.get_secret_value() if settings.api_token else None

    def trainer() -> TrainerClient:
        return TrainerClient(
            ServiceClient(
                settings.trainer_url,
                token=token,
                timeout=settings.trainer_timeout_s,
                retries=settings.trainer_retries,
            )
        )

    return DriftMonitor(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        references=ReferenceStore(
            MlflowClient(settings.mlflow_tracking_uri), settings.reference_cache_dir
        ),
        retrainer=Retrainer(settings, engine, trainer),
        workspace=WorkspaceStore(settings.workspace_dir, settings.key_columns),
    )

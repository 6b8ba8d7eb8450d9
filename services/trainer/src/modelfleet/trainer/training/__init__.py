"""Train, log and register one model version: the trainer's core.

One step per module: :mod:`.fitting` (load, split, fit, score; every fault of the request is
found there, before an MLflow run starts), :mod:`.tracking` (log the run to MLflow) and
:mod:`.registration` (register the model as a ``candidate`` version). The worker runs it for
queued jobs, with the configured knobs (:func:`modelfleet.trainer.worker.run_training`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from modelfleet.common.wire import TrainRequest
from modelfleet.trainer.training.fitting import Progress, fit_and_score
from modelfleet.trainer.training.registration import register
from modelfleet.trainer.training.tracking import log_run

logger = logging.getLogger(__name__)

__all__ = ["Progress", "TrainRequest", "TrainResult", "train_and_register"]


@dataclass
class TrainResult:
    """What a finished training produced."""

    run_id: str
    model_name: str
    version: str
    metrics: dict[str, float]
    features: list[str]
    id_columns: list[str]
    classes: list[str]
    dataset_digest: str


def train_and_register(
    request: TrainRequest,
    *,
    tracking_uri: str,
    data_path: Path,
    reference_rows: int = 50_000,
    test_size: float = 0.2,
    seed: int = 42,
    permutation_rows: int = 2_000,
    progress: Progress | None = None,
) -> TrainResult:
    """Fit the pipeline, log everything to MLflow and register a ``candidate`` version."""
    step = progress or (lambda _msg: None)
    fitted = fit_and_score(
        request,
        data_path,
        test_size=test_size,
        seed=seed,
        permutation_rows=permutation_rows,
        progress=step,
    )
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(request.model_name)
    dataset_name = request.dataset_name or data_path.stem
    with mlflow.start_run(run_name=f"{request.model_type}-{dataset_name}") as run:
        step("logging to MLflow")
        log_run(
            request,
            fitted,
            dataset_name=dataset_name,
            test_size=test_size,
            seed=seed,
            reference_rows=reference_rows,
        )
        step("registering model version")
        version = register(request, fitted, MlflowClient(tracking_uri))
    # The one-word test metrics (test_accuracy …) for the log line, not every per-class one.
    headline = {
        k: v for k, v in fitted.metrics.items() if k.startswith("test_") and "_" not in k[5:]
    }
    logger.info(
        "registered %s version %s (run %s)",
        request.model_name,
        version,
        run.info.run_id,
        extra={"metrics": headline},
    )
    data = fitted.data
    return TrainResult(
        run_id=run.info.run_id,
        model_name=request.model_name,
        version=version,
        metrics=fitted.metrics,
        features=list(data.features.columns),
        id_columns=data.id_columns,
        classes=fitted.classes,
        dataset_digest=data.digest,
    )

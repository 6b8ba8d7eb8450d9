"""Train, log and register one model version: the trainer's core, used by the API and the CLI.

Everything that can be wrong with the request (file, target, model type, parameters) is checked
before an MLflow run starts, so a bad request never leaves a half-registered run behind.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
import skops.io
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.model_selection import train_test_split

from modelfleet.common import model_contract as contract
from modelfleet.common.classification_metrics import compute_metrics
from modelfleet.common.datasets.loading import LoadedDataset, load_dataset
from modelfleet.common.errors import BadRequestError
from modelfleet.common.wire import TrainRequest
from modelfleet.trainer.pipeline import build_pipeline
from modelfleet.trainer.reporting import confusion_matrix_plot, feature_importance, importance_plot

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


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
    extra: dict[str, Any] = field(default_factory=dict)


def code_version() -> str:
    """Package version plus the git commit when known (``MODELFLEET_CODE_VERSION`` in images)."""
    if env := os.environ.get("MODELFLEET_CODE_VERSION"):
        return env
    base = package_version("modelfleet-trainer")
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return base
    return f"{base}+{sha}"


def _split(data: LoadedDataset, test_size: float, seed: int) -> tuple[Any, Any, Any, Any]:
    counts = data.labels.value_counts()
    if counts.min() < 2:
        rare = ", ".join(map(str, counts[counts < 2].index))
        raise BadRequestError(
            f"class(es) {rare} of {data.target!r} have a single row; "
            "a stratified split needs at least two per class"
        )
    return train_test_split(
        data.features, data.labels, test_size=test_size, random_state=seed, stratify=data.labels
    )


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
    step("loading data")
    data = load_dataset(data_path, request.target, id_columns=request.id_columns, drop=request.drop)
    pipeline = build_pipeline(
        request.model_type, request.params, data.numeric_columns, data.categorical_columns, seed
    )
    x_train, x_test, y_train, y_test = _split(data, test_size, seed)

    step(f"fitting {request.model_type} on {len(x_train):,} rows")
    pipeline.fit(x_train, y_train)
    classes = [str(c) for c in pipeline.classes_]
    step("computing metrics")
    train_m = compute_metrics(
        y_train, pipeline.predict(x_train), classes, pipeline.predict_proba(x_train)
    )
    test_m = compute_metrics(
        y_test, pipeline.predict(x_test), classes, pipeline.predict_proba(x_test)
    )
    metrics = {**train_m.flat("train_"), **test_m.flat("test_")}
    importance = feature_importance(pipeline, x_test, y_test, rows=permutation_rows, seed=seed)

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(request.model_name)
    dataset_name = request.dataset_name or data_path.stem
    with (
        mlflow.start_run(run_name=f"{request.model_type}-{dataset_name}") as run,
        tempfile.TemporaryDirectory() as tmp,
    ):
        step("logging to MLflow")
        out = Path(tmp)
        mlflow.log_params(
            {
                "model_type": request.model_type,
                "target": request.target,
                "features": ",".join(data.features.columns),
                "id_columns": ",".join(data.id_columns),
                "test_size": test_size,
                "seed": seed,
                "train_rows": len(x_train),
                "test_rows": len(x_test),
                **{f"param_{k}": v for k, v in request.params.items()},
            }
        )
        mlflow.log_metrics(metrics)
        mlflow.set_tags(
            {
                contract.TAG_DATASET_DIGEST: data.digest,
                contract.TAG_DATASET_NAME: dataset_name,
                contract.TAG_TARGET: request.target,
                contract.TAG_ID_COLUMNS: ",".join(data.id_columns),
                contract.TAG_MODEL_TYPE: request.model_type,
                contract.TAG_CODE_VERSION: code_version(),
            }
        )
        mlflow.log_input(
            mlflow.data.from_pandas(  # type: ignore[attr-defined]
                data.frame, source=data.source, targets=request.target, name=dataset_name
            ),
            context="training",
        )
        mlflow.log_artifact(
            str(
                confusion_matrix_plot(
                    test_m.confusion, classes, out / contract.CONFUSION_MATRIX_ARTIFACT
                )
            )
        )
        (out / contract.FEATURE_IMPORTANCE_ARTIFACT).write_text(json.dumps(importance, indent=2))
        mlflow.log_artifact(str(out / contract.FEATURE_IMPORTANCE_ARTIFACT))
        mlflow.log_artifact(
            str(
                importance_plot(
                    importance["importances"],  # type: ignore[arg-type]
                    str(importance["method"]),
                    out / contract.FEATURE_IMPORTANCE_PLOT,
                )
            )
        )
        mlflow.log_dict({"classes": classes, "test": test_m.per_class}, "class_metrics.json")
        reference = _reference_sample(
            x_train, y_train, pipeline, request.target, reference_rows, seed
        )
        ref_path = out / Path(contract.REFERENCE_ARTIFACT).name
        reference.to_parquet(ref_path, index=False)
        mlflow.log_artifact(str(ref_path), str(Path(contract.REFERENCE_ARTIFACT).parent))

        step("registering model version")
        example = x_train.head(5)
        signature = infer_signature(example, pipeline.predict(example))
        trusted = skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))
        info = mlflow.sklearn.log_model(
            pipeline,
            name=contract.MODEL_ARTIFACT_PATH,
            signature=signature,
            input_example=example,
            registered_model_name=request.model_name,
            skops_trusted_types=trusted,
            pip_requirements=_model_requirements(),
        )
        version = str(info.registered_model_version)
        client = MlflowClient(tracking_uri)
        client.set_model_version_tag(request.model_name, version, contract.TAG_CANDIDATE, "true")
        client.set_model_version_tag(
            request.model_name, version, contract.TAG_DATASET_DIGEST, data.digest
        )
        if request.description:
            client.update_model_version(request.model_name, version, request.description)
    logger.info(
        "registered %s version %s (run %s)",
        request.model_name,
        version,
        run.info.run_id,
        extra={
            "metrics": {
                k: v for k, v in metrics.items() if k.startswith("test_") and "_" not in k[5:]
            }
        },
    )
    return TrainResult(
        run_id=run.info.run_id,
        model_name=request.model_name,
        version=version,
        metrics=metrics,
        features=list(data.features.columns),
        id_columns=data.id_columns,
        classes=classes,
        dataset_digest=data.digest,
    )


def _model_requirements() -> list[str]:
    """Exactly what loading the model needs, rather than MLflow's export of the whole workspace."""
    return [
        f"{dist}=={package_version(dist)}"
        for dist in ("scikit-learn", "skops", "pandas", "numpy", "mlflow-skinny")
    ]


def _reference_sample(
    x: pd.DataFrame, y: pd.Series, pipeline: Any, target: str, rows: int, seed: int
) -> pd.DataFrame:
    """Training features with target and the model's prediction: the drift baseline."""
    sample = x.sample(min(rows, len(x)), random_state=seed)
    out = sample.copy()
    out[target] = y.loc[sample.index].to_numpy()
    out["prediction"] = np.asarray(pipeline.predict(sample)).astype(str)
    return out.reset_index(drop=True)

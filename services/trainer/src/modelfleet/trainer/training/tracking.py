"""Log a fitted model's run to MLflow: parameters, metrics, lineage tags, the dataset input,
plots, per-class metrics, the reference sample the drift monitor compares traffic with and,
for tree ensembles, the compiled predictor the model-server runs."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from importlib.metadata import version as package_version
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from modelfleet.common import model_contract as contract
from modelfleet.common.wire import TrainRequest
from modelfleet.trainer.reporting import confusion_matrix_plot, importance_plot
from modelfleet.trainer.training.compiling import export_predictor
from modelfleet.trainer.training.fitting import Fitted


def log_run(
    request: TrainRequest,
    fitted: Fitted,
    *,
    dataset_name: str,
    test_size: float,
    seed: int,
    reference_rows: int,
) -> None:
    """Everything about the fit, into the active MLflow run."""
    data = fitted.data
    mlflow.log_params(
        {
            "model_type": request.model_type,
            "target": request.target,
            "features": ",".join(data.features.columns),
            "id_columns": ",".join(data.id_columns),
            "test_size": test_size,
            "seed": seed,
            "train_rows": len(fitted.x_train),
            "test_rows": len(fitted.x_test),
            **{f"param_{k}": v for k, v in request.params.items()},
        }
    )
    mlflow.log_metrics(fitted.metrics)
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
    with tempfile.TemporaryDirectory() as tmp:
        _log_artifacts(fitted, Path(tmp), target=request.target, rows=reference_rows, seed=seed)


def _log_artifacts(fitted: Fitted, out: Path, *, target: str, rows: int, seed: int) -> None:
    """Plots, importances, per-class metrics and the reference sample, written under ``out``."""
    classes = fitted.classes
    mlflow.log_artifact(
        str(
            confusion_matrix_plot(
                fitted.test.confusion, classes, out / contract.CONFUSION_MATRIX_ARTIFACT
            )
        )
    )
    (out / contract.FEATURE_IMPORTANCE_ARTIFACT).write_text(json.dumps(fitted.importance, indent=2))
    mlflow.log_artifact(str(out / contract.FEATURE_IMPORTANCE_ARTIFACT))
    mlflow.log_artifact(
        str(
            importance_plot(
                fitted.importance["importances"],  # type: ignore[arg-type]
                str(fitted.importance["method"]),
                out / contract.FEATURE_IMPORTANCE_PLOT,
            )
        )
    )
    mlflow.log_dict({"classes": classes, "test": fitted.test.per_class}, "class_metrics.json")
    reference = reference_sample(fitted, target, rows, seed)
    ref_path = out / Path(contract.REFERENCE_ARTIFACT).name
    reference.to_parquet(ref_path, index=False)
    mlflow.log_artifact(str(ref_path), str(Path(contract.REFERENCE_ARTIFACT).parent))
    export_predictor(fitted.pipeline.steps[-1][1], out / contract.COMPILED_DIR)
    mlflow.log_artifacts(str(out / contract.COMPILED_DIR), contract.COMPILED_DIR)


def reference_sample(fitted: Fitted, target: str, rows: int, seed: int) -> pd.DataFrame:
    """Training features with target and the model's prediction: the drift baseline."""
    x, y = fitted.x_train, fitted.y_train
    sample = x.sample(min(rows, len(x)), random_state=seed)
    out = sample.copy()
    out[target] = y.loc[sample.index].to_numpy()
    out["prediction"] = np.asarray(fitted.pipeline.predict(sample)).astype(str)
    return out.reset_index(drop=True)


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

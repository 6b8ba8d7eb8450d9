"""The baseline of a served version: the reference sample its trainer logged to MLflow.

The sample (training features plus target and the model's prediction) is downloaded once per run
id and kept on disk: a run's artifacts never change, so the cache never goes stale.
"""

from __future__ import annotations

import ast
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow import MlflowClient

from modelfleet.common import model_contract as contract
from modelfleet.common.errors import ModelfleetError, NotFoundError
from modelfleet.common.mlflow_registry import ModelRef, download_artifact, version_info

PREDICTION_COLUMN = "prediction"
"""Column of the reference sample (and of the current frame) holding the predicted label."""


class ReferenceMissingError(ModelfleetError):
    """The version (or its run, or the run's reference artifact) cannot be found."""

    status_code = 404


@dataclass
class Reference:
    """A version's reference sample and what the trainer recorded about its training."""

    model_name: str
    model_version: str
    run_id: str
    frame: pd.DataFrame
    target: str
    model_type: str
    numeric_columns: list[str]
    categorical_columns: list[str]
    params: dict[str, Any] = field(default_factory=dict)
    """Estimator parameters of the training (so a retraining reproduces its configuration)."""

    @property
    def features(self) -> list[str]:
        return [*self.numeric_columns, *self.categorical_columns]


class ReferenceStore:
    """Loads reference samples from MLflow through a disk cache keyed by run id."""

    def __init__(self, client: MlflowClient, cache_dir: Path) -> None:
        self.client = client
        self.cache_dir = cache_dir

    def load(self, model_name: str, model_version: str) -> Reference:
        """The version's reference; ReferenceMissingError when there is none."""
        try:
            info = version_info(self.client, ModelRef(model_name, version=model_version))
        except NotFoundError as exc:
            raise ReferenceMissingError(exc.detail) from exc
        target = info.run_tags.get(contract.TAG_TARGET)
        if not info.run_id or not target:
            raise ReferenceMissingError(
                f"{model_name} version {model_version} has no training run with a "
                f"{contract.TAG_TARGET!r} tag; it was not trained by modelfleet"
            )
        frame = pd.read_parquet(self._cached_file(info.run_id))
        if target not in frame.columns or PREDICTION_COLUMN not in frame.columns:
            raise ReferenceMissingError(
                f"reference sample of run {info.run_id} lacks the {target!r} or "
                f"{PREDICTION_COLUMN!r} column"
            )
        features = [c for c in frame.columns if c not in (target, PREDICTION_COLUMN)]
        numeric = [
            c
            for c in features
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        ]
        frame[PREDICTION_COLUMN] = frame[PREDICTION_COLUMN].astype(str)
        return Reference(
            model_name=model_name,
            model_version=model_version,
            run_id=info.run_id,
            frame=frame,
            target=target,
            model_type=info.run_tags.get(contract.TAG_MODEL_TYPE, "hgb"),
            numeric_columns=numeric,
            categorical_columns=[c for c in features if c not in numeric],
            params={
                key.removeprefix("param_"): _literal(value)
                for key, value in info.params.items()
                if key.startswith("param_")
            },
        )

    def _cached_file(self, run_id: str) -> Path:
        cached = self.cache_dir / run_id / Path(contract.REFERENCE_ARTIFACT).name
        if cached.exists():
            return cached
        with tempfile.TemporaryDirectory(dir=self._ensure_dir()) as tmp:
            try:
                path = download_artifact(
                    self.client, run_id, contract.REFERENCE_ARTIFACT, Path(tmp)
                )
            except NotFoundError as exc:
                raise ReferenceMissingError(exc.detail) from exc
            cached.parent.mkdir(parents=True, exist_ok=True)
            # Rename within one filesystem is atomic: concurrent loaders never read half a file.
            shutil.move(str(path), cached)
        return cached

    def _ensure_dir(self) -> Path:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        return self.cache_dir


def _literal(value: str) -> Any:
    """MLflow stores params as ``str(value)``: ``"50"`` → 50, ``"None"`` → None, text stays text."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value

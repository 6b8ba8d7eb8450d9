"""Fit and score: load the data, split it, fit the pipeline, compute metrics and importances.

Everything that can be wrong with the request (file, target, model type, parameters, a class
too rare to split) fails here, before an MLflow run starts, so a bad request never leaves a
half-registered run behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from modelfleet.common.classification_metrics import ClassificationMetrics, compute_metrics
from modelfleet.common.datasets.loading import LoadedDataset, load_dataset
from modelfleet.common.errors import BadRequestError
from modelfleet.common.wire import TrainRequest
from modelfleet.trainer.pipeline import build_pipeline
from modelfleet.trainer.reporting import feature_importance

Progress = Callable[[str], None]


@dataclass
class Fitted:
    """A fitted pipeline with the split it was fitted and scored on."""

    data: LoadedDataset
    pipeline: Pipeline
    classes: list[str]
    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    test: ClassificationMetrics
    metrics: dict[str, float]
    """``train_*`` and ``test_*`` metrics, overall and per class, as logged to MLflow."""
    importance: dict[str, object]


def fit_and_score(
    request: TrainRequest,
    data_path: Path,
    *,
    test_size: float,
    seed: int,
    permutation_rows: int,
    progress: Progress,
) -> Fitted:
    """Fit on a stratified split of ``data_path``; score on both parts."""
    progress("loading data")
    data = load_dataset(data_path, request.target, id_columns=request.id_columns, drop=request.drop)
    pipeline = build_pipeline(
        request.model_type, request.params, data.numeric_columns, data.categorical_columns, seed
    )
    x_train, x_test, y_train, y_test = _split(data, test_size, seed)

    progress(f"fitting {request.model_type} on {len(x_train):,} rows")
    pipeline.fit(x_train, y_train)
    classes = [str(c) for c in pipeline.classes_]
    progress("computing metrics")
    train_m = compute_metrics(
        y_train, pipeline.predict(x_train), classes, pipeline.predict_proba(x_train)
    )
    test_m = compute_metrics(
        y_test, pipeline.predict(x_test), classes, pipeline.predict_proba(x_test)
    )
    return Fitted(
        data=data,
        pipeline=pipeline,
        classes=classes,
        x_train=x_train,
        x_test=x_test,
        y_train=y_train,
        y_test=y_test,
        test=test_m,
        metrics={**train_m.flat("train_"), **test_m.flat("test_")},
        importance=feature_importance(pipeline, x_test, y_test, rows=permutation_rows, seed=seed),
    )


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

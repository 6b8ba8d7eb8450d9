"""The compiled preprocessing gives bit-identical probabilities to ``pipeline.predict_proba``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from modelfleet.common.datasets.loading import load_dataset
from modelfleet.model_server.compiled import CompiledPipeline
from modelfleet.model_server.schema import Column, InputSchema
from modelfleet.trainer.pipeline import build_pipeline
from tests.model_server.conftest import records


def fitted(path: Path, target: str, model_type: str, params: dict[str, Any]) -> tuple[Any, Any]:
    data = load_dataset(path, target)
    x, y = data.features, data.labels
    fit_rows = x.sample(min(len(x), 6000), random_state=1).index
    pipeline = build_pipeline(model_type, params, data.numeric_columns, data.categorical_columns)
    pipeline.fit(x.loc[fit_rows], y.loc[fit_rows])
    return pipeline, x


def schema_of(x: pd.DataFrame) -> InputSchema:
    columns = [
        Column(str(c), "double" if pd.api.types.is_numeric_dtype(x[c]) else "string")
        for c in x.columns
    ]
    return InputSchema(columns, max_rows=len(x))


def with_gaps(x: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Real rows plus missing values and never-seen categories, as callers send them."""
    rng = np.random.default_rng(seed)
    out = x.copy().astype(object)
    for column in out.columns:
        out.loc[rng.random(len(out)) < 0.05, column] = None
        if not pd.api.types.is_numeric_dtype(x[column]):
            out.loc[rng.random(len(out)) < 0.03, column] = "never-seen"
    return out


def assert_identical(pipeline: Any, frame: pd.DataFrame, schema: InputSchema) -> None:
    compiled = CompiledPipeline.compile(pipeline)
    assert compiled is not None, "the trainer's pipeline must be recognised"
    batch = schema.from_records(records(frame))
    got = compiled.predict_proba(batch.values, batch.size)
    as_sklearn = frame.copy()
    for column in frame.columns:
        if column in schema.numeric:
            as_sklearn[column] = pd.to_numeric(frame[column]).astype(float)
        else:
            as_sklearn[column] = frame[column].where(frame[column].notna(), np.nan)
    np.testing.assert_array_equal(
        compiled.transform(batch.values, batch.size), pipeline[0].transform(as_sklearn)
    )
    want = pipeline.predict_proba(as_sklearn)
    np.testing.assert_array_equal(got, want)
    labels = np.asarray(pipeline.classes_)[got.argmax(axis=1)]
    assert labels.tolist() == pipeline.predict(as_sklearn).tolist()


@pytest.mark.parametrize(
    ("model_type", "params"),
    # n_jobs=1: a parallel forest sums its trees in thread order, so even scikit-learn
    # differs from itself in the last bit between calls
    [("hgb", {"max_iter": 30}), ("logreg", {}), ("rf", {"n_estimators": 20, "n_jobs": 1})],
)
def test_gaming_model_compiled_equals_sklearn(
    datasets_dir: Path, model_type: str, params: dict[str, Any]
) -> None:
    pipeline, x = fitted(
        datasets_dir / "online_gaming_behavior.csv", "EngagementLevel", model_type, params
    )
    sample = x.sample(3000, random_state=2)
    assert_identical(pipeline, sample, schema_of(x))
    assert_identical(pipeline, with_gaps(sample, 3), schema_of(x))
    assert_identical(pipeline, sample.head(1), schema_of(x))


def test_pokemon_with_real_missing_values(datasets_dir: Path) -> None:
    pipeline, x = fitted(datasets_dir / "pokemon.csv", "is_legendary", "hgb", {"max_iter": 30})
    assert x.isna().any().any(), "the data set has real missing values"
    assert_identical(pipeline, x, schema_of(x))


def test_unrecognised_steps_fall_back_to_sklearn() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": ["p", "q", "p", "q"]})
    pipeline = Pipeline(
        [
            ("preprocess", ColumnTransformer([("n", MinMaxScaler(), ["a"])])),
            ("classifier", build_pipeline("logreg", {}, ["a"], []).steps[-1][1]),
        ]
    ).fit(frame[["a"]], frame["y"])
    assert CompiledPipeline.compile(pipeline) is None
